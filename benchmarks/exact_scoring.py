"""What scoring each prompt on its own costs: `win_probabilities` (exact) against `exact=False`.

    .venv/bin/python benchmarks/exact_scoring.py [--prompts 256] [--repeats 3] [--routers mf,default]

Both paths run interleaved on the same prompts (30 ± 5 words), the embedding cache cleared before
each, so a busy machine slows both alike; the table gives prompts per second (medians).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from routellm_core import load_router

WORDS = "prove theorem write code explain why the quick brown fox data model json parser graph prime number list sort".split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--routers", default="mf,default")
    args = parser.parse_args()
    rng = random.Random(0)
    prompts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 35))) + f" {i}" for i in range(args.prompts)]
    print("router | exact prompts/s | exact=False prompts/s | ratio")
    for name in args.routers.split(","):
        router = load_router(name)
        router.win_probability("warm up")
        runs: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeats):
            for exact in (True, False):
                router._embedder.clear_cache()
                start = time.perf_counter()
                router.win_probabilities(prompts, exact=exact)
                runs[exact].append(len(prompts) / (time.perf_counter() - start))
        exact, bulk = statistics.median(runs[True]), statistics.median(runs[False])
        print(f"{name} | {exact:.1f} | {bulk:.1f} | {bulk / exact:.1f}x")


if __name__ == "__main__":
    main()
