"""Prompt embeddings: the `Embedder` classes and one shared embedder per model per process.

`Embedder` (`embedding_transformer`) runs a sentence-transformers model with torch or its ONNX export
(`embedding_onnx`); `Model2VecEmbedder` (`embedding_model2vec`) reads a model2vec static model (the one
shipped in the package serves the `default` router); `StaticEmbedder` (`embedding_static`) reads a static
table distilled from one into the user cache. Model names and folders are resolved in `embedding_models`.
This module only gathers them (importing it loads no torch).
"""

from __future__ import annotations

import threading

from .embedding_models import (  # noqa: F401 (re-exported)
    DEFAULT_EMBEDDING_MODEL,
    bundled_minilm_dir,
    derived_model_folder,
    resolve_model_path,
)
from .embedding_model2vec import DEFAULT_STATIC_EMBEDDING, Model2VecEmbedder, is_model2vec_name  # noqa: F401
from .embedding_static import StaticEmbedder
from .embedding_transformer import BACKEND_ENV, BACKENDS, Embedder  # noqa: F401 (re-exported)

_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(model_name: str = DEFAULT_EMBEDDING_MODEL) -> Embedder:
    """One Embedder per model name per process, so routers on the same model share weights and cache.

    A `model2vec:<name>` name gives a model2vec static model (`embedding_model2vec`), a `static:<model>`
    name the static embedding distilled from that model into the user cache (`embedding_static`).
    """
    with _SHARED_LOCK:
        if model_name not in _SHARED:
            if is_model2vec_name(model_name):
                _SHARED[model_name] = Model2VecEmbedder(model_name)
            elif model_name.startswith("static:"):
                _SHARED[model_name] = StaticEmbedder.from_name(model_name)
            else:
                _SHARED[model_name] = Embedder(model_name)
        return _SHARED[model_name]
