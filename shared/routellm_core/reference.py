"""Reference quantiles: how a router scores typical chat traffic, stored in its checkpoint.

Every router has its own score scale (the bundled `default` scores most prompts between 0.7 and
0.85), so a raw threshold means nothing to a newcomer. A checkpoint therefore keeps the quantiles of
its win probabilities on a public set of chat prompts (the 500 Arena-Hard v0.1 prompts for the
bundled routers), and `threshold_for_share(f)` reads off the threshold that sends a share `f` of such
prompts to the strong model. Calibrating on one's own prompts stays the precise way; this is the
sensible default when there are none.

Build or refresh the bundled routers' with `python -m routellm_core.training.reference_quantiles`
(needs the data folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .decision import validate_unit_interval
from .errors import CheckpointError

#: Quantile levels 0, 0.01, ..., 1.
LEVELS = np.linspace(0.0, 1.0, 101)


def validate_fraction(strong_fraction: float) -> float:
    """Return `strong_fraction` as a float, or raise ValueError if it is not a number in [0, 1]."""
    return validate_unit_interval(strong_fraction, "strong_fraction")


@dataclass(frozen=True)
class ReferenceQuantiles:
    """A router's win-probability quantiles at `LEVELS` on a named set of reference prompts."""

    scores: tuple[float, ...]
    prompts: str

    def __post_init__(self) -> None:
        values = np.asarray(self.scores, dtype=np.float64)
        if values.shape != LEVELS.shape:
            raise ValueError(f"reference quantiles need {LEVELS.size} scores, got {values.size}")
        if not np.isfinite(values).all() or values.min() < 0.0 or values.max() > 1.0:
            raise ValueError("reference quantiles must be finite win probabilities in [0, 1]")
        if np.any(np.diff(values) < 0):
            raise ValueError("reference quantiles must not decrease")

    @classmethod
    def from_scores(cls, scores: Sequence[float] | np.ndarray, prompts: str) -> ReferenceQuantiles:
        values = np.asarray(scores, dtype=np.float64)
        if values.size == 0:
            raise ValueError("reference quantiles need at least one score")
        return cls(tuple(round(float(v), 8) for v in np.quantile(values, LEVELS)), prompts)

    def threshold_for_share(self, strong_fraction: float) -> float:
        """The threshold that sends about `strong_fraction` of reference-like prompts to the strong model."""
        fraction = validate_fraction(strong_fraction)
        values = np.asarray(self.scores)
        if fraction == 0.0:
            return float((values[-1] + 1.0) / 2.0)  # above every reference score
        return float(np.interp(1.0 - fraction, LEVELS, values))

    def as_config(self) -> dict[str, Any]:
        return {"prompts": self.prompts, "levels": len(LEVELS), "scores": list(self.scores)}

    @classmethod
    def from_config(cls, config: Any, where: str) -> ReferenceQuantiles:
        """Parse a checkpoint's `reference_quantiles` field, naming the problem when it is malformed."""
        if not isinstance(config, dict) or not isinstance(config.get("scores"), list):
            raise CheckpointError(f"{where}: 'reference_quantiles' must be an object with a 'scores' list")
        try:
            return cls(tuple(float(v) for v in config["scores"]), str(config.get("prompts", "")))
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{where}: bad 'reference_quantiles' ({exc})") from None


#: What the bundled routers' reference prompts are.
ARENA_HARD_REFERENCE = "arena_hard_v01: the 500 Arena-Hard v0.1 prompts (Apache-2.0)"


def set_reference(router, prompts: Sequence[str], description: str):
    """Score `prompts` with `router` and store their quantiles on it (saved with the checkpoint)."""
    router.reference = ReferenceQuantiles.from_scores(router.win_probabilities(list(prompts)), description)
    return router
