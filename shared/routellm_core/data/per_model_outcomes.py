"""Per-model outcome tables with prices: which of N models got each prompt right, and what each call cost.

The layout is RouterBench's (one row per prompt):

- ``prompt``: the prompt text (RouterBench stores a Python list literal of turns, ``"['...']"``;
  the last turn is what gets routed, as the adapters route the last user turn);
- one correctness column per model, named by the model (0/1, or graded in [0, 1]); an empty cell
  counts as wrong;
- ``<model>|total_cost``: the US$ cost of that model's call on that prompt. A price per call
  (``prices={"model": usd}``, ``--price MODEL=USD`` on the command line) replaces the column;
- optional ``sample_id`` (or ``prompt_id``) and ``eval_name`` (or ``source``); other columns
  (``<model>|model_response``, ``oracle_model_to_route_to``, ...) are ignored.

`load_per_model_outcomes` reads one or more such files into a `PerModelOutcomes`: a correctness
`PromptOutcomes` (reused, so the battle and difficulty tooling applies) plus a cost matrix. Rows keep
the order of the files as given; ``row`` numbers count from 0 over the concatenated files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .files import read_table
from .models import find_model
from .outcomes import PromptOutcomes
from .schema import UNKNOWN_LICENCE, DataError

COST_SUFFIX = "|total_cost"
RESPONSE_SUFFIX = "|model_response"
#: Columns that are never a model's correctness column.
NON_MODEL_COLUMNS = frozenset({
    "prompt", "prompt_id", "sample_id", "eval_name", "source", "licence", "split", "category",
    "oracle_model_to_route_to", "Unnamed: 0", "index",
})


@dataclass
class PerModelOutcomes:
    """Correctness of N models on each prompt and the cost of each call.

    - ``outcomes``: a ``correctness`` `PromptOutcomes` (empty cells already counted as wrong, 0);
    - ``costs``: (prompts x models) US$ per call, float64, in the order of ``outcomes.models``;
    - ``files``: the files read, in order; ``file_index``: which file each row came from.
    """

    outcomes: PromptOutcomes
    costs: np.ndarray
    files: list[str] = field(default_factory=list)
    file_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.costs = np.asarray(self.costs, dtype=np.float64)
        if self.costs.shape != (len(self.outcomes), len(self.outcomes.models)):
            raise DataError(f"costs must have shape (prompts, models) = "
                            f"{(len(self.outcomes), len(self.outcomes.models))}, got {self.costs.shape}")
        if not np.isfinite(self.costs).all() or (self.costs < 0).any():
            raise DataError("costs must be finite and non-negative")
        if self.file_index is None:
            self.file_index = np.zeros(len(self.outcomes), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def models(self) -> list[str]:
        return list(self.outcomes.models)

    @property
    def prompts(self) -> list[str]:
        return self.outcomes.prompts

    @property
    def sources(self) -> list[str]:
        return self.outcomes.table["source"].astype(str).tolist()

    def correct(self) -> np.ndarray:
        """(prompts x models) correctness in [0, 1] (float64)."""
        return self.outcomes.scores()

    def mean_costs(self) -> dict[str, float]:
        """Each model's mean cost per call over these prompts (what a price list would say)."""
        return dict(zip(self.models, self.costs.mean(axis=0).tolist()))

    def mean_quality(self) -> dict[str, float]:
        return dict(zip(self.models, self.correct().mean(axis=0).tolist()))

    def select(self, models: Sequence[str]) -> PerModelOutcomes:
        """The same prompts restricted to `models` (names matched like `PromptOutcomes.model_column`)."""
        columns = resolve_models(models, self.models, self.outcomes.name or "outcomes")
        if len(columns) < 2:
            raise DataError(f"need at least two models, got {list(models)}")
        index = [self.models.index(c) for c in columns]
        table = self.outcomes.table.drop(columns=[m for m in self.models if m not in columns])
        return PerModelOutcomes(
            PromptOutcomes(table, columns, "correctness", (0.0, 1.0), self.outcomes.name),
            self.costs[:, index], list(self.files), self.file_index.copy(),
        )

    def subset(self, mask) -> PerModelOutcomes:
        mask = np.asarray(mask, dtype=bool)
        return PerModelOutcomes(self.outcomes.subset(mask), self.costs[mask], list(self.files), self.file_index[mask])


def unwrap_prompt(text: str) -> str:
    """The routed text of a RouterBench prompt: a list literal of turns gives its last turn."""
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            value = ast.literal_eval(stripped)  # literals only: no code runs
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return text
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value[-1]
    return text


def parse_prices(pairs: Iterable[str]) -> dict[str, float]:
    """``["MODEL=USD", ...]`` -> ``{model: usd}`` (a price per call); errors name the bad pair."""
    prices: dict[str, float] = {}
    for pair in pairs:
        model, sep, value = str(pair).rpartition("=")
        if not sep or not model.strip():
            raise DataError(f"a price is MODEL=USD, got {pair!r}")
        try:
            usd = float(value)
        except ValueError:
            raise DataError(f"price of {model.strip()!r} is not a number: {value!r}") from None
        if not np.isfinite(usd) or usd < 0:
            raise DataError(f"price of {model.strip()!r} must be a finite number >= 0, got {value!r}")
        prices[model.strip()] = usd
    return prices


def resolve_models(names: Sequence[str], columns: Sequence[str], label: str) -> list[str]:
    """The columns named by `names` (exact, else by spelling-insensitive model key); unknown names fail."""
    found, unknown = [], []
    for name in names:
        column = name if name in columns else find_model(name, columns)
        (unknown.append(name) if column is None else found.append(column))
    if unknown:
        raise DataError(f"{label}: unknown model(s) {unknown}; the models are {list(columns)}")
    if len(set(found)) != len(found):
        raise DataError(f"{label}: models repeat: {list(names)}")
    return found


def table_models(frame: pd.DataFrame, prices: Mapping[str, float] | None = None) -> list[str]:
    """The models of a RouterBench-style table: columns with a ``|total_cost`` or ``|model_response``
    sibling; else the priced models that are columns."""
    columns = [str(c) for c in frame.columns]
    marked = [c for c in columns if "|" not in c and c not in NON_MODEL_COLUMNS
              and (c + COST_SUFFIX in columns or c + RESPONSE_SUFFIX in columns)]
    if marked:
        return marked
    candidates = [c for c in columns if "|" not in c and c not in NON_MODEL_COLUMNS]
    priced = []
    for name in prices or {}:
        column = name if name in candidates else find_model(name, candidates)
        if column is not None and column not in priced:
            priced.append(column)
    return priced


def _correctness(frame: pd.DataFrame, column: str, label: str) -> np.ndarray:
    values = frame[column]
    if values.dtype == bool or values.dtype == object:
        values = values.map(lambda v: {"true": 1.0, "false": 0.0}.get(v.strip().lower(), v)
                            if isinstance(v, str) else v)
    try:
        numbers = pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError):
        raise DataError(f"{label}: correctness column {column!r} holds non-numbers") from None
    numbers = np.where(np.isnan(numbers), 0.0, numbers)  # an empty cell counts as wrong
    if ((numbers < 0) | (numbers > 1)).any() or np.isinf(numbers).any():
        raise DataError(f"{label}: correctness column {column!r} has values outside [0, 1]")
    return numbers


def _costs(frame: pd.DataFrame, model: str, price: float | None, label: str) -> np.ndarray:
    if price is not None:
        return np.full(len(frame), float(price))
    column = model + COST_SUFFIX
    if column not in frame.columns:
        raise DataError(f"{label}: no cost for model {model!r}: the table needs a {column!r} column, "
                        f"or give its price per call (prices={{{model!r}: USD}}, --price {model}=USD)")
    try:
        costs = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError):
        raise DataError(f"{label}: cost column {column!r} holds non-numbers") from None
    known = costs[np.isfinite(costs)]
    if known.size == 0:
        raise DataError(f"{label}: cost column {column!r} is empty; give a price for {model!r}")
    if (known < 0).any():
        raise DataError(f"{label}: cost column {column!r} has negative costs")
    # A missing cost (a call that did not run) is charged the model's mean cost in this file.
    return np.where(np.isfinite(costs), costs, known.mean())


def _read_one(path: Path, models: Sequence[str] | None, prices: Mapping[str, float], unwrap: bool):
    label = str(path)
    frame = read_table(path)
    if "prompt" not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:12]))
        raise DataError(f"{label}: no 'prompt' column (columns: {shown})")
    if len(frame) == 0:
        raise DataError(f"{label}: the file has no rows")
    candidates = [str(c) for c in frame.columns if "|" not in str(c) and str(c) not in NON_MODEL_COLUMNS]
    if models is None:
        columns = table_models(frame, prices)
        if len(columns) < 2:
            raise DataError(f"{label}: cannot tell which columns are models (no '<model>{COST_SUFFIX}' columns); "
                            "name them (models=[...], --models M1,M2,...)")
    else:
        columns = resolve_models(models, candidates, label)
    if frame["prompt"].isna().any():
        raise DataError(f"{label}: {int(frame['prompt'].isna().sum())} row(s) without a prompt")
    priced = {}
    for name, usd in prices.items():
        column = name if name in columns else find_model(name, columns)
        if column is not None:
            priced[column] = usd
    prompts = frame["prompt"].astype(str)
    if unwrap:
        prompts = prompts.map(unwrap_prompt)
    ids = frame["sample_id"] if "sample_id" in frame.columns else frame.get("prompt_id")
    if ids is None:
        ids = pd.Series([f"{path.name}:{i}" for i in range(len(frame))])
    source = frame["eval_name"] if "eval_name" in frame.columns else frame.get("source")
    if source is None:
        source = pd.Series([path.name.split(".")[0]] * len(frame))
    table = pd.DataFrame({
        "prompt_id": ids.astype(str).to_numpy(), "prompt": prompts.to_numpy(),
        "source": source.astype(str).to_numpy(), "licence": UNKNOWN_LICENCE,
    })
    correct = {c: _correctness(frame, c, label) for c in columns}
    costs = np.column_stack([_costs(frame, c, priced.get(c), label) for c in columns])
    return table, columns, correct, costs


def load_per_model_outcomes(
    paths: str | Path | Sequence[str | Path],
    models: Sequence[str] | None = None,
    prices: Mapping[str, float] | None = None,
    *,
    unwrap_lists: bool = True,
    name: str = "",
) -> PerModelOutcomes:
    """Read per-model outcome tables (CSV, TSV, JSONL, Parquet; optionally gzipped) into one table.

    - ``models``: the models to keep (default: every column with a ``<model>|total_cost`` or
      ``<model>|model_response`` sibling, else the priced columns); every file must hold them;
    - ``prices``: US$ per call for some or all models; replaces their ``|total_cost`` columns;
    - ``unwrap_lists``: route the last turn of a RouterBench list-literal prompt (``"['...']"``).

    Errors (a `DataError` naming the file): no ``prompt`` column, a file with no rows, an unknown
    model, a model without costs or price, correctness outside [0, 1].
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise DataError("no outcome files given")
    prices = dict(prices or {})
    tables, costs, correct_parts, files = [], [], [], []
    chosen: list[str] | None = list(models) if models is not None else None
    reference: list[str] | None = None
    for path in paths:
        table, columns, correct, cost = _read_one(path, chosen, prices, unwrap_lists)
        if reference is None:
            reference = columns
            chosen = columns  # later files must hold the same models
        tables.append(table)
        correct_parts.append(np.column_stack([correct[c] for c in columns]))
        costs.append(cost)
        files.append(str(path))
    assert reference is not None
    unmatched = [name for name in prices if name not in reference and find_model(name, reference) is None]
    if unmatched:
        raise DataError(f"price(s) for unknown model(s) {unmatched}; the models are {reference}")
    frame = pd.concat(tables, ignore_index=True)
    matrix = np.vstack(correct_parts)
    for j, model in enumerate(reference):
        frame[model] = matrix[:, j]
    file_index = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, t in enumerate(tables)])
    outcomes = PromptOutcomes(frame, reference, "correctness", (0.0, 1.0), name or ", ".join(p.name for p in paths))
    return PerModelOutcomes(outcomes, np.vstack(costs), files, file_index)
