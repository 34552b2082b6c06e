"""Train the N-model MF router on per-model outcome tables: BCE of each model's P(correct) per prompt.

Every (prompt, model) cell of the table is one target (correct = 1, wrong or empty = 0, graded in
between). The per-model bias starts at the logit of the model's mean accuracy, so an untrained
router already ranks models by how often they are right; the factors learn where each does better
or worse than its mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..conversation import MAX_ROUTED_CHARS, clean_text
from ..routers.features import prompt_features
from ..routers.mf_quality import TEXT_SPANS, QualityMFRouter, span_texts
from .common import progress, seed_everything, timed


@dataclass
class QualityMFConfig:
    dim: int = 64
    #: Few passes: on RouterBench's ~2k training prompts more epochs fit noise (5-fold CV, docs/n_models.md).
    epochs: int = 20
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-2
    #: Dropout on the prompt input: a cheap, strong regulariser when prompts are few.
    input_dropout: float = 0.2
    use_features: bool = False
    #: "head" as the other routers: reading the tail too ("head_tail") did not pay in cross-validation.
    text_span: str = "head"
    seed: int = 0


def routed_texts(prompts: Sequence[str]) -> list[str]:
    """The texts a router scores for these prompts (bounded and cleaned as `model_qualities` does)."""
    return [clean_text(str(p)[:MAX_ROUTED_CHARS]) for p in prompts]


def span_embeddings(texts: Sequence[str], text_span: str, embedder=None, show_progress: bool = True) -> np.ndarray:
    """The embeddings a `QualityMFRouter` reads, side by side per span (batched, cached on disk)."""
    from .embeddings import embed_prompts

    if text_span not in TEXT_SPANS:
        raise ValueError(f"text_span must be one of {TEXT_SPANS}, got {text_span!r}")
    parts = span_texts(list(texts), text_span)
    return np.hstack([embed_prompts(part, embedder, progress=show_progress, description=f"embedding ({text_span})")
                      for part in parts]).astype(np.float32)


def train_quality_mf(
    texts: Sequence[str],
    correct: np.ndarray,
    embeddings: np.ndarray,
    models: Sequence[str],
    config: QualityMFConfig | None = None,
    embedding_model: str | None = None,
    show_progress: bool = True,
) -> QualityMFRouter:
    """Fit a `QualityMFRouter`: `correct` is (prompts x models) in [0, 1]; `embeddings` one row per text."""
    import torch

    config = config or QualityMFConfig()
    texts = list(texts)
    correct = np.asarray(correct, dtype=np.float32)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if correct.shape != (len(texts), len(models)):
        raise ValueError(f"correct must be (prompts, models) = {(len(texts), len(models))}, got {correct.shape}")
    if embeddings.shape[0] != len(texts):
        raise ValueError(f"need one embedding row per prompt ({len(texts)}), got {embeddings.shape[0]}")
    if not np.isfinite(correct).all() or (correct < 0).any() or (correct > 1).any():
        raise ValueError("correctness must lie in [0, 1] (count an empty cell as 0 before training)")
    spans = 2 if config.text_span == "head_tail" else 1
    if embeddings.shape[1] % spans:
        raise ValueError(f"{config.text_span} embeddings need a multiple of {spans} columns, got {embeddings.shape[1]}")
    seed_everything(config.seed)
    kwargs = {"embedding_model": embedding_model} if embedding_model else {}
    router = QualityMFRouter(list(models), dim=config.dim, embedding_dim=embeddings.shape[1] // spans,
                             use_features=config.use_features, text_span=config.text_span, **kwargs)
    inputs = embeddings
    if config.use_features:
        features = prompt_features(texts)
        router.feature_mean_ = features.mean(0).astype(np.float32)
        router.feature_scale_ = features.std(0).clip(1e-6).astype(np.float32)
        inputs = np.hstack([embeddings, ((features - router.feature_mean_) / router.feature_scale_).astype(np.float32)])

    x = torch.from_numpy(inputs)
    y = torch.from_numpy(correct)
    mean = correct.mean(0).clip(1e-3, 1 - 1e-3)
    factors = torch.nn.Parameter(torch.randn(len(models), config.dim))
    projection = torch.nn.Linear(inputs.shape[1], config.dim, bias=False)
    readout = torch.nn.Parameter(torch.randn(config.dim) * 0.1)
    bias = torch.nn.Parameter(torch.from_numpy(np.log(mean / (1 - mean)).astype(np.float32)))
    dropout = torch.nn.Dropout(config.input_dropout)
    optimiser = torch.optim.AdamW([factors, readout, bias, *projection.parameters()], lr=config.lr,
                                  weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)

    def logits(rows: torch.Tensor) -> torch.Tensor:
        q = projection(dropout(x[rows]))                               # (batch, dim)
        v = torch.nn.functional.normalize(factors, dim=1) * readout    # (models, dim)
        return q @ v.T + bias

    record: dict = {}
    with timed(record):
        for _ in progress(range(config.epochs), desc="mf_quality epochs", enabled=show_progress):
            order = torch.randperm(len(texts), generator=generator)
            for start in range(0, len(order), config.batch_size):
                rows = order[start : start + config.batch_size]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits(rows), y[rows])
                if not torch.isfinite(loss):
                    raise FloatingPointError("MF training diverged (non-finite loss): lower lr")
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()

    router.model_embeddings_ = factors.detach().numpy().astype(np.float32)
    router.projection_ = projection.weight.detach().numpy().astype(np.float32)
    router.classifier_ = readout.detach().numpy().astype(np.float32)
    router.model_bias_ = bias.detach().numpy().astype(np.float32)
    router.card = {"hyper_parameters": asdict(config), "training_time_seconds": record["training_seconds"]}
    return router


def _pick(name: str | None, models: list[str], fallback: str) -> str:
    from ..data.models import find_model

    if name:
        found = name if name in models else find_model(name, models)
        if found is not None:
            return found
    return fallback


def train_on_outcomes(
    outcomes,
    embedder=None,
    show_progress: bool = True,
    strong: str | None = None,
    weak: str | None = None,
    **options,
) -> QualityMFRouter:
    """Train a `QualityMFRouter` on a `PerModelOutcomes` (every model a column); `options` are
    `QualityMFConfig` fields.

    The router's two-model pair (its `win_probabilities`) is `strong`/`weak` where the table has them,
    else the most accurate and the cheapest model. Its card records the training files, each model's
    mean quality and mean cost per call (a price list the routing engine can start from).
    """
    from ..embedding import Embedder

    names = {f for f in QualityMFConfig.__dataclass_fields__}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ValueError(f"unknown mf_quality option(s) {unknown}; known: {sorted(names)}")
    config = QualityMFConfig(**options)
    texts = routed_texts(outcomes.prompts)
    embeddings = span_embeddings(texts, config.text_span, embedder, show_progress)
    model_name = embedder.model_name if isinstance(embedder, Embedder) else None
    router = train_quality_mf(texts, outcomes.correct(), embeddings, outcomes.models, config,
                              embedding_model=model_name, show_progress=show_progress)
    if embedder is not None:
        router.set_embedder(embedder)
    quality, costs = outcomes.mean_quality(), outcomes.mean_costs()
    router.strong_model = _pick(strong, router.models, max(quality, key=quality.get))
    router.weak_model = _pick(weak, router.models, min(costs, key=costs.get))
    router.card = {
        "training_data": {
            "files": [str(f).replace("\\", "/").rsplit("/", 1)[-1] for f in outcomes.files],
            "prompts": len(outcomes),
            "sources": sorted(set(outcomes.sources)),
        },
        "mean_quality": {m: round(v, 4) for m, v in quality.items()},
        "prices": costs,
        **router.card,
    }
    return router
