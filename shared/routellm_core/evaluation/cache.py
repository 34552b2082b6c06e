"""A disk cache of router scores, keyed by the router's configuration and the exact prompts.

Scoring MMLU's 14k prompts with an embedding router takes minutes on a laptop, so scores are kept
between runs. The key is `Router.config_fingerprint()` (kind, hyper-parameters and learned tensors),
never the router's name: retraining or swapping a checkpoint changes the key, so stale scores are
never reused. The package version is part of the key too, because scoring code can change.

Files live under `$ROUTELLM_CACHE_DIR/scores/` (default: the user's cache folder, e.g.
`~/.cache/routellm`), one `.npy` array per (router configuration, prompt list), read without pickle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..router import Router
from ..storage import atomic_write
from ..storage import cache_dir as default_cache_dir  # the cache root, kept under its old name


def prompts_digest(prompts: Sequence[str]) -> str:
    """A digest of the exact prompt list (order and count included)."""
    digest = hashlib.sha256(str(len(prompts)).encode())
    for prompt in prompts:
        encoded = prompt.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big"))  # length-prefixed: no two lists collide by joining
        digest.update(encoded)
    return digest.hexdigest()[:24]


class ScoreCache:
    """Router scores on disk, one file per (router configuration, prompt list)."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir() / "scores"

    def path_for(self, router: Router, prompts: Sequence[str]) -> Path:
        from .. import __version__

        config = f"{router.kind}-{router.config_fingerprint()}"
        key = hashlib.sha256(f"{__version__}\0{prompts_digest(prompts)}".encode()).hexdigest()[:24]
        return self.directory / config / f"{key}.npy"

    def get(self, router: Router, prompts: Sequence[str]) -> np.ndarray | None:
        """The cached scores, or None when absent or unreadable (a damaged file is simply re-scored)."""
        path = self.path_for(router, prompts)
        if not path.is_file():
            return None
        try:
            scores = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if scores.shape != (len(prompts),) or not np.isfinite(scores).all():
            return None
        return scores.astype(np.float64)

    def put(self, router: Router, prompts: Sequence[str], scores: np.ndarray) -> Path:
        """Store scores atomically (a crash never leaves a half-written file under the final name)."""
        path = self.path_for(router, prompts)
        with atomic_write(path) as out:
            np.save(out, np.asarray(scores, dtype=np.float64), allow_pickle=False)
        return path
