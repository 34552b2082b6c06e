"""The paper's matrix-factorisation router.

A bilinear score s(m, q) = w . (v_m * (W x_q)) for model m and prompt q, where x_q is the prompt's
sentence embedding (optionally followed by standardised cheap features), W projects it to the
factor space, v_m is the model's unit-norm factor vector and w a learned read-out. The router's
win probability is sigmoid(s(strong) - s(weak)): a Bradley-Terry model whose strengths depend on
the prompt. Scoring is a few small matrix products in numpy; torch is only needed for training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..router import Router, register_router
from .embedded import FeaturedEmbeddingInput, model_index
from .features import FEATURE_NAMES


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@register_router
class MatrixFactorizationRouter(FeaturedEmbeddingInput, Router):
    kind = "mf"

    def __init__(
        self,
        models: list[str],
        dim: int = 128,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        embedding_dim: int = 384,
        use_features: bool = False,
        name: str | None = None,
    ):
        super().__init__(name)
        if len(models) < 2 or len(set(models)) != len(models):
            raise ValueError(f"an MF router needs at least two distinct model names, got {models!r}")
        if dim < 1 or embedding_dim < 1:
            raise ValueError(f"dim and embedding_dim must be positive, got {dim} and {embedding_dim}")
        self.models = list(models)
        self.dim = int(dim)
        self.embedding_model = embedding_model
        self.embedding_dim = int(embedding_dim)
        self.use_features = bool(use_features)
        rng = np.random.default_rng(0)
        # Learned state (set by training or `from_state`); small random values make an untrained router usable.
        self.model_embeddings_ = rng.normal(0, 1, (len(models), self.dim)).astype(np.float32)
        self.projection_ = rng.normal(0, 0.05, (self.dim, self.input_dim)).astype(np.float32)
        self.classifier_ = rng.normal(0, 0.05, self.dim).astype(np.float32)
        self._init_feature_scaling()

    # ---- scoring (`prompt_inputs` gives x_q) --------------------------------------------------

    def model_scores(self, inputs: np.ndarray) -> np.ndarray:
        """s(m, q) for every prompt (rows) and model (columns)."""
        factors = self.model_embeddings_ / np.linalg.norm(self.model_embeddings_, axis=1, keepdims=True).clip(1e-8)
        projected = inputs @ self.projection_.T
        return projected @ (factors * self.classifier_).T

    def scores_from_inputs(self, inputs: np.ndarray) -> np.ndarray:
        strong = model_index(self.models, self.strong_model, "strong")
        weak = model_index(self.models, self.weak_model, "weak")
        scores = self.model_scores(inputs)
        return sigmoid((scores[:, strong] - scores[:, weak]).astype(np.float64))

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "models": self.models,
            "dim": self.dim,
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "use_features": self.use_features,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        return {
            "model_embeddings": self.model_embeddings_,
            "projection": self.projection_,
            "classifier": self.classifier_,
            **self.feature_state(),
        }

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        use_features = params.get("use_features", False)
        dim = int(params["dim"])
        in_dim = int(params.get("embedding_dim", 384)) + (len(FEATURE_NAMES) if use_features else 0)
        return {
            "model_embeddings": (len(params["models"]), dim),
            "projection": (dim, in_dim),
            "classifier": (dim,),
            **cls.feature_shapes(use_features),
        }

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        router.model_embeddings_ = tensors["model_embeddings"]
        router.projection_ = tensors["projection"]
        router.classifier_ = tensors["classifier"]
        router._load_feature_state(tensors)
        return router
