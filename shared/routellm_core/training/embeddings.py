"""Prompt embeddings for training: each distinct prompt embedded once, cached on disk by the data layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def embed_prompts(texts: Sequence[str], embedder=None, progress: bool = True, description: str = "embedding") -> np.ndarray:
    """One embedding row per text; duplicates are embedded once (and the distinct set is cached on disk)."""
    from ..data import embed_texts

    texts = [str(t) for t in texts]
    unique = list(dict.fromkeys(texts))
    vectors = embed_texts(unique, embedder, progress=progress, description=description)
    position = {text: i for i, text in enumerate(unique)}
    return vectors[[position[t] for t in texts]]


def embedding_lookup(texts: Sequence[str], known_texts: Sequence[str], known_vectors: np.ndarray) -> np.ndarray | None:
    """Rows of `known_vectors` for `texts` when every text is among `known_texts`, else None."""
    position = {text: i for i, text in enumerate(known_texts)}
    try:
        return known_vectors[[position[str(t)] for t in texts]]
    except KeyError:
        return None



def router_embedder(router, embedder=None):
    """The embedder to score `router` with: `embedder` if given, else the one the router names.

    None stands for the core's default (MiniLM) embedder, so routers on MiniLM keep the data layer's
    shared vectors; a router on another embedding (a model2vec or static table) gets its own.
    """
    if embedder is not None:
        return embedder
    from ..embedding import DEFAULT_EMBEDDING_MODEL, shared_embedder

    model = getattr(router, "embedding_model", None)
    if model is None or model == DEFAULT_EMBEDDING_MODEL or getattr(router, "_embedder", None) is not None:
        return getattr(router, "_embedder", None)
    return shared_embedder(model)
