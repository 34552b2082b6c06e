"""The paper's metrics: quality vs share of strong calls, APGR and CPT.

For a router's scores on a benchmark, thresholds sit at the quantile edges of the scores (10 bins).
At each threshold a prompt goes strong when its score >= the threshold (at the top edge: strictly
greater, so that point has 0 % strong calls); quality is the mean score of the model each prompt went
to. The area under quality vs strong share (trapezoids) gives
APGR = (AUC - weak) / (strong - weak): the share of the strong model's gain recovered, 0.5 for random.
CPT(x) is the strong share needed to reach weak + x * (strong - weak) quality.

Unlike the reference implementation (which bins with `pandas.qcut` and fails on repeated edges),
tied scores are fine here: repeated edges give repeated curve points, which add no area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .benchmarks import Benchmark

DEFAULT_BINS = 10
CPT_LEVELS = (0.2, 0.5, 0.8)


@dataclass
class EvaluationResult:
    """One router on one benchmark. Shares and CPT are fractions of prompts sent to the strong model."""

    benchmark: str
    router: str
    n: int
    apgr: float
    auc: float
    cpt20: float
    cpt50: float
    cpt80: float
    strong_score: float
    weak_score: float
    strong_model: str
    weak_model: str
    curve: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        """A JSON-ready dict; an undefined figure (NaN, e.g. APGR when both models score alike) is None."""
        return finite_or_none(asdict(self))


def finite_or_none(value):
    """`value` with every non-finite float (at any depth of dicts and lists) replaced by None: JSON-ready."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite_or_none(item) for item in value]
    return value


def quality_curve(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray, bins: int = DEFAULT_BINS):
    """(strong share, quality, threshold) at each quantile edge, sorted by strong share."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    scores = np.asarray(scores, dtype=np.float64)
    strong = np.asarray(strong, dtype=np.float64)
    weak = np.asarray(weak, dtype=np.float64)
    edges = np.quantile(scores, np.linspace(0.0, 1.0, bins + 1))
    shares, qualities = [], []
    for i, edge in enumerate(edges):
        to_strong = scores > edge if i == len(edges) - 1 else scores >= edge
        shares.append(to_strong.mean())
        qualities.append(np.where(to_strong, strong, weak).mean())
    # Thresholds are nested, so equal shares mean the same prompts went strong: ties sort harmlessly.
    order = np.lexsort((qualities, shares))
    return np.asarray(shares)[order], np.asarray(qualities)[order], edges[order]


def cost_to_reach(shares: np.ndarray, qualities: np.ndarray, target: float) -> float:
    """The smallest strong share at which the (linearly interpolated) curve reaches `target` quality.

    The reference implementation uses `np.interp(target, qualities, shares)`, which assumes quality
    rises with every step; taking the first crossing agrees with it on such curves and stays defined
    on curves that dip.
    """
    if qualities[0] >= target:
        return float(shares[0])
    for i in range(1, len(shares)):
        if qualities[i] >= target:
            q0, q1, s0, s1 = qualities[i - 1], qualities[i], shares[i - 1], shares[i]
            return float(s0 + (target - q0) / (q1 - q0) * (s1 - s0)) if q1 > q0 else float(s1)
    return float(shares[-1])


def result_from_curve(
    benchmark: Benchmark,
    router: str,
    shares: Sequence[float],
    qualities: Sequence[float],
    thresholds: Sequence[float] | None = None,
) -> EvaluationResult:
    """APGR, AUC and CPT of a quality-vs-strong-share curve (points sorted by share, spanning 0 to 1)."""
    shares = np.asarray(shares, dtype=np.float64)
    qualities = np.asarray(qualities, dtype=np.float64)
    strong_mean, weak_mean = benchmark.strong_mean, benchmark.weak_mean
    auc = float(np.trapezoid(qualities, shares))
    gap = strong_mean - weak_mean
    apgr = (auc - weak_mean) / gap if gap != 0 else float("nan")
    cpt = {level: cost_to_reach(shares, qualities, weak_mean + level * gap) for level in CPT_LEVELS}
    curve = []
    for i, (share, quality) in enumerate(zip(shares, qualities)):
        point = {"strong_share": float(share), "quality": float(quality)}
        if thresholds is not None:
            point["threshold"] = float(thresholds[i])
        curve.append(point)
    return EvaluationResult(
        benchmark=benchmark.name, router=router, n=len(benchmark), apgr=float(apgr), auc=auc,
        cpt20=cpt[0.2], cpt50=cpt[0.5], cpt80=cpt[0.8], strong_score=strong_mean, weak_score=weak_mean,
        strong_model=benchmark.strong_model, weak_model=benchmark.weak_model, curve=curve,
    )


def evaluate_scores(
    benchmark: Benchmark, scores: np.ndarray, router: str = "router", bins: int = DEFAULT_BINS
) -> EvaluationResult:
    """APGR, CPT and the curve for one router's `scores` (one per benchmark prompt)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(benchmark),):
        raise ValueError(f"need one score per prompt ({len(benchmark)}), got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("router scores must be finite")
    shares, qualities, thresholds = quality_curve(scores, benchmark.strong_scores, benchmark.weak_scores, bins)
    return result_from_curve(benchmark, router, shares, qualities, thresholds)
