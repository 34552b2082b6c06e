"""Battles in index form: the arrays every trainer consumes.

A battle is (prompt, model_a, model_b, winner) with winner "a", "b" or "tie" (any value starting
with "tie", as in Chatbot Arena's "tie (bothbad)"). Prompts and models are stored once; battles refer
to them by index. Model names that differ only by case or an organisation prefix
(`Mixtral-8x7B-Instruct-v0.1` vs `mistralai/Mixtral-8x7B-Instruct-v0.1`) are one model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model_names import model_key

WINNER_TARGET = {"a": 1.0, "b": 0.0, "tie": 0.5}


def winner_target(winner: str) -> float:
    """P(model_a wins) for a winner label: a -> 1, b -> 0, tie -> 0.5."""
    label = str(winner).strip().lower()
    if label.startswith("tie"):
        return 0.5
    if label in WINNER_TARGET:
        return WINNER_TARGET[label]
    raise ValueError(f"unknown battle winner {winner!r}: expected 'a', 'b' or 'tie'")


@dataclass
class BattleSet:
    prompts: list[str]
    models: list[str]
    prompt_index: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    #: P(model_a wins): 1, 0, or 0.5 for a tie.
    target: np.ndarray
    weight: np.ndarray
    source: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def __post_init__(self) -> None:
        n = len(self.prompt_index)
        if len(self.source) == 0:
            self.source = np.full(n, "unknown", dtype=object)
        for name in ("model_a", "model_b", "target", "weight", "source"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"battle array {name!r} has {len(getattr(self, name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.prompt_index)

    @classmethod
    def from_frame(cls, frame, weight_column: str | None = None) -> BattleSet:
        """From a table with `prompt, model_a, model_b, winner` (and optional `source`, weights)."""
        missing = [c for c in ("prompt", "model_a", "model_b", "winner") if c not in frame.columns]
        if missing:
            raise ValueError(f"battle table lacks column(s) {missing}; need prompt, model_a, model_b, winner")
        if len(frame) == 0:
            raise ValueError("the battle table is empty: nothing to train on")
        prompts, prompt_index = np.unique(frame["prompt"].astype(str).to_numpy(), return_inverse=True)
        names = list(frame["model_a"].astype(str)) + list(frame["model_b"].astype(str))
        display: dict[str, str] = {}
        for name in names:  # one display name per model key; prefer the organisation-qualified one
            key = model_key(name)
            if key not in display or ("/" in name and "/" not in display[key]):
                display[key] = name
        models = sorted(display.values())
        position = {model_key(m): i for i, m in enumerate(models)}
        model_a = np.array([position[model_key(m)] for m in frame["model_a"].astype(str)], dtype=np.int64)
        model_b = np.array([position[model_key(m)] for m in frame["model_b"].astype(str)], dtype=np.int64)
        if (model_a == model_b).any():
            raise ValueError(f"{int((model_a == model_b).sum())} battle(s) pit a model against itself")
        target = np.array([winner_target(w) for w in frame["winner"]], dtype=np.float64)
        weight = np.ones(len(frame))
        if weight_column:
            # Sets without weights mixed with weighted ones leave gaps: an unweighted battle counts once.
            weight = frame[weight_column].fillna(1.0).to_numpy(dtype=np.float64)
            if not np.isfinite(weight).all() or (weight < 0).any():
                raise ValueError(f"battle weights must be finite and non-negative; column {weight_column!r} is not")
        source = frame["source"].astype(str).to_numpy(dtype=object) if "source" in frame.columns else np.array([])
        return cls(list(prompts), models, prompt_index.astype(np.int64), model_a, model_b, target, weight, source)

    def subset(self, mask: np.ndarray) -> BattleSet:
        """The battles where `mask` is true (prompts and models lists are kept as they are)."""
        mask = np.asarray(mask)
        return BattleSet(
            self.prompts, self.models, self.prompt_index[mask], self.model_a[mask], self.model_b[mask],
            self.target[mask], self.weight[mask], self.source[mask],
        )

    def with_source_balance(self, shares: dict[str, float] | None = None) -> BattleSet:
        """Reweight so each source carries the given share of the total weight (equal shares by default)."""
        sources = sorted(set(self.source))
        shares = shares or {s: 1.0 for s in sources}
        unknown = set(shares) - set(sources)
        if unknown:
            raise ValueError(f"no battles from source(s) {sorted(unknown)}; have {sources}")
        total = sum(shares.get(s, 0.0) for s in sources)
        weight = self.weight.copy()
        for s in sources:
            rows = self.source == s
            weight[rows] *= shares.get(s, 0.0) / total * len(self) / max(weight[rows].sum(), 1e-12)
        return BattleSet(self.prompts, self.models, self.prompt_index, self.model_a, self.model_b,
                         self.target, weight, self.source)

    def summary(self) -> dict:
        """Counts per source, for checkpoint cards and logs."""
        out = {"battles": len(self), "prompts": len(set(self.prompt_index.tolist())), "models": len(self.models)}
        sources, counts = np.unique(self.source, return_counts=True)
        out["per_source"] = {str(s): int(c) for s, c in zip(sources, counts)}
        out["ties"] = int((self.target == 0.5).sum())
        return out
