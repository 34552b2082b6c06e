"""The chat-style yardstick: arena_bench_v1 by k-fold cross-validation, pooled over the folds.

Each fold trains on four fifths of arena_bench's prompts (with all other training data) and scores
the held-out fifth; the pooled scores are then judged with the paper's metric against the GPT-4-1106
and Mixtral judge scores of those prompts. The same split helper also serves design choices on the
other training sets (held-out prompts of MMLU-Pro or llmrouter), so designs are chosen on training
data before anything touches the evaluation sets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL, PromptOutcomes
from ..evaluation import Benchmark, EvaluationResult, evaluate_scores
from .datasets import TrainingData

ARENA_BENCH = "arena_bench"


def fold_ids(n: int, folds: int = 5, seed: int = 0) -> np.ndarray:
    """A fold number per row, balanced and shuffled with `seed`."""
    if folds < 2 or n < folds:
        raise ValueError(f"need at least 2 folds and as many rows as folds, got {folds} folds for {n} rows")
    ids = np.arange(n) % folds
    return np.random.default_rng(seed).permutation(ids)


def without_prompts(data: TrainingData, name: str, prompts: set[str]) -> TrainingData:
    """A copy of `data` in which set `name` lacks `prompts` (outcomes and battles alike)."""
    outcomes = dict(data.outcomes)
    if name in outcomes:
        table = outcomes[name]
        outcomes[name] = table.subset(~table.table["prompt"].astype(str).isin(prompts).to_numpy())
    battles = data.battles
    if battles is not None:
        source = outcomes[name].table["source"].iloc[0] if name in outcomes and len(outcomes[name]) else name
        drop = (battles["source"].astype(str) == str(source)) & battles["prompt"].astype(str).isin(prompts)
        battles = battles[~drop.to_numpy()].reset_index(drop=True)
    return dataclasses.replace(data, outcomes=outcomes, battles=battles)


def head_to_head_benchmark(
    outcomes: PromptOutcomes, strong: str = PAPER_STRONG_MODEL, weak: str = PAPER_WEAK_MODEL, name: str | None = None
) -> Benchmark:
    """An outcome table as a benchmark of two of its models (prompts where both were scored)."""
    pair = outcomes.head_to_head(strong, weak)
    return Benchmark(name or outcomes.name, pair["prompt"].astype(str).tolist(), pair["strong"].to_numpy(),
                     pair["weak"].to_numpy(), strong_model=strong, weak_model=weak)


def cross_validate(
    fit_and_score: Callable[[TrainingData, list[str]], np.ndarray],
    data: TrainingData,
    name: str = ARENA_BENCH,
    strong: str = PAPER_STRONG_MODEL,
    weak: str = PAPER_WEAK_MODEL,
    folds: int = 5,
    seed: int = 0,
    router_name: str = "router",
) -> EvaluationResult:
    """k-fold CV on set `name`: `fit_and_score(train_data, held_out_prompts)` -> scores, pooled and judged.

    The benchmark is the `strong` vs `weak` head-to-head of set `name` (for arena_bench: GPT-4-1106
    vs Mixtral judge scores); every fold's training data holds all other sets in full.
    """
    if name not in data.outcomes:
        raise ValueError(f"cross-validation needs the outcome table of {name!r}; loaded: {sorted(data.outcomes)}")
    benchmark = head_to_head_benchmark(data.outcomes[name], strong, weak, name=f"{name}-cv{folds}")
    fold = fold_ids(len(benchmark), folds, seed)
    prompts = np.array(benchmark.prompts, dtype=object)
    scores = np.empty(len(benchmark))
    for k in range(folds):
        held_out = fold == k
        train = without_prompts(data, name, set(prompts[held_out]))
        fold_scores = np.asarray(fit_and_score(train, list(prompts[held_out])), dtype=np.float64)
        if fold_scores.shape != (int(held_out.sum()),):
            raise RuntimeError(f"fold {k}: expected {int(held_out.sum())} scores, got shape {fold_scores.shape}")
        scores[held_out] = fold_scores
    return evaluate_scores(benchmark, scores, router_name)


def cross_validation_summary(
    fit_and_score: Callable[[TrainingData, list[str]], np.ndarray],
    data: TrainingData,
    repeats: int = 1,
    folds: int = 5,
    router_name: str = "router",
    **pair: str,
) -> dict:
    """APGR, CPT(50 %) and CPT(80 %) of `cross_validate`, averaged over `repeats` fold seeds (0, 1, ...).

    With 300 prompts one split moves APGR by a few hundredths; repeating with other splits steadies it.
    """
    runs = [cross_validate(fit_and_score, data, folds=folds, seed=seed, router_name=router_name, **pair)
            for seed in range(repeats)]
    apgrs = [r.apgr for r in runs]
    return {
        "n": runs[0].n,
        "apgr": round(float(np.mean(apgrs)), 4),
        "cpt50": round(float(np.mean([r.cpt50 for r in runs])), 4),
        "cpt80": round(float(np.mean([r.cpt80 for r in runs])), 4),
        "apgr_sd_over_repeats": round(float(np.std(apgrs)), 4),
        "repeats": repeats,
        "folds": folds,
    }
