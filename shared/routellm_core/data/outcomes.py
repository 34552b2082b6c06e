"""Per-prompt outcome tables: how every model in a field did on each prompt.

Judge scores (arena_bench: 1-10 from a GPT-4 judge) and benchmark correctness (llmrouter, MMLU-Pro:
0/1, sometimes graded) say more than single battles: beside "which of two models won" they tell how
hard a prompt is for the whole field. `PromptOutcomes` keeps them as a table with one score column per
model; `outcomes_to_battles` turns them into pairwise battles (higher score wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from .models import find_model
from .schema import DataError, validate_battles

OUTCOME_KINDS = ("judge", "correctness")
#: Columns every outcome table carries besides the model score columns.
OUTCOME_COLUMNS = ("prompt_id", "prompt", "source", "licence")


@dataclass
class PromptOutcomes:
    """One row per prompt, one score column per model (NaN where a model was not scored).

    - ``table``: ``prompt_id, prompt, source, licence`` (+ optional metadata such as ``category``,
      ``split``) and one float column per model, named by the model;
    - ``models``: the score columns, in order;
    - ``kind``: ``"judge"`` (e.g. 1-10 judge scores) or ``"correctness"`` (0/1 or graded in [0, 1]);
    - ``score_range``: the lowest and highest possible score (to put kinds on one 0-1 scale).
    """

    table: pd.DataFrame
    models: list[str]
    kind: Literal["judge", "correctness"]
    score_range: tuple[float, float] = (0.0, 1.0)
    name: str = field(default="")

    def __post_init__(self) -> None:
        self.models = list(self.models)
        label = self.name or "outcomes"
        if self.kind not in OUTCOME_KINDS:
            raise DataError(f"{label}: kind must be one of {OUTCOME_KINDS}, got {self.kind!r}")
        missing = [c for c in (*OUTCOME_COLUMNS, *self.models) if c not in self.table.columns]
        if missing:
            raise DataError(f"{label}: the table lacks column(s) {missing}")
        if len(self.models) < 2:
            raise DataError(f"{label}: an outcome table needs at least two models, got {self.models}")
        if len(set(self.models)) != len(self.models):
            raise DataError(f"{label}: model columns repeat: {self.models}")
        if self.table["prompt"].isna().any():
            raise DataError(f"{label}: {int(self.table['prompt'].isna().sum())} missing prompt(s)")
        low, high = (float(v) for v in self.score_range)
        if not low < high:
            raise DataError(f"{label}: score_range must be (low, high) with low < high, got {self.score_range}")
        self.score_range = (low, high)
        scores = self.scores()
        finite = scores[~np.isnan(scores)]
        if np.isinf(finite).any() or ((finite < low) | (finite > high)).any():
            raise DataError(f"{label}: scores outside {self.score_range}")

    def __len__(self) -> int:
        return len(self.table)

    @property
    def prompts(self) -> list[str]:
        return self.table["prompt"].astype(str).tolist()

    @property
    def source(self) -> str:
        return ", ".join(sorted(set(self.table["source"].astype(str))))

    def scores(self, models: Sequence[str] | None = None) -> np.ndarray:
        """The (prompts x models) score matrix as float64, NaN where a model has no score."""
        columns = self.models if models is None else [self.model_column(m) for m in models]
        return self.table[columns].to_numpy(dtype=np.float64, na_value=np.nan)

    def normalised_scores(self) -> np.ndarray:
        """Scores mapped onto [0, 1] by `score_range` (1 = best possible)."""
        low, high = self.score_range
        return (self.scores() - low) / (high - low)

    def field_score(self) -> np.ndarray:
        """Per prompt, the field's mean normalised score over the models scored on it (1 = everyone aced it).

        ``1 - field_score()`` is how hard a prompt is for the whole field: for correctness data, the
        share of models that fail it.
        """
        normalised = self.normalised_scores()
        counts = (~np.isnan(normalised)).sum(axis=1)
        sums = np.nansum(normalised, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def model_column(self, name: str) -> str:
        """The score column for `name`, matching spellings (`gpt4_1106_preview` finds `gpt-4-1106-preview`)."""
        if name in self.models:
            return name
        found = find_model(name, self.models)
        if found is None:
            raise DataError(f"{self.name or 'outcomes'}: no model {name!r}; models are {self.models}")
        return found

    def head_to_head(self, strong: str, weak: str) -> pd.DataFrame:
        """``prompt_id, prompt, strong, weak``: two models' scores where both were scored."""
        strong_col, weak_col = self.model_column(strong), self.model_column(weak)
        out = self.table[["prompt_id", "prompt", strong_col, weak_col]].rename(
            columns={strong_col: "strong", weak_col: "weak"}
        )
        return out.dropna(subset=["strong", "weak"]).reset_index(drop=True)

    def subset(self, mask) -> PromptOutcomes:
        """The outcomes of the rows where `mask` is true (a boolean array or Series)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self.table),):
            raise DataError(f"mask must have one value per prompt ({len(self.table)}), got shape {mask.shape}")
        return PromptOutcomes(self.table[mask].reset_index(drop=True), self.models, self.kind,
                              self.score_range, self.name)

    def to_battles(self, **options) -> pd.DataFrame:
        """Pairwise battles from these outcomes (see `outcomes_to_battles`)."""
        return outcomes_to_battles(self, **options)


def outcomes_to_battles(
    outcomes: PromptOutcomes,
    *,
    models: Sequence[str] | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
    ties: Literal["keep", "drop"] = "keep",
    tie_margin: float = 0.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Pairwise battles from per-prompt outcomes: per prompt and model pair, the higher score wins.

    - ``models``: restrict to these models (all pairs among them); ``pairs``: or name the pairs;
    - scores within ``tie_margin`` of each other tie; ``ties="drop"`` keeps decisive battles only
      (for correctness data: one model right, the other wrong);
    - pairs where either model has no score are skipped;
    - ``seed``: which model of a pair is ``model_a`` is drawn at random per battle so "a wins" carries
      no signal; ``None`` keeps the pair's order.

    The result follows the battle schema plus ``prompt_id``; ``prompt`` is a categorical column (one
    copy of each prompt however many battles share it).
    """
    if ties not in ("keep", "drop"):
        raise DataError(f"ties must be 'keep' or 'drop', got {ties!r}")
    if tie_margin < 0 or not np.isfinite(tie_margin):
        raise DataError(f"tie_margin must be a finite number >= 0, got {tie_margin}")
    if pairs is not None and models is not None:
        raise DataError("give either models or pairs, not both")
    if pairs is not None:
        pair_list = [(outcomes.model_column(a), outcomes.model_column(b)) for a, b in pairs]
        if not pair_list:
            raise DataError("pairs is empty")
    else:
        chosen = outcomes.models if models is None else [outcomes.model_column(m) for m in models]
        pair_list = list(combinations(chosen, 2))
        if not pair_list:
            raise DataError(f"need at least two models to form battles, got {list(chosen)}")
    for a, b in pair_list:
        if a == b:
            raise DataError(f"a pair names the same model twice: {a!r}")

    table = outcomes.table
    codes, uniques = pd.factorize(table["prompt"].astype(str))
    prompt_ids = table["prompt_id"].to_numpy()
    sources = table["source"].astype(str).to_numpy()
    licences = table["licence"].astype(str).to_numpy()
    rng = np.random.default_rng(seed) if seed is not None else None

    parts = []
    for first, second in pair_list:
        score_a = table[first].to_numpy(dtype=np.float64, na_value=np.nan)
        score_b = table[second].to_numpy(dtype=np.float64, na_value=np.nan)
        rows = np.flatnonzero(~(np.isnan(score_a) | np.isnan(score_b)))
        diff = score_a[rows] - score_b[rows]
        winner = np.where(diff > tie_margin, "a", np.where(diff < -tie_margin, "b", "tie"))
        if ties == "drop":
            keep = winner != "tie"
            rows, winner = rows[keep], winner[keep]
        model_a = np.full(len(rows), first, dtype=object)
        model_b = np.full(len(rows), second, dtype=object)
        if rng is not None and len(rows):
            swap = rng.random(len(rows)) < 0.5
            model_a[swap], model_b[swap] = second, first
            winner = np.where(swap & (winner == "a"), "b", np.where(swap & (winner == "b"), "a", winner))
        parts.append(pd.DataFrame({
            "row": rows, "model_a": model_a, "model_b": model_b, "winner": winner.astype(object),
        }))
    battles = pd.concat(parts, ignore_index=True)
    if battles.empty:
        raise DataError(f"{outcomes.name or 'outcomes'}: no battles left (no pair has scores on a shared prompt"
                        f"{' that differ' if ties == 'drop' else ''})")
    battles = battles.sort_values("row", kind="stable").reset_index(drop=True)
    row = battles.pop("row").to_numpy()
    battles.insert(0, "prompt", pd.Categorical.from_codes(codes[row], categories=pd.Index(uniques)))
    battles.insert(0, "prompt_id", prompt_ids[row])
    battles["source"] = sources[row]
    battles["licence"] = licences[row]
    return validate_battles(battles, name=f"{outcomes.name or 'outcome'} battles")
