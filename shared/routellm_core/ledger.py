"""A routing ledger: strong and weak calls, tokens per model, and cost at user-given prices.

Thread-safe and cheap (one lock, a few integer additions per call). Adapters record into it; the
LangChain callback handler and LlamaIndex event handler feed it for models built elsewhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field



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


class _PairPrices:
    """The two-model names of `prices`: "strong" and "weak"."""

    prices: dict[str, Price]

    @property
    def strong_price(self) -> Price:
        return self.prices.get("strong", Price())

    @property
    def weak_price(self) -> Price:
        return self.prices.get("weak", Price())


@dataclass(frozen=True)
class LedgerSnapshot(_PairPrices):
    """A consistent copy of the ledger's totals: usage and price per model, in the ledger's order
    (for two models "strong" and "weak"; for N, each model's name, cheapest first)."""

    usage: dict[str, ModelUsage]
    prices: dict[str, Price]
    cost: float
    #: The cost had every call gone to the dearest model ("strong"), with the same token counts.
    always_strong_cost: float
    #: Shadow calls (`explore=`): the other model, called to collect labels; not part of `cost`.
    exploration: dict[str, ModelUsage] = field(default_factory=dict)
    exploration_cost: float = 0.0

    @property
    def strong(self) -> ModelUsage:
        return self.usage.get("strong", ModelUsage())

    @property
    def weak(self) -> ModelUsage:
        return self.usage.get("weak", ModelUsage())

    @property
    def calls(self) -> int:
        return sum(u.calls for u in self.usage.values())

    @property
    def strong_share(self) -> float:
        """The share of calls the dearest model answered ("strong" for two models)."""
        dearest = list(self.usage)[-1] if "strong" not in self.usage else "strong"
        return self.usage[dearest].calls / self.calls if self.calls else 0.0

    def share(self, model: str) -> float:
        return self.usage[model].calls / self.calls if self.calls else 0.0

    @property
    def saving(self) -> float:
        """What routing saved against sending every call to the strong model."""
        return self.always_strong_cost - self.cost

    def as_dict(self) -> dict:
        out: dict = {"calls": self.calls}
        for name, usage in self.usage.items():
            out |= {f"{name}_calls": usage.calls, f"{name}_input_tokens": usage.input_tokens,
                    f"{name}_output_tokens": usage.output_tokens}
        return out | {
            "strong_share": self.strong_share,
            "estimated_calls": sum(u.estimated_calls for u in self.usage.values()),
            "cost": self.cost,
            "always_strong_cost": self.always_strong_cost,
            "saving": self.saving,
            "exploration_calls": sum(u.calls for u in self.exploration.values()),
            "exploration_cost": self.exploration_cost,
        }


class RoutingLedger(_PairPrices):
    """Counts routed calls and their usage per model; prices are optional (cost 0 without them).

    Two models: `RoutingLedger(strong_price, weak_price)`, models "strong" and "weak". N models:
    `RoutingLedger(prices={"mini": Price(...), "large": Price(...)})`, cheapest first.
    The always-strong cost prices every call's tokens at the dearest model's price: the same token
    counts, sent to that model (an estimate, since it would answer differently).
    """

    def __init__(
        self, strong_price: Price | None = None, weak_price: Price | None = None, *, prices: dict[str, Price] | None = None
    ):
        if prices is None:
            prices = {"weak": weak_price or Price(), "strong": strong_price or Price()}
        elif strong_price is not None or weak_price is not None:
            raise ValueError("give prices= for N models, or strong_price / weak_price for two, not both")
        if not prices:
            raise ValueError("a ledger needs at least one model")
        for name, price in prices.items():
            if not isinstance(price, Price):
                raise ValueError(f"the price of {name!r} must be a routellm_core.ledger.Price, got {type(price).__name__}")
        self.prices = dict(prices)
        self._lock = threading.Lock()
        self._usage = {name: ModelUsage() for name in self.prices}
        self._exploration = {name: ModelUsage() for name in self.prices}

    @property
    def models(self) -> list[str]:
        return list(self.prices)

    def record(
        self, model: str, input_tokens: int = 0, output_tokens: int = 0, estimated: bool = False
    ) -> None:
        """Record one call answered by `model` with its token usage (`estimated`: the provider
        reported none and the counts are an estimate)."""
        self._add(self._usage, model, input_tokens, output_tokens, estimated)

    def record_exploration(
        self, model: str, input_tokens: int = 0, output_tokens: int = 0, estimated: bool = False
    ) -> None:
        """Record one shadow call (`explore=`): kept apart from the calls users were answered by."""
        self._add(self._exploration, model, input_tokens, output_tokens, estimated)

    def _add(self, table: dict[str, ModelUsage], model: str, input_tokens: int, output_tokens: int, estimated: bool) -> None:
        if model not in table:
            raise ValueError(f"model must be {' or '.join(map(repr, reversed(table)))}, got {model!r}")
        input_tokens, output_tokens = int(input_tokens or 0), int(output_tokens or 0)
        if input_tokens < 0 or output_tokens < 0:
            raise ValueError("token counts cannot be negative")
        with self._lock:
            usage = table[model]
            usage.calls += 1
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.estimated_calls += int(bool(estimated))

    def snapshot(self) -> LedgerSnapshot:
        with self._lock:
            usage = {name: ModelUsage(**vars(u)) for name, u in self._usage.items()}
            exploration = {name: ModelUsage(**vars(u)) for name, u in self._exploration.items() if u.calls}
        cost = sum(self.prices[name].cost(u.input_tokens, u.output_tokens) for name, u in usage.items())
        exploration_cost = sum(self.prices[name].cost(u.input_tokens, u.output_tokens) for name, u in exploration.items())
        dearest = self.prices["strong"] if "strong" in self.prices else max(
            self.prices.values(), key=lambda p: p.input_per_million + p.output_per_million)
        always_strong = dearest.cost(sum(u.input_tokens for u in usage.values()), sum(u.output_tokens for u in usage.values()))
        return LedgerSnapshot(usage, dict(self.prices), cost, always_strong, exploration, exploration_cost)

    def reset(self) -> None:
        with self._lock:
            self._usage = {name: ModelUsage() for name in self.prices}
            self._exploration = {name: ModelUsage() for name in self.prices}

    # A lock cannot be copied or pickled: copies and pickles carry the totals and get a lock of their own.
    def __getstate__(self) -> dict:
        with self._lock:
            return {k: v for k, v in vars(self).items() if k != "_lock"} | {
                "_usage": {m: ModelUsage(**vars(u)) for m, u in self._usage.items()},
                "_exploration": {m: ModelUsage(**vars(u)) for m, u in self._exploration.items()},
            }

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self.__dict__.setdefault("_exploration", {name: ModelUsage() for name in self.prices})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        snap = self.snapshot()
        return f"RoutingLedger(calls={snap.calls}, strong_share={snap.strong_share:.3f}, cost={snap.cost:.6f})"
