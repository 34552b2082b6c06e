"""Routers whose decisions are known in advance, for tests, examples and demos of both adapters.

`ScriptedRouter` scores each text with a function (or a constant) and remembers what it scored
and in which thread; `KeywordRouter` and `SequenceRouter` are the two scripts tests use most;
`FailingRouter` raises where told, for fault handling.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from .router import Router


class ScriptedRouter(Router):
    """A router whose win probabilities come from `score(text)` (or a constant `score`).

    Records every text it scores (`seen`) and the thread that scored it (`threads`); `delay`
    seconds of sleep per batch stand in for a slow learned router.
    """

    kind = "scripted"

    def __init__(self, score: Callable[[str], float] | float = 0.5, delay: float = 0.0, name: str | None = None):
        super().__init__(name or self.kind)
        self.score = score
        self.delay = delay
        self.seen: list[str] = []
        self.threads: list[int] = []

    def _score(self, texts: list[str]) -> np.ndarray:
        self.threads.append(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        self.seen.extend(texts)
        return np.array([self.score(t) if callable(self.score) else self.score for t in texts], dtype=float)


class KeywordRouter(ScriptedRouter):
    """Scores `high` when a text holds any of `keywords` (any case), else `low`."""

    kind = "keyword"

    def __init__(self, keywords: Sequence[str] = ("hard",), high: float = 0.9, low: float = 0.1, name: str | None = None):
        self.keywords = [k.lower() for k in keywords]
        self.high, self.low = float(high), float(low)
        super().__init__(lambda text: self.high if any(k in text.lower() for k in self.keywords) else self.low, name=name)


class SequenceRouter(ScriptedRouter):
    """Returns `scores` in turn, one per prompt scored, whatever the prompt: a router that keeps
    changing its mind, to show when a decision is reused rather than routed again."""

    kind = "sequence"

    def __init__(self, scores: Sequence[float], name: str | None = None):
        if not scores:
            raise ValueError("SequenceRouter needs at least one score")
        self.scores = [float(s) for s in scores]
        self.calls = 0
        turns = itertools.cycle(self.scores)

        def next_score(text: str) -> float:
            self.calls += 1
            return next(turns)

        super().__init__(next_score, name=name)


class FailingRouter(KeywordRouter):
    """A `KeywordRouter` whose scoring raises `RuntimeError`: always for a text holding `poison`, and
    for the first `transient` calls in each process (a worker's warm-up failure that a retry cures)."""

    kind = "failing"

    def __init__(self, poison: str = "poison", transient: int = 0, name: str | None = None):
        super().__init__(name=name)
        self.poison, self.transient = poison, int(transient)
        self.failures = 0

    def _score(self, texts: list[str]) -> np.ndarray:
        if self.failures < self.transient:
            self.failures += 1
            raise RuntimeError(f"transient failure {self.failures} of {self.transient}")
        if any(self.poison in text for text in texts):
            raise RuntimeError(f"cannot score a text holding {self.poison!r}")
        return super()._score(texts)
