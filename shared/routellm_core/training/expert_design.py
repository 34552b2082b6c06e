"""The design scan of the gated-experts router: `python -m routellm_core.training.expert_design`.

Pooled design cross-validation on training data only (the folds, held-out rule and four yardsticks of
`design_selection`), for many designs at once: per fold, the gate is fitted once per `gate_c` and each
expert variant once per set, so a design (which variant per set, alignment, gate softness) is a cheap
combination of held-out predictions. The search is coordinate-wise from the plainest design (every
expert on all inputs, z-scored, C = 0.1, temperature 1): one choice at a time, the best mean over the
fold seeds kept, two passes; only soft gates (temperature > 0) are chosen. Every candidate's figures are printed (and written with `--json`); the chosen
design is then re-checked through `design_selection gated_experts -p ...` (the real trainer), which
must give the same figures. The evaluation sets are never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..evaluation import evaluate_scores
from ..routers.features import FEATURE_NAMES, prompt_features
from ..routers.gated_experts import QUANTILE_LEVELS
from .cross_validation import fold_ids, without_prompts
from .datasets import TrainingData
from .design_selection import DESIGN_YARDSTICKS, yardstick_benchmark
from .difficulty import calibration_for, fit_source_gate, pair_base_rate
from .gated_experts import alignment_state, fit_expert, input_columns, out_of_fold_scores, standardisation
from .targets import pooled_targets


@dataclass(frozen=True)
class Variant:
    """One way to fit one set's expert."""

    inputs: str = "all"
    alpha: float = 100.0
    length_prior: float = 0.0

    def label(self) -> str:
        return f"{self.inputs}, α={self.alpha:g}" + (f", length prior {self.length_prior:g}" if self.length_prior else "")


#: The variants scanned per set.
VARIANTS = {
    "arena_bench": [Variant(i, a) for i in ("all", "embedding+length", "features", "embedding") for a in (30.0, 100.0, 300.0, 1000.0)],
    "llmrouter": [Variant(i, 100.0, p) for i in ("all", "embedding+length", "features", "length") for p in (0.0, 2.0, 8.0)],
    "mmlu_pro": [Variant(i, 100.0, p) for i in ("all", "embedding+length", "features", "length") for p in (0.0, 0.25)],
}
GATE_CS = (0.01, 0.1, 1.0)
#: Gate temperatures scanned; 0 (a hard switch: the most likely set's expert only) is measured and
#: reported but not chosen: a prompt edited across the gate's boundary would jump from one expert's
#: scale to another's, which the per-set yardsticks cannot see.
TEMPERATURES = (0.0, 0.25, 0.5, 1.0, 2.0)
ALIGNMENT_CHOICES = (("none", 0), ("zscore", 5), ("zscore", 0), ("quantile", 5))


@dataclass
class FoldTraining:
    """What one fold's router computes on its own training prompts: the mixture's calibration needs it."""

    weights: np.ndarray  # sets weighted alike, as in training
    base_rate: float  # the strong/weak pair's base rate in the fold's training data
    gate_logits: dict[float, np.ndarray]
    experts: dict[tuple[str, Variant], np.ndarray]


@dataclass
class FoldPredictions:
    """Held-out predictions of one fold seed, pooled over its folds."""

    prompts: list[str]
    gate_logits: dict[float, np.ndarray]  # gate_c -> (prompts, sets)
    experts: dict[tuple[str, Variant], np.ndarray]  # raw held-out predictions
    #: The fold of each prompt, and (set, variant, alignment folds) -> (centres, spreads, quantiles) per fold.
    fold: np.ndarray
    alignment: dict[tuple[str, Variant, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    training: list[FoldTraining]


def _inputs(prompts, vectors, features, feature_mean, feature_scale):
    return np.hstack([vectors, ((features - feature_mean) / feature_scale).astype(np.float32)]).astype(np.float64)


def fold_predictions(data: TrainingData, lookup: dict[str, np.ndarray], seed: int, sets: list[str],
                     folds: int = 5, target: str = "field_difficulty") -> FoldPredictions:
    prompts = sorted({p for table in data.outcomes.values() for p in table.prompts})
    index = {p: i for i, p in enumerate(prompts)}
    fold = fold_ids(len(prompts), folds, seed)
    all_features = prompt_features(prompts)
    all_vectors = np.stack([lookup[p] for p in prompts])
    dim = all_vectors.shape[1]
    length = dim + FEATURE_NAMES.index("log_chars")
    gate_logits = {c: np.zeros((len(prompts), len(sets))) for c in GATE_CS}
    experts = {(s, v): np.zeros(len(prompts)) for s in sets for v in VARIANTS[s]}
    alignment = {(s, v, f): (np.zeros(folds), np.zeros(folds), np.zeros((folds, QUANTILE_LEVELS)))
                 for s in sets for v in VARIANTS[s] for f in (0, 5)}
    training = []
    for k in range(folds):
        held = np.flatnonzero(fold == k)
        held_set = {prompts[i] for i in held}
        train = data
        for name in data.outcomes:
            train = without_prompts(train, name, held_set)
        table = pooled_targets(train, target)
        rows = np.array([index[p] for p in table["prompt"]])
        features = all_features[rows]
        feature_mean = features.mean(0).astype(np.float32)
        feature_scale = features.std(0).clip(1e-6).astype(np.float32)
        x = _inputs(None, all_vectors[rows], features, feature_mean, feature_scale)
        x_held = _inputs(None, all_vectors[held], all_features[held], feature_mean, feature_scale)
        mean, scale = standardisation(x)
        z = (x - mean) / scale
        labels = table["set"].astype(str).to_numpy()
        y = table["rank"].to_numpy(dtype=np.float64)
        weights = np.empty(len(table))
        for s in sets:
            weights[labels == s] = 1.0 / (labels == s).sum()
        fitted = FoldTraining(weights, pair_base_rate(train, PAPER_STRONG_MODEL, PAPER_WEAK_MODEL), {}, {})
        training.append(fitted)
        for c in GATE_CS:
            classes, coef, intercept = fit_source_gate(z, labels, weights, mean, scale, c)
            assert classes == sets, (classes, sets)
            gate_logits[c][held] = x_held @ coef.T + intercept
            fitted.gate_logits[c] = x @ coef.T + intercept
        for s in sets:
            own = labels == s
            own_mean, own_scale = standardisation(x[own])
            z_own, z_own_held = (x[own] - own_mean) / own_scale, (x_held - own_mean) / own_scale
            for v in VARIANTS[s]:
                columns = input_columns(v.inputs, dim)
                coef, intercept = fit_expert(z_own, y[own], columns, v.alpha, length, v.length_prior)
                experts[(s, v)][held] = z_own_held @ coef + intercept
                fitted.experts[(s, v)] = (x - own_mean) / own_scale @ coef + intercept
                for f in (0, 5):
                    scores = (out_of_fold_scores(z_own, y[own], columns, v.alpha, length, v.length_prior, f)
                              if f else z_own @ coef + intercept)
                    centre, spread, quantiles = alignment_state(scores)
                    a = alignment[(s, v, f)]
                    a[0][k], a[1][k], a[2][k] = centre, spread, quantiles
    return FoldPredictions(prompts, gate_logits, experts, fold, alignment, training)


@dataclass(frozen=True)
class Design:
    variants: tuple[tuple[str, Variant], ...]
    alignment: str = "zscore"
    alignment_folds: int = 5
    gate_c: float = 0.1
    temperature: float = 1.0

    def options(self) -> dict:
        """The trainer's hyper-parameters for this design (`-p` options of design_selection)."""
        return {
            "expert_inputs": {s: v.inputs for s, v in self.variants},
            "expert_alpha": {s: v.alpha for s, v in self.variants},
            "length_priors": {s: v.length_prior for s, v in self.variants if v.length_prior},
            "alignment": self.alignment, "alignment_folds": self.alignment_folds,
            "gate_c": self.gate_c, "gate_temperature": self.temperature,
        }

    def label(self) -> str:
        experts = "; ".join(f"{s}: {v.label()}" for s, v in self.variants)
        return (f"{experts} | {self.alignment}" + (f" (out-of-fold)" if self.alignment != "none" and self.alignment_folds else "")
                + f" | gate C={self.gate_c:g}, T={self.temperature:g}")


def _gate(logits: np.ndarray, temperature: float, sets: list[str]) -> np.ndarray:
    if temperature == 0:
        return np.eye(len(sets))[np.argmax(logits, axis=1)]
    scaled = logits / temperature
    scaled = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


def _mix(gate_logits, experts, design: "Design", sets: list[str], alignment_state_k) -> np.ndarray:
    """The mixture for rows whose gate logits and raw expert scores are given (one fold's alignment)."""
    gate = _gate(gate_logits, design.temperature, sets)
    variants = dict(design.variants)
    columns = []
    for s in sets:
        raw = experts[(s, variants[s])]
        centre, spread, quantiles = alignment_state_k(s, variants[s])
        if design.alignment == "zscore":
            columns.append((raw - centre) / spread)
        elif design.alignment == "quantile":
            columns.append(np.interp(raw, quantiles, np.linspace(0.0, 1.0, QUANTILE_LEVELS)))
        else:
            columns.append(raw)
    return np.sum(gate * np.column_stack(columns), axis=1)


def mixture(pred: FoldPredictions, design: "Design", sets: list[str]) -> np.ndarray:
    """Held-out win probabilities: each fold's mixture, calibrated as that fold's router calibrates it."""
    out = np.empty(len(pred.prompts))
    for k, fitted in enumerate(pred.training):
        def state(s, v, k=k):
            centres, spreads, quantiles = pred.alignment[(s, v, design.alignment_folds)]
            return centres[k], spreads[k], quantiles[k]

        rows = pred.fold == k
        held = _mix(pred.gate_logits[design.gate_c][rows], {key: value[rows] for key, value in pred.experts.items()},
                    design, sets, state)
        own = _mix(fitted.gate_logits[design.gate_c], fitted.experts, design, sets, state)
        scale, offset = (float(v) for v in calibration_for(own, fitted.weights, fitted.base_rate))
        out[rows] = 1.0 / (1.0 + np.exp(-(scale * held + offset)))
    return out


def judge(scores_by_prompt: dict[str, float], benchmarks) -> dict[str, float]:
    return {name: evaluate_scores(b, np.array([scores_by_prompt[p] for p in b.prompts])).apgr for name, b in benchmarks.items()}


def main(argv=None) -> None:
    from ..embedding import shared_embedder
    from ..embedding_model2vec import DEFAULT_STATIC_EMBEDDING
    from .bundled import PERMISSIVE_SETS
    from .datasets import load_training_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="fold seeds, comma-separated")
    parser.add_argument("--embedding", default=DEFAULT_STATIC_EMBEDDING)
    parser.add_argument("--json", default=None, help="write every candidate's figures here")
    args = parser.parse_args(argv)
    data = load_training_data(PERMISSIVE_SETS, progress=False, log=lambda *_: None)
    sets = sorted(data.outcomes)
    embedder = shared_embedder(args.embedding)
    prompts = sorted({p for table in data.outcomes.values() for p in table.prompts})
    lookup = dict(zip(prompts, data.embed(prompts, embedder, progress=False)))
    benchmarks = {y.name: yardstick_benchmark(data, y) for y in DESIGN_YARDSTICKS if y.set_name in data.outcomes}
    seeds = [int(s) for s in args.seeds.split(",")]
    predictions = []
    for seed in seeds:
        print(f"fold seed {seed}: fitting gates and experts", file=sys.stderr, flush=True)
        predictions.append(fold_predictions(data, lookup, seed, sets))
    results: dict[Design, dict[str, float]] = {}

    def figures(design: Design) -> dict[str, float]:
        if design not in results:
            runs = [judge(dict(zip(p.prompts, mixture(p, design, sets))), benchmarks) for p in predictions]
            results[design] = {name: float(np.mean([r[name] for r in runs])) for name in benchmarks}
            results[design]["mean"] = float(np.mean(list(results[design].values())))
        return results[design]

    design = Design(tuple((s, Variant()) for s in sets))
    for _ in range(2):
        for s in sets:
            options = [Design(tuple((t, v if t == s else w) for t, w in design.variants), design.alignment,
                              design.alignment_folds, design.gate_c, design.temperature) for v in VARIANTS[s]]
            design = max(options, key=lambda d: figures(d)["mean"])
        options = [Design(design.variants, a, f, design.gate_c, design.temperature) for a, f in ALIGNMENT_CHOICES]
        design = max(options, key=lambda d: figures(d)["mean"])
        options = [Design(design.variants, design.alignment, design.alignment_folds, c, t)
                   for c, t in itertools.product(GATE_CS, TEMPERATURES)]
        design = max(options, key=lambda d: (d.temperature > 0, figures(d)["mean"]))  # soft gates only
    names = list(benchmarks)
    print("| design | " + " | ".join(names) + " | mean |")
    print("|---|" + "---|" * (len(names) + 1))
    for candidate, values in sorted(results.items(), key=lambda item: -item[1]["mean"]):
        print(f"| {candidate.label()} | " + " | ".join(f"{values[n]:.4f}" for n in names) + f" | {values['mean']:.4f} |")
    print("chosen:", design.label())
    print("options:", json.dumps(design.options()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"seeds": seeds, "chosen": design.options(), "candidates": [
                {"design": d.label(), "options": d.options(), **v} for d, v in results.items()]}, handle, indent=1)


if __name__ == "__main__":
    main()
