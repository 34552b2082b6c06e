"""Score a prompt table batch by batch: the router's scores and decisions as new columns.

`BatchScorer` is the one piece of arithmetic: the local run (`score_table`) calls it on each batch,
and each Ray actor holds one (`routellm_core.distributed`), so both give the same rows. With
`exact=True` (the default) every prompt is scored on its own, as a live call scores it, so a score
is the same bit for bit whatever batch it falls in; `exact=False` scores each batch at once (padded
batches, several times faster with transformer routers), prompts sorted by length inside the batch so
that similar lengths are padded together.

Columns added: `win_probability`; `model` (`strong` / `weak` at the threshold) for a two-model router;
for a router that predicts every model's quality, `quality:<model>` per model and, per price weight
w, `model@w` — the model with the best quality - w * price (price per million tokens, as
`RoutedChatModel(prices=...)`). `error` is null, or why a batch could not be scored after its
retries: those rows keep their place with empty scores, so no row is ever dropped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import RouteLLMError
from .n_models import is_n_model_router, price_vector
from .prompt_tables import PromptTableError, check_prompt_values, iter_prompt_batches, parquet_output
from .router import Router

SCORE_COLUMN = "win_probability"
DECISION_COLUMN = "model"
ERROR_COLUMN = "error"
DEFAULT_BATCH_SIZE = 1024


@dataclass(frozen=True)
class ScoringPlan:
    """What to add to each batch; built once, on the driver, from the loaded router (`plan_for`)."""

    column: str = "prompt"
    #: Two-model routers: strong when win probability >= threshold.
    threshold: float | None = None
    #: N-model routers: the models (as the router names them), their prices, and the price weights.
    models: tuple[str, ...] = ()
    prices: tuple[float, ...] = ()
    price_weights: tuple[float, ...] = ()
    exact: bool = True
    #: Further attempts at a batch whose scoring raised, before its rows are marked with the error.
    retries: int = 2

    def decision_columns(self) -> list[str]:
        if self.models:
            return [f"quality:{m}" for m in self.models] + [f"model@{w:g}" for w in self.price_weights]
        return [DECISION_COLUMN] if self.threshold is not None else []


def plan_for(
    router: Router,
    *,
    column: str = "prompt",
    threshold: float | None = None,
    strong_fraction: float | None = None,
    prices: Mapping[str, float] | None = None,
    price_weights: Sequence[float] = (),
    exact: bool = True,
    retries: int = 2,
) -> ScoringPlan:
    """The plan for `router`: a two-model router gets a threshold (given, or the one that sends
    `strong_fraction` — 0.5 by default — of typical chat prompts strong, as the adapters do); an
    N-model router needs a price per model for its `price_weights`."""
    from .calibration import share_threshold
    from .decision import validate_threshold

    if not isinstance(column, str) or not column:
        raise RouteLLMError(f"column must be a non-empty name, got {column!r}")
    if retries < 0:
        raise RouteLLMError(f"retries must be >= 0, got {retries}")
    if is_n_model_router(router):
        if threshold is not None or strong_fraction is not None:
            raise RouteLLMError(f"router {router.name!r} routes among {len(router.models)} models by quality and "
                                "price: give prices and price weights, not a threshold")
        weights = tuple(float(w) for w in price_weights)
        if any(not w >= 0 or math.isinf(w) for w in weights):
            raise RouteLLMError(f"price weights must be finite and >= 0, got {list(price_weights)}")
        names = [f"model@{w:g}" for w in weights]
        if len(set(names)) < len(names):  # two weights, one column name: the output could not be read back
            raise RouteLLMError(f"price weights {list(price_weights)} name the same column twice ({names}); "
                                "give distinct weights")
        vector = ()
        if weights:
            if not prices:
                raise RouteLLMError(f"choosing among {', '.join(router.models)} needs a price for each (US$ per "
                                    "million tokens)")
            try:
                vector = tuple(price_vector(router.models, prices))
            except ValueError as exc:
                raise RouteLLMError(str(exc)) from None
        return ScoringPlan(column, None, tuple(router.models), vector, weights, exact, retries)
    if prices or price_weights:
        raise RouteLLMError(f"router {router.name!r} scores a strong/weak pair: give a threshold or a strong "
                            "fraction, not prices")
    if threshold is not None and strong_fraction is not None:
        raise RouteLLMError("give a threshold or a strong fraction, not both")
    if threshold is None:
        threshold = share_threshold(router, strong_fraction)
    return ScoringPlan(column, validate_threshold(threshold), exact=exact, retries=retries)


class BatchScorer:
    """Adds a plan's columns to batches of a prompt table, with one router loaded once.

    Called with a `pyarrow.Table` or `RecordBatch`; returns a `pyarrow.Table` with the same rows in the
    same order. Bad values (null, not text) raise `PromptTableError`; a batch whose scoring raises is
    tried `plan.retries` more times, then its rows carry the error instead of scores.
    """

    def __init__(self, router: Router, plan: ScoringPlan, *, backoff: float = 0.5):
        self.router = router
        self.plan = plan
        self.backoff = backoff

    def __call__(self, batch, first_row: int = 0, where: str | Path = "input"):
        """`first_row`, `where`: the batch's first row number and its source, for error messages."""
        import pyarrow as pa

        if isinstance(batch, pa.RecordBatch):
            batch = pa.Table.from_batches([batch])
        prompts = batch.column(self.plan.column).to_pylist()
        check_prompt_values(prompts, self.plan.column, where, first_row)
        if not prompts:  # an empty piece of a table: the columns, no rows
            return self._append(batch, None, [], None)
        # similar lengths side by side: a padded batch then wastes little (and a sort costs nothing)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        error = None
        for attempt in range(self.plan.retries + 1):
            try:
                columns = self._score([prompts[i] for i in order])
                break
            except (RouteLLMError, TypeError):
                raise  # bad input: retrying cannot help
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if attempt < self.plan.retries:
                    time.sleep(self.backoff * 2 ** attempt)
        else:
            columns = None
        return self._append(batch, columns, order, error)

    def _score(self, prompts: list[str]) -> dict[str, np.ndarray]:
        plan, router = self.plan, self.router
        # an N-model router that scores no strong/weak pair leaves the column empty (NaN)
        scores = (router.win_probabilities(prompts, exact=plan.exact) if hasattr(router, "win_probabilities")
                  else np.full(len(prompts), np.nan))
        out = {SCORE_COLUMN: scores}
        if plan.models:
            qualities = router.model_qualities(prompts, exact=plan.exact)
            for j, model in enumerate(plan.models):
                out[f"quality:{model}"] = qualities[:, j]
            if plan.price_weights:
                from .n_models import choose_models

                names = np.array(plan.models, dtype=object)
                for w in plan.price_weights:
                    out[f"model@{w:g}"] = names[choose_models(qualities, np.array(plan.prices), w)]
        elif plan.threshold is not None:
            out[DECISION_COLUMN] = np.where(out[SCORE_COLUMN] >= plan.threshold, "strong", "weak").astype(object)
        return out

    def _append(self, batch, columns, order, error):
        import pyarrow as pa

        n = batch.num_rows
        names = [SCORE_COLUMN, *self.plan.decision_columns()]
        taken = [name for name in [*names, ERROR_COLUMN] if name in batch.column_names]
        if taken:
            raise PromptTableError(f"the input already has column(s) {', '.join(taken)}; rename them or "
                                   "score another column")
        for name in names:
            if columns is None:
                kind = pa.string() if name == DECISION_COLUMN or name.startswith("model@") else pa.float64()
                array = pa.nulls(n, type=kind)
            else:
                values = np.empty(n, dtype=columns[name].dtype)
                values[order] = columns[name]  # back to the input's order
                array = pa.array(values, type=pa.string() if values.dtype == object else pa.float64())
            batch = batch.append_column(name, array)
        return batch.append_column(ERROR_COLUMN, pa.array([error if columns is None else None] * n, type=pa.string()))


@dataclass
class ScoringSummary:
    """What a scoring run wrote."""

    output: Path
    rows: int = 0
    failed_rows: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def prompts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else math.nan

    def add(self, table) -> None:
        """Count a scored table's rows and the rows it could not score (its `error` column)."""
        errors = [e for e in table.column(ERROR_COLUMN).to_pylist() if e is not None]
        self.count(table.num_rows, len(errors), errors)

    def count(self, rows: int, failed_rows: int, errors) -> None:
        """Count `rows` scored elsewhere, `failed_rows` of them not, for the reasons `errors` (each kept once)."""
        self.rows += rows
        self.failed_rows += failed_rows
        self.errors += [e for e in dict.fromkeys(errors) if e not in self.errors]

    def as_dict(self) -> dict:
        return {"output": str(self.output), "rows": self.rows, "failed_rows": self.failed_rows,
                "seconds": round(self.seconds, 3), "prompts_per_second": round(self.prompts_per_second, 1),
                "errors": self.errors[:10]}


def score_table(
    source: str | Path,
    output: str | Path,
    router: Router,
    plan: ScoringPlan,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    overwrite: bool = False,
    progress: bool = False,
) -> ScoringSummary:
    """Score every row of the prompt table at `source` (a file or folder) into Parquet at `output`,
    in this process, batch by batch (memory bounded by the batch, whatever the table's size)."""
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise RouteLLMError(f"batch_size must be positive, got {batch_size}")
    scorer = BatchScorer(router, plan)
    start = time.perf_counter()
    summary = ScoringSummary(Path(output))
    with parquet_output(output, overwrite=overwrite) as writer, \
            tqdm(desc=f"scoring with {router.name}", unit="prompt", disable=not progress) as bar:
        for batch in iter_prompt_batches(source, plan.column, batch_size):
            table = scorer(batch, first_row=summary.rows, where=source)
            summary.add(table)
            writer.write(table)
            bar.update(table.num_rows)
    summary.seconds = time.perf_counter() - start
    return summary

