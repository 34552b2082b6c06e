"""Where routellm keeps its caches, and how files and folders are written there atomically.

One root holds every cache: `$ROUTELLM_CACHE_DIR`, else the platform's user cache folder + `routellm`
(`$XDG_CACHE_HOME/routellm` or `~/.cache/routellm` on Linux, `~/Library/Caches/routellm` on macOS,
`%LOCALAPPDATA%\\routellm` on Windows). Each cache is a sub-folder of it: `scores/` (evaluation
scores), `evals/` (downloaded evaluation files), `embeddings/` (prompt embeddings), `onnx/` (ONNX
exports), `static/` (static embedding tables), `models/` (converted models), `demo/` (demo models).
The older variable `ROUTELLM_CACHE` is still read, with a DeprecationWarning, when
`ROUTELLM_CACHE_DIR` is not set.

Writes never leave a half-written file or folder under its final name: `atomic_write` writes a
hidden sibling file and renames it into place; `staged_folder` fills a hidden sibling folder and
swaps it in. Siblings stay on the same file system, so the final rename is atomic. Both protect
against interruption (an exception, a killed process), not against power loss (nothing is fsynced).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: The environment variable that moves every cache.
CACHE_DIR_ENV = "ROUTELLM_CACHE_DIR"
#: Its deprecated older name, read only when `CACHE_DIR_ENV` is unset.
DEPRECATED_CACHE_ENV = "ROUTELLM_CACHE"
#: The folder name under the platform's user cache folder.
APP_NAME = "routellm"


def platform_cache_dir() -> Path:
    """The platform's user cache folder + `routellm` (what `cache_dir` gives without a variable)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / APP_NAME


def cache_dir(*parts: str) -> Path:
    """The cache root (`$ROUTELLM_CACHE_DIR`, else the user cache folder), or `parts` below it.

    Nothing is created: writers create what they write (`atomic_write`, `staged_folder` do).
    """
    configured = os.environ.get(CACHE_DIR_ENV)
    deprecated = os.environ.get(DEPRECATED_CACHE_ENV)
    if deprecated and not configured:
        warnings.warn(
            f"{DEPRECATED_CACHE_ENV} is deprecated: set {CACHE_DIR_ENV} instead (same meaning)",
            DeprecationWarning, stacklevel=2,
        )
        configured = deprecated
    elif deprecated and Path(deprecated).expanduser() != Path(configured).expanduser():
        warnings.warn(
            f"{DEPRECATED_CACHE_ENV}={deprecated} is ignored: {CACHE_DIR_ENV}={configured} is set "
            f"({DEPRECATED_CACHE_ENV} is deprecated)",
            DeprecationWarning, stacklevel=2,
        )
    root = Path(configured).expanduser() if configured else platform_cache_dir()
    return root.joinpath(*parts)


def _sibling(target: Path, tag: str) -> Path:
    """A fresh hidden name beside `target` (same folder, so a rename onto `target` is atomic)."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **open_options: Any) -> Iterator[IO]:
    """An open file that becomes `path` only when the block succeeds.

    The data goes to a hidden sibling file, renamed onto `path` at the end (replacing any file there),
    so readers see the old file or the whole new one, never part of one. When the block raises, the
    sibling is removed and `path` is untouched. `mode` is "wb" or "w" (text: pass `encoding=`). The new
    file has the usual permissions (the umask's), not a temporary file's owner-only ones.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write opens files for writing ('wb' or 'w'), got mode={mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _sibling(path, "tmp")
    try:
        with open(temp, mode.replace("w", "x"), **open_options) as handle:
            yield handle
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)  # only there when something failed


def _new_staging_folder(target: Path) -> Path:
    while True:
        staging = _sibling(target, "staging")
        try:
            staging.mkdir()  # the umask's permissions (tempfile.mkdtemp would make it owner-only)
            return staging
        except FileExistsError:
            continue


def _occupied(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def staged_folder(target: str | Path, *, keep_existing: bool | Callable[[Path], bool] = False) -> Iterator[Path]:
    """A new, empty folder beside `target` to write into; it becomes `target` only if the block succeeds.

    At the end the old `target` (if any) is moved aside, the new folder renamed into its place, and the
    old one deleted; readers see the old folder or the whole new one, never a half-written one, and if
    the rename fails the old folder is put back. When the block raises, the new folder is deleted and
    `target` is untouched.

    `keep_existing`: for caches, where any finished entry is as good as this one. True: a folder already
    at `target` when the block ends (another process finished first) wins, and this one is dropped. A
    function of the existing folder: it wins when the function says it is complete (e.g. the right
    version); otherwise it is replaced. Either way, a folder another process renames into place while
    this one is being swapped in also wins when it passes that test.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_staging_folder(target)
    try:
        yield staging
        _swap_in(staging, target, keep_existing)
    finally:
        if _occupied(staging):
            _remove(staging)


def _swap_in(staging: Path, target: Path, keep_existing: bool | Callable[[Path], bool]) -> None:
    def keeps(existing: Path) -> bool:
        return bool(keep_existing(existing)) if callable(keep_existing) else bool(keep_existing)

    displaced: list[Path] = []  # what was at `target`, moved aside (the first one is the original)
    try:
        for _ in range(3):  # a later round only when another process put a folder there meanwhile
            if _occupied(target):
                if keeps(target):
                    return
                aside = _sibling(target, "old")
                try:
                    os.replace(target, aside)
                except FileNotFoundError:  # removed meanwhile: nothing to move aside
                    continue
                displaced.append(aside)
            try:
                os.replace(staging, target)
                return
            except OSError:
                if not _occupied(target):  # not a race: a real failure (permissions, another device)
                    raise
        raise FileExistsError(f"{target} keeps being replaced by another process; not written")
    except BaseException:
        if displaced and not _occupied(target):
            os.replace(displaced.pop(0), target)  # put the original back
        raise
    finally:
        for aside in displaced:
            _remove(aside)
