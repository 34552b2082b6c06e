"""Baselines that need no training: the bar every learned router must clear."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..router import Router, register_router


@register_router
class RandomRouter(Router):
    """A uniform score per prompt, derived from a hash of the prompt and a seed.

    Reproducible (the same prompt and seed always get the same score) yet uncorrelated with
    anything about the prompt: the paper's random baseline (APGR about 0.5).
    """

    kind = "random"
    scores_rows_independently = True

    def __init__(self, seed: int = 0, name: str | None = None):
        super().__init__(name)
        self.seed = int(seed)

    def get_params(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _score(self, texts: list[str]) -> np.ndarray:
        out = np.empty(len(texts))
        for i, text in enumerate(texts):
            digest = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8, key=str(self.seed).encode())
            out[i] = int.from_bytes(digest.digest(), "big") / 2.0**64
        return out


@register_router
class LengthRouter(Router):
    """Longer prompts score higher: n / (n + scale) for a prompt of n characters.

    Needs no data, and on the paper's evaluation sets it already beats random (APGR about 0.58 on
    MMLU and 0.60 on GSM8K). A learned router that does not beat it has learned nothing.
    """

    kind = "length"
    scores_rows_independently = True

    def __init__(self, scale: float = 256.0, name: str | None = None):
        super().__init__(name)
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.scale = float(scale)

    def get_params(self) -> dict[str, Any]:
        return {"scale": self.scale}

    def _score(self, texts: list[str]) -> np.ndarray:
        lengths = np.array([len(t) for t in texts], dtype=np.float64)
        return lengths / (lengths + self.scale)
