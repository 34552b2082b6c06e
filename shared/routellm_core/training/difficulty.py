"""Train the pooled-difficulty router: weighted ridge regression from prompt inputs to pooled targets.

Inputs are the prompt embedding and the cheap features, standardised for the fit (so one ridge
penalty treats them alike) and folded back into raw-input coefficients afterwards. Every training set
carries the same total weight by default, so 5k MMLU-Pro questions do not drown 300 chat prompts.

With `source_length_priors`, the length prior differs by training set: a multinomial logistic gate
learns which set a prompt resembles (from the same inputs), and the router adds the resembled sets'
priors on centred log length. The priors per set are chosen by design cross-validation (docs/routers.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..routers.difficulty import DifficultyRouter
from ..routers.features import FEATURE_NAMES, prompt_features
from .common import timed
from .datasets import TrainingData
from .targets import pooled_targets


@dataclass
class DifficultyConfig:
    #: Which pooled target (see `targets`): tier_win_rate, tier_gain or field_difficulty.
    target: str = "tier_win_rate"
    #: Fit the target's within-set percentile rather than its raw value (one scale for every set).
    use_rank: bool = True
    #: Ridge penalty on standardised inputs.
    alpha: float = 100.0
    use_features: bool = True
    #: Relative total weight of each set (missing sets: 1).
    set_weights: dict[str, float] = field(default_factory=dict)
    #: Extra weight on prompt length (log characters), in standard deviations of the learned score per
    #: standard deviation of length: a prior that longer prompts need the strong model more.
    length_prior: float = 0.0
    #: A length prior per training set, applied through a learned source gate; sets not named get
    #: `length_prior`. Empty: one prior for every prompt, no gate.
    source_length_priors: dict[str, float] = field(default_factory=dict)
    #: Inverse regularisation strength of the source gate (logistic regression on standardised inputs).
    gate_c: float = 0.1


def weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Coefficients and intercept minimising sum w (y - x b - c)^2 + alpha |b|^2 (x already scaled)."""
    w = w / w.sum()
    x_mean, y_mean = w @ x, w @ y
    xc, yc = x - x_mean, y - y_mean
    gram = (xc * w[:, None]).T @ xc * len(w)
    coef = np.linalg.solve(gram + alpha * np.eye(x.shape[1]), (xc * w[:, None]).T @ yc * len(w))
    return coef, float(y_mean - x_mean @ coef)


def train_difficulty(
    data: TrainingData,
    config: DifficultyConfig | None = None,
    strong: str = PAPER_STRONG_MODEL,
    weak: str = PAPER_WEAK_MODEL,
    embedder=None,
    show_progress: bool = True,
) -> DifficultyRouter:
    config = config or DifficultyConfig()
    record: dict = {}
    with timed(record):
        table = pooled_targets(data, config.target)
        sets = table["set"].to_numpy()
        gate_sources = sorted(map(str, np.unique(sets))) if config.source_length_priors else []
        if len(gate_sources) == 1:  # nothing to tell apart: that set's prior applies to every prompt
            config = replace(config, length_prior=config.source_length_priors.get(gate_sources[0], config.length_prior),
                             source_length_priors={})
            gate_sources = []
        if (config.length_prior or gate_sources) and not config.use_features:
            raise ValueError("a length prior needs use_features=True (length is one of the features)")
        prompts = table["prompt"].tolist()
        embeddings = data.embed(prompts, embedder, progress=show_progress)
        router = DifficultyRouter(embedding_dim=embeddings.shape[1], use_features=config.use_features,
                                  gate_sources=gate_sources)
        inputs = embeddings.astype(np.float64)
        if config.use_features:
            features = prompt_features(prompts)
            router.feature_mean_ = features.mean(0).astype(np.float32)
            router.feature_scale_ = features.std(0).clip(1e-6).astype(np.float32)
            inputs = np.hstack([inputs, (features - router.feature_mean_) / router.feature_scale_])
        y = table["rank" if config.use_rank else "target"].to_numpy(dtype=np.float64)
        weights = np.empty(len(table))
        for name in np.unique(sets):
            rows = sets == name
            weights[rows] = config.set_weights.get(str(name), 1.0) / rows.sum()
        mean, scale = inputs.mean(0), inputs.std(0).clip(1e-6)
        standardised = (inputs - mean) / scale
        coef, intercept = weighted_ridge(standardised, y, weights, config.alpha)
        # Priors are in spreads of the learned score per spread of log length.
        spread = float(np.sqrt(np.average((standardised @ coef) ** 2, weights=weights)))
        length = router.length_column
        if gate_sources:
            priors = np.array([config.source_length_priors.get(s, config.length_prior) for s in gate_sources])
            _fit_gate(router, standardised, sets, weights, mean, scale, config.gate_c)
            router.gate_length_weight_ = (priors * spread / scale[length]).astype(np.float32)
            router.length_center_ = np.array([mean[length]], dtype=np.float32)
        elif config.length_prior:
            coef[length] += config.length_prior * spread
        router.coef_ = (coef / scale).astype(np.float32)
        router.intercept_ = np.array([intercept - (mean / scale) @ coef], dtype=np.float32)
        router.calibration_ = _calibration(router, data, inputs, weights, strong, weak)
    router.card = {
        "hyper_parameters": asdict(config),
        "training_prompts_per_set": {str(k): int(v) for k, v in table["set"].value_counts().items()},
        "training_time_seconds": record["training_seconds"],
    }
    return router


def fit_source_gate(standardised, sets, weights, mean, scale, c) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A multinomial logistic gate P(set | inputs) fitted on standardised inputs, sets weighted by `weights`.

    Returns the classes (sorted set names) and the coefficients and intercepts on raw inputs (the
    standardisation folded in), one row per class.
    """
    from sklearn.linear_model import LogisticRegression

    gate = LogisticRegression(C=c, max_iter=2000).fit(standardised, sets.astype(str), sample_weight=weights * len(weights))
    coef, intercept = gate.coef_, gate.intercept_
    if len(gate.classes_) == 2:  # sklearn keeps one row for two classes: the softmax of (0, row) is the same model
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return [str(c) for c in gate.classes_], coef / scale, intercept - coef @ (mean / scale)


def _fit_gate(router, standardised, sets, weights, mean, scale, c) -> None:
    """Fit the source gate on standardised inputs and fold the scaling into raw-input coefficients."""
    classes, coef, intercept = fit_source_gate(standardised, sets, weights, mean, scale, c)
    if classes != router.gate_sources:
        raise RuntimeError(f"gate classes {classes} differ from the router's sources {router.gate_sources}")
    router.gate_coef_ = coef.astype(np.float32)
    router.gate_intercept_ = intercept.astype(np.float32)


def _calibration(router, data, inputs, weights, strong, weak) -> np.ndarray:
    return score_calibration(router.linear_scores(inputs), weights, data, strong, weak)


def score_calibration(z: np.ndarray, weights: np.ndarray, data, strong: str, weak: str) -> np.ndarray:
    """(scale, offset) mapping training scores `z` to P(strong beats weak); monotone by construction.

    The scale is fixed (one standard deviation of the training scores = one logit), so the ranking is
    the learned one whatever the data: fitting the slope on the few, one-sided head-to-head outcomes of
    the pair was noisy enough to flip its sign on some cross-validation folds. The offset puts the
    median training prompt at the pair's base rate where a set holds both models (else at 0.5).
    """
    return calibration_for(z, weights, pair_base_rate(data, strong, weak))


def pair_base_rate(data, strong: str, weak: str) -> float:
    """How often `strong` beats `weak` (ties half) in the first set holding 20+ of their head-to-heads; else 0.5."""
    for table in data.outcomes.values():
        try:
            pair = table.head_to_head(strong, weak)
        except ValueError:
            continue
        if len(pair) >= 20:
            diff = pair["strong"].to_numpy(dtype=np.float64) - pair["weak"].to_numpy(dtype=np.float64)
            return float(np.clip(np.mean((diff > 0) + 0.5 * (diff == 0)), 0.05, 0.95))
    return 0.5


def calibration_for(z: np.ndarray, weights: np.ndarray, base_rate: float) -> np.ndarray:
    """`score_calibration` given the base rate: one training spread = one logit, the median at the base rate."""
    spread = max(float(np.sqrt(np.cov(z, aweights=weights))), 1e-9)
    scale = 1.0 / spread
    return np.array([scale, np.log(base_rate / (1 - base_rate)) - scale * float(np.median(z))], dtype=np.float32)


__all__ = ["DifficultyConfig", "FEATURE_NAMES", "calibration_for", "fit_source_gate", "pair_base_rate", "score_calibration",
           "train_difficulty", "weighted_ridge"]
