"""Threshold calibration: choose the threshold that sends a target share of prompts to the strong model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .decision import validate_threshold
from .errors import RouteLLMError
from .reference import validate_fraction
from .router import Router


def _check_prompts(prompts: Sequence[str]) -> list[str]:
    if isinstance(prompts, str):
        raise TypeError("prompts must be a list of strings, not one string")
    prompts = list(prompts)
    if not prompts:
        raise ValueError("calibration needs at least one prompt, got an empty list")
    return prompts


def threshold_for_share(scores: np.ndarray, strong_fraction: float) -> float:
    """A threshold at which `strong_fraction` of `scores` are >= it (tied scores may add a few more).

    The threshold lies halfway between two neighbouring scores, never on one, so a score that differs
    in its last bits when recomputed (another CPU, another BLAS kernel) still lands on the same side.
    """
    fraction = validate_fraction(strong_fraction)
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if ordered.size == 0:
        raise ValueError("cannot calibrate on zero scores")
    k = int(round(fraction * ordered.size))
    if k == 0:
        return float((ordered[0] + 1.0) / 2.0)  # above the top score: nothing goes strong
    top = ordered[k - 1]  # the lowest score that goes strong
    lower = ordered[ordered < top]
    # halfway down to the next lower score (ties with `top` go strong too); below the lowest: all strong
    return float((top + lower[0]) / 2.0) if lower.size else float(top / 2.0)


def calibrate_threshold(router: Router, prompts: Sequence[str], strong_fraction: float) -> float:
    """The threshold at which `strong_fraction` of `prompts` route to the strong model."""
    return threshold_for_share(router.win_probabilities(_check_prompts(prompts)), strong_fraction)


def strong_share(router: Router, prompts: Sequence[str], threshold: float) -> float:
    """The inverse: the share of `prompts` that a threshold sends to the strong model."""
    threshold = validate_threshold(threshold)
    scores = router.win_probabilities(_check_prompts(prompts))
    return float(np.mean(scores >= threshold))


def reference_threshold(router: Router, strong_fraction: float) -> float:
    """The threshold that sends about `strong_fraction` of typical chat prompts to the strong model.

    Read from the router's reference quantiles (stored in its checkpoint; see `reference`), so no
    calibration prompts are needed. Raises `RouteLLMError` for a router that has none.
    """
    require_reference(router)
    return router.reference.threshold_for_share(strong_fraction)


def require_reference(router: Router) -> None:
    """Raise `RouteLLMError` for a router without reference quantiles, saying what to give instead."""
    if router.reference is None:
        raise RouteLLMError(
            f"router {router.name!r} has no reference quantiles: give calibration prompts (or a threshold), "
            "or store them with routellm_core.reference.set_reference(router, prompts, description) and save it"
        )


#: With neither a threshold nor a share of strong calls: about half of typical chat traffic goes strong.
DEFAULT_STRONG_FRACTION = 0.5


def share_threshold(router: Router, strong_fraction: float | None, calibration_scores=None) -> float:
    """The threshold for a share of strong calls (`DEFAULT_STRONG_FRACTION` when None): calibrated on
    `calibration_scores` (the router's scores of the user's own prompts) when given, else read from
    the router's reference quantiles."""
    fraction = DEFAULT_STRONG_FRACTION if strong_fraction is None else strong_fraction
    if calibration_scores is not None and len(calibration_scores):
        return threshold_for_share(calibration_scores, fraction)
    return reference_threshold(router, fraction)
