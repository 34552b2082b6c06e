"""Train the matrix-factorisation router on battles (BCE on sigmoid(s_a - s_b), ties as 0.5 targets)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..routers.features import prompt_features
from ..routers.mf import MatrixFactorizationRouter
from .battles import BattleSet
from .common import progress, seed_everything, timed


@dataclass
class MFConfig:
    dim: int = 128
    epochs: int = 20
    batch_size: int = 2048
    lr: float = 3e-3
    weight_decay: float = 1e-4
    #: Dropout on the prompt input: a cheap, strong regulariser when prompts are few.
    input_dropout: float = 0.1
    use_features: bool = False
    seed: int = 0


def train_mf(
    battles: BattleSet,
    embeddings: np.ndarray,
    config: MFConfig | None = None,
    embedding_model: str | None = None,
    show_progress: bool = True,
) -> MatrixFactorizationRouter:
    """Fit an MF router. `embeddings` holds one row per `battles.prompts` entry."""
    import torch

    config = config or MFConfig()
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.shape[0] != len(battles.prompts):
        raise ValueError(f"need one embedding per prompt ({len(battles.prompts)}), got {embeddings.shape[0]}")
    seed_everything(config.seed)
    kwargs = {"embedding_model": embedding_model} if embedding_model else {}
    router = MatrixFactorizationRouter(
        battles.models, dim=config.dim, embedding_dim=embeddings.shape[1], use_features=config.use_features, **kwargs
    )
    inputs = embeddings
    if config.use_features:
        features = prompt_features(battles.prompts)
        router.feature_mean_ = features.mean(0).astype(np.float32)
        router.feature_scale_ = features.std(0).clip(1e-6).astype(np.float32)
        inputs = np.hstack([embeddings, ((features - router.feature_mean_) / router.feature_scale_).astype(np.float32)])

    x = torch.from_numpy(inputs)
    factors = torch.nn.Parameter(torch.randn(len(battles.models), config.dim))
    projection = torch.nn.Linear(inputs.shape[1], config.dim, bias=False)
    readout = torch.nn.Parameter(torch.randn(config.dim) * 0.1)
    dropout = torch.nn.Dropout(config.input_dropout)
    params = [factors, readout, *projection.parameters()]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)

    prompt_index = torch.from_numpy(battles.prompt_index)
    a, b = torch.from_numpy(battles.model_a), torch.from_numpy(battles.model_b)
    target = torch.from_numpy(battles.target.astype(np.float32))
    weight = torch.from_numpy((battles.weight / battles.weight.mean()).astype(np.float32))
    generator = torch.Generator().manual_seed(config.seed)

    def score(rows: torch.Tensor, models: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        v = torch.nn.functional.normalize(factors[models], dim=1)
        return (v * q * readout).sum(1)

    record: dict = {}
    with timed(record):
        for _ in progress(range(config.epochs), desc="mf epochs", enabled=show_progress):
            order = torch.randperm(len(battles), generator=generator)
            for start in range(0, len(order), config.batch_size):
                rows = order[start : start + config.batch_size]
                q = projection(dropout(x[prompt_index[rows]]))
                logits = score(rows, a[rows], q) - score(rows, b[rows], q)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, target[rows], weight=weight[rows]
                )
                if not torch.isfinite(loss):
                    raise FloatingPointError("MF training diverged (non-finite loss): check battle weights and lr")
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()

    router.model_embeddings_ = factors.detach().numpy().astype(np.float32)
    router.projection_ = projection.weight.detach().numpy().astype(np.float32)
    router.classifier_ = readout.detach().numpy().astype(np.float32)
    router.card = {"hyper_parameters": asdict(config), "training_time_seconds": record["training_seconds"]}
    return router
