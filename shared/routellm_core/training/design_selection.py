"""Choose router designs on training data only: cross-validation over every set, judged on its pairs.

The evaluation sets (MMLU, GSM8K, MT-Bench) must not steer design choices, so designs are compared
on held-out prompts of the training sets themselves. Folds run over the prompts of every outcome
table at once (a held-out prompt leaves every set it appears in); each held-out prompt is scored by
a router that never saw it, and the pooled scores are judged with the paper's metric on four
training-data yardsticks that mirror the evaluation:

- `arena_bench`: GPT-4-1106 vs Mixtral judge scores on hard chat prompts (the chat yardstick);
- `mmlu_pro`: gpt-4o vs Mixtral correctness on the MMLU-Pro questions not taken from MMLU;
- `llmrouter_gsm8k`, `llmrouter_mmlu`: the best open model vs Mistral-7B on llmrouter's GSM8K and
  MMLU tasks (in-domain questions that are not evaluation questions: decontamination removed those).

`python -m routellm_core.training.design_selection difficulty -p length_prior=2 --baseline length`
prints the table.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..evaluation import Benchmark, EvaluationResult, evaluate_scores
from .cross_validation import fold_ids, without_prompts
from .datasets import TrainingData


@dataclass(frozen=True)
class Yardstick:
    """A head-to-head of two models on (a task of) one training set's outcome table."""

    name: str
    set_name: str
    strong: str
    weak: str
    #: Only the prompts of this category (llmrouter: its task), or every prompt when None.
    category: str | None = None


DESIGN_YARDSTICKS = (
    Yardstick("arena_bench", "arena_bench", PAPER_STRONG_MODEL, PAPER_WEAK_MODEL),
    Yardstick("mmlu_pro", "mmlu_pro", "gpt-4o-2024-05-13", "Mixtral-8x7B-Instruct-v0.1"),
    Yardstick("llmrouter_gsm8k", "llmrouter", "llama-3.1-nemotron-51b-instruct", "mistral-7b-instruct-v0.3", "gsm8k"),
    Yardstick("llmrouter_mmlu", "llmrouter", "llama-3.1-nemotron-51b-instruct", "mistral-7b-instruct-v0.3", "mmlu"),
)


def yardstick_benchmark(data: TrainingData, yardstick: Yardstick) -> Benchmark:
    table = data.outcomes[yardstick.set_name]
    if yardstick.category is not None:
        if "category" not in table.table:
            raise ValueError(f"yardstick {yardstick.name!r} needs categories, but set {yardstick.set_name!r} has none")
        table = table.subset((table.table["category"].astype(str) == yardstick.category).to_numpy())
    pair = table.head_to_head(yardstick.strong, yardstick.weak)
    return Benchmark(yardstick.name, pair["prompt"].astype(str).tolist(), pair["strong"].to_numpy(),
                     pair["weak"].to_numpy(), strong_model=yardstick.strong, weak_model=yardstick.weak)


def pooled_cross_validation(
    fit_and_score: Callable[[TrainingData, list[str]], np.ndarray],
    data: TrainingData,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, float]:
    """A score for every prompt of every outcome table, each from a router trained without it."""
    prompts = sorted({p for table in data.outcomes.values() for p in table.prompts})
    fold = fold_ids(len(prompts), folds, seed)
    scores: dict[str, float] = {}
    for k in range(folds):
        held_out = [p for p, f in zip(prompts, fold) if f == k]
        train = data
        for name in data.outcomes:
            train = without_prompts(train, name, set(held_out))
        fold_scores = np.asarray(fit_and_score(train, held_out), dtype=np.float64)
        if fold_scores.shape != (len(held_out),):
            raise RuntimeError(f"fold {k}: expected {len(held_out)} scores, got shape {fold_scores.shape}")
        scores.update(zip(held_out, fold_scores))
    return scores


def design_report(
    fit_and_score: Callable[[TrainingData, list[str]], np.ndarray],
    data: TrainingData,
    yardsticks: Sequence[Yardstick] | None = None,
    folds: int = 5,
    seed: int = 0,
    router_name: str = "router",
) -> dict[str, EvaluationResult]:
    """The pooled cross-validation judged on each yardstick (default: `DESIGN_YARDSTICKS`) whose set is loaded."""
    yardsticks = DESIGN_YARDSTICKS if yardsticks is None else yardsticks
    usable = [y for y in yardsticks if y.set_name in data.outcomes]
    if not usable:
        raise ValueError(f"no yardstick's set is loaded (loaded: {sorted(data.outcomes)}; "
                         f"yardsticks use {sorted({y.set_name for y in yardsticks})})")
    scores = pooled_cross_validation(fit_and_score, data, folds, seed)
    out = {}
    for yardstick in usable:
        benchmark = yardstick_benchmark(data, yardstick)
        if len(benchmark):
            out[yardstick.name] = evaluate_scores(benchmark, np.array([scores[p] for p in benchmark.prompts]),
                                                  router_name)
    return out


def _row(label: str, results: dict[str, EvaluationResult], names: list[str]) -> str:
    apgrs = [results[n].apgr for n in names]
    return f"| {label} | " + " | ".join(f"{a:.3f}" for a in apgrs) + f" | {np.mean(apgrs):.3f} |"


def main(argv=None) -> None:
    from ..routers import LengthRouter, RandomRouter
    from .pipelines import TRAINABLE_KINDS, fit_and_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=TRAINABLE_KINDS)
    parser.add_argument("-p", "--param", action="append", default=[], help="hyper-parameter key=value (JSON values)")
    parser.add_argument("--sets", default="arena_bench,llmrouter,mmlu_pro", help="training sets, comma-separated")
    parser.add_argument("--baseline", action="append", default=[], choices=["length", "random"])
    parser.add_argument("--embedding", default=None,
                        help="embedding model name for embedding routers, e.g. static:sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    options = {}
    for pair in args.param:
        key, sep, value = pair.partition("=")
        if not sep:
            parser.error(f"--param takes key=value, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    from .datasets import load_training_data

    data = load_training_data(args.sets.split(","), progress=False, log=lambda *_: None)
    rows = {}
    for name in args.baseline:
        router = LengthRouter() if name == "length" else RandomRouter()
        rows[name] = design_report(lambda train, held, r=router: r.win_probabilities(held), data,
                                   folds=args.folds, seed=args.seed)
    embedder = None
    if args.embedding:
        from ..embedding import shared_embedder

        embedder = shared_embedder(args.embedding)
    label = args.kind + "".join(f" {k}={v}" for k, v in options.items()) + (f" on {args.embedding}" if embedder else "")
    rows[label] = design_report(fit_and_score(args.kind, embedder=embedder, **options), data,
                                folds=args.folds, seed=args.seed)
    names = list(next(iter(rows.values())))
    print("| design | " + " | ".join(names) + " | mean |")
    print("|---|" + "---|" * (len(names) + 1))
    for label, results in rows.items():
        print(_row(label, results, names))


if __name__ == "__main__":
    main()
