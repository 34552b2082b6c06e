"""Does the ONNX Runtime embedding backend change routing quality? APGR on MMLU and GSM8K, both backends.

    .venv/bin/python benchmarks/onnx_quality.py --data ../shared/data/routellm_evals

Every benchmark prompt is embedded with the torch and the onnx backend; each embedding router
(the bundled checkpoints that embed prompts, else an MF stand-in) scores both sets of embeddings,
and the paper's APGR is computed for each. Prints the APGRs, their difference (the issue allows
0.01) and the largest score difference. Needs the `onnx` extra; embedding MMLU takes minutes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def embedding_routers() -> list[tuple[str, object]]:
    """Bundled routers that score sentence embeddings (MiniLM), else an MF stand-in with random weights."""
    from routellm_core import load_router
    from routellm_core.registry import bundled_checkpoint_names
    from routellm_core.router import DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL
    from routellm_core.routers import MatrixFactorizationRouter

    routers = []
    for name in bundled_checkpoint_names():
        router = load_router(name)
        if hasattr(router, "score_with_embeddings"):
            routers.append((name, router))
    if not routers:
        routers.append(("mf stand-in (random weights)", MatrixFactorizationRouter([DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL, "other"])))
    return routers


def main(
    data: Path = typer.Option(Path("../shared/data/routellm_evals"), help="A folder in the layout of the paper's evals."),
    benchmarks: str = typer.Option("mmlu,gsm8k", help="Comma-separated benchmark names."),
) -> None:
    """APGR with torch and with onnx embeddings, per benchmark and embedding router."""
    from routellm_core.conversation import MAX_ROUTED_CHARS, clean_text
    from routellm_core.embedding import Embedder
    from routellm_core.evaluation import evaluate_scores, load_benchmark

    encoders = {backend: Embedder(backend=backend, cache_size=0) for backend in ("torch", "onnx")}
    routers = embedding_routers()
    print("| benchmark | prompts | router | APGR torch | APGR onnx | difference | max score difference |")
    print("|---|---|---|---|---|---|---|")
    for name in [b.strip() for b in benchmarks.split(",") if b.strip()]:
        benchmark = load_benchmark(name, data)
        texts = [clean_text(p[:MAX_ROUTED_CHARS]) for p in benchmark.prompts]  # what win_probabilities embeds
        vectors = {backend: encoder.encode(texts) for backend, encoder in encoders.items()}
        for label, router in routers:
            scores = {backend: np.clip(router.score_with_embeddings(texts, v), 0, 1) for backend, v in vectors.items()}
            apgr = {backend: evaluate_scores(benchmark, s, router=label).apgr for backend, s in scores.items()}
            print(
                f"| {name} | {len(benchmark)} | {label} | {apgr['torch']:.4f} | {apgr['onnx']:.4f} | "
                f"{apgr['onnx'] - apgr['torch']:+.5f} | {np.abs(scores['onnx'] - scores['torch']).max():.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    typer.run(main)
