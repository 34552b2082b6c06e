"""Shared plumbing for routers that score sentence embeddings of the prompt."""

from __future__ import annotations

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..model_names import model_key
from .features import FEATURE_NAMES, prompt_features


class EmbeddingInput:
    """Mixin: embeds texts with the shared embedder of `self.embedding_model`.

    Routers share one embedder per model name (weights and cache), and an explicit `embedder`
    (anything with `encode(list[str]) -> ndarray`) can be injected for tests or batch jobs.
    """

    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    _embedder = None

    def set_embedder(self, embedder) -> None:
        self._embedder = embedder

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            from ..embedding import shared_embedder

            self._embedder = shared_embedder(self.embedding_model)
        vectors = np.asarray(self._embedder.encode(texts), dtype=np.float32)
        expected = getattr(self, "embedding_dim", None)
        if expected is not None and vectors.shape[1] != expected:
            raise ValueError(
                f"router {self.name!r} expects {expected}-dimensional embeddings from "
                f"{self.embedding_model!r}, the embedder gave {vectors.shape[1]}"
            )
        return vectors

    def prompt_inputs(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """What the router's model reads for each prompt (the embedding, unless a subclass adds more)."""
        return self.embed(texts) if embeddings is None else np.asarray(embeddings, dtype=np.float32)

    def score_with_embeddings(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """Win probabilities from precomputed embeddings of `texts` (training and cross-validation)."""
        return self.scores_from_inputs(self.prompt_inputs(texts, embeddings))

    def _score(self, texts: list[str]) -> np.ndarray:
        return self.scores_from_inputs(self.prompt_inputs(texts))


class FeaturedEmbeddingInput(EmbeddingInput):
    """Mixin: the embedding, followed (when `self.use_features`) by the prompt's standardised cheap features.

    The standardisation (`feature_mean_`, `feature_scale_`) is learned in training and is part of
    the router's state only when the features are used.
    """

    embedding_dim: int
    use_features: bool = False

    def _init_feature_scaling(self) -> None:
        self.feature_mean_ = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
        self.feature_scale_ = np.ones(len(FEATURE_NAMES), dtype=np.float32)

    @property
    def input_dim(self) -> int:
        return self.embedding_dim + (len(FEATURE_NAMES) if self.use_features else 0)

    def prompt_inputs(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """The vector the router's model reads: the embedding, then standardised features if used."""
        vectors = super().prompt_inputs(texts, embeddings)
        if not self.use_features:
            return vectors
        features = (prompt_features(texts) - self.feature_mean_) / self.feature_scale_
        return np.hstack([vectors, features.astype(np.float32)])

    def feature_state(self) -> dict[str, np.ndarray]:
        """The feature scaling tensors to save (none without features)."""
        if not self.use_features:
            return {}
        return {"feature_mean": self.feature_mean_, "feature_scale": self.feature_scale_}

    @staticmethod
    def feature_shapes(use_features: bool) -> dict[str, tuple[int, ...]]:
        """The shapes of `feature_state` (for a checkpoint's `expected_shapes`)."""
        return {"feature_mean": (len(FEATURE_NAMES),), "feature_scale": (len(FEATURE_NAMES),)} if use_features else {}

    def _load_feature_state(self, tensors: dict[str, np.ndarray]) -> None:
        if self.use_features:
            self.feature_mean_, self.feature_scale_ = tensors["feature_mean"], tensors["feature_scale"]


def model_index(models: list[str], name: str, role: str) -> int:
    """Position of `name` in a router's model list, with a clear error when it is unknown."""
    if name in models:
        return models.index(name)
    keys = [model_key(m) for m in models]
    if model_key(name) in keys:
        return keys.index(model_key(name))
    shown = ", ".join(models[:12]) + (" ..." if len(models) > 12 else "")
    raise ValueError(f"{role} model {name!r} is not among the router's trained models: {shown}")
