"""A routing ledger: strong and weak calls, tokens per model, and cost at user-given prices.

Thread-safe and cheap (one lock, a few integer additions per call). Adapters record into it; the
LangChain callback handler and LlamaIndex event handler feed it for models built elsewhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .decision import ModelChoice


@dataclass(frozen=True)
class Price:
    """Price of a model in currency units per million input and output tokens."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0

    def __post_init__(self) -> None:
        for name in ("input_per_million", "output_per_million"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"Price.{name} must be a non-negative number, got {value!r}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6


@dataclass
class ModelUsage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    #: Calls whose tokens were estimated because the provider reported none (see `routellm_core.usage`).
    estimated_calls: int = 0


@dataclass(frozen=True)
class LedgerSnapshot:
    """A consistent copy of the ledger's totals."""

    strong: ModelUsage
    weak: ModelUsage
    cost: float
    always_strong_cost: float
    strong_price: Price = field(default_factory=Price)
    weak_price: Price = field(default_factory=Price)

    @property
    def calls(self) -> int:
        return self.strong.calls + self.weak.calls

    @property
    def strong_share(self) -> float:
        return self.strong.calls / self.calls if self.calls else 0.0

    @property
    def saving(self) -> float:
        """What routing saved against sending every call to the strong model."""
        return self.always_strong_cost - self.cost

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "strong_calls": self.strong.calls,
            "weak_calls": self.weak.calls,
            "strong_share": self.strong_share,
            "strong_input_tokens": self.strong.input_tokens,
            "strong_output_tokens": self.strong.output_tokens,
            "weak_input_tokens": self.weak.input_tokens,
            "weak_output_tokens": self.weak.output_tokens,
            "estimated_calls": self.strong.estimated_calls + self.weak.estimated_calls,
            "cost": self.cost,
            "always_strong_cost": self.always_strong_cost,
            "saving": self.saving,
        }


class RoutingLedger:
    """Counts routed calls and their usage; prices are optional (cost 0 without them).

    The always-strong cost prices every call's tokens at the strong model's price: the same token
    counts, sent to the strong model (an estimate, since the strong model would answer differently).
    """

    def __init__(self, strong_price: Price | None = None, weak_price: Price | None = None):
        self.strong_price = strong_price or Price()
        self.weak_price = weak_price or Price()
        self._lock = threading.Lock()
        self._usage = {"strong": ModelUsage(), "weak": ModelUsage()}

    def record(
        self, model: ModelChoice, input_tokens: int = 0, output_tokens: int = 0, estimated: bool = False
    ) -> None:
        """Record one call answered by `model` ("strong" or "weak") with its token usage
        (`estimated`: the provider reported none and the counts are an estimate)."""
        if model not in self._usage:
            raise ValueError(f"model must be 'strong' or 'weak', got {model!r}")
        input_tokens, output_tokens = int(input_tokens or 0), int(output_tokens or 0)
        if input_tokens < 0 or output_tokens < 0:
            raise ValueError("token counts cannot be negative")
        with self._lock:
            usage = self._usage[model]
            usage.calls += 1
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.estimated_calls += int(bool(estimated))

    def snapshot(self) -> LedgerSnapshot:
        with self._lock:
            strong = ModelUsage(**vars(self._usage["strong"]))
            weak = ModelUsage(**vars(self._usage["weak"]))
        cost = self.strong_price.cost(strong.input_tokens, strong.output_tokens) + self.weak_price.cost(
            weak.input_tokens, weak.output_tokens
        )
        always_strong = self.strong_price.cost(
            strong.input_tokens + weak.input_tokens, strong.output_tokens + weak.output_tokens
        )
        return LedgerSnapshot(strong, weak, cost, always_strong, self.strong_price, self.weak_price)

    def reset(self) -> None:
        with self._lock:
            self._usage = {"strong": ModelUsage(), "weak": ModelUsage()}

    # A lock cannot be copied or pickled: copies and pickles carry the totals and get a lock of their own.
    def __getstate__(self) -> dict:
        with self._lock:
            return {k: v for k, v in vars(self).items() if k != "_lock"} | {
                "_usage": {m: ModelUsage(**vars(u)) for m, u in self._usage.items()}
            }

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        snap = self.snapshot()
        return f"RoutingLedger(calls={snap.calls}, strong_share={snap.strong_share:.3f}, cost={snap.cost:.6f})"
