"""Synthetic battles and a tiny deterministic embedder for fast router tests.

Prompts are "hard" (built from words like prove/derive/optimise) or "easy" (hello/thanks/name). In the
battles the strong model beats the weak one on hard prompts and holds only even on easy ones, so a
router that learned anything ranks hard prompts above easy ones.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

HARD_WORDS = ["prove", "derive", "optimise", "integral", "theorem", "compiler", "recursion", "eigenvalue"]
EASY_WORDS = ["hello", "thanks", "name", "colour", "weather", "hi", "joke", "greeting"]
#: Every word a synthetic prompt can hold (for the tiny test tokenizers' vocabularies).
VOCABULARY = HARD_WORDS + EASY_WORDS
STRONG, MID, WEAK = "gpt-4-1106-preview", "claude-2.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"


class HashingEmbedder:
    """Bag-of-words vectors from hashed words, L2-normalised: deterministic, instant, no model."""

    model_name = "hashing-test-embedder"

    def __init__(self, dim: int = 32):
        self.dim = dim

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in str(text).lower().split():
                h = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def make_prompts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """`n` prompts and whether each is hard."""
    rng = np.random.default_rng(seed)
    prompts, hard = [], []
    for i in range(n):
        is_hard = bool(i % 2)
        words = rng.choice(HARD_WORDS if is_hard else EASY_WORDS, size=4)
        prompts.append(" ".join(words))
        hard.append(is_hard)
    return prompts, np.array(hard)


def make_battles(n_prompts: int = 200, per_prompt: int = 6, seed: int = 0) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Battles in the data layer's schema among three models, the strong one winning hard prompts."""
    rng = np.random.default_rng(seed)
    prompts, hard = make_prompts(n_prompts, seed)
    skill = {STRONG: 1.0, MID: 0.3, WEAK: -1.0}
    models = list(skill)
    rows = []
    for prompt, is_hard in zip(prompts, hard):
        for _ in range(per_prompt):
            a, b = rng.choice(models, size=2, replace=False)
            gap = (skill[a] - skill[b]) * (3.0 if is_hard else 0.0)
            p_a = 1.0 / (1.0 + np.exp(-gap))
            u = rng.random()
            winner = "tie" if abs(u - p_a) < 0.05 else ("a" if u < p_a else "b")
            rows.append((prompt, a, b, winner, "synthetic", "MIT"))
    frame = pd.DataFrame(rows, columns=["prompt", "model_a", "model_b", "winner", "source", "licence"])
    return frame, prompts, hard
