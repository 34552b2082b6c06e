"""The yardsticks a trained router is judged by, recorded in its checkpoint card.

MMLU and GSM8K from the paper's evaluation folder (never trained on), plus the arena_bench k-fold
cross-validation (see `cross_validation`). Embedding routers score from the embeddings the
decontamination step already cached; other routers score the prompts directly, optionally on a
seeded sample of each benchmark (the causal LLM would need hours for all of MMLU on a small CPU).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..evaluation import Benchmark, EvaluationResult, evaluate_scores, load_benchmark


def benchmark_embeddings(benchmark: Benchmark, evals_dir: str | Path, embedder=None, progress: bool = False) -> np.ndarray:
    """Embeddings of a benchmark's prompts, via the cached embeddings of the whole evaluation set."""
    from ..data import embed_texts, evaluation_prompts
    from .embeddings import embed_prompts, embedding_lookup

    known = evaluation_prompts(evals_dir).get(benchmark.name, [])
    if known:
        vectors = embedding_lookup(benchmark.prompts, known, embed_texts(known, embedder, progress=progress,
                                                                         description=f"embedding {benchmark.name}"))
        if vectors is not None:
            return vectors
    return embed_prompts(benchmark.prompts, embedder, progress=progress)


def subsample(benchmark: Benchmark, size: int | None, seed: int = 0) -> Benchmark:
    """A seeded random subset of a benchmark (all of it when `size` is None or not smaller)."""
    if size is None or size >= len(benchmark):
        return benchmark
    rows = np.sort(np.random.default_rng(seed).choice(len(benchmark), size, replace=False))
    return Benchmark(f"{benchmark.name}", [benchmark.prompts[i] for i in rows], benchmark.strong_scores[rows],
                     benchmark.weak_scores[rows], benchmark.strong_model, benchmark.weak_model,
                     benchmark.dropped_contaminated)


def router_scores(router, benchmark: Benchmark, evals_dir, embedder=None, progress=False) -> np.ndarray:
    if hasattr(router, "score_with_embeddings"):
        return router.score_with_embeddings(benchmark.prompts, benchmark_embeddings(benchmark, evals_dir, embedder, progress))
    return router.win_probabilities(benchmark.prompts)


def evaluate_router(
    router,
    evals_dir: str | Path,
    benchmarks: Sequence[str] = ("mmlu", "gsm8k"),
    sample: int | None = None,
    embedder=None,
    progress: bool = False,
) -> dict[str, EvaluationResult]:
    """APGR/CPT of `router` (scored as its own strong/weak pair) on each benchmark."""
    out = {}
    for name in benchmarks:
        benchmark = subsample(load_benchmark(name, evals_dir), sample)
        scores = router_scores(router, benchmark, evals_dir, embedder, progress)
        out[name] = evaluate_scores(benchmark, scores, router.name)
    return out


def summary(result: EvaluationResult) -> dict:
    """The figures a card records for one benchmark."""
    return {"n": result.n, "apgr": round(result.apgr, 4), "cpt50": round(result.cpt50, 4),
            "cpt80": round(result.cpt80, 4)}
