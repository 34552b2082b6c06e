"""What a Ray worker needs to load a router: a bundled name, a checkpoint's files, or the router itself."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checkpoint import is_checkpoint_dir
from ..router import Router


@dataclass(frozen=True)
class RouterSource:
    """A router as it travels to Ray workers, which may run on machines without the driver's files.

    A bundled name travels as the name (every worker has the package); a checkpoint directory as its
    files' bytes (JSON and safetensors, loaded the usual way on the worker: nothing unpickled); a
    `Router` object built in memory travels as itself, serialised by Ray.
    """

    name: str | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    router: Any = None

    @classmethod
    def of(cls, spec: str | Path | Router | RouterSource) -> RouterSource:
        if isinstance(spec, RouterSource):
            return spec
        if not isinstance(spec, (str, Path)):  # a Router (or an N-model router) built in memory
            return cls(router=spec)
        path = Path(spec)
        if is_checkpoint_dir(path):
            return cls(files=tuple((p.relative_to(path).as_posix(), p.read_bytes())
                                   for p in sorted(path.rglob("*")) if p.is_file()))
        return cls(name=str(spec))

    def load(self) -> Any:
        from ..registry import load_router

        if self.router is not None:
            return self.router
        if self.name is not None:
            return load_router(self.name)
        folder = tempfile.mkdtemp(prefix="routellm-router-")
        for name, data in self.files:
            target = Path(folder) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        router = load_router(folder)
        # the folder lives as long as the router: a router may read its files lazily
        weakref.finalize(router, shutil.rmtree, folder, ignore_errors=True)
        return router
