"""Reproduce the routers bundled in the package: `python -m routellm_core.training.bundled`.

The bundled routers train only on the permissive (Apache-2.0 / MIT) sets, with fixed seeds and the
hyper-parameters chosen by cross-validation on training data (see docs/routers.md). Each card records
the data, licences, hyper-parameters, training time and every yardstick: MMLU and GSM8K APGR/CPT,
the arena_bench 5-fold cross-validation, the held-out AlpacaEval chat yardstick (GPT-4-1106 vs
Mixtral; evaluation only), and the random and length baselines on the same yardsticks.
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
from .evaluate import ALPACA_CHAT, ALPACA_PAIR_FILE, alpaca_eval_chat, evaluate_chat, evaluate_router, summary
from .pipelines import fit_and_score, train_router

PERMISSIVE_SETS = ("arena_bench", "llmrouter", "mmlu_pro")
#: The arena_bench 5-fold cross-validation is repeated with this many fold seeds and averaged.
CV_REPEATS = 3

#: The gated-experts design chosen by the pooled design cross-validation (training data only).
GATED_EXPERTS_DESIGN: dict = {
    "target": "field_difficulty",
    "expert_inputs": {"arena_bench": "embedding", "llmrouter": "features", "mmlu_pro": "features"},
    "expert_alpha": {"arena_bench": 1000.0, "llmrouter": 100.0, "mmlu_pro": 100.0},
    "length_priors": {"llmrouter": 8.0, "mmlu_pro": 0.25},
    "alignment": "zscore", "alignment_folds": 5, "gate_c": 1.0, "gate_temperature": 0.5,
}

#: name -> (router kind, hyper-parameters). Chosen by cross-validation on the training sets only.
BUNDLED: dict[str, tuple[str, dict]] = {
    "mf": ("mf", {"dim": 16, "epochs": 6, "lr": 3e-3, "weight_decay": 1e-4, "input_dropout": 0.1, "seed": 0}),
    "difficulty": ("difficulty", {"target": "field_difficulty", "use_rank": True, "alpha": 100.0,
                                  "source_length_priors": {"arena_bench": 0.0, "llmrouter": 8.0, "mmlu_pro": 0.25}}),
    # `default`: chosen by `python -m routellm_core.training.expert_design` (docs/routers.md)
    "gated_experts": ("gated_experts", GATED_EXPERTS_DESIGN),
}


def training_prompts(data: TrainingData) -> list[str]:
    """Every prompt of the loaded training sets (the chat yardstick is decontaminated against them)."""
    return sorted({p for table in data.outcomes.values() for p in table.prompts})


def chat_benchmark(data: TrainingData, data_root: Path | None):
    """The held-out chat yardstick, decontaminated against the training prompts (None without its file)."""
    if data_root is None or not (Path(data_root) / ALPACA_PAIR_FILE).exists():
        return None
    return alpaca_eval_chat(data_root, training_prompts(data))[0]


def baselines(data: TrainingData, evals_dir: Path, seeds: int = 10, chat=None) -> dict:
    """Random (mean over `seeds` seeds) and length on the same yardsticks, for the card."""
    out = {}
    for label, routers in (("random", [RandomRouter(seed=s) for s in range(seeds)]), ("length", [LengthRouter()])):
        runs = []
        for router in routers:
            figures = {name: summary(r) for name, r in evaluate_router(router, evals_dir).items()}
            figures["arena_bench_cv5"] = cross_validation_summary(
                lambda train, held_out, r=router: r.win_probabilities(held_out), data, repeats=CV_REPEATS,
                router_name=router.name)
            if chat is not None:
                figures[ALPACA_CHAT] = summary(evaluate_chat(router, chat))
            runs.append(figures)
        out[label] = {
            yardstick: {key: (round(float(np.mean([run[yardstick][key] for run in runs])), 4)
                              if key in ("apgr", "cpt50", "cpt80") else runs[0][yardstick][key])
                        for key in runs[0][yardstick]}
            for yardstick in runs[0]
        }
    return out


def record_comparison(router) -> dict:
    """Write into the card which yardsticks the router beats prompt length and random on, and which not.

    `known_limits` names every yardstick where it does not beat length (docs/routers.md says why), so a
    card never claims more than its figures show.
    """
    figures, baselines_ = router.card["evaluation"], router.card["baselines"]
    comparison = {name: {"apgr": figures[name]["apgr"], "length": baselines_["length"][name]["apgr"],
                         "random": baselines_["random"][name]["apgr"]}
                  for name in figures if name in baselines_.get("length", {}) and name in baselines_.get("random", {})}
    router.card["versus_baselines"] = comparison
    router.card["known_limits"] = sorted(name for name, c in comparison.items() if c["apgr"] <= c["length"])
    return comparison


def build(name: str, data: TrainingData, data_root: Path, evals_dir: Path, reference: dict | None = None,
          out_dir: Path | None = None, cv: bool = True, chat=None):
    kind, options = BUNDLED[name]
    router = train_router(kind, data, **options)
    router.name = name
    figures = {k: summary(r) for k, r in evaluate_router(router, evals_dir).items()}
    if cv:
        repeats = 1 if kind == "mf" else CV_REPEATS  # an MF fit takes a minute or two: one round of five folds
        figures["arena_bench_cv5"] = cross_validation_summary(fit_and_score(kind, **options), data,
                                                              repeats=repeats, router_name=name)
    if chat is not None:
        figures[ALPACA_CHAT] = summary(evaluate_chat(router, chat))
        router.card["chat_yardstick"] = {
            "name": ALPACA_CHAT, "data": str(ALPACA_PAIR_FILE), "pair": [chat.strong_model, chat.weak_model],
            "prompts": len(chat), "dropped_matching_training_prompts": chat.dropped_contaminated}
    router.card["evaluation"] = figures
    if reference:
        router.card["baselines"] = reference
        record_comparison(router)
    set_reference(router, load_arena_hard_prompts(data_root), ARENA_HARD_REFERENCE)
    router.card["licence_note"] = "trained only on Apache-2.0 / MIT data (arena_bench_v1, llmrouter, mmlu_pro)"
    if ALPACA_CHAT in figures:
        router.card["licence_note"] += ("; the alpaca_eval_chat figures measure it on AlpacaEval (CC BY-NC 4.0), "
                                        "which it never trained on")
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
    chat = chat_benchmark(data, root)
    reference = baselines(data, evals_dir, chat=chat)
    print("baselines", reference)
    for name in args.names:
        _, figures = build(name, data, root, evals_dir, reference, args.out, cv=not args.no_cv, chat=chat)
        print(name, figures)


if __name__ == "__main__":
    main()
