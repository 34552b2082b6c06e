"""Prompt embeddings: the `Embedder` classes and one shared embedder per model per process.

`Embedder` (`embedding_transformer`) runs a sentence-transformers model with torch or its ONNX export
(`embedding_onnx`); `StaticEmbedder` (`embedding_static`) reads a static table distilled from one. Model
names and folders are resolved in `embedding_models`. This module only gathers them (importing it loads
no torch).
"""

from __future__ import annotations

import threading

from .embedding_models import (  # noqa: F401 (re-exported)
    DEFAULT_EMBEDDING_MODEL,
    bundled_minilm_dir,
    derived_model_folder,
    resolve_model_path,
)
from .embedding_static import StaticEmbedder
from .embedding_transformer import BACKEND_ENV, BACKENDS, Embedder  # noqa: F401 (re-exported)

_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(model_name: str = DEFAULT_EMBEDDING_MODEL) -> Embedder:
    """One Embedder per model name per process, so routers on the same model share weights and cache.

    A `static:<model>` name gives the static embedding distilled from that model (`embedding_static`).
    """
    with _SHARED_LOCK:
        if model_name not in _SHARED:
            if model_name.startswith("static:"):
                _SHARED[model_name] = StaticEmbedder.from_name(model_name)
            else:
                _SHARED[model_name] = Embedder(model_name)
        return _SHARED[model_name]
