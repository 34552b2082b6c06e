"""Bring-your-own-traffic on Arena-Hard v0.1: label, adapt the bundled router, score on held-out prompts.

A simulated user whose traffic is the 500 Arena-Hard prompts routes between gpt-4-0314 (strong) and
gpt-3.5-turbo-0125 (weak). For each of 5 folds the script

1. runs `routellm label` on the training prompts with replay models and a replay judge
   (`examples/replay_arena_hard.py`: the recorded answers and gpt-4-1106-preview's recorded verdicts),
2. runs `routellm train KIND --battles ... --init default` (KIND: the bundled default's kind),
3. scores `load_router(DIR)`, the bundled `default` and prompt length on the held-out prompts: APGR
   with the strong quality = the share of recorded verdicts gpt-4-0314 wins on each prompt.

`--task mbpp` does the same with golden labels on RouterBench's MBPP rows (gpt-4-1106-preview vs
mixtral-8x7b-chat, `examples/replay_mbpp.py`: `routellm label --checker`), scored with each model's
recorded 0/1 correctness (research data: never for a shipped router).

Run from the repository root (needs the data folder beside the checkout; under a minute on 2 cores
once the prompt embeddings are cached):

    python benchmarks/adapt_arena_hard.py [--task arena_hard|mbpp] [--folds 5] [--seed 0] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples import replay_arena_hard as replay  # noqa: E402
from examples import replay_mbpp  # noqa: E402
from routellm_core import load_router  # noqa: E402
from routellm_core.cli import app  # noqa: E402
from routellm_core.training.adapt import apgr  # noqa: E402

SPEC = "examples.replay_arena_hard"
MBPP_SPEC = "examples.replay_mbpp"


def task_setup(task: str):
    """(prompts, strong quality, weak quality, strong name, weak name, the label command's model/judge options)."""
    if task == "arena_hard":
        shares = replay.strong_share()
        prompts = sorted(shares)
        strong_q = np.array([shares[p] for p in prompts])
        options = ["--model", f"{replay.STRONG}={SPEC}:gpt4", "--model", f"{replay.WEAK}={SPEC}:gpt35",
                   "--judge", f"{SPEC}:judge"]
        return prompts, strong_q, 1.0 - strong_q, replay.STRONG, replay.WEAK, options
    if task == "mbpp":
        table = replay_mbpp.table()
        options = ["--model", f"{replay_mbpp.STRONG}={MBPP_SPEC}:gpt4",
                   "--model", f"{replay_mbpp.WEAK}={MBPP_SPEC}:mixtral", "--checker", f"{MBPP_SPEC}:checker"]
        return (table["prompt"].tolist(), table[replay_mbpp.STRONG].to_numpy(float),
                table[replay_mbpp.WEAK].to_numpy(float), replay_mbpp.STRONG, replay_mbpp.WEAK, options)
    raise SystemExit(f"unknown task {task!r}: arena_hard or mbpp")


def run_cli(args: list[str]) -> None:
    try:
        app(args, standalone_mode=False)
    except SystemExit as exc:  # typer exits 0 after a command
        if exc.code:
            raise


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="arena_hard", choices=("arena_hard", "mbpp"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    prompts, strong_all, weak_all, strong, weak, options = task_setup(args.task)
    order = np.random.default_rng(args.seed).permutation(len(prompts))
    results = {"adapted": [], "default": [], "length": []}
    chosen = []
    default, length = load_router("default"), load_router("length")
    with tempfile.TemporaryDirectory() as tmp:
        for fold, test_idx in enumerate(np.array_split(order, args.folds)):
            test = [prompts[i] for i in test_idx]
            train = [p for p in prompts if p not in set(test)]
            work = Path(tmp) / f"fold{fold}"
            work.mkdir()
            with (work / "prompts.jsonl").open("w", encoding="utf-8") as handle:
                for prompt in train:
                    handle.write(json.dumps({"prompt": prompt}) + "\n")
            battles, out = work / "battles.jsonl", work / "router"
            run_cli(["label", str(work / "prompts.jsonl"), *options, "--out", str(battles), "--no-progress"])
            run_cli(["train", default.kind, "--battles", str(battles), "--strong", strong,
                     "--weak", weak, "--init", "default", "--out", str(out), "--seed", str(args.seed)])
            adapted = load_router(out)
            chosen.append(adapted.card["head"]["chosen"])
            strong_q, weak_q = strong_all[test_idx], weak_all[test_idx]
            for name, router in (("adapted", adapted), ("default", default), ("length", length)):
                results[name].append(apgr(router.win_probabilities(test), strong_q, weak_q))
            print(f"fold {fold}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in results.items()), file=sys.stderr)
    summary = {name: {"mean": round(float(np.mean(v)), 4), "sd": round(float(np.std(v, ddof=1)), 4),
                      "folds": [round(float(x), 4) for x in v]} for name, v in results.items()}
    summary["heads_chosen"] = chosen
    summary["task"] = args.task
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
