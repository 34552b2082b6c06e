"""A static embedding distilled from a sentence-transformers model: a token table, no network at run time.

Every vocabulary token is embedded on its own by the model once (the distillation), the vectors are
reduced with PCA to `dimension` columns and weighted (Zipf-by-rank SIF weights by default: frequent
tokens count less), and the table is kept in the user cache (`$ROUTELLM_CACHE_DIR/static/`) as
safetensors plus a JSON config and the model's tokenizer. Embedding a text is then tokenizing it and
averaging its tokens' rows: microseconds instead of a transformer's milliseconds, with numpy and the
`tokenizers` library only (no torch).

It is a different embedding space from the model it came from: a router must be trained on it. The
routers name it as their `embedding_model`: `static:<base model>` (256 dimensions, Zipf weights), or
`static:<base model>?dim=128&weighting=none`. See docs/speed.md for its speed and routing quality.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import numpy as np

from .embedding_models import DEFAULT_EMBEDDING_MODEL, derived_model_folder, load_sentence_transformer, resolve_model_path
from .embedding_transformer import Embedder
from .errors import RouteLLMError
from .storage import staged_folder

STATIC_PREFIX = "static:"
DEFAULT_DIMENSION = 256
#: zipf: SIF weight a / (a + p(token)), with p from the token's rank in the vocabulary (Zipf's law).
WEIGHTINGS = ("zipf", "none")
DEFAULT_WEIGHTING = "zipf"
SIF_A = 1e-3
_FORMAT = 1  # bump when the distillation changes, so old tables are not reused
_TABLE, _CONFIG, _TOKENIZER = "table.safetensors", "static.json", "tokenizer.json"

log = logging.getLogger(__name__)


class StaticEmbeddingError(RouteLLMError):
    """A static embedding name or a cached table that cannot be used."""


def static_model_name(base: str = DEFAULT_EMBEDDING_MODEL, dimension: int = DEFAULT_DIMENSION,
                      weighting: str = DEFAULT_WEIGHTING) -> str:
    """The `embedding_model` name of a static embedding; defaults are left out of it."""
    options = {}
    if dimension != DEFAULT_DIMENSION:
        options["dim"] = dimension
    if weighting != DEFAULT_WEIGHTING:
        options["weighting"] = weighting
    return STATIC_PREFIX + base + (f"?{urlencode(options)}" if options else "")


def is_static_name(name: str) -> bool:
    return str(name).startswith(STATIC_PREFIX)


def parse_static_name(name: str) -> tuple[str, int, str]:
    """(base model, dimension, weighting) from `static:<base>[?dim=N&weighting=W]`."""
    if not is_static_name(name):
        raise StaticEmbeddingError(f"a static embedding name starts with {STATIC_PREFIX!r}, got {name!r}")
    base, _, query = name[len(STATIC_PREFIX):].partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(options) - {"dim", "weighting"}
    if not base or unknown:
        raise StaticEmbeddingError(f"bad static embedding name {name!r}: use static:<model>[?dim=N&weighting=W]")
    try:
        dimension = int(options.get("dim", DEFAULT_DIMENSION))
    except ValueError:
        raise StaticEmbeddingError(f"bad dim in static embedding name {name!r}") from None
    return base, dimension, options.get("weighting", DEFAULT_WEIGHTING)


def table_folder(model_path: str, dimension: int, weighting: str) -> Path:
    """Where the table distilled from a local model folder lives (keyed by the folder's files)."""
    return derived_model_folder(model_path, "static", _FORMAT, dimension, weighting)


def zipf_weights(vocab_size: int, a: float = SIF_A) -> np.ndarray:
    """SIF weights a / (a + p) with p(rank) = 1 / (rank * H_n): the vocabulary's id order taken as frequency order."""
    ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
    p = 1.0 / (ranks * np.sum(1.0 / ranks))
    return a / (a + p)


def _special_affixes(backend) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a text's own tokens (e.g. [CLS] and [SEP])."""
    with_specials = backend.encode("a", add_special_tokens=True).ids
    plain = backend.encode("a", add_special_tokens=False).ids
    for start in range(len(with_specials) - len(plain) + 1):
        if with_specials[start:start + len(plain)] == plain:
            return with_specials[:start], with_specials[start + len(plain):]
    return [], []


def token_vectors(st_model, batch_size: int = 512, progress: bool = True) -> np.ndarray:
    """The model's sentence embedding of every vocabulary token on its own (with its special tokens)."""
    import torch
    from tqdm.auto import tqdm

    backend = st_model.tokenizer.backend_tokenizer
    before, after = _special_affixes(backend)
    vocab_size = backend.get_vocab_size(with_added_tokens=True)
    probe = st_model.preprocess(["a"]) if hasattr(st_model, "preprocess") else st_model.tokenize(["a"])
    constants = {key: value for key, value in probe.items() if not torch.is_tensor(value)}
    rows = []
    with torch.inference_mode():
        for start in tqdm(range(0, vocab_size, batch_size), desc="distilling static embedding", unit="batch",
                          disable=not progress):
            ids = torch.arange(start, min(start + batch_size, vocab_size))[:, None]
            prefix, suffix = (torch.tensor(affix, dtype=torch.long).expand(len(ids), -1) for affix in (before, after))
            input_ids = torch.cat([prefix, ids, suffix], dim=1)
            features = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
            if "token_type_ids" in probe:
                features["token_type_ids"] = torch.zeros_like(input_ids)
            rows.append(st_model(features | constants)["sentence_embedding"].float().cpu().numpy())
    return np.concatenate(rows)


def pca(vectors: np.ndarray, dimension: int) -> tuple[np.ndarray, float]:
    """Centred vectors projected on their top `dimension` principal axes, and the variance kept."""
    centred = vectors.astype(np.float64) - vectors.mean(0, dtype=np.float64)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    kept = float((singular[:dimension] ** 2).sum() / (singular ** 2).sum())
    return (centred @ axes[:dimension].T).astype(np.float32), kept


def distil(st_model, target: Path, dimension: int = DEFAULT_DIMENSION, weighting: str = DEFAULT_WEIGHTING,
           base: str = "", progress: bool = True) -> Path:
    """Distil `st_model` into a static table folder at `target` (written atomically)."""
    from safetensors.numpy import save_file

    if weighting not in WEIGHTINGS:
        raise StaticEmbeddingError(f"unknown static embedding weighting {weighting!r}: use one of {', '.join(WEIGHTINGS)}")
    tokenizer = st_model.tokenizer
    if not getattr(tokenizer, "is_fast", False) and not hasattr(tokenizer, "backend_tokenizer"):
        raise StaticEmbeddingError("a static embedding needs a model with a fast (tokenizers) tokenizer")
    get_dimension = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    if not 1 <= dimension <= int(get_dimension()):  # checked before the minute-long pass over the vocabulary
        raise StaticEmbeddingError(
            f"static embedding dimension {dimension} is out of range: the model gives {get_dimension()} dimensions")
    started = time.perf_counter()
    vectors = token_vectors(st_model, progress=progress)
    if dimension > len(vectors):
        raise StaticEmbeddingError(
            f"static embedding dimension {dimension} is out of range: the vocabulary has only {len(vectors)} tokens")
    table, kept = pca(vectors, dimension)
    weights = zipf_weights(len(table)) if weighting == "zipf" else np.ones(len(table))
    weights[list(tokenizer.all_special_ids)] = 0.0  # never added to a text; a literal "[CLS]" counts for nothing
    config = {
        "format": _FORMAT, "base_model": base, "dimension": dimension, "weighting": weighting, "sif_a": SIF_A,
        "vocab_size": len(table), "explained_variance": round(kept, 6),
        "lowercase": bool(getattr(st_model[0], "do_lower_case", False)),
        "distil_seconds": round(time.perf_counter() - started, 2),
    }
    # A table another process finished meanwhile is the same table: keep it.
    with staged_folder(target, keep_existing=True) as staging:
        save_file({"table": table, "weights": weights.astype(np.float32)}, str(staging / _TABLE),
                  metadata={"format": str(_FORMAT)})
        tokenizer.backend_tokenizer.save(str(staging / _TOKENIZER))
        (staging / _CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        StaticTable(staging)  # what is written must load
    return target


class StaticTable:
    """A distilled folder (table.safetensors, static.json, tokenizer.json), validated on load."""

    def __init__(self, folder: str | Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            config = json.loads((folder / _CONFIG).read_text(encoding="utf-8"))
            tensors = load_file(str(folder / _TABLE))
            tokenizer = Tokenizer.from_file(str(folder / _TOKENIZER))
            table, weights = tensors["table"], tensors["weights"]
            dimension, vocab_size = int(config["dimension"]), int(config["vocab_size"])
        except Exception as error:  # a missing, truncated or foreign file: all the same to the user
            raise StaticEmbeddingError(
                f"the static embedding in {folder} cannot be read ({type(error).__name__}: {error}); "
                "delete that folder to distil it again") from error
        problems = []
        if table.shape != (vocab_size, dimension) or weights.shape != (vocab_size,):
            problems.append(f"table {table.shape} and weights {weights.shape} for {vocab_size} tokens x {dimension}")
        if tokenizer.get_vocab_size(with_added_tokens=True) != vocab_size:
            problems.append(f"the tokenizer has {tokenizer.get_vocab_size(with_added_tokens=True)} tokens")
        if not (np.isfinite(table).all() and np.isfinite(weights).all()):
            problems.append("non-finite values")
        if problems:
            raise StaticEmbeddingError(f"the static embedding in {folder} is corrupt: {'; '.join(problems)}; "
                                       "delete that folder to distil it again")
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.folder = folder
        self.config = config
        self.dimension = dimension
        self.lowercase = bool(config.get("lowercase", False))
        self._tokenizer = tokenizer
        self._rows = np.ascontiguousarray(table * weights[:, None], dtype=np.float32)

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Mean of each text's weighted token rows, L2-normalised (zeros for a text without tokens)."""
        texts = [t.strip().lower() if self.lowercase else t.strip() for t in texts]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        # encode_batch_fast (tokenizers >= 0.20) skips the character offsets, which are not needed here
        encode_batch = getattr(self._tokenizer, "encode_batch_fast", self._tokenizer.encode_batch)
        ids = [encoding.ids for encoding in encode_batch(texts, add_special_tokens=False)]
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        filled = lengths > 0
        if filled.any():
            flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            sums = np.add.reduceat(self._rows[flat], starts, axis=0)  # one sum per text, no Python loop
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            out[filled] = sums / np.where(norms > 0, norms, 1.0)  # the mean's direction: the same after norming
        return out


class StaticEmbedder(Embedder):
    """The `Embedder` surface (LRU cache, `encode`, `dimension`) over a distilled static table.

    `model_name` is the `static:...` name routers record; the table is distilled from the base model on
    first use (a minute for MiniLM on 2 cores, needs torch and sentence-transformers once) and read from
    the user cache afterwards, where encoding needs neither.
    """

    def __init__(self, base_model: str = DEFAULT_EMBEDDING_MODEL, dimension: int = DEFAULT_DIMENSION,
                 weighting: str = DEFAULT_WEIGHTING, batch_size: int = 256, cache_size: int = 50_000,
                 progress: bool = True):
        if weighting not in WEIGHTINGS:
            raise StaticEmbeddingError(f"unknown static embedding weighting {weighting!r}: use one of {', '.join(WEIGHTINGS)}")
        if dimension < 1:
            raise StaticEmbeddingError(f"static embedding dimension must be positive, got {dimension}")
        super().__init__(static_model_name(base_model, dimension, weighting), batch_size, cache_size,
                         device="cpu", backend="torch")
        self.backend = "static"
        self.base_model = base_model
        self.static_dimension = int(dimension)
        self.weighting = weighting
        self.progress = progress
        self._table: StaticTable | None = None

    @classmethod
    def from_name(cls, name: str, **options) -> StaticEmbedder:
        base, dimension, weighting = parse_static_name(name)
        return cls(base, dimension, weighting, **options)

    @property
    def model(self):
        """The base sentence-transformers model (loaded only to distil)."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self.base_model)
        return self._model

    @property
    def cache_key(self) -> str:
        """The on-disk embedding caches' key: the name plus the table's folder (a digest of the base files)."""
        return f"{self.model_name}|{self.table.folder.name}"

    @property
    def table(self) -> StaticTable:
        if self._table is None:
            with self._load_lock:
                if self._table is None:
                    model_path = resolve_model_path(self.base_model)
                    if not Path(model_path).is_dir():
                        raise StaticEmbeddingError(
                            f"cannot distil a static embedding from {self.base_model!r}: not a local model folder")
                    folder = table_folder(model_path, self.static_dimension, self.weighting)
                    if not (folder / _CONFIG).exists():
                        log.warning("distilling the static embedding %s once into %s", self.model_name, folder)
                        distil(self.model, folder, self.static_dimension, self.weighting, self.base_model, self.progress)
                    self._table = StaticTable(folder)
        return self._table

    @property
    def dimension(self) -> int:
        return self.table.dimension

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        table = self.table
        out = np.empty((len(texts), table.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            out[start:start + self.batch_size] = table.encode_batch(texts[start:start + self.batch_size])
        return out

