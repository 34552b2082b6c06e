"""Shared plumbing for routers that score sentence embeddings of the prompt."""

from __future__ import annotations

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL


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


def model_key(name: str) -> str:
    """Model names match case-insensitively without an organisation prefix (`mistralai/...`)."""
    return name.rsplit("/", 1)[-1].strip().lower()


def model_index(models: list[str], name: str, role: str) -> int:
    """Position of `name` in a router's model list, with a clear error when it is unknown."""
    if name in models:
        return models.index(name)
    keys = [model_key(m) for m in models]
    if model_key(name) in keys:
        return keys.index(model_key(name))
    shown = ", ".join(models[:12]) + (" ..." if len(models) > 12 else "")
    raise ValueError(f"{role} model {name!r} is not among the router's trained models: {shown}")
