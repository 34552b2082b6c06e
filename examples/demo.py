"""The main job: route example prompts of different difficulty and show each decision.

Run it with `bash scripts/demo.sh` (sets everything up first).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from routellm_core import calibrate_threshold, load_router

PROMPTS = [
    "hi! how are you today?",
    "Translate 'good morning, my friend' into French.",
    "What is 17 * 23?",
    "Prove that the square root of 2 is irrational, step by step.",
    "Write a Python function that returns the n-th Fibonacci number using memoisation, with tests.",
    "Give me three names for a pet goldfish.",
    "Explain the difference between TCP and UDP and when to prefer each for a multiplayer game.",
    "A train leaves at 3 pm at 60 km/h; another leaves the same station at 4 pm at 80 km/h. When does the second catch up?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--router", default="default", help="bundled router name or checkpoint directory")
    parser.add_argument("--strong-fraction", type=float, default=0.5, help="share of prompts to send to the strong model")
    args = parser.parse_args()

    router = load_router(args.router)
    threshold = calibrate_threshold(router, PROMPTS, args.strong_fraction)
    table = Table(title=f"router {router.name!r} calibrated to {args.strong_fraction:.0%} strong: threshold {threshold:.3f}")
    table.add_column("prompt", overflow="fold")
    table.add_column("win probability", justify="right")
    table.add_column("model")
    for prompt in PROMPTS:
        decision = router.route(prompt, threshold)
        table.add_row(prompt, f"{decision.win_probability:.3f}", decision.model)
    Console().print(table)


if __name__ == "__main__":
    main()
