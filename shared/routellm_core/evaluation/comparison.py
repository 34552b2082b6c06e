"""Evaluate several routers on one benchmark, beside the reference lines: one comparison."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..registry import load_router
from ..router import Router
from ..routers import LengthRouter
from .benchmarks import Benchmark
from .cache import ScoreCache
from .metrics import DEFAULT_BINS, EvaluationResult, evaluate_scores
from .reference import DEFAULT_SEEDS, REFERENCES, reference_results
from .scoring import score_prompts


@dataclass
class Comparison:
    """Routers (in the order asked for) and reference lines evaluated on one benchmark."""

    benchmark: Benchmark
    results: list[EvaluationResult]
    references: list[EvaluationResult] = field(default_factory=list)
    bins: int = DEFAULT_BINS

    @property
    def rows(self) -> list[EvaluationResult]:
        return [*self.results, *self.references]

    def as_dict(self) -> dict:
        """The first router's figures at the top level (the single-router contract), then every row.

        `results` holds every router asked for, `references` the reference lines.
        """
        if self.results:
            head = self.results[0].as_dict()
        else:
            b = self.benchmark
            head = {"benchmark": b.name, "n": len(b), "strong_score": b.strong_mean, "weak_score": b.weak_mean,
                    "strong_model": b.strong_model, "weak_model": b.weak_model}
        return {
            **head,
            "bins": self.bins,
            "dropped_contaminated": self.benchmark.dropped_contaminated,
            "results": [r.as_dict() for r in self.results],
            "references": [r.as_dict() for r in self.references],
        }

    def write_json(self, path: str | Path) -> Path:
        import json

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # allow_nan=False: undefined figures are already None, so the file is strict JSON.
        path.write_text(json.dumps(self.as_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
        return path


def compare_routers(
    benchmark: Benchmark,
    routers: Sequence[str | Router],
    references: Sequence[str] = REFERENCES,
    *,
    seeds: int = DEFAULT_SEEDS,
    bins: int = DEFAULT_BINS,
    cache: ScoreCache | None = None,
    progress: bool = True,
    scorer: Callable[[Router, list[str]], np.ndarray] | None = None,
) -> Comparison:
    """Score each router (bundled name, checkpoint path or Router) on `benchmark` and add the references.

    The `length` reference is left out when one of the routers is the same configuration.
    """
    loaded = [load_router(router) for router in routers]
    results = []
    for router in loaded:
        scores = score_prompts(router, benchmark.prompts, cache=cache, progress=progress, scorer=scorer)
        results.append(evaluate_scores(benchmark, scores, router.name, bins))
    length_fingerprint = LengthRouter().config_fingerprint()
    if any(router.config_fingerprint() == length_fingerprint for router in loaded):
        references = [name for name in references if name != "length"]
    return Comparison(benchmark, results, reference_results(benchmark, references, seeds, bins), bins)
