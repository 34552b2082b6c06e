"""Does a static embedding keep routing quality? The bundled recipes trained on MiniLM and on static vectors.

    .venv/bin/python benchmarks/static_quality.py --mf-seeds 0,1,2       # MiniLM against the default static embedding
    .venv/bin/python benchmarks/static_quality.py --static "static:sentence-transformers/all-MiniLM-L6-v2,static:sentence-transformers/all-MiniLM-L6-v2?weighting=none"

For each embedding (MiniLM, then each static name) the `difficulty` and `mf` routers are trained with
the bundled hyper-parameters (`training.bundled.BUNDLED`) on the permissive sets (arena_bench,
llmrouter, mmlu_pro; decontaminated with MiniLM as usual, so every embedding sees the same prompts)
and scored on MMLU and GSM8K; the table gives each APGR, the difference from MiniLM and whether it
loses no more than the issue's 0.01. `--mf-seeds 0,1,2` trains MF once per seed (its fit is seeded;
the difficulty ridge fit is deterministic) and reports the mean and the range, to tell a difference
from seed noise. The first use of a static embedding distils it (a minute or two).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROUTERS = ("difficulty", "mf")
BENCHMARKS = ("mmlu", "gsm8k")
TOLERANCE = 0.01


def train_and_score(data, evals_dir: Path, embedding: str | None, mf_seeds: tuple[int, ...] = (0,)) -> dict:
    """APGR per router and benchmark for one embedding (None: MiniLM, the routers' default)."""
    from routellm_core.embedding_static import StaticEmbedder
    from routellm_core.training.bundled import BUNDLED
    from routellm_core.training.evaluate import evaluate_router
    from routellm_core.training.pipelines import train_router

    embedder, static = None, None
    if embedding is not None:
        static = StaticEmbedder.from_name(embedding)
        started = time.perf_counter()
        static.encode(["warm up"])  # distils on first use
        print(f"{embedding}: table ready in {time.perf_counter() - started:.1f} s ({static.table.config})", flush=True)
        embedder = static  # its own vectors: the data's stored MiniLM vectors serve MiniLM only
    out = {}
    for name in ROUTERS:
        kind, options = BUNDLED[name]
        runs = []
        for seed in (mf_seeds if kind == "mf" else (options.get("seed"),)):
            started = time.perf_counter()
            router = train_router(kind, data, embedder=embedder, **(options | ({"seed": seed} if seed is not None else {})))
            seconds = time.perf_counter() - started
            router.name = name
            if static is not None:
                router.embedding_model = static.model_name
            results = evaluate_router(router, evals_dir, BENCHMARKS, embedder=embedder, progress=True)
            runs.append({"seed": seed, "train_seconds": round(seconds, 1), **{b: round(float(r.apgr), 4) for b, r in results.items()}})
            print(f"{embedding or 'MiniLM'} {name}: {runs[-1]}", flush=True)
        out[name] = {b: round(float(np.mean([run[b] for run in runs])), 4) for b in BENCHMARKS} | {"runs": runs}
    return out


def _apgr(figures: dict, benchmark: str) -> str:
    """The APGR (the mean over seeds), with the range over seeds where there are several."""
    values = [run[benchmark] for run in figures["runs"]]
    spread = f" ({min(values):.4f}–{max(values):.4f}, {len(values)} seeds)" if len(values) > 1 else ""
    return f"{figures[benchmark]:.4f}{spread}"


def markdown(results: dict) -> str:
    reference = results["MiniLM"]
    lines = ["| router | benchmark | embedding | APGR | − MiniLM | loses ≤ 0.01 |", "|---|---|---|---|---|---|"]
    for name in ROUTERS:
        for benchmark in BENCHMARKS:
            lines.append(f"| {name} | {benchmark} | MiniLM | {_apgr(reference[name], benchmark)} | — | — |")
            for embedding, figures in results.items():
                if embedding == "MiniLM":
                    continue
                difference = figures[name][benchmark] - reference[name][benchmark]
                kept = "yes" if difference >= -TOLERANCE else "no"
                lines.append(f"| {name} | {benchmark} | `{embedding}` | {_apgr(figures[name], benchmark)} | {difference:+.4f} | {kept} |")
    return "\n".join(lines) + "\n"


def main(
    static: str = typer.Option("static:sentence-transformers/all-MiniLM-L6-v2", help="Comma-separated static embedding names."),
    data_root: Path | None = typer.Option(None, help="The data folder (default: ../shared/data beside the checkout)."),
    mf_seeds: str = typer.Option("0", help="Comma-separated seeds for the MF fits (the mean and range are reported)."),
    json_path: Path | None = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
) -> None:
    """Train the bundled difficulty and mf recipes on MiniLM and on static embeddings; APGR on MMLU and GSM8K."""
    from routellm_core.data import default_data_root
    from routellm_core.training.bundled import PERMISSIVE_SETS
    from routellm_core.training.datasets import load_training_data

    root = Path(data_root or default_data_root())
    evals_dir = root / "routellm_evals"
    load = [round(x, 2) for x in os.getloadavg()]
    data = load_training_data(PERMISSIVE_SETS, root, evals_dir)
    data.require_permissive()
    seeds = tuple(int(seed) for seed in mf_seeds.split(",") if seed.strip())
    results = {"MiniLM": train_and_score(data, evals_dir, None, seeds)}
    for name in [s.strip() for s in static.split(",") if s.strip()]:
        results[name] = train_and_score(data, evals_dir, name, seeds)
    print(f"\nload average {load} at the start, {[round(x, 2) for x in os.getloadavg()]} at the end\n")
    print(markdown(results), end="")
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)
