"""Threshold calibration: choose the threshold that sends a target share of prompts to the strong model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .decision import validate_threshold
from .router import Router


def _check_prompts(prompts: Sequence[str]) -> list[str]:
    if isinstance(prompts, str):
        raise TypeError("prompts must be a list of strings, not one string")
    prompts = list(prompts)
    if not prompts:
        raise ValueError("calibration needs at least one prompt, got an empty list")
    return prompts


def threshold_for_share(scores: np.ndarray, strong_fraction: float) -> float:
    """The threshold at which `strong_fraction` of `scores` are >= it (ties may add a few more)."""
    if isinstance(strong_fraction, bool) or not isinstance(strong_fraction, (int, float)):
        raise ValueError(f"strong_fraction must be a number in [0, 1], got {type(strong_fraction).__name__}")
    if not 0.0 <= float(strong_fraction) <= 1.0:
        raise ValueError(f"strong_fraction must be in [0, 1], got {strong_fraction!r}")
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if ordered.size == 0:
        raise ValueError("cannot calibrate on zero scores")
    k = int(round(float(strong_fraction) * ordered.size))
    if k == 0:
        # just above the top score: nothing goes strong (1.0 if the top score is already 1.0)
        return float(min(1.0, np.nextafter(ordered[0], np.inf)))
    return float(ordered[k - 1])


def calibrate_threshold(router: Router, prompts: Sequence[str], strong_fraction: float) -> float:
    """The threshold at which `strong_fraction` of `prompts` route to the strong model."""
    return threshold_for_share(router.win_probabilities(_check_prompts(prompts)), strong_fraction)


def strong_share(router: Router, prompts: Sequence[str], threshold: float) -> float:
    """The inverse: the share of `prompts` that a threshold sends to the strong model."""
    threshold = validate_threshold(threshold)
    scores = router.win_probabilities(_check_prompts(prompts))
    return float(np.mean(scores >= threshold))
