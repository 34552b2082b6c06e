"""The pooled-difficulty router: how much a prompt separates strong models from weak ones.

Direct battles between the router's two models are few and one-sided; outcomes of many models on
the same prompt say more: a prompt that the field's stronger half solves and its weaker half fails
is one where paying for the strong model buys quality. This router predicts that pooled target with
a linear model on the prompt embedding plus cheap features (length, structure, task type; see
`features`), and maps the prediction to P(strong wins) with a two-parameter logistic calibration.
Scoring is one dot product per prompt after the embedding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..router import Router, register_router
from .embedded import FeaturedEmbeddingInput
from .features import FEATURE_NAMES
from .mf import sigmoid


@register_router
class DifficultyRouter(FeaturedEmbeddingInput, Router):
    kind = "difficulty"

    def __init__(
        self,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        embedding_dim: int = 384,
        use_features: bool = True,
        name: str | None = None,
    ):
        super().__init__(name)
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be positive, got {embedding_dim}")
        self.embedding_model = embedding_model
        self.embedding_dim = int(embedding_dim)
        self.use_features = bool(use_features)
        self.coef_ = np.zeros(self.input_dim, dtype=np.float32)
        self.intercept_ = np.zeros(1, dtype=np.float32)
        #: Logistic calibration of the linear score: P = sigmoid(scale * score + offset).
        self.calibration_ = np.array([1.0, 0.0], dtype=np.float32)
        self._init_feature_scaling()

    def linear_scores(self, inputs: np.ndarray) -> np.ndarray:
        """The uncalibrated prediction of the pooled target (higher: the strong model matters more)."""
        return np.asarray(inputs, dtype=np.float64) @ self.coef_.astype(np.float64) + float(self.intercept_[0])

    def scores_from_inputs(self, inputs: np.ndarray) -> np.ndarray:
        scale, offset = (float(v) for v in self.calibration_)
        return sigmoid(scale * self.linear_scores(inputs) + offset)

    def get_params(self) -> dict[str, Any]:
        return {
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "use_features": self.use_features,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef_, "intercept": self.intercept_, "calibration": self.calibration_, **self.feature_state()}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        use_features = params.get("use_features", True)
        in_dim = int(params.get("embedding_dim", 384)) + (len(FEATURE_NAMES) if use_features else 0)
        return {"coef": (in_dim,), "intercept": (1,), "calibration": (2,), **cls.feature_shapes(use_features)}

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        router.coef_, router.intercept_, router.calibration_ = tensors["coef"], tensors["intercept"], tensors["calibration"]
        router._load_feature_state(tensors)
        return router
