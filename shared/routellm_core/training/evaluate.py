"""The yardsticks a trained router is judged by, recorded in its checkpoint card.

MMLU and GSM8K from the paper's evaluation folder (never trained on), the arena_bench k-fold
cross-validation (see `cross_validation`), and a held-out chat yardstick: AlpacaEval's 805
instructions judged GPT-4-1106 vs Mixtral (`alpaca_eval_chat`; evaluation only, never training data
of a bundled router, and never used to choose a design). Embedding routers score from the embeddings the
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
    from .embeddings import router_embedder

    if hasattr(router, "score_with_embeddings"):
        embedder = router_embedder(router, embedder)
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


ALPACA_CHAT = "alpaca_eval_chat"
ALPACA_PAIR_FILE = Path("alpaca_eval") / "gpt4_1106_vs_mixtral_alpacaeval.csv"


def alpaca_eval_chat(data_root: str | Path, training_prompts: Sequence[str] = (), embedder=None,
                     progress: bool = False) -> tuple[Benchmark, dict]:
    """AlpacaEval's GPT-4-1106 vs Mixtral head-to-head as a chat benchmark; and what was dropped.

    805 instructions (helpful_base, koala, oasst, selfinstruct, vicuna) with GPT-4-Turbo's pairwise
    verdict: the strong model's quality on a prompt is 1 when its answer was preferred (0.5 on a tie),
    the weak model's the complement, so APGR measures how many of the strong model's wins a router
    keeps per strong call. Instructions that match a training prompt (`training_prompts`: normalised
    text, 13-word spans, shared prefixes, MiniLM cosine >= 0.95) are dropped. The data is CC BY-NC 4.0:
    used here to measure routers, never to train the bundled ones.
    """
    import pandas as pd

    from ..data import decontaminate
    from ..evaluation.benchmarks import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL

    table = pd.read_csv(Path(data_root) / ALPACA_PAIR_FILE)
    frame = pd.DataFrame({"prompt": table["instruction"].astype(str), "weak": table["mixtral_win"].astype(float)})
    report: dict = {"prompts_before": len(frame), "dropped": 0}
    if len(training_prompts):
        frame, found = decontaminate(frame, {"training": list(training_prompts)}, embedder, progress=progress)
        report = found.to_dict()
        report["dropped"] = report["prompts_before"] - report["prompts_after"]
    weak = frame["weak"].to_numpy(dtype=np.float64)
    benchmark = Benchmark(ALPACA_CHAT, frame["prompt"].tolist(), 1.0 - weak, weak, PAPER_STRONG_MODEL, PAPER_WEAK_MODEL,
                          int(report["dropped"]))
    return benchmark, report


def evaluate_chat(router, benchmark: Benchmark, embedder=None) -> EvaluationResult:
    """APGR/CPT of `router` on the held-out chat yardstick (`alpaca_eval_chat(...)[0]`)."""
    from .embeddings import embed_prompts, router_embedder

    if hasattr(router, "score_with_embeddings"):
        scores = router.score_with_embeddings(benchmark.prompts,
                                              embed_prompts(benchmark.prompts, router_embedder(router, embedder), progress=False))
    else:
        scores = router.win_probabilities(benchmark.prompts, exact=False)
    return evaluate_scores(benchmark, scores, router.name)
