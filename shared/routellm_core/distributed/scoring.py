"""Scoring prompt tables on Ray Data: an actor pool in which each actor loads the router once.

Each actor holds the same `BatchScorer` as the local run, so a row's score and decision are the same
as `score_table` gives (with `exact=True`, bit for bit). Blocks keep their order
(`preserve_order`), so a folder written here reads back, parts in name order, row for row like the
local output.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
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
from ..prompt_tables import PromptTableError, check_prompt_column, parquet_output, table_files
from ..registry import load_router
from ..router import Router
from .cluster import connect, require_ray
from .router_source import RouterSource


#: CPUs reserved by a read or write task: reading and writing prompt files is light next to scoring,
#: and reads that waited for a CPU held by an actor would stall the actors they feed.
IO_CPUS = 0


class _ScoringActor:
    """One per worker in the pool: the router is loaded once, in `__init__`, then used for every batch."""

    def __init__(self, source: RouterSource, plan: ScoringPlan):
        from ..quiet import quiet_model_loading

        with quiet_model_loading():
            self.scorer = BatchScorer(source.load(), plan)

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
    column: str = "prompt",
    threshold: float | None = None,
    strong_fraction: float | None = None,
    prices: Mapping[str, float] | None = None,
    price_weights: Sequence[float] = (),
    exact: bool = True,
    retries: int = 2,
    plan: ScoringPlan | None = None,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
):
    """A `ray.data.Dataset` with the router's columns added to `dataset` (lazy, like any Ray Data step).

    The columns are those of `routellm_core.batch_scoring` (`win_probability`, `model` or the N-model
    columns, `error`); the threshold and prices work as in `plan_for`, or pass a ready `plan`.
    `workers`: actors in the pool (default: the cluster's CPUs / `cpus_per_worker`). Call it inside
    your own pipeline, e.g. `score_dataset(ray.data.read_parquet("s3://logs/"), "default").write_parquet(...)`.
    """
    ray = require_ray()
    if plan is None:
        plan = plan_for(load_router(router), column=column, threshold=threshold, strong_fraction=strong_fraction,
                        prices=prices, price_weights=price_weights, exact=exact, retries=retries)
    if batch_size < 1:
        raise RouteLLMError(f"batch_size must be positive, got {batch_size}")
    _check_dataset_column(dataset, plan.column)
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
    scored.context.execution_options.preserve_order = True
    return scored


def _check_dataset_column(dataset, column: str) -> None:
    """The column exists, and is text where the schema says (pandas blocks type text as `object`;
    their values are checked batch by batch)."""
    import pyarrow as pa

    schema = dataset.schema()
    if schema is None or column not in schema.names:
        names = ", ".join(schema.names) if schema is not None else "none (an empty dataset)"
        raise PromptTableError(f"the dataset has no column {column!r}; its columns are {names}")
    kind = dict(zip(schema.names, schema.types))[column]
    if isinstance(kind, pa.DataType):
        check_prompt_column(pa.schema([pa.field(column, kind)]), column, "the dataset")


def _input_error(exc: BaseException) -> RouteLLMError | None:
    """The input error behind an exception Ray wrapped (a worker's `PromptTableError`), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, RouteLLMError):
            return RouteLLMError(str(exc).splitlines()[-1] if "\n" in str(exc) else str(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _read(source: str | Path, column: str):
    """The input as a Ray Dataset, after the same checks as the local reader (files, format, column)."""
    import pyarrow.dataset as pads

    ray = require_ray()
    files, file_format = table_files(source)
    try:
        schema = pads.dataset([str(p) for p in files], format=file_format).schema
    except Exception as exc:
        raise PromptTableError(f"cannot read {source}: {exc}") from None
    check_prompt_column(schema, column, source)
    paths = [str(p) for p in files]
    options = {"num_cpus": IO_CPUS, "lines": True} if file_format == "json" else {"num_cpus": IO_CPUS}
    return getattr(ray.data, f"read_{file_format}")(paths, **options)


def score_table_on_ray(
    source: str | Path,
    output: str | Path,
    router: str | Path | Router,
    plan: ScoringPlan,
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    overwrite: bool = False,
) -> ScoringSummary:
    """`score_table` as a Ray Data pipeline: read, score on an actor pool, write Parquet.

    A folder output is written by the workers (one part per block, in order); a `.parquet` file is
    written by this process from the streamed blocks. Nothing appears under `output` unless every
    row was written.
    """
    import pyarrow.parquet as pq

    connect(address)
    start = time.perf_counter()
    summary = ScoringSummary(Path(output))
    try:
        with parquet_output(output, overwrite=overwrite) as writer:
            scored = score_dataset(_read(source, plan.column), router, plan=plan, workers=workers,
                                   batch_size=batch_size)
            if writer.folder is not None:
                scored.write_parquet(str(writer.folder), ray_remote_args={"num_cpus": IO_CPUS})
                parts = sorted(writer.folder.glob("*.parquet"))
                tables = [pq.read_table(p, columns=[ERROR_COLUMN]) for p in parts]
            else:
                tables = []
                for batch in scored.iter_batches(batch_format="pyarrow", batch_size=None):
                    writer.write(batch)
                    tables.append(batch.select([ERROR_COLUMN]))
            for table in tables:
                summary.add(table)
            if summary.rows == 0:
                raise PromptTableError(f"{source} holds no rows")
    except RouteLLMError:
        raise
    except Exception as exc:
        cause = _input_error(exc)
        if cause is not None:
            raise cause from None
        raise
    summary.seconds = time.perf_counter() - start
    return summary


def win_probabilities_on_ray(
    router: str | Path | Router,
    prompts: Sequence[str],
    *,
    exact: bool = False,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """`router.win_probabilities(prompts)` computed on Ray (for evaluation and calibration on large
    prompt sets); the scores come back in the prompts' order. Raises if any batch failed."""
    import pyarrow as pa

    ray = connect(address)
    prompts = list(prompts)
    if not prompts:
        raise RouteLLMError("scoring needs at least one prompt, got an empty list")
    plan = ScoringPlan(column="prompt", exact=exact)
    blocks = max(1, min(math.ceil(len(prompts) / batch_size), 4 * _workers(workers, 1.0)))
    dataset = ray.data.from_arrow(pa.table({"prompt": pa.array(prompts, type=pa.string())})).repartition(blocks)
    scored = score_dataset(dataset, router, plan=plan, workers=workers, batch_size=batch_size)
    try:
        table = pa.concat_tables(list(scored.select_columns([SCORE_COLUMN, ERROR_COLUMN]).iter_batches(
            batch_format="pyarrow", batch_size=None)))
    except Exception as exc:
        cause = _input_error(exc)
        if cause is not None:
            raise cause from None
        raise
    errors = [e for e in table.column(ERROR_COLUMN).to_pylist() if e is not None]
    if errors:
        raise RouteLLMError(f"{len(errors)} of {len(prompts)} prompts could not be scored: {errors[0]}")
    if table.num_rows != len(prompts):
        raise RouteLLMError(f"Ray returned {table.num_rows} scores for {len(prompts)} prompts")
    return np.asarray(table.column(SCORE_COLUMN).to_numpy(), dtype=np.float64)
