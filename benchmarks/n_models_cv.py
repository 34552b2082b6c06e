"""Choosing the N-model MF router's settings without the test split: k-fold cross-validation on train.

    .venv/bin/python benchmarks/n_models_cv.py                    # the settings docs/n_models.md compares
    .venv/bin/python benchmarks/n_models_cv.py --param epochs=60 --param text_span=head_tail
    .venv/bin/python benchmarks/n_models_cv.py --task-prior       # also: each task's training accuracies

The RouterBench train split (`../shared/data/routerbench_subset/*_train.csv.gz`, or --data DIR) is cut
into folds stratified by task (seeded, deterministic). Each setting is trained on k-1 folds and scored
on the held-out one with `evaluate_n_models`; printed: the mean and spread over folds of the router's
area above the best mix of single models, and the held-out log-loss of P(correct). Embeddings are
computed once (MiniLM, disk-cached) and sliced per fold, so a setting takes seconds once they exist;
the first run embeds the train split (a few minutes on two cores, twice that with the tail span).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

DEFAULT_SETTINGS = [
    {},
    {"epochs": 60},
    {"epochs": 120},
    {"dim": 16},
    {"input_dropout": 0.5},
    {"use_features": True},
    {"text_span": "tail"},
    {"text_span": "head_tail"},
]


class _Precomputed:
    """An N-model router's predictions on held-out prompts from precomputed inputs (no re-embedding)."""

    def __init__(self, router, prompts, inputs):
        self.router, self.models, self.name = router, router.models, "router"
        self.row = {prompt: i for i, prompt in enumerate(prompts)}
        self.inputs = inputs

    def model_qualities(self, prompts):
        rows = [self.row[p] for p in prompts]
        return self.router.qualities_from_inputs(self.router.prompt_inputs(list(prompts), self.inputs[rows]))


class _TaskPrior:
    """Each task's mean training accuracy per model, as predicted quality (the router knowing only the task)."""

    name = "task prior"

    def __init__(self, models, table, source_of):
        self.models, self.table, self.source_of = models, table, source_of

    def model_qualities(self, prompts):
        return np.stack([self.table[self.source_of[p]] for p in prompts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "routerbench_subset")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="Fold assignment seed.")
    parser.add_argument("--param", action="append", default=[], help="One setting key=value (JSON); repeatable.")
    parser.add_argument("--task-prior", action="store_true", help="Also score each task's training accuracies.")
    args = parser.parse_args()

    import torch

    from routellm_core.data import load_per_model_outcomes
    from routellm_core.evaluation.n_models import evaluate_n_models
    from routellm_core.training.mf_quality import QualityMFConfig, routed_texts, span_embeddings, train_quality_mf

    torch.set_num_threads(1)
    files = sorted(args.data.glob("*_train.csv.gz"))
    if not files:
        raise SystemExit(f"no *_train.csv.gz files under {args.data}")
    outcomes = load_per_model_outcomes(files)
    texts = routed_texts(outcomes.prompts)
    sources = np.array(outcomes.sources)
    correct = outcomes.correct()
    rng = np.random.default_rng(args.seed)
    folds = np.zeros(len(outcomes), dtype=int)
    for source in sorted(set(sources)):
        rows = np.flatnonzero(sources == source)
        rng.shuffle(rows)
        folds[rows] = np.arange(len(rows)) % args.folds

    settings = DEFAULT_SETTINGS
    if args.param:
        setting = {}
        for pair in args.param:
            key, _, value = pair.partition("=")
            try:
                setting[key] = json.loads(value)
            except json.JSONDecodeError:
                setting[key] = value
        settings = [setting]
    spans = {s.get("text_span", QualityMFConfig.text_span) for s in settings}
    start = time.perf_counter()
    both = span_embeddings(texts, "head_tail", show_progress=True) if spans - {"head"} else None
    head = both[:, : both.shape[1] // 2] if both is not None else span_embeddings(texts, "head", show_progress=True)
    print(f"embedded {len(texts):,} prompts in {time.perf_counter() - start:.0f} s", flush=True)
    embeddings = {"head": head}
    if both is not None:
        embeddings |= {"tail": both[:, both.shape[1] // 2:], "head_tail": both}

    def held_out(fold: int, router) -> tuple[float, float]:
        test = folds == fold
        subset = outcomes.subset(test)
        evaluation = evaluate_n_models(subset, [router])
        margin = evaluation.curve(router.name).area - evaluation.best_mix.area
        q = np.clip(router.model_qualities(subset.prompts), 1e-6, 1 - 1e-6)
        y = correct[test]
        return margin, float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    if args.task_prior:
        results = []
        source_of = dict(zip(outcomes.prompts, sources))
        for fold in range(args.folds):
            train = folds != fold
            table = {s: correct[train & (sources == s)].mean(0) for s in set(sources)}
            results.append(held_out(fold, _TaskPrior(outcomes.models, table, source_of)))
        margins = np.array([r[0] for r in results])
        print(f"task prior: area over the best mix {margins.mean():+.4f} ± {margins.std():.4f}", flush=True)

    for setting in settings:
        config = QualityMFConfig(**setting)
        inputs = embeddings[config.text_span]
        results = []
        started = time.perf_counter()
        for fold in range(args.folds):
            train, test = folds != fold, folds == fold
            router = train_quality_mf([texts[i] for i in np.flatnonzero(train)], correct[train], inputs[train],
                                      outcomes.models, config, show_progress=False)
            results.append(held_out(fold, _Precomputed(router, outcomes.subset(test).prompts, inputs[test])))
        margins, losses = np.array([r[0] for r in results]), np.array([r[1] for r in results])
        print(f"{json.dumps(setting) or '{}':45s} area over the best mix {margins.mean():+.4f} ± {margins.std():.4f}"
              f"   log-loss {losses.mean():.4f}   ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
