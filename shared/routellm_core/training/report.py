"""The results table of docs/routers.md: router x training mix x benchmark (APGR, CPT50, CPT80).

`python -m routellm_core.training.report --out results.json` trains every configuration listed in
`CONFIGURATIONS` (with the pipelines the command uses), scores MMLU and GSM8K, runs the arena_bench
5-fold cross-validation, and prints a markdown table. Rows that need the slow models (BERT, causal
LLM) run only when named (`--only bert-permissive`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..routers import LengthRouter, RandomRouter
from .bundled import BUNDLED as SHIPPED
from .cross_validation import cross_validation_summary
from .datasets import load_training_data
from .evaluate import evaluate_router, summary
from .pipelines import fit_and_score, train_router

PERMISSIVE = ("arena_bench", "llmrouter", "mmlu_pro")
#: The shipped difficulty router's hyper-parameters (kept in one place: the bundled-router module).
BUNDLED = SHIPPED["difficulty"][1]
#: The same ridge without any length prior (the rows that vary the prior start from it).
RIDGE = {key: value for key, value in BUNDLED.items() if key != "source_length_priors"}

#: label -> (router kind, training sets, hyper-parameters, evaluation sample size or None)
CONFIGURATIONS: dict[str, tuple[str, tuple[str, ...], dict, int | None]] = {
    "mf-arena": ("mf", ("arena_bench",), {"dim": 16, "epochs": 30}, None),
    "mf-arena+llmrouter": ("mf", ("arena_bench", "llmrouter"), {"dim": 16, "epochs": 6}, None),
    "mf-permissive": ("mf", PERMISSIVE, {"dim": 16, "epochs": 4}, None),
    "mf-permissive+alpaca": ("mf", PERMISSIVE + ("alpaca_eval",), {"dim": 16, "epochs": 4}, None),
    "sw_ranking-permissive": ("sw_ranking", PERMISSIVE, {}, None),
    "difficulty-tier_win_rate": ("difficulty", PERMISSIVE, {"target": "tier_win_rate"}, None),
    "difficulty-field_difficulty": ("difficulty", PERMISSIVE, {"target": "field_difficulty"}, None),
    "difficulty-no_features": ("difficulty", PERMISSIVE, {**RIDGE, "use_features": False}, None),
    "difficulty-arena_only": ("difficulty", ("arena_bench",), BUNDLED, None),
    "difficulty-arena+llmrouter": ("difficulty", ("arena_bench", "llmrouter"), BUNDLED, None),
    "difficulty-permissive+alpaca (non-commercial)": ("difficulty", PERMISSIVE + ("alpaca_eval",), BUNDLED, None),
    "difficulty, one length prior 0.5 (bundled before the gate)": ("difficulty", PERMISSIVE, {**RIDGE, "length_prior": 0.5}, None),
    "difficulty, length prior 2": ("difficulty", PERMISSIVE, {**RIDGE, "length_prior": 2.0}, None),
    "difficulty, length prior 4": ("difficulty", PERMISSIVE, {**RIDGE, "length_prior": 4.0}, None),
    "difficulty (bundled; the default before gated_experts: source-gated length prior)": ("difficulty", PERMISSIVE, BUNDLED, None),
    "gated_experts (bundled, default; model2vec static embedding)": ("gated_experts", PERMISSIVE, SHIPPED["gated_experts"][1], None),
    "bert-permissive": ("bert", PERMISSIVE, {"epochs": 1, "max_prompts": 4000, "lr": 5e-5, "batch_size": 32}, None),
    "causal_llm-permissive": ("causal_llm", PERMISSIVE, {"max_prompts": 1500, "trained_layers": 2}, 1000),
}
SLOW = {"bert-permissive", "causal_llm-permissive"}


def _row(label, kind, figures, seconds):
    return {"router": label, "kind": kind, **{k: v for k, v in figures.items()}, "train_seconds": round(seconds, 1)}


def run(labels, data_root=None, cv_repeats=3, log=print) -> list[dict]:
    from ..data import default_data_root

    root = Path(data_root or default_data_root())
    evals = root / "routellm_evals"
    cache: dict[tuple, object] = {}
    rows = []

    def data_for(sets):
        if sets not in cache:
            cache[sets] = load_training_data(sets, root, evals, progress=False, log=lambda *_: None)
        return cache[sets]

    base = data_for(PERMISSIVE)
    for name, routers in (("random", [RandomRouter(seed=s) for s in range(10)]), ("length", [LengthRouter()])):
        if name not in labels:
            continue
        runs = []
        for router in routers:
            figures = {k: summary(r) for k, r in evaluate_router(router, evals).items()}
            figures["arena_bench_cv5"] = cross_validation_summary(
                lambda train, held_out, r=router: r.win_probabilities(held_out), base, repeats=cv_repeats)
            runs.append(figures)
        mean = {y: {k: float(np.mean([r[y][k] for r in runs])) for k in ("apgr", "cpt50", "cpt80")} for y in runs[0]}
        rows.append(_row(name, name, mean, 0.0))
        log(rows[-1])
    for label in labels:
        if label not in CONFIGURATIONS:
            continue
        kind, sets, options, sample = CONFIGURATIONS[label]
        data = data_for(sets)
        start = time.perf_counter()
        router = train_router(kind, data, show_progress=False, **options)
        seconds = time.perf_counter() - start
        figures = {k: summary(r) for k, r in evaluate_router(router, evals, sample=sample).items()}
        if kind not in ("bert", "causal_llm"):  # the CV retrains five times: too slow for those on CPU
            figures["arena_bench_cv5"] = cross_validation_summary(
                fit_and_score(kind, **options), data, repeats=1 if kind == "mf" else cv_repeats)
        row = _row(label, kind, figures, seconds)
        row["training_sets"] = list(sets)
        rows.append(row)
        log(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| router | MMLU APGR | CPT50 | CPT80 | GSM8K APGR | CPT50 | CPT80 | arena_bench CV APGR | CPT50 | CPT80 | mean APGR |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells, apgrs = [], []
        for yardstick in ("mmlu", "gsm8k", "arena_bench_cv5"):
            figures = row.get(yardstick)
            if figures is None:
                cells += ["–"] * 3
                continue
            apgrs.append(figures["apgr"])
            cells += [f"{figures['apgr']:.3f}", f"{figures['cpt50']:.1%}", f"{figures['cpt80']:.1%}"]
        mean = f"{np.mean(apgrs):.3f}" if len(apgrs) == 3 else "–"
        lines.append(f"| {row['router']} | " + " | ".join(cells) + f" | {mean} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the routers results table.")
    parser.add_argument("--only", nargs="*", default=None, help="labels to run (default: all but the slow ones)")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    parser.add_argument("--cv-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    labels = args.only or ["random", "length", *[k for k in CONFIGURATIONS if k not in SLOW]]
    rows: list[dict] = []

    def keep(row):  # written as each row lands: a long run that stops keeps what it measured
        rows.append(row)
        print(row, flush=True)
        if args.out:
            args.out.write_text(json.dumps(rows, indent=2))

    run(labels, cv_repeats=args.cv_repeats, log=keep)
    print(markdown(rows))


if __name__ == "__main__":
    main()
