"""Prompt tables of any size: Parquet, CSV or JSONL files (or a folder of them), read in batches.

A prompt table is one file, or a folder whose files (sorted by name) are the parts of one table, as
written by Spark, Ray or pandas. Reading streams record batches through `pyarrow.dataset`, so a
table larger than memory never has to fit in it; the same files, in the same order, feed a Ray
Data pipeline (`routellm_core.distributed`). Output goes to Parquet: one file (a name ending in
`.parquet`) or a folder of parts, written beside the target and moved into place only when
complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import RouteLLMError
from .storage import atomic_write, staged_folder

#: File suffix -> the `pyarrow.dataset` format that reads it (and the Ray Data reader of the same name).
TABLE_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "json"}


class PromptTableError(RouteLLMError):
    """A prompt table that cannot be scored: missing, empty, without the column, or not text."""


def table_files(path: str | Path) -> tuple[list[Path], str]:
    """The files of a table (one file, or a folder's files sorted by name) and their common format."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TABLE_FORMATS)
        if not files:
            raise PromptTableError(f"{path} holds no {', '.join(TABLE_FORMATS)} files")
    elif path.is_file():
        files = [path]
    else:
        raise PromptTableError(f"input not found: {path}")
    formats = {TABLE_FORMATS.get(p.suffix.lower()) for p in files}
    if None in formats:
        raise PromptTableError(f"{path}: unsupported file type; use one of {', '.join(TABLE_FORMATS)}")
    if len(formats) > 1:
        raise PromptTableError(f"{path} mixes file types ({', '.join(sorted(formats))}); use one per folder")
    empty = [p for p in files if p.stat().st_size == 0]
    if empty:
        raise PromptTableError(f"{empty[0]} is empty (0 bytes)")
    return files, formats.pop()


def _file_format(file_format: str):
    """The `pyarrow.dataset` format object: CSV values may hold newlines (quoted), as spreadsheets write them."""
    import pyarrow.csv as csv
    import pyarrow.dataset as ds

    if file_format == "csv":
        return ds.CsvFileFormat(parse_options=csv.ParseOptions(newlines_in_values=True))
    return file_format


def _dataset(files: list[Path], file_format: str, schema=None):
    import pyarrow.dataset as ds

    try:
        return ds.dataset([str(p) for p in files], format=_file_format(file_format), schema=schema)
    except Exception as exc:  # pyarrow raises several types; name the files in one message
        raise PromptTableError(f"cannot read {files[0] if len(files) == 1 else files[0].parent}: {exc}") from None


def check_prompt_column(schema, column: str, where: str | Path) -> None:
    """The column exists and holds text (a pyarrow schema), else a `PromptTableError` naming both."""
    import pyarrow as pa

    if column not in schema.names:
        raise PromptTableError(f"{where} has no column {column!r}; its columns are {', '.join(schema.names)}")
    kind = schema.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise PromptTableError(f"{where}: column {column!r} holds {kind} values, not text")


def check_prompt_values(prompts, column: str, where: str | Path, first_row: int = 0) -> None:
    """Every value is a string (none missing), else a `PromptTableError` naming the first bad row."""
    for i, value in enumerate(prompts):
        if not isinstance(value, str):
            what = "no value (null)" if value is None else f"a {type(value).__name__}, not text"
            raise PromptTableError(f"{where}: row {first_row + i} of column {column!r} holds {what}")


def iter_prompt_batches(path: str | Path, column: str = "prompt", batch_size: int = 4096) -> Iterator:
    """`pyarrow.RecordBatch`es of the whole table, in order, after checking the column's type.

    Raises `PromptTableError` for a missing input, a missing or non-text column, or a table of no rows.
    """
    files, file_format = table_files(path)
    dataset = _dataset(files, file_format)
    check_prompt_column(dataset.schema, column, path)
    rows = 0
    try:
        for batch in dataset.to_batches(batch_size=batch_size):
            if batch.num_rows:
                rows += batch.num_rows
                yield batch
    except PromptTableError:
        raise
    except Exception as exc:
        if isinstance(exc, (GeneratorExit, KeyboardInterrupt)):
            raise
        raise PromptTableError(f"cannot read {path}: {exc}") from None
    if rows == 0:
        raise PromptTableError(f"{path} holds no rows")


def table_schema(path: str | Path):
    """The files of a table, their format, and the schema they share (the first file's: read from its
    metadata or first rows; every file is read with it, as `iter_prompt_batches` reads them)."""
    files, file_format = table_files(path)
    return files, file_format, _dataset(files, file_format).schema


#: Rows per slice at most: a big Parquet row group is cut so that several workers share it.
SLICE_ROWS = 50_000


def table_slices(files: list[Path], file_format: str, slice_rows: int | None = None) -> list[tuple[str, int, int, int]]:
    """Independent pieces of a table, in order, for workers to read on their own: `(path, row group,
    first row, end row)`. Parquet row groups come from the files' metadata (no data read), cut into
    pieces of at most `slice_rows`; a CSV or JSONL file is one piece (row group -1: its rows are not
    known without reading it)."""
    import pyarrow.parquet as pq

    if file_format != "parquet":
        return [(str(p), -1, 0, -1) for p in files]
    slice_rows = slice_rows or SLICE_ROWS
    slices = []
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            rows = metadata.row_group(group).num_rows
            slices += [(str(path), group, start, min(start + slice_rows, rows))
                       for start in range(0, max(rows, 1), slice_rows)]
    return slices


def read_slice(path: str, row_group: int, start: int, stop: int, file_format: str, schema):
    """One piece from `table_slices` as a `pyarrow.Table`, read with the table's `schema`."""
    dataset = _dataset([Path(path)], file_format, schema)
    if row_group < 0:
        return dataset.to_table()
    fragment = next(iter(dataset.get_fragments())).split_by_row_group()[row_group]
    return fragment.to_table(schema=schema).slice(start, stop - start)


class PartsWriter:
    """Appends tables to a Parquet output: a file's next row group, or a folder's next part."""

    def __init__(self, file=None, folder: Path | None = None):
        self.file, self.folder, self.parts, self._writer = file, folder, 0, None

    def write(self, table) -> None:
        """Append a `pyarrow.Table` or `RecordBatch` as the next rows."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if self.folder is not None:
            pq.write_table(table, str(self.folder / f"part-{self.parts:05d}.parquet"))
        else:
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.file, table.schema)
            self._writer.write_table(table)
        self.parts += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextmanager
def parquet_output(target: str | Path, *, overwrite: bool = False) -> Iterator[PartsWriter]:
    """A `PartsWriter` for `target`: one Parquet file when its name ends in `.parquet`, else a folder of
    parts (`writer.folder`, which a writer such as Ray's may also fill). The output appears under its
    name only when the block succeeds; an existing target is refused unless `overwrite`."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise PromptTableError(f"{target} exists; choose another output, or overwrite it (--overwrite)")
    if target.suffix.lower() == ".parquet":
        if target.is_dir():
            raise PromptTableError(f"{target} is a folder; a .parquet output names a file")
        with atomic_write(target) as handle:
            writer = PartsWriter(file=handle)
            try:
                yield writer
                if writer.parts == 0:
                    raise PromptTableError("nothing to write")
            finally:
                writer.close()
    else:
        with staged_folder(target) as folder:
            yield PartsWriter(folder=folder)


def read_parquet_output(path: str | Path):
    """A `pandas.DataFrame` of a Parquet output (one file, or a folder's parts in name order)."""
    import pandas as pd
    import pyarrow.parquet as pq

    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    return pd.concat([pq.read_table(p).to_pandas() for p in files], ignore_index=True)
