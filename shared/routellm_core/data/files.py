"""Finding and reading data files: the data folder, JSONL, and tables in any common format."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .schema import DataError

#: Environment variable naming the data folder (the one holding arena_bench_v1/, llmrouter/, ...).
DATA_DIR_ENV = "ROUTELLM_DATA_DIR"


class NoDataFolderError(DataError):
    """No data folder was given, configured with ``$ROUTELLM_DATA_DIR``, or found beside the checkout."""

    WHAT = "the folder holding arena_bench_v1/, llmrouter/, ..."

    def __init__(self, how: str = "pass root="):
        super().__init__(f"no data folder: set {DATA_DIR_ENV} or {how} ({self.WHAT})")

    @classmethod
    def for_option(cls, option: str) -> NoDataFolderError:
        """The same error worded for a command line: `option` is the flag that names the folder."""
        return cls(f"pass {option} DIR")


def default_data_root() -> Path:
    """The data folder: ``$ROUTELLM_DATA_DIR``, else ``shared/data`` beside a source checkout."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    # shared/routellm_core/data/files.py -> the checkout is parents[3]; the data folder sits beside it.
    parents = Path(__file__).resolve().parents
    if len(parents) > 4 and (parents[4] / "shared" / "data").is_dir():
        return parents[4] / "shared" / "data"
    raise NoDataFolderError()


def set_folder(root: str | Path | None, folder_name: str, marker: str) -> Path:
    """The folder of one data set: `root/folder_name`, or `root` itself when it already is that folder.

    `marker` is a file that must exist inside it; a missing folder or file is a `DataError` naming the path.
    """
    base = default_data_root() if root is None else Path(root)
    for candidate in (base / folder_name, base):
        if (candidate / marker).exists():
            return candidate
    raise DataError(f"{folder_name}: {marker} not found under {base} (expected {base / folder_name / marker})")


def read_jsonl(path: str | Path) -> list[dict]:
    """Rows of a JSON-lines file (plain or .gz); a bad line is a `DataError` naming file and line."""
    import gzip

    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{line_no} is not valid JSON ({exc.msg})") from None
    return rows


TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")


def read_table(path: str | Path) -> pd.DataFrame:
    """A table from CSV, TSV, JSON lines, a JSON array or Parquet (optionally gzipped), by file suffix."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file not found: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    try:
        if kind == ".csv":
            return pd.read_csv(path)
        if kind == ".tsv":
            return pd.read_csv(path, sep="\t")
        if kind == ".jsonl":
            return pd.DataFrame(read_jsonl(path))
        if kind == ".json":
            return pd.read_json(path)
        if kind == ".parquet":
            return pd.read_parquet(path)
    except DataError:
        raise
    except Exception as exc:  # pandas raises many types; report them as one, naming the file
        raise DataError(f"cannot read {path}: {exc}") from None
    raise DataError(f"{path}: unsupported file type; use one of {', '.join(TABLE_SUFFIXES)} (optionally .gz)")
