"""Reproduce the routers bundled in the package: `python -m routellm_core.training.bundled`.

Both bundled routers train only on the permissive (Apache-2.0 / MIT) sets, with fixed seeds and the
hyper-parameters chosen by cross-validation on training data (see docs/routers.md). Each card records
the data, licences, hyper-parameters, training time and every yardstick: MMLU and GSM8K APGR/CPT,
the arena_bench 5-fold cross-validation, and the random and length baselines on the same yardsticks.
The Arena-Hard prompts (unlabelled) give each checkpoint its reference quantiles: thresholds for any
share of strong calls on realistic chat traffic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


from ..data import load_arena_hard_prompts
from ..reference import ARENA_HARD_REFERENCE, set_reference
from ..registry import bundled_checkpoints_dir
from ..routers import LengthRouter, RandomRouter
from .cross_validation import cross_validation_summary
from .datasets import TrainingData, load_training_data
from .evaluate import evaluate_router, summary
from .pipelines import fit_and_score, train_router

PERMISSIVE_SETS = ("arena_bench", "llmrouter", "mmlu_pro")
#: The arena_bench 5-fold cross-validation is repeated with this many fold seeds and averaged.
CV_REPEATS = 3

#: name -> (router kind, hyper-parameters). Chosen by cross-validation on the training sets only.
BUNDLED: dict[str, tuple[str, dict]] = {
    "mf": ("mf", {"dim": 16, "epochs": 6, "lr": 3e-3, "weight_decay": 1e-4, "input_dropout": 0.1, "seed": 0}),
    "difficulty": ("difficulty", {"target": "field_difficulty", "use_rank": True, "alpha": 100.0,
                                  "source_length_priors": {"arena_bench": 0.0, "llmrouter": 8.0, "mmlu_pro": 0.25}}),
}


def baselines(data: TrainingData, evals_dir: Path, seeds: int = 10) -> dict:
    """Random (mean over `seeds` seeds) and length on the same yardsticks, for the card."""
    out = {}
    for label, routers in (("random", [RandomRouter(seed=s) for s in range(seeds)]), ("length", [LengthRouter()])):
        runs = []
        for router in routers:
            figures = {name: summary(r) for name, r in evaluate_router(router, evals_dir).items()}
            figures["arena_bench_cv5"] = cross_validation_summary(
                lambda train, held_out, r=router: r.win_probabilities(held_out), data, repeats=CV_REPEATS,
                router_name=router.name)
            runs.append(figures)
        out[label] = {
            yardstick: {key: (round(float(np.mean([run[yardstick][key] for run in runs])), 4)
                              if key in ("apgr", "cpt50", "cpt80") else runs[0][yardstick][key])
                        for key in runs[0][yardstick]}
            for yardstick in runs[0]
        }
    return out


def build(name: str, data: TrainingData, data_root: Path, evals_dir: Path, reference: dict | None = None,
          out_dir: Path | None = None, cv: bool = True):
    kind, options = BUNDLED[name]
    router = train_router(kind, data, **options)
    router.name = name
    figures = {k: summary(r) for k, r in evaluate_router(router, evals_dir).items()}
    if cv:
        repeats = 1 if kind == "mf" else CV_REPEATS  # an MF fit takes a minute or two: one round of five folds
        figures["arena_bench_cv5"] = cross_validation_summary(fit_and_score(kind, **options), data,
                                                              repeats=repeats, router_name=name)
    router.card["evaluation"] = figures
    if reference:
        router.card["baselines"] = reference
    set_reference(router, load_arena_hard_prompts(data_root), ARENA_HARD_REFERENCE)
    router.card["licence_note"] = "trained only on Apache-2.0 / MIT data (arena_bench_v1, llmrouter, mmlu_pro)"
    target = (out_dir or bundled_checkpoints_dir()) / name
    router.save(target)
    return router, figures


def main(argv: list[str] | None = None) -> None:
    from ..data import default_data_root

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(BUNDLED), help="which bundled routers (default: all)")
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="folder for the checkpoints (default: the package's)")
    parser.add_argument("--no-cv", action="store_true", help="skip the arena_bench cross-validation")
    args = parser.parse_args(argv)
    root = Path(args.data_root or default_data_root())
    evals_dir = root / "routellm_evals"
    data = load_training_data(PERMISSIVE_SETS, root, evals_dir)
    data.require_permissive()
    reference = baselines(data, evals_dir)
    print("baselines", reference)
    for name in args.names:
        _, figures = build(name, data, root, evals_dir, reference, args.out, cv=not args.no_cv)
        print(name, figures)


if __name__ == "__main__":
    main()
