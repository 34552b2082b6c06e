"""Reference lines every router is compared with: random, prompt length and the oracle.

- random: the random baseline scored with the paper's method for several seeds; figures and curve
  points are averaged over seeds (one seed alone wanders by about +/- 0.02 APGR).
- length: the `length` baseline (longer prompts go strong), the bar a learned router must clear.
- oracle: the best any router could do with at most a given share of strong calls, knowing both
  models' outcomes: the prompts where the strong model gains the most go strong first. This is the
  paper's "optimal" line, computed exactly rather than at 10 % steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import RouteLLMError
from ..routers import LengthRouter, RandomRouter
from .benchmarks import Benchmark
from .metrics import DEFAULT_BINS, EvaluationResult, evaluate_scores, result_from_curve

REFERENCES = ("random", "length", "oracle")
DEFAULT_SEEDS = 10
#: Cap on the points of an oracle curve (user logs with graded scores can have one corner per prompt).
MAX_ORACLE_POINTS = 201


def random_reference(benchmark: Benchmark, seeds: int = DEFAULT_SEEDS, bins: int = DEFAULT_BINS) -> EvaluationResult:
    """The random router with seeds 0..seeds-1: every figure and curve point is the mean over seeds."""
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    runs = [
        evaluate_scores(benchmark, RandomRouter(seed=seed).win_probabilities(benchmark.prompts), "random", bins)
        for seed in range(seeds)
    ]
    shares = np.mean([[p["strong_share"] for p in run.curve] for run in runs], axis=0)
    qualities = np.mean([[p["quality"] for p in run.curve] for run in runs], axis=0)
    label = "random" if seeds == 1 else f"random (mean of {seeds} seeds)"
    result = result_from_curve(benchmark, label, shares, qualities)
    for metric in ("apgr", "auc", "cpt20", "cpt50", "cpt80"):
        setattr(result, metric, float(np.mean([getattr(run, metric) for run in runs])))
    return result


def length_reference(benchmark: Benchmark, bins: int = DEFAULT_BINS) -> EvaluationResult:
    """The prompt-length baseline with its default configuration."""
    return evaluate_scores(benchmark, LengthRouter().win_probabilities(benchmark.prompts), "length", bins)


def oracle_curve(strong: np.ndarray, weak: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(strong share, best quality) corners of the oracle: the largest gains go strong first.

    Quality with k strong calls is the weak mean plus the k largest positive gains / n; between whole
    calls it is linear, and past the last positive gain it stays flat (extra calls are simply not made).
    """
    strong = np.asarray(strong, dtype=np.float64)
    weak = np.asarray(weak, dtype=np.float64)
    n = len(strong)
    gains = np.sort(strong - weak)[::-1]
    gains = gains[gains > 0]
    qualities = weak.mean() + np.concatenate([[0.0], np.cumsum(gains)]) / n
    shares = np.arange(len(qualities)) / n
    # Keep only corners: interior points where the gain stays the same lie on a straight line.
    keep = np.ones(len(shares), dtype=bool)
    if len(gains) > 1:
        keep[1:-1] = gains[1:] != gains[:-1]
    shares, qualities = shares[keep], qualities[keep]
    if len(shares) > MAX_ORACLE_POINTS:
        # Concave curve: sampling it evenly loses a negligible sliver of area.
        picks = np.unique(np.linspace(0, len(shares) - 1, MAX_ORACLE_POINTS).round().astype(int))
        shares, qualities = shares[picks], qualities[picks]
    if shares[-1] < 1.0:
        shares = np.append(shares, 1.0)
        qualities = np.append(qualities, qualities[-1])
    return shares, qualities


def oracle_reference(benchmark: Benchmark) -> EvaluationResult:
    shares, qualities = oracle_curve(benchmark.strong_scores, benchmark.weak_scores)
    return result_from_curve(benchmark, "oracle", shares, qualities)


def reference_results(
    benchmark: Benchmark, names: Sequence[str] = REFERENCES, seeds: int = DEFAULT_SEEDS, bins: int = DEFAULT_BINS
) -> list[EvaluationResult]:
    """The named reference lines, in the order given."""
    builders = {
        "random": lambda: random_reference(benchmark, seeds, bins),
        "length": lambda: length_reference(benchmark, bins),
        "oracle": lambda: oracle_reference(benchmark),
    }
    unknown = [name for name in names if name not in builders]
    if unknown:
        raise RouteLLMError(f"unknown reference line(s) {unknown}; choose from {', '.join(REFERENCES)}")
    return [builders[name]() for name in names]
