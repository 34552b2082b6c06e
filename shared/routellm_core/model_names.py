"""Model names across data sets: each set spells the same model its own way.

``gpt-4-1106-preview`` (Arena), ``gpt4_1106_preview`` (AlpacaEval) and
``mistralai/Mixtral-8x7B-Instruct-v0.1`` vs ``mixtral-8x7b-instruct-v0.1`` name the same models.
`model_key` maps every spelling to one comparison key so routers can find "their" pair in any set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PAPER_STRONG_MODEL = "gpt-4-1106-preview"
PAPER_WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"


def model_key(name: str) -> str:
    """A spelling-insensitive key: organisation prefix dropped, lower case, only letters, digits and dots."""
    last = str(name).strip().rsplit("/", 1)[-1].lower()
    return re.sub(r"[^a-z0-9.]", "", last)


def same_model(first: str, second: str) -> bool:
    return model_key(first) == model_key(second)


def find_model(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate spelled like `name` (by `model_key`), or None when there is none."""
    key = model_key(name)
    for candidate in candidates:
        if model_key(candidate) == key:
            return candidate
    return None
