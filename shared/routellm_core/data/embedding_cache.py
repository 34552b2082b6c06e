"""Prompt embeddings cached on disk, so a prompt set is embedded once per model, not once per run.

Embedding the ~14k MMLU prompts with MiniLM takes minutes on two CPU cores; decontamination and
training embed the same sets again and again. Vectors are stored as ``.npy`` (never pickle) in a user
cache folder, under a key hashed from the model name and the exact texts, so any change in either
makes a new entry rather than a stale hit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..storage import CACHE_DIR_ENV, atomic_write, cache_dir  # noqa: F401 (CACHE_DIR_ENV re-exported)


def default_cache_dir() -> Path:
    """``embeddings/`` under the cache root (``$ROUTELLM_CACHE_DIR``, else e.g. ``~/.cache/routellm``)."""
    return cache_dir("embeddings")


def content_key(model_name: str, texts: Sequence[str]) -> str:
    """A SHA-256 over the model name and every text (length-prefixed, so no two lists collide by joining)."""
    digest = hashlib.sha256()
    for part in (str(model_name), *texts):
        data = str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def embedder_key(embedder=None) -> str:
    """What names an embedder's vectors: its `cache_key` where it has one (the exact weights, e.g. a
    static table's), else its model name; None is the core's default embedder."""
    if embedder is None:
        from ..embedding_models import DEFAULT_EMBEDDING_MODEL

        return DEFAULT_EMBEDDING_MODEL
    return str(getattr(embedder, "cache_key", None) or getattr(embedder, "model_name", type(embedder).__name__))


def embed_texts(
    texts: Sequence[str],
    embedder=None,
    *,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    batch_size: int = 256,
    progress: bool = True,
    description: str = "embedding",
) -> np.ndarray:
    """L2-normalised embeddings of `texts` (float32, one row each), read from or written to the disk cache.

    ``embedder``: anything with ``encode(list[str]) -> array`` and a ``model_name`` (default: the core's
    shared MiniLM `Embedder`). Texts are embedded in chunks of ``batch_size`` under a progress bar.
    """
    texts = [str(t) for t in texts]
    if embedder is None:
        from ..embedding import shared_embedder

        embedder = shared_embedder()
    model_name = embedder_key(embedder)
    path = None
    if use_cache and texts:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        path = folder / f"{content_key(model_name, texts)}.npy"
        if path.exists():
            try:
                vectors = np.load(path, allow_pickle=False)
                if vectors.ndim == 2 and vectors.shape[0] == len(texts):
                    return vectors.astype(np.float32, copy=False)
            except (OSError, ValueError):
                pass  # a truncated or corrupt cache file: embed again and overwrite it
    from tqdm.auto import tqdm

    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    # Chunks of similar length waste less padding; rows go back to the callers' order afterwards.
    order = np.argsort([len(t) for t in texts], kind="stable")
    chunks = []
    with tqdm(total=len(texts), desc=description, unit="prompt", disable=not progress or len(texts) < batch_size) as bar:
        for start in range(0, len(texts), batch_size):
            chunk = [texts[i] for i in order[start:start + batch_size]]
            chunks.append(np.asarray(embedder.encode(chunk), dtype=np.float32))
            bar.update(len(chunk))
    vectors = np.empty((len(texts), chunks[0].shape[1]), dtype=np.float32)
    vectors[order] = np.concatenate(chunks, axis=0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    if path is not None:
        with atomic_write(path) as out:  # readers never see half a file
            np.save(out, vectors, allow_pickle=False)
    return vectors
