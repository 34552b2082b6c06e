"""Thresholds that hold a target on live traffic: a strong-call share, or a cost budget.

A threshold calibrated once drifts when traffic changes. `AdaptiveThreshold` tracks the
(1 - strong_fraction) quantile of recent win probabilities with a stochastic-approximation update,
t <- t + step * (1[score >= t] - strong_fraction), whose step is scaled by the spread of a window of
recent scores. A useful property of that update: over any run of N calls, the realised strong share
differs from the target by exactly (t_start - t_end) / (step * N), so the share stays on target even
while the score distribution shifts under it.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from .decision import validate_threshold
from .ledger import RoutingLedger


def _check_fraction(strong_fraction: float) -> float:
    if isinstance(strong_fraction, bool) or not isinstance(strong_fraction, (int, float)):
        raise ValueError(f"strong_fraction must be a number in [0, 1], got {type(strong_fraction).__name__}")
    if not 0.0 <= float(strong_fraction) <= 1.0:
        raise ValueError(f"strong_fraction must be in [0, 1], got {strong_fraction!r}")
    return float(strong_fraction)


class AdaptiveThreshold:
    """A live threshold that keeps the share of strong calls near `strong_fraction`.

    - `window`: recent scores kept to set the step size (their interquartile spread) and, once
      `warmup` scores are in, to start from their empirical quantile.
    - `initial_threshold`: used until warm-up (for example from `calibrate_threshold`); 0.5 by default.
    - `learning_rate`: the step as a fraction of the spread; larger tracks shifts faster.
    """

    def __init__(
        self,
        strong_fraction: float,
        window: int = 1000,
        warmup: int = 100,
        initial_threshold: float | None = None,
        learning_rate: float = 0.1,
    ):
        self.strong_fraction = _check_fraction(strong_fraction)
        if window < 2 or warmup < 1 or warmup > window:
            raise ValueError("need window >= 2 and 1 <= warmup <= window")
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
        self.window = window
        self.warmup = warmup
        self.learning_rate = float(learning_rate)
        self._threshold = validate_threshold(0.5 if initial_threshold is None else initial_threshold)
        self._recent: deque[float] = deque(maxlen=window)
        self._warmed = False
        self._spread = 0.1
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_strong_fraction(self, strong_fraction: float) -> None:
        self.strong_fraction = _check_fraction(strong_fraction)

    def observe(self, win_probability: float) -> float:
        """Record one routed score; returns the threshold to use for it (the one before the update)."""
        score = float(win_probability)
        with self._lock:
            used = self._threshold
            self._recent.append(score)
            n = len(self._recent)
            if not self._warmed:
                if n >= self.warmup:
                    self._warmed = True
                    self._rescale()
                    self._threshold = float(np.quantile(self._recent, 1.0 - self.strong_fraction))
                return used
            if n % 50 == 0:  # the spread moves slowly: refresh it now and then, not every call
                self._rescale()
            hit = 1.0 if score >= self._threshold else 0.0
            step = self.learning_rate * self._spread
            self._threshold = float(min(1.0, max(0.0, self._threshold + step * (hit - self.strong_fraction))))
            return used

    # A lock cannot be copied or pickled: copies and pickles carry the state and get a lock of their own.
    def __getstate__(self) -> dict:
        with self._lock:
            state = {k: v for k, v in vars(self).items() if k != "_lock"}
            state["_recent"] = deque(self._recent, maxlen=self.window)
            return state

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    def _rescale(self) -> None:
        q25, q75 = np.quantile(self._recent, [0.25, 0.75])
        self._spread = max(float(q75 - q25), 1e-3)


class CostBudget:
    """Turns a spend target into a strong-call share, from the costs a ledger has seen so far.

    Give `cost_per_call` (spend per call) or `cost_per_million_tokens` (spend per million tokens).
    Per call, the strong fraction that meets it is (target - weak cost) / (strong cost - weak cost),
    clipped to [0, 1], with each model's mean cost per call read from the ledger's prices and usage.
    Per token, each model's mean excess per call (its cost minus the target times its tokens) is
    balanced instead, because the fraction is one of calls and the two models' calls may carry
    different numbers of tokens. Before both models have been seen, `fallback_fraction` applies.
    """

    def __init__(
        self,
        ledger: RoutingLedger,
        cost_per_call: float | None = None,
        cost_per_million_tokens: float | None = None,
        fallback_fraction: float = 0.5,
    ):
        if (cost_per_call is None) == (cost_per_million_tokens is None):
            raise ValueError("give exactly one of cost_per_call and cost_per_million_tokens")
        target = cost_per_call if cost_per_call is not None else cost_per_million_tokens
        if isinstance(target, bool) or not isinstance(target, (int, float)) or target < 0:
            raise ValueError(f"a cost budget must be a non-negative number, got {target!r}")
        self.ledger = ledger
        self.per_token = cost_per_million_tokens is not None
        self.target = float(target)
        self.fallback_fraction = _check_fraction(fallback_fraction)

    def strong_fraction(self) -> float:
        snap = self.ledger.snapshot()
        excess = []  # per model: mean spend per call beyond what the target allows for that call
        for usage, price in ((snap.strong, snap.strong_price), (snap.weak, snap.weak_price)):
            tokens = usage.input_tokens + usage.output_tokens
            if usage.calls <= 0 or (self.per_token and tokens <= 0):
                return self.fallback_fraction
            allowed = self.target * tokens / 1e6 if self.per_token else self.target * usage.calls
            excess.append((price.cost(usage.input_tokens, usage.output_tokens) - allowed) / usage.calls)
        strong_excess, weak_excess = excess
        if strong_excess <= weak_excess:
            return 1.0
        # f * strong_excess + (1 - f) * weak_excess = 0: the mix spends exactly the target
        return float(min(1.0, max(0.0, -weak_excess / (strong_excess - weak_excess))))
