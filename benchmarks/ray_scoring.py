"""Prompts per second scoring a prompt table: the plain local run against Ray with 1 and 2 workers.

    .venv/bin/python benchmarks/ray_scoring.py                   # 60,000 prompts (a few minutes)
    .venv/bin/python benchmarks/ray_scoring.py --prompts 5000    # a quick look
    .venv/bin/python benchmarks/ray_scoring.py --markdown        # the table for docs/ray.md

The table is one Parquet file of chat-like prompts (Arena-Hard's 500 prompts from the data folder
beside the checkout when present, each repeated with a numbered suffix so every prompt is distinct;
otherwise synthetic prompts of similar length), in row groups of `--row-group` rows: the slices Ray
workers read on their own. Each run writes a folder of parts, as `routellm route --input ... --output
DIR [--ray]` does, and is timed end to end (read, score, write; for Ray, actor start-up included,
Ray's own start-up reported apart). Runs alternate local / Ray so that machine load hits all alike;
the figure is the median of `--repeats`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arena_hard_v01"


def base_prompts() -> tuple[list[str], str]:
    questions = DATA / "question.jsonl"
    if questions.is_file():
        rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [row["prompt"] for row in rows if isinstance(row.get("prompt"), str)]
        if texts:
            return texts, "Arena-Hard v0.1 prompts"
    rng = np.random.default_rng(0)
    words = "explain write code python prove sort list story poem compare derive integral why how".split()
    return [" ".join(rng.choice(words, rng.integers(20, 120))) for _ in range(500)], "synthetic prompts"


def write_table(folder: Path, n: int, row_group: int) -> tuple[Path, str, float]:
    base, kind = base_prompts()
    prompts = [f"{base[i % len(base)]}\n(variant {i})" for i in range(n)]
    path = folder / "prompts.parquet"
    pd.DataFrame({"id": np.arange(n), "prompt": prompts}).to_parquet(path, index=False, row_group_size=row_group)
    return path, kind, float(np.mean([len(p) for p in prompts]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=60_000)
    parser.add_argument("--row-group", type=int, default=5_000)
    parser.add_argument("--router", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    from routellm_core.batch_scoring import plan_for, score_table
    from routellm_core.distributed import connect, score_table_on_ray
    from routellm_core.registry import load_router

    scratch = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    try:
        source, kind, mean_chars = write_table(scratch, args.prompts, args.row_group)
        router = load_router(args.router)
        plan = plan_for(router)
        start = time.perf_counter()
        connect(num_cpus=os.cpu_count())
        ray_start = time.perf_counter() - start

        def local() -> float:
            return score_table(source, scratch / "out", router, plan, overwrite=True).seconds

        def on_ray(workers: int):
            return lambda: score_table_on_ray(source, scratch / "out", args.router, plan, workers=workers,
                                              overwrite=True).seconds

        runs = {"local (one process)": local, "Ray, 1 worker": on_ray(1), "Ray, 2 workers": on_ray(2)}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                times[name].append(run())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = []
    for name, seconds in times.items():
        median = statistics.median(seconds)
        rows.append((name, median, args.prompts / median))
    local_rate = rows[0][2]
    header = (f"{args.prompts:,} {kind} (mean {mean_chars:,.0f} characters), router {args.router!r}, exact "
              f"scoring, {os.cpu_count()} CPUs ({platform.machine()}), load {os.getloadavg()[0]:.1f}; "
              f"Ray start-up {ray_start:.1f} s (not counted)")
    if args.markdown:
        print(header + "\n")
        print("| run | seconds (median of %d) | prompts/s | vs local |" % args.repeats)
        print("|---|---:|---:|---:|")
        for name, median, rate in rows:
            print(f"| {name} | {median:.2f} | {rate:,.0f} | {rate / local_rate:.2f}x |")
    else:
        print(header)
        for name, median, rate in rows:
            print(f"{name:22s} {median:7.2f} s  {rate:9,.0f} prompts/s  {rate / local_rate:5.2f}x local")
    need = 1e8 / 86400
    print(f"\n100 M prompts a day = {need:,.0f} prompts/s on average:")
    for label, per_core in (("the local run's rate (one core)", local_rate),
                            ("Ray's rate per worker with 2 workers", rows[2][2] / 2)):
        print(f"- at {label}, {per_core:,.0f} prompts/s: {need / per_core:.1f} cores")


if __name__ == "__main__":
    main()
