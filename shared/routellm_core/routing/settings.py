"""Routing settings and their checks: one vocabulary and one set of error messages for every adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..adaptive import CostBudget
from ..calibration import require_reference
from ..conversation import RoutedScope
from ..decision import validate_threshold, validate_unit_interval
from ..errors import RouteLLMError, UnknownRouterError
from ..ledger import Price, RoutingLedger
from ..reference import validate_fraction
from ..registry import available_routers
from ..router import Router

ON_ROUTER_ERROR = ("default", "raise")
ROLES = ("strong", "weak")
SCOPES = ("last_user", "conversation")


@dataclass(frozen=True)
class RoutingSettings:
    """How calls are routed. With neither `threshold` nor `strong_fraction`, `strong_fraction` is 0.5
    against the router's reference quantiles (about half of typical chat traffic goes strong).

    - `threshold`: strong when the win probability is at or above it (the router's own scale).
    - `strong_fraction`: the share of calls to send strong — of typical chat traffic (the router's
      reference quantiles), of `calibration_texts` when given, or held live with `adaptive`.
    - `calibration_texts`: the routed texts of prompts like the user's traffic.
    - `adaptive`: a live threshold that keeps `strong_fraction` as traffic shifts; `budget`: a live
      threshold whose share meets a spend target.
    - `fallback`: when the chosen model raises, the other one answers.
    - `on_router_error`: a failing router sends the call to `default_model` ("default") or raises.
    - `scope`: the routed text is the last user turn or the latest turns of the conversation.
    """

    threshold: float | None = None
    strong_fraction: float | None = None
    calibration_texts: tuple[str, ...] | None = None
    adaptive: bool = False
    budget: CostBudget | None = None
    fallback: bool = False
    on_router_error: Literal["default", "raise"] = "default"
    default_model: Literal["strong", "weak"] = "strong"
    scope: RoutedScope = "last_user"
    #: N models: the share of calls each model answers, cheapest first (default: equal shares).
    shares: tuple[float, ...] | None = None
    #: N models with a router that predicts each model's quality: the quality a unit of price is worth
    #: (each call goes to argmax quality - price_weight * price; 0 buys the best predicted model).
    price_weight: float = 0.0
    #: Shadow sampling: on this share of routed calls also call another model in the background and
    #: store both answers in `explore_path` for `routellm label` to judge (0: off).
    explore: float = 0.0
    explore_path: str | None = None

    def __post_init__(self) -> None:
        for name in ("adaptive", "fallback"):
            if not isinstance(getattr(self, name), bool):
                raise RouteLLMError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.on_router_error not in ON_ROUTER_ERROR:
            raise RouteLLMError(
                f"on_router_error must be 'default' (fail open to default_model) or 'raise', got {self.on_router_error!r}"
            )
        if self.default_model not in ROLES:
            raise RouteLLMError(f"default_model must be 'strong' or 'weak', got {self.default_model!r}")
        if self.scope not in SCOPES:
            raise RouteLLMError(f"scope must be 'last_user' or 'conversation', got {self.scope!r}")
        if self.threshold is not None:
            object.__setattr__(self, "threshold", validate_threshold(self.threshold))
        if self.strong_fraction is not None:
            object.__setattr__(self, "strong_fraction", validate_fraction(self.strong_fraction))
        if self.calibration_texts is not None:
            texts = self.calibration_texts
            if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
                raise RouteLLMError("calibration_prompts must be a list of prompts, not one string")
            if not texts:
                raise RouteLLMError("calibration_prompts must be a non-empty list of prompts like your traffic")
            object.__setattr__(self, "calibration_texts", tuple(texts))
        if self.budget is not None:
            if not isinstance(self.budget, CostBudget):
                raise RouteLLMError(f"budget must be a routellm_core.adaptive.CostBudget, got {type(self.budget).__name__}")
            if self.threshold is not None or self.strong_fraction is not None:
                raise RouteLLMError("a cost budget sets the strong share itself: leave out threshold and strong_fraction")
        if self.shares is not None:
            shares = self.shares
            if isinstance(shares, (str, bytes)) or not isinstance(shares, (list, tuple)) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in shares
            ):
                raise RouteLLMError(f"shares must be a list of numbers in [0, 1], one per model, got {shares!r}")
            if abs(sum(shares) - 1.0) > 1e-6:
                raise RouteLLMError(f"shares must add up to 1, got {shares!r} (sum {sum(shares):.4f})")
            if self.threshold is not None or self.strong_fraction is not None:
                raise RouteLLMError("shares set every model's share: leave out threshold and strong_fraction")
            object.__setattr__(self, "shares", tuple(float(v) for v in shares))
        explore = validate_unit_interval(self.explore, "explore")
        object.__setattr__(self, "explore", explore)
        if explore and not self.explore_path:
            raise RouteLLMError("explore= needs explore_path=...: the JSONL file the shadow pairs are appended to")
        if isinstance(self.price_weight, bool) or not isinstance(self.price_weight, (int, float)) or self.price_weight < 0:
            raise RouteLLMError(f"price_weight must be a non-negative number, got {self.price_weight!r}")
        if self.threshold is not None:
            if self.adaptive:
                raise RouteLLMError(
                    "adaptive=True keeps a share of strong calls, not a fixed threshold: "
                    "give strong_fraction=... instead of threshold"
                )
            if self.strong_fraction is not None:
                raise RouteLLMError("give either threshold or strong_fraction, not both")
            if self.calibration_texts is not None:
                raise RouteLLMError("calibration_prompts are used only with strong_fraction or a budget, not with threshold")

    @property
    def live(self) -> bool:
        """Adaptive or budget mode: the threshold moves with the traffic."""
        return self.adaptive or self.budget is not None

    @property
    def by_reference(self) -> bool:
        """The threshold comes from the router's reference quantiles (no threshold, no calibration set)."""
        return self.threshold is None and self.calibration_texts is None and not self.live


def check_router_spec(router: Any, settings: RoutingSettings | None = None) -> None:
    """Fail at construction on a router that could never load, or could never set the threshold
    these settings ask for (loading itself waits for the first call)."""
    if isinstance(router, Router):
        if settings is not None and settings.by_reference:
            require_reference(router)  # a share of typical traffic needs the router's reference quantiles
        return
    if not isinstance(router, (str, Path)):
        raise RouteLLMError(
            f"router must be a router name, a checkpoint directory or a Router, got {type(router).__name__}"
        )
    known = available_routers()
    if str(router) not in known and not Path(router).expanduser().is_dir():
        raise UnknownRouterError(
            f"unknown router {str(router)!r}: not a bundled router ({', '.join(known)}) nor a checkpoint directory"
        )


def build_ledger(
    ledger: RoutingLedger | None = None,
    budget: CostBudget | None = None,
    strong_price: Price | None = None,
    weak_price: Price | None = None,
    model_prices: dict[str, Price] | None = None,
) -> RoutingLedger:
    """The ledger a routed model feeds: the given one, the budget's, or a new one at the given prices
    (`model_prices`: N models, by name, cheapest first).

    Prices given beside a ledger must be the ledger's own (equal prices are fine).
    """
    if model_prices is not None:
        if strong_price is not None or weak_price is not None or budget is not None:
            raise RouteLLMError("N models take prices=[...] (one per model); strong_price, weak_price and budget are for two")
        if ledger is None:
            return RoutingLedger(prices=model_prices)
        if not isinstance(ledger, RoutingLedger) or ledger.models != list(model_prices):
            raise RouteLLMError(f"the ledger must count the routed models {list(model_prices)}: build it with "
                                "RoutingLedger(prices={name: Price(...), ...})")
        return ledger
    for name, price in (("strong_price", strong_price), ("weak_price", weak_price)):
        if price is not None and not isinstance(price, Price):
            raise RouteLLMError(f"{name} must be a routellm_core.ledger.Price, got {type(price).__name__}")
    if ledger is not None and not isinstance(ledger, RoutingLedger):
        raise RouteLLMError(f"ledger must be a routellm_core.ledger.RoutingLedger, got {type(ledger).__name__}")
    if budget is not None:
        if ledger is not None and ledger is not budget.ledger:
            raise RouteLLMError("a cost budget reads its own ledger: leave ledger out (it becomes budget.ledger)")
        ledger = budget.ledger
        if ledger.strong_price == Price() and ledger.weak_price == Price():
            raise RouteLLMError(
                "a cost budget needs prices: build its ledger with RoutingLedger(strong_price=Price(...), weak_price=Price(...))"
            )
    if ledger is None:
        return RoutingLedger(strong_price, weak_price)
    for name, given in (("strong_price", strong_price), ("weak_price", weak_price)):
        if given is not None and given != getattr(ledger, name):
            raise RouteLLMError(f"{name} differs from the ledger's: set prices on the ledger you pass")
    return ledger


def calibration_texts(prompts: Sequence[Any] | None, routed_text) -> tuple[str, ...] | None:
    """The routed texts of calibration prompts (each turned into text by the adapter's `routed_text`)."""
    if prompts is None:
        return None
    if isinstance(prompts, str):
        raise RouteLLMError("calibration_prompts must be a list of prompts, not one string")
    return tuple(routed_text(prompt) for prompt in prompts)


#: The routing settings among an adapter's constructor arguments (the names both adapters use).
SETTING_NAMES = ("threshold", "strong_fraction", "adaptive", "budget", "fallback", "on_router_error",
                 "default_model", "scope", "shares", "price_weight", "explore", "explore_path")


def check_settings_arguments(arguments: dict[str, Any]) -> RoutingSettings:
    """Check the routing settings among an adapter's constructor arguments before its framework
    validates them, so both adapters refuse a bad one with the same error. Calibration prompts are
    checked for shape only (their text is read once the model exists)."""
    check_model_choice(arguments.get("strong"), arguments.get("weak"), arguments.get("models"))
    given = {name: arguments[name] for name in SETTING_NAMES if name in arguments}
    if isinstance(given.get("shares"), list):
        given["shares"] = tuple(given["shares"])
    prompts = arguments.get("calibration_prompts")
    shape = prompts if prompts is None or isinstance(prompts, str) else tuple("" for _ in prompts)
    return RoutingSettings(**given, calibration_texts=shape)


def check_model_choice(strong: Any, weak: Any, models: Any) -> None:
    """An adapter routes between `strong` and `weak`, or among a list of `models`: one form, whole."""
    pair = [role for role, model in (("strong", strong), ("weak", weak)) if model is not None]
    if models is not None:
        if pair:
            raise RouteLLMError(
                f"give either strong= and weak= (two models) or models=[...] (cheapest first), not both: "
                f"got models and {' and '.join(pair)}"
            )
        if isinstance(models, (str, bytes)) or not isinstance(models, (list, tuple)):
            raise RouteLLMError(f"models must be a list of models, cheapest first, got {type(models).__name__}")
    elif len(pair) < 2:
        missing = " and ".join(role for role in ("strong", "weak") if role not in pair)
        raise RouteLLMError(f"no {missing} model: give strong= and weak= (two models) or models=[...] (cheapest first)")
