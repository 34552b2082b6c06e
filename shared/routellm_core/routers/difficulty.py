"""The pooled-difficulty router: how much a prompt separates strong models from weak ones.

Direct battles between the router's two models are few and one-sided; outcomes of many models on
the same prompt say more: a prompt that the field's stronger half solves and its weaker half fails
is one where paying for the strong model buys quality. This router predicts that pooled target with
a linear model on the prompt embedding plus cheap features (length, structure, task type; see
`features`), and maps the prediction to P(strong wins) with a two-parameter logistic calibration.

How much prompt length says differs by kind of prompt: in benchmark-style maths and reading items a
longer prompt tends to need the stronger model, in MMLU-Pro's STEM questions it does not, in chat it
says little beyond what the embedding knows. An optional *source gate* (a softmax over the training
sets, read from the same inputs) estimates which set a prompt resembles and adds that set's weight
on centred log length. Scoring is a few dot products per prompt after the embedding.
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
        gate_sources: list[str] | tuple[str, ...] = (),
        name: str | None = None,
    ):
        super().__init__(name)
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be positive, got {embedding_dim}")
        self.embedding_model = embedding_model
        self.embedding_dim = int(embedding_dim)
        self.use_features = bool(use_features)
        #: Training sets the source gate tells apart (empty: no gate).
        self.gate_sources = [str(source) for source in gate_sources]
        if self.gate_sources and not self.use_features:
            raise ValueError("a source gate weights prompt length, a feature: it needs use_features=True")
        self.coef_ = np.zeros(self.input_dim, dtype=np.float32)
        self.intercept_ = np.zeros(1, dtype=np.float32)
        #: Logistic calibration of the linear score: P = sigmoid(scale * score + offset).
        self.calibration_ = np.array([1.0, 0.0], dtype=np.float32)
        sources = len(self.gate_sources)
        self.gate_coef_ = np.zeros((sources, self.input_dim), dtype=np.float32)
        self.gate_intercept_ = np.zeros(sources, dtype=np.float32)
        #: Per source: weight on log length (raw-input units), and the length it is centred on.
        self.gate_length_weight_ = np.zeros(sources, dtype=np.float32)
        self.length_center_ = np.zeros(1, dtype=np.float32)
        self._init_feature_scaling()

    @property
    def length_column(self) -> int:
        """Where log characters sits in `prompt_inputs`."""
        return self.embedding_dim + FEATURE_NAMES.index("log_chars")

    def source_probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """The gate: P(prompt resembles each of `gate_sources`), one row per input (rows sum to 1)."""
        logits = np.asarray(inputs, dtype=np.float64) @ self.gate_coef_.T.astype(np.float64) + self.gate_intercept_
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def linear_scores(self, inputs: np.ndarray) -> np.ndarray:
        """The uncalibrated prediction of the pooled target (higher: the strong model matters more)."""
        inputs = np.asarray(inputs, dtype=np.float64)
        scores = inputs @ self.coef_.astype(np.float64) + float(self.intercept_[0])
        if self.gate_sources:
            length_weight = self.source_probabilities(inputs) @ self.gate_length_weight_.astype(np.float64)
            scores += length_weight * (inputs[:, self.length_column] - float(self.length_center_[0]))
        return scores

    def scores_from_inputs(self, inputs: np.ndarray) -> np.ndarray:
        scale, offset = (float(v) for v in self.calibration_)
        return sigmoid(scale * self.linear_scores(inputs) + offset)

    def get_params(self) -> dict[str, Any]:
        return {
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "use_features": self.use_features,
            "gate_sources": list(self.gate_sources),
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        tensors = {"coef": self.coef_, "intercept": self.intercept_, "calibration": self.calibration_}
        if self.gate_sources:
            tensors |= {"gate_coef": self.gate_coef_, "gate_intercept": self.gate_intercept_,
                        "gate_length_weight": self.gate_length_weight_, "length_center": self.length_center_}
        return tensors | self.feature_state()

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        use_features = params.get("use_features", True)
        in_dim = int(params.get("embedding_dim", 384)) + (len(FEATURE_NAMES) if use_features else 0)
        shapes = {"coef": (in_dim,), "intercept": (1,), "calibration": (2,), **cls.feature_shapes(use_features)}
        sources = len(params.get("gate_sources", ()))
        if sources:
            shapes |= {"gate_coef": (sources, in_dim), "gate_intercept": (sources,),
                       "gate_length_weight": (sources,), "length_center": (1,)}
        return shapes

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        router.coef_, router.intercept_, router.calibration_ = tensors["coef"], tensors["intercept"], tensors["calibration"]
        if router.gate_sources:
            router.gate_coef_, router.gate_intercept_ = tensors["gate_coef"], tensors["gate_intercept"]
            router.gate_length_weight_, router.length_center_ = tensors["gate_length_weight"], tensors["length_center"]
        router._load_feature_state(tensors)
        return router
