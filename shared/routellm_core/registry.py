"""`load_router`: bundled routers by name, or any checkpoint directory."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from .checkpoint import is_checkpoint_dir, load_checkpoint
from .errors import UnknownRouterError
from .router import Router

#: Routers built in code (no checkpoint needed).
_BUILTIN: dict[str, Callable[[], Router]] = {}

#: Bundled names that resolve to another name. `default` is the design chosen by the pooled design
#: cross-validation on training data (see docs/routers.md): the `gated_experts` router (one expert
#: per kind of training prompt, mixed by a source gate) on the shipped model2vec static embedding, so
#: routing with it imports no torch. A bundled `default` checkpoint would take precedence.
_ALIASES: dict[str, str] = {"default": "gated_experts"}


def _register_builtins() -> None:
    from .routers import LengthRouter, RandomRouter

    _BUILTIN.setdefault("random", RandomRouter)
    _BUILTIN.setdefault("length", LengthRouter)


def bundled_checkpoints_dir() -> Path:
    return Path(str(resources.files("routellm_core") / "checkpoints"))


def bundled_checkpoint_names() -> list[str]:
    root = bundled_checkpoints_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if is_checkpoint_dir(p))


def available_routers() -> list[str]:
    """Every name `load_router` accepts (besides checkpoint paths)."""
    _register_builtins()
    names = set(_BUILTIN) | set(bundled_checkpoint_names())
    names |= {alias for alias, target in _ALIASES.items() if target in names}
    return sorted(names)


def load_router(name_or_path: str | Path | Router = "default") -> Router:
    """A router by bundled name (`"default"`, `"mf"`, `"random"`, `"length"`, ...) or checkpoint path.

    A `Router` instance is returned as is, so APIs can accept either.
    """
    if isinstance(name_or_path, Router):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(f"router must be a name, a checkpoint path or a Router, got {type(name_or_path).__name__}")
    _register_builtins()
    key = str(name_or_path)
    bundled = bundled_checkpoint_names()
    name = key if key in bundled else _ALIASES.get(key, key)
    if name in bundled:
        router = load_checkpoint(bundled_checkpoints_dir() / name)
        router.name = key
        return router
    if name in _BUILTIN:
        router = _BUILTIN[name]()
        router.name = key
        return router
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return load_checkpoint(path)
    raise UnknownRouterError(
        f"unknown router {key!r}: not a bundled router ({', '.join(available_routers())}) "
        f"nor a checkpoint directory"
    )
