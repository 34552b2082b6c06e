"""Static embeddings with model2vec: a token table shipped in the package, numpy and a tokenizer at run time.

`model2vec` (https://github.com/MinishLab/model2vec) distils a sentence-transformers model into a static
model: every vocabulary token embedded once by the model, reduced with PCA, weighted (SIF), and a
text's embedding is then the mean of its tokens' rows. Its `StaticModel` encodes with numpy and the
`tokenizers` library only: no torch, no transformers model, a fraction of a millisecond per prompt.

The package ships one such model, distilled from all-MiniLM-L6-v2 (`BUNDLED_STATIC_MODEL`, about 15 MB
as float16); the `default` router reads it, so nothing is built on a user's first call. Routers name
an embedding of this kind as `model2vec:<name>`: a folder shipped in `routellm_core/static_models/`, or
any local model2vec folder (`model2vec:/path/to/folder`). Rebuild the shipped one with
`python -m routellm_core.training.static_model` (needs torch and model2vec's distillation extra once).

It is a different embedding space from MiniLM's: a router must be trained on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from .embedding_transformer import Embedder
from .errors import RouteLLMError

MODEL2VEC_PREFIX = "model2vec:"
#: The static model shipped in the package (distilled from all-MiniLM-L6-v2).
BUNDLED_STATIC_MODEL = "minilm-l6-m2v"
DEFAULT_STATIC_EMBEDDING = MODEL2VEC_PREFIX + BUNDLED_STATIC_MODEL
_CONFIG, _TENSORS, _TOKENIZER = "config.json", "model.safetensors", "tokenizer.json"


class Model2VecError(RouteLLMError):
    """A model2vec name or folder that cannot be used."""


def is_model2vec_name(name: str) -> bool:
    return str(name).startswith(MODEL2VEC_PREFIX)


def static_models_dir() -> Path:
    """Where the package keeps its static models."""
    return Path(str(resources.files("routellm_core") / "static_models"))


def model2vec_folder(name: str) -> Path:
    """The local folder of `model2vec:<name>`: a shipped static model by name, or a folder path."""
    if not is_model2vec_name(name):
        raise Model2VecError(f"a model2vec embedding name starts with {MODEL2VEC_PREFIX!r}, got {name!r}")
    rest = name[len(MODEL2VEC_PREFIX):]
    candidates = [static_models_dir() / rest] if rest and "/" not in rest and "\\" not in rest else []
    candidates.append(Path(rest).expanduser())
    for folder in candidates:
        if rest and (folder / _CONFIG).is_file():
            return folder
    shipped = sorted(p.name for p in static_models_dir().iterdir() if (p / _CONFIG).is_file()) \
        if static_models_dir().is_dir() else []
    raise Model2VecError(f"no model2vec model {rest!r}: name a shipped one ({', '.join(shipped) or 'none'}) "
                         "or a local folder holding config.json, model.safetensors and tokenizer.json")


def load_static_model(folder: str | Path):
    """A model2vec `StaticModel` from a local folder, read directly (no hub client, vectors as float32).

    model2vec's own `from_pretrained` also imports its model-card and hub modules (about 0.4 s); the
    files are plain safetensors, JSON and a `tokenizers` file, so they are read here and handed to
    `StaticModel`, which does the encoding.
    """
    from model2vec import StaticModel
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = Path(folder)
    try:
        config = json.loads((folder / _CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / _TENSORS))
        tokenizer = Tokenizer.from_file(str(folder / _TOKENIZER))
        vectors = np.ascontiguousarray(tensors["embeddings"], dtype=np.float32)  # float16 on disk; float32 means
    except Exception as error:  # a missing, truncated or foreign file: all the same to the user
        raise Model2VecError(f"the model2vec model in {folder} cannot be read ({type(error).__name__}: {error})") from error
    if not np.isfinite(vectors).all():
        raise Model2VecError(f"the model2vec model in {folder} holds non-finite vectors")
    weights, mapping = tensors.get("weights"), tensors.get("mapping")
    return StaticModel(vectors=vectors, tokenizer=tokenizer, config=config, normalize=bool(config.get("normalize", True)),
                       weights=None if weights is None else weights.astype(np.float32), token_mapping=mapping,
                       max_length=config.get("max_length", 512))


class Model2VecEmbedder(Embedder):
    """The `Embedder` surface (LRU cache, `encode`, `dimension`) over a model2vec static model.

    Vectors are L2-normalised, as MiniLM's are. The model loads on first use (a fraction of a second).
    """

    def __init__(self, model_name: str = DEFAULT_STATIC_EMBEDDING, batch_size: int = 1024, cache_size: int = 50_000):
        super().__init__(model_name, batch_size, cache_size, device="cpu", backend="torch")
        self.backend = "model2vec"
        self.folder = model2vec_folder(model_name)
        self._static = None
        self._digest: str | None = None

    @property
    def static_model(self):
        if self._static is None:
            with self._load_lock:
                if self._static is None:
                    self._static = load_static_model(self.folder)
        return self._static

    @property
    def model(self):
        return self.static_model

    @property
    def cache_key(self) -> str:
        """The on-disk embedding caches' key: the name plus a digest of the vectors file (a changed model is not reused)."""
        if self._digest is None:
            self._digest = hashlib.sha256((self.folder / _TENSORS).read_bytes()).hexdigest()[:16]
        return f"{self.model_name}|{self._digest}"

    @property
    def dimension(self) -> int:
        return int(self.static_model.dim)

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.static_model.encode(texts, normalize=True, batch_size=self.batch_size, use_multiprocessing=False,
                                           show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
