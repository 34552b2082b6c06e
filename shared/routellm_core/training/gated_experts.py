"""Train the gated-experts router: one ridge expert per training set, a source gate, a common scale.

Each expert is a ridge regression from the prompt inputs (embedding and cheap features, standardised
on the expert's own prompts for the fit and folded back into raw-input coefficients) to its own set's
pooled difficulty percentile, fitted on that set's prompts only: nothing about an expert depends on
another set's prompts. Which inputs each expert reads, its ridge
penalty and an optional length prior are per-set options. The experts' scores are put on one scale
(`alignment`: as fitted, standardised, or as percentiles of the expert's scores on its own prompts,
measured on out-of-fold predictions so an expert that overfits its set is not trusted more), and a
multinomial logistic gate on the same inputs mixes them. The design (experts' inputs, alignment, the
gate's softness) is chosen by the pooled design cross-validation (docs/routers.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..embedding_model2vec import DEFAULT_STATIC_EMBEDDING
from ..routers.features import FEATURE_NAMES, prompt_features
from ..routers.gated_experts import ALIGNMENTS, QUANTILE_LEVELS, GatedExpertsRouter
from .common import timed
from .cross_validation import fold_ids
from .datasets import TrainingData
from .difficulty import fit_source_gate, score_calibration, weighted_ridge
from .targets import pooled_targets

#: What an expert may read: the embedding and all features, the embedding and log length, the
#: features only, log length only, or the embedding only.
EXPERT_INPUTS = ("all", "embedding+length", "features", "length", "embedding")


@dataclass
class GatedExpertsConfig:
    #: The pooled target (see `targets`) and whether to fit its within-set percentile.
    target: str = "field_difficulty"
    use_rank: bool = True
    #: Ridge penalty on standardised inputs, and per-set overrides.
    alpha: float = 100.0
    expert_alpha: dict[str, float] = field(default_factory=dict)
    #: What each expert reads (`EXPERT_INPUTS`), and per-set overrides.
    inputs: str = "all"
    expert_inputs: dict[str, str] = field(default_factory=dict)
    #: Extra weight on log length per set, in spreads of that expert's fitted score per spread of length.
    length_priors: dict[str, float] = field(default_factory=dict)
    #: How expert scores are put on one scale (`ALIGNMENTS`), measured on out-of-fold predictions
    #: (`alignment_folds`; 0: in-sample predictions).
    alignment: str = "zscore"
    alignment_folds: int = 5
    #: Inverse regularisation of the source gate, and the temperature of its softmax (0: a hard switch).
    gate_c: float = 0.1
    gate_temperature: float = 1.0


def input_columns(inputs: str, embedding_dim: int) -> np.ndarray:
    """Which columns of [embedding, features] an expert with `inputs` reads."""
    length = embedding_dim + FEATURE_NAMES.index("log_chars")
    embedding = np.arange(embedding_dim)
    features = embedding_dim + np.arange(len(FEATURE_NAMES))
    columns = {"all": np.concatenate([embedding, features]), "embedding+length": np.append(embedding, length),
               "features": features, "length": np.array([length]), "embedding": embedding}
    if inputs not in columns:
        raise ValueError(f"unknown expert inputs {inputs!r}: use one of {', '.join(EXPERT_INPUTS)}")
    return columns[inputs]


def standardisation(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and spreads (a constant column gets spread 1e-6: it standardises to zero)."""
    return inputs.mean(0), inputs.std(0).clip(1e-6)


def fit_expert(standardised: np.ndarray, y: np.ndarray, columns: np.ndarray, alpha: float, length_column: int,
               length_prior: float = 0.0) -> tuple[np.ndarray, float]:
    """Ridge from the chosen standardised columns to `y` (rows weighted alike); full-width coefficients.

    A length prior adds `length_prior` spreads of the fitted score per spread of log length (the length
    column is added to the expert's inputs if it does not read it).
    """
    weights = np.full(len(y), 1.0 / len(y))
    coef = np.zeros(standardised.shape[1])
    if len(columns):
        part, intercept = weighted_ridge(standardised[:, columns], y, weights, alpha)
        coef[columns] = part
    else:
        intercept = float(np.mean(y))
    if length_prior:
        spread = float(np.std(standardised @ coef)) or 1.0  # a length-only expert fitted to nothing: one unit
        coef[length_column] += length_prior * spread
        intercept = float(np.mean(y) - np.mean(standardised, axis=0) @ coef)
    return coef, intercept


def out_of_fold_scores(standardised: np.ndarray, y: np.ndarray, columns: np.ndarray, alpha: float, length_column: int,
                       length_prior: float, folds: int, seed: int = 0) -> np.ndarray:
    """The expert's predictions for its own prompts, each from a fit without it (`folds` folds)."""
    out = np.empty(len(y))
    fold = fold_ids(len(y), folds, seed)
    for k in range(folds):
        held = fold == k
        coef, intercept = fit_expert(standardised[~held], y[~held], columns, alpha, length_column, length_prior)
        out[held] = standardised[held] @ coef + intercept
    return out


def alignment_state(scores: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Centre, spread and quantiles of an expert's scores on its own prompts."""
    return (float(np.mean(scores)), max(float(np.std(scores)), 1e-9),
            np.quantile(scores, np.linspace(0.0, 1.0, QUANTILE_LEVELS)))


def train_gated_experts(
    data: TrainingData,
    config: GatedExpertsConfig | None = None,
    strong: str = PAPER_STRONG_MODEL,
    weak: str = PAPER_WEAK_MODEL,
    embedder=None,
    show_progress: bool = True,
    embedding_model: str = DEFAULT_STATIC_EMBEDDING,
) -> GatedExpertsRouter:
    config = config or GatedExpertsConfig()
    if config.alignment not in ALIGNMENTS:
        raise ValueError(f"unknown alignment {config.alignment!r}: use one of {', '.join(ALIGNMENTS)}")
    record: dict = {}
    with timed(record):
        table = pooled_targets(data, config.target)
        sets = table["set"].astype(str).to_numpy()
        experts = sorted(np.unique(sets).tolist())
        prompts = table["prompt"].tolist()
        embeddings = data.embed(prompts, embedder, progress=show_progress)
        router = GatedExpertsRouter(experts, embedding_model=embedding_model, embedding_dim=embeddings.shape[1],
                                    alignment=config.alignment, gate_temperature=config.gate_temperature)
        features = prompt_features(prompts)
        router.feature_mean_ = features.mean(0).astype(np.float32)
        router.feature_scale_ = features.std(0).clip(1e-6).astype(np.float32)
        # the router's own inputs (float32 as at scoring time), then standardised for the fits
        inputs = np.hstack([embeddings, ((features - router.feature_mean_) / router.feature_scale_).astype(np.float32)])
        inputs = inputs.astype(np.float64)
        y = table["rank" if config.use_rank else "target"].to_numpy(dtype=np.float64)
        length = router.length_column
        coefs, intercepts, states = [], [], []
        for expert in experts:
            rows = sets == expert
            # standardised on its own prompts: the expert depends on its set alone
            mean, scale = standardisation(inputs[rows])
            own_inputs = (inputs[rows] - mean) / scale
            columns = input_columns(config.expert_inputs.get(expert, config.inputs), router.embedding_dim)
            alpha = config.expert_alpha.get(expert, config.alpha)
            prior = config.length_priors.get(expert, 0.0)
            coef, intercept = fit_expert(own_inputs, y[rows], columns, alpha, length, prior)
            if config.alignment_folds >= 2 and rows.sum() >= 2 * config.alignment_folds:
                own = out_of_fold_scores(own_inputs, y[rows], columns, alpha, length, prior, config.alignment_folds)
            else:
                own = own_inputs @ coef + intercept
            coefs.append(coef / scale)
            intercepts.append(intercept - (mean / scale) @ coef)
            states.append(alignment_state(own))
        mean, scale = standardisation(inputs)
        standardised = (inputs - mean) / scale
        router.expert_coef_ = np.array(coefs, dtype=np.float32)
        router.expert_intercept_ = np.array(intercepts, dtype=np.float32)
        router.expert_center_ = np.array([s[0] for s in states], dtype=np.float32)
        router.expert_scale_ = np.array([s[1] for s in states], dtype=np.float32)
        router.expert_quantiles_ = np.array([s[2] for s in states], dtype=np.float32)
        weights = np.empty(len(table))
        for expert in experts:
            weights[sets == expert] = 1.0 / (sets == expert).sum()
        if len(experts) > 1:
            classes, gate_coef, gate_intercept = fit_source_gate(standardised, sets, weights, mean, scale, config.gate_c)
            if classes != experts:
                raise RuntimeError(f"gate classes {classes} differ from the experts {experts}")
            router.gate_coef_, router.gate_intercept_ = gate_coef.astype(np.float32), gate_intercept.astype(np.float32)
        router.calibration_ = score_calibration(router.mixture_scores(inputs), weights, data, strong, weak)
    router.card = {
        "hyper_parameters": asdict(config),
        "training_prompts_per_set": {str(k): int(v) for k, v in table["set"].value_counts().items()},
        "training_time_seconds": record["training_seconds"],
    }
    return router


__all__ = ["EXPERT_INPUTS", "GatedExpertsConfig", "fit_expert", "input_columns", "standardisation", "train_gated_experts"]
