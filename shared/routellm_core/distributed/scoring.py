"""Scoring prompt tables on Ray Data: an actor pool in which each actor loads the router once.

Each actor holds the same `BatchScorer` as the local run, so a row's score and decision are the same
as `score_table` gives (with `exact=True`, bit for bit). Order is kept by construction, not left to
Ray: a table's slice N becomes output part N, and prompts sent as a list carry their row index.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..batch_scoring import (
    DEFAULT_BATCH_SIZE,
    ERROR_COLUMN,
    SCORE_COLUMN,
    BatchScorer,
    ScoringPlan,
    ScoringSummary,
    plan_for,
)
from ..errors import RouteLLMError
from ..prompt_tables import PromptTableError, check_prompt_column, parquet_output
from ..registry import load_router
from ..router import Router
from .cluster import connect, require_ray
from .router_source import RouterSource


def _load_scorer(source: RouterSource, plan: ScoringPlan) -> BatchScorer:
    """The `BatchScorer` an actor holds: its router loaded once, without loading bars in the logs."""
    from ..quiet import quiet_model_loading

    with quiet_model_loading():
        return BatchScorer(source.load(), plan)


def _collect(dataset):
    """Run `dataset` and return its rows as one `pyarrow.Table`; a worker's input error is raised as itself."""
    import pyarrow as pa

    try:
        return pa.concat_tables(list(dataset.iter_batches(batch_format="pyarrow", batch_size=None)))
    except Exception as exc:
        cause = _input_error(exc)
        if cause is not None:
            raise cause from None
        raise


class _ScoringActor:
    """One per worker in the pool: the router is loaded once, in `__init__`, then used for every batch."""

    def __init__(self, source: RouterSource, plan: ScoringPlan):
        self.scorer = _load_scorer(source, plan)

    def __call__(self, batch):
        return self.scorer(batch)


def _workers(workers: int | None, cpus_per_worker: float) -> int:
    if workers is not None:
        if workers < 1:
            raise RouteLLMError(f"workers must be >= 1, got {workers}")
        return int(workers)
    ray = require_ray()
    cpus = ray.cluster_resources().get("CPU", 1.0)
    return max(1, int(cpus // cpus_per_worker))


def score_dataset(
    dataset,
    router: str | Path | Router = "default",
    *,
    plan: ScoringPlan | None = None,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    **plan_options,
):
    """A `ray.data.Dataset` with the router's columns added to `dataset` (lazy, like any Ray Data step).

    The columns are those of `routellm_core.batch_scoring` (`win_probability`, `model` or the N-model
    columns, `error`); `plan_options` are `plan_for`'s (`column`, `threshold`, `strong_fraction`,
    `prices`, `price_weights`, `exact`, `retries`), or pass a ready `plan`.
    `workers`: actors in the pool (default: the cluster's CPUs / `cpus_per_worker`). Call it inside
    your own pipeline, e.g. `score_dataset(ray.data.read_parquet("s3://logs/"), "default").write_parquet(...)`.
    """
    ray = require_ray()
    if plan is None:
        plan = plan_for(load_router(router), **plan_options)
    elif plan_options:
        raise RouteLLMError(f"give a plan or plan options ({', '.join(plan_options)}), not both")
    if batch_size < 1:
        raise RouteLLMError(f"batch_size must be positive, got {batch_size}")
    _check_dataset_column(dataset, plan.column)
    dataset.context.execution_options.preserve_order = True  # rows come out in the order they went in
    scored = dataset.map_batches(
        _ScoringActor,
        fn_constructor_args=(RouterSource.of(router), plan),
        batch_format="pyarrow",
        batch_size=batch_size,
        # from one actor up: a pool that reserved every CPU at once would starve the task that lists
        # the input files (Ray Data schedules it as a task), and the pipeline would never start
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=_workers(workers, cpus_per_worker)),
        num_cpus=cpus_per_worker,
        udf_modifying_row_count=False,
    )
    return scored


def _check_dataset_column(dataset, column: str) -> None:
    """The column exists, and is text where the schema says (pandas blocks type text as `object`;
    their values are checked batch by batch)."""
    import pyarrow as pa

    schema = dataset.schema()
    if schema is None:
        raise PromptTableError("the dataset holds no rows")
    if column not in schema.names:
        raise PromptTableError(f"the dataset has no column {column!r}; its columns are {', '.join(schema.names)}")
    kind = dict(zip(schema.names, schema.types))[column]
    if isinstance(kind, pa.DataType):
        check_prompt_column(pa.schema([pa.field(column, kind)]), column, "the dataset")


def _input_error(exc: BaseException) -> RouteLLMError | None:
    """The input error behind an exception Ray wrapped (a worker's `PromptTableError`), if any. Ray keeps
    the worker's exception as `cause` where it can; where it kept only the worker's traceback as text,
    the error's own line is read from it."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, RouteLLMError) and not isinstance(current, require_ray().exceptions.RayError):
            return type(current)(str(current))
        pending += [getattr(current, "cause", None), current.__cause__, current.__context__]
    for kind in (PromptTableError, RouteLLMError):
        marker = f"{kind.__module__}.{kind.__name__}: "
        text = str(exc)
        if marker in text:
            return kind(text.split(marker, 1)[1].splitlines()[0])
    return None


#: What each actor call returns per slice (a fixed schema: empty lists and nulls type alike).
def _counts_schema():
    import pyarrow as pa

    return pa.schema([("index", pa.int64()), ("rows", pa.int64()), ("failed_rows", pa.int64()),
                      ("errors", pa.list_(pa.string())), ("scores", pa.list_(pa.float64())),
                      ("input_error", pa.string())])


class _SliceScorer:
    """One per worker in the pool: loads the router once; for each slice of the input it is handed, reads
    it and scores it batch by batch, then writes it as the output part of the same number (a slice tried
    again, a worker lost, rewrites its own part: rows never duplicate) or, without a folder, returns
    its scores. Bad input comes back as data (`input_error`), for the driver to raise as itself."""

    def __init__(self, source: RouterSource, plan: ScoringPlan, folder: str | None, file_format: str, schema,
                 batch_size: int):
        self.scorer = _load_scorer(source, plan)
        self.folder = Path(folder) if folder is not None else None
        self.file_format, self.schema, self.batch_size = file_format, schema, batch_size

    def __call__(self, items):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..prompt_tables import read_slice

        rows = []
        for item in items.to_pylist():
            index, path, group = item["index"], item["path"], item["row_group"]
            where = path if group < 0 else f"{path} (row group {group}, from row {item['start']})"
            try:
                table = read_slice(path, group, item["start"], item["stop"], self.file_format, self.schema)
            except Exception as exc:  # pyarrow raises many types: one message naming the file
                rows.append({"index": index, "input_error": f"cannot read {where}: {exc}"})
                continue
            try:
                parts, start = [], 0
                for batch in table.to_batches(max_chunksize=self.batch_size) or [table]:  # an empty slice: its columns
                    parts.append(self.scorer(batch, first_row=start, where=where))
                    start += batch.num_rows
                scored = pa.concat_tables(parts)
            except RouteLLMError as exc:
                rows.append({"index": index, "input_error": str(exc)})
                continue
            if self.folder is not None:
                pq.write_table(scored, str(self.folder / f"part-{index:05d}.parquet"))
            summary = ScoringSummary(self.folder or Path())
            summary.add(scored)
            rows.append({"index": index, "rows": summary.rows, "failed_rows": summary.failed_rows,
                         "errors": summary.errors,
                         "scores": None if self.folder is not None else scored.column(SCORE_COLUMN).to_pylist()})
        return pa.Table.from_pylist(rows, schema=_counts_schema())


def _run_slices(source, router, plan: ScoringPlan, folder: Path | None, workers, batch_size, cpus_per_worker=1.0):
    """Score every slice of the table at `source` on the actor pool; the per-slice counts, in order."""
    import pyarrow as pa

    from ..prompt_tables import table_schema, table_slices

    ray = require_ray()
    files, file_format, schema = table_schema(source)
    check_prompt_column(schema, plan.column, source)
    slices = table_slices(files, file_format)
    items = pa.Table.from_pylist([{"index": i, "path": path, "row_group": group, "start": start, "stop": stop}
                                  for i, (path, group, start, stop) in enumerate(slices)])
    # a block per slice, made here (a repartition would be one more task waiting for a CPU)
    counts = ray.data.from_arrow([items.slice(i, 1) for i in range(len(slices))]).map_batches(
        _SliceScorer,
        fn_constructor_args=(RouterSource.of(router), plan, None if folder is None else str(folder), file_format,
                             schema, batch_size),
        batch_format="pyarrow",
        batch_size=1,
        # from one actor up: a pool that reserved every CPU at once could starve the tasks that feed it
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=_workers(workers, cpus_per_worker)),
        num_cpus=cpus_per_worker,
    )
    done = _collect(counts).sort_by("index")
    input_errors = [e for e in done.column("input_error").to_pylist() if e is not None]
    if input_errors:
        raise PromptTableError(input_errors[0])
    if sum(done.column("rows").to_pylist()) == 0:
        raise PromptTableError(f"{source} holds no rows")
    return done, len(slices)


def score_table_on_ray(
    source: str | Path,
    output: str | Path,
    router: str | Path | Router,
    plan: ScoringPlan,
    *,
    address: str | None = None,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    overwrite: bool = False,
) -> ScoringSummary:
    """`score_table` on Ray: the input's slices (Parquet row groups, CSV/JSONL files) go through
    `map_batches` over an actor pool; each actor reads its slices, scores them with the router it loaded
    once, and writes part N for slice N. The parts read back, in name order, row for row as the local
    output. A `.parquet` file output is assembled here from the parts. Nothing appears under `output`
    unless every row was written.
    """
    import pyarrow.parquet as pq

    connect(address)
    start = time.perf_counter()
    summary = ScoringSummary(Path(output))
    with parquet_output(output, overwrite=overwrite) as writer, \
            tempfile.TemporaryDirectory(prefix=".routellm-parts-", dir=Path(output).parent) as scratch:
        folder = writer.folder if writer.folder is not None else Path(scratch)
        done, parts = _run_slices(source, router, plan, folder, workers, batch_size, cpus_per_worker)
        _count_slices(summary, done)
        if writer.folder is None:  # one file: the parts, in order, as its row groups
            for k in range(parts):
                part = pq.read_table(folder / f"part-{k:05d}.parquet")
                if part.num_rows:
                    writer.write(part)
    summary.seconds = time.perf_counter() - start
    return summary


def _count_slices(summary: ScoringSummary, done) -> None:
    """Add the per-slice counts `_run_slices` returns to `summary`."""
    for row in done.select(["rows", "failed_rows", "errors"]).to_pylist():
        summary.count(row["rows"], row["failed_rows"], row["errors"] or ())


def _columns_on_ray(router, prompts: Sequence[str], plan: ScoringPlan, columns: list[str], address: str | None,
                    workers: int | None, batch_size: int) -> dict[str, np.ndarray]:
    """`columns` of the prompts scored on Ray, each in the prompts' order (a row index travels with
    each prompt: whatever order the blocks come back in). Raises if any prompt could not be scored."""
    import pyarrow as pa

    ray = connect(address)
    prompts = list(prompts)
    if not prompts:
        raise RouteLLMError("scoring needs at least one prompt, got an empty list")
    table = pa.table({"prompt": pa.array(prompts, type=pa.string()), "row": np.arange(len(prompts))})
    blocks = [table.slice(start, batch_size) for start in range(0, len(prompts), batch_size)]
    scored = score_dataset(ray.data.from_arrow(blocks), router, plan=plan, workers=workers, batch_size=batch_size)
    out = _collect(scored.select_columns(["row", *columns, ERROR_COLUMN]))
    errors = [e for e in out.column(ERROR_COLUMN).to_pylist() if e is not None]
    if errors:
        raise RouteLLMError(f"{len(errors)} of {len(prompts)} prompts could not be scored: {errors[0]}")
    if out.num_rows != len(prompts):
        raise RouteLLMError(f"Ray returned {out.num_rows} rows for {len(prompts)} prompts")
    rows = out.column("row").to_numpy()
    result = {}
    for name in columns:
        values = np.empty(len(prompts), dtype=np.float64)
        values[rows] = out.column(name).to_numpy()
        result[name] = values
    return result


def win_probabilities_on_ray(
    router: str | Path | Router,
    prompts: Sequence[str],
    *,
    exact: bool = False,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """`router.win_probabilities(prompts)` computed on Ray (for evaluating routers on large prompt
    sets); the scores come back in the prompts' order. Raises if any batch failed. `exact=False`, as
    `routellm eval` scores locally: batches at once."""
    plan = ScoringPlan(column="prompt", exact=exact)
    return _columns_on_ray(router, prompts, plan, [SCORE_COLUMN], address, workers, batch_size)[SCORE_COLUMN]


def model_qualities_on_ray(
    router,
    prompts: Sequence[str],
    *,
    exact: bool = False,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """`router.model_qualities(prompts)` of an N-model router computed on Ray: (prompts, models), rows
    in the prompts' order."""
    loaded = load_router(router) if isinstance(router, (str, Path)) else router
    plan = ScoringPlan(column="prompt", models=tuple(loaded.models), exact=exact)
    columns = [f"quality:{m}" for m in loaded.models]
    found = _columns_on_ray(loaded, prompts, plan, columns, address, workers, batch_size)
    return np.column_stack([found[c] for c in columns])


def table_scores_on_ray(
    source: str | Path,
    router: str | Path | Router,
    *,
    column: str = "prompt",
    exact: bool = True,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """The win probability of every row of a prompt table (file or folder), in order, read and scored on
    Ray; only the scores come back to this process (8 bytes a prompt). For calibrating on a month of
    traffic. Raises if any row could not be scored."""
    connect(address)
    done, _ = _run_slices(source, router, ScoringPlan(column=column, exact=exact), None, workers, batch_size)
    summary = ScoringSummary(Path(source))
    _count_slices(summary, done)
    if summary.failed_rows:
        raise RouteLLMError(f"{summary.failed_rows} prompts of {source} could not be scored: {summary.errors[0]}")
    return np.asarray([s for scores in done.column("scores").to_pylist() for s in scores or ()], dtype=np.float64)
