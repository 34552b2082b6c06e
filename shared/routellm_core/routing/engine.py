"""`RoutingEngine`: decides each call's route, runs it with fallback, and counts its usage."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..decision import DECISION_ATTRIBUTE, RoutingDecision, attach_decision, validate_threshold
from ..conversation import routed_text
from ..errors import ConversationError, RouteLLMError
from ..ledger import Price, RoutingLedger
from ..n_models import is_n_model_router
from ..registry import load_router
from ..router import Router
from ..usage import Usage
from .route import Route
from .settings import ROLES, RoutingSettings, build_ledger, check_router_spec
from .thresholds import QualityPolicy, ThresholdPolicy, TierPolicy
from .turns import Turn, TurnMemory, current_turn

logger = logging.getLogger("routellm")

T = TypeVar("T")

class RoutingEngine:
    """The routing policy of one routed model. Thread-safe; the router loads on first use.

    Two models: decisions name "strong" or "weak". N models (`models`, names cheapest first, with
    `prices`): decisions name the model; a scalar router splits prompts into tiers by `shares`, a
    router that predicts each model's quality picks by quality against price.
    """

    def __init__(
        self,
        router: str | Path | Router,
        settings: RoutingSettings,
        ledger: RoutingLedger,
        models: Sequence[str] | None = None,
        prices: Sequence[Price] | None = None,
    ):
        # a quality router among N models needs no reference quantiles: it picks by quality and price
        check_router_spec(router, None if models is not None and is_n_model_router(router) else settings)
        self.models = _check_models(models, prices, settings)
        self.prices = list(prices) if prices is not None else [Price() for _ in self.models]
        self.router_spec = router
        self.settings = settings
        self.ledger = ledger
        self.turns = TurnMemory()
        self._loaded: tuple[Router, ThresholdPolicy] | None = None
        self._load_lock = threading.Lock()
        self._warned: set[str] = set()
        self._warn_lock = threading.Lock()
        self._sampler = None  # the shadow sampler (`explore`), started on the first explored call

    @classmethod
    def build(
        cls,
        router: str | Path | Router,
        settings: RoutingSettings,
        *,
        models: Sequence[str] | None = None,
        prices: Sequence[Price] | None = None,
        ledger: RoutingLedger | None = None,
        budget: Any = None,
        strong_price: Price | None = None,
        weak_price: Price | None = None,
    ) -> RoutingEngine:
        """An engine and its ledger from what an adapter was given: the strong/weak pair (`models`
        None) or N model names, cheapest first, with their `prices`."""
        if models is None:
            return cls(router, settings, build_ledger(ledger, budget, strong_price, weak_price), prices=prices)
        names = list(models)
        if len(set(names)) != len(names):
            raise RouteLLMError(f"the routed models need distinct names, got {names}")
        for i, price in enumerate(prices or ()):
            if not isinstance(price, Price):
                raise RouteLLMError(f"prices[{i}] must be a routellm_core.ledger.Price, got {type(price).__name__}")
        priced = list(prices) if prices is not None and len(prices) == len(names) else [Price() for _ in names]
        ledger = build_ledger(ledger, budget, strong_price, weak_price, model_prices=dict(zip(names, priced)))
        return cls(router, settings, ledger, models=names, prices=prices)

    def __repr__(self) -> str:
        return f"RoutingEngine(router={self.router_name!r}, loaded={self._loaded is not None})"

    # ---- the router and the threshold ---------------------------------------------------------

    @property
    def router_name(self) -> str:
        """The router's name in decisions, known without loading it."""
        return self.router_spec.name if isinstance(self.router_spec, Router) else str(self.router_spec)

    def load(self) -> tuple[Router, ThresholdPolicy]:
        """The router and its threshold policy, built once (calibrated or warmed up then)."""
        loaded = self._loaded
        if loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    router = load_router(self.router_spec)
                    self._loaded = (router, self._policy_for(router))
                loaded = self._loaded
        return loaded

    def _policy_for(self, router: Router):
        if not self.n_models:
            return ThresholdPolicy(self.settings, router)
        if is_n_model_router(router):
            return QualityPolicy(self.settings, router, self.models, self.prices)
        return TierPolicy(self.settings, router, self.models)

    @property
    def n_models(self) -> bool:
        """Routing among a list of models (not the strong/weak pair)."""
        return bool(self.models)

    @property
    def choices(self) -> list[str]:
        """What a decision can name: the models, cheapest first ("weak", "strong" for two)."""
        return self.models or ["weak", "strong"]

    @property
    def router(self) -> Router:
        return self.load()[0]

    @property
    def policy(self) -> ThresholdPolicy:
        return self.load()[1]

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    def threshold(self) -> float:
        """The threshold that applies now (loads the router); for N models, the lowest tier's."""
        policy = self.policy
        if isinstance(policy, TierPolicy):
            return policy.thresholds[0]
        return getattr(policy, "current", math.nan)

    def known_threshold(self, per_call: float | None = None) -> float:
        """The threshold that applies, without loading the router (NaN if only loading can tell)."""
        if per_call is not None:
            return per_call
        if self.settings.threshold is not None:
            return self.settings.threshold
        if self._loaded is not None and isinstance(self._loaded[1], ThresholdPolicy):
            return self._loaded[1].current
        return math.nan

    # ---- decide -------------------------------------------------------------------------------

    def forced_role(self, model: str | None, names: Mapping[str, str]) -> str | None:
        """The role a per-call `model=` forces ("strong", "weak" or an inner model's name), None for
        "auto" or None. `names` maps each role to its inner model's own name."""
        if model is None or model == "auto":
            return None
        if self.n_models:
            if model in self.models:
                return model
            if model in ("strong", "weak"):  # the dearest and the cheapest model
                return self.models[-1] if model == "strong" else self.models[0]
            raise RouteLLMError(
                f"model={model!r} names none of the routed models: use 'auto', 'strong' (the dearest), "
                f"'weak' (the cheapest) or one of {', '.join(map(repr, self.models))}"
            )
        if model in ROLES:
            return model
        matches = [role for role in ROLES if names.get(role) == model]
        if len(matches) == 1:
            return matches[0]
        raise RouteLLMError(
            f"model={model!r} names neither route: use 'strong', 'weak', 'auto', or an inner model's "
            f"name ({names.get('strong')!r} or {names.get('weak')!r}, which must differ)"
        )

    def decide(
        self,
        conversation: str | Sequence[tuple[str, Any]],
        *,
        model: str | None = None,
        threshold: float | None = None,
        live: bool = False,
        sticky_hint: RoutingDecision | None = None,
    ) -> Route:
        """The route of one call, for a prompt or `(role, content)` pairs (content a string or a list
        of blocks; roles "user", "assistant", "system", "tool").

        `model`: a role a caller forces (from `forced_role`); `threshold`: a per-call threshold.
        Inside a tool-calling turn the decision that started the turn answers ("sticky"), from the
        engine's memory or, where the adapter can read it from the conversation, `sticky_hint`. A
        `live` decision (one a call acts on, not a preview) feeds a live threshold and is remembered
        for its turn.
        """
        threshold = None if threshold is None else validate_threshold(threshold)
        if isinstance(conversation, str):
            pairs, turn = [("user", conversation)], Turn(key=None, continuing=False)
        else:
            pairs = list(conversation)
            if not pairs:
                raise ConversationError("cannot route an empty conversation: it has no messages")
            turn = current_turn(pairs)
        if model is not None:
            decision = RoutingDecision(model=model, win_probability=math.nan,  # the router was not asked
                                       threshold=self.known_threshold(threshold), router=self.router_name, reason="forced")
            route = Route(decision, turn=turn.key)
        else:
            started = None
            if turn.continuing:
                started = (self.turns.get(turn.key) if turn.key is not None else None) or sticky_hint
            if started is not None:
                return Route(replace(started, reason="sticky", router=self.router_name), turn=turn.key)
            route = self._routed(pairs, threshold, live, turn.key)
        if live and turn.key is not None:
            self.turns.put(turn.key, route.decision)
        return route

    def _routed(self, pairs: list[tuple[str, Any]], per_call: float | None, live: bool, turn: str | None) -> Route:
        text = routed_text(pairs, scope=self.settings.scope)
        if not text:
            decision = RoutingDecision.without_text(self.known_threshold(per_call), self.router_name)
            return Route(replace(decision, model=self.choices[0]), turn=turn)
        if self.n_models:
            try:
                router, policy = self.load()
                decision = policy.choose(router, text, per_call)
            except Exception as error:
                if self.settings.on_router_error == "raise":
                    raise
                return self._fail_open(error, per_call, turn)
            return Route(replace(decision, router=self.router_name), turn=turn)
        try:
            router, policy = self.load()
            score = router.win_probability(text)
            if not math.isfinite(score):
                raise RouteLLMError(f"router {self.router_name!r} returned a win probability of {score!r}")
            configured = policy.for_call(score) if live else policy.current
        except Exception as error:
            if self.settings.on_router_error == "raise":
                raise
            return self._fail_open(error, per_call, turn)
        used = per_call if per_call is not None else configured
        return Route(RoutingDecision.from_score(score, used, self.router_name), turn=turn)

    def _fail_open(self, error: Exception, per_call: float | None, turn: str | None) -> Route:
        """The router could not decide: the default model answers, and the metadata says why."""
        kind = type(error).__name__
        self._warn_once(
            f"router:{kind}",
            "routellm: router %r could not route a call (%s: %.300s); such calls go to the %s model "
            "(on_router_error='default'). Logged once per error type.",
            self.router_name, kind, error, self.settings.default_model,
        )
        model = self.settings.default_model
        if self.n_models:
            model = self.models[-1] if model == "strong" else self.models[0]
        decision = RoutingDecision(model=model, win_probability=math.nan,
                                   threshold=self.known_threshold(per_call), router=self.router_name,
                                   reason="router_error")
        return Route(decision, {"error": kind}, turn)

    # ---- run: the chosen model, then (fallback=True) the other one -----------------------------

    def fall_back(self, route: Route, error: BaseException) -> Route:
        """The route to the other model after the chosen one raised; the rest of the turn stays on it."""
        new = route.to_other_model(error, self._fallback_model(route.model))
        self._warn_once(
            f"fallback:{route.model}:{type(error).__name__}",
            "routellm: the %s model failed (%s: %.300s); the %s model answers instead (fallback=True). "
            "Logged once per model and error type.",
            route.model, type(error).__name__, error, new.model,
        )
        if route.turn is not None:
            self.turns.put(route.turn, new.decision)
        return new

    def _fallback_model(self, failed: str) -> str:
        """The next dearer model (the next cheaper one after the dearest); the other of two."""
        choices = self.choices
        i = choices.index(failed)
        return choices[i + 1] if i + 1 < len(choices) else choices[i - 1]

    def run(
        self,
        route: Route,
        attempt: Callable[[Route], T],
        model_name: Callable[[str], str],
        on_fallback: Callable[[Route], None] | None = None,
    ) -> tuple[Route, T]:
        """`attempt(route)`; if it raises, re-raise with the decision attached or (fallback=True) try
        the other model. Returns the route that answered and its result. For a stream, `attempt`
        should start it and take its first chunk: a stream falls back only before anything reached
        the caller."""
        try:
            return route, attempt(route)
        except Exception as error:  # cancellation is a BaseException: never a reason to fall back
            self.attach(error, route, model_name(route.model))
            if not self.settings.fallback:
                raise
            route = self.fall_back(route, error)
            if on_fallback is not None:
                on_fallback(route)
            try:  # inside the handler, so the first failure stays visible as the second's __context__
                return route, attempt(route)
            except Exception as second:
                self.attach(second, route, model_name(route.model))
                raise

    async def arun(
        self,
        route: Route,
        attempt: Callable[[Route], Awaitable[T]],
        model_name: Callable[[str], str],
        on_fallback: Callable[[Route], None] | None = None,
    ) -> tuple[Route, T]:
        """`run` for an awaitable attempt."""
        try:
            return route, await attempt(route)
        except Exception as error:
            self.attach(error, route, model_name(route.model))
            if not self.settings.fallback:
                raise
            route = self.fall_back(route, error)
            if on_fallback is not None:
                on_fallback(route)
            try:
                return route, await attempt(route)
            except Exception as second:
                self.attach(second, route, model_name(route.model))
                raise

    @staticmethod
    def attach(error: BaseException, route: Route, model_name: str) -> None:
        """Attach the decision behind a failed call to its exception (once: a stream may fail twice)."""
        if getattr(error, DECISION_ATTRIBUTE, None) is None:
            attach_decision(error, route.decision, model_name, route.details)

    # ---- shadow sampling ------------------------------------------------------------------------

    def explore(
        self, route: Route, text: str, answer: str, names: Mapping[str, str],
        call_other: Callable[[str], tuple[str, Usage]],
    ) -> bool:
        """On a share `settings.explore` of routed calls, also ask another model in the background
        (`call_other(slot) -> (answer, usage)`; the next model, as for a fallback) and append both
        answers, by inner model name, to `settings.explore_path` for `routellm label` to judge. The
        shadow call's usage goes to the ledger as exploration. Never fails the user's call."""
        if not self.settings.explore or route.decision.reason != "routed" or not text:
            return False
        other = self._fallback_model(route.model)

        def shadow_call() -> dict:
            reply, usage = call_other(other)
            self.ledger.record_exploration(other, usage.input_tokens, usage.output_tokens, usage.estimated)
            price = self.ledger.prices.get(other)  # the ledger prices every routed model
            cost = price.cost(usage.input_tokens, usage.output_tokens) if price is not None else None
            return {"text": reply, "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
                    "cost": cost}

        return self.sampler().maybe_explore(text, names[route.model], answer, names[other], shadow_call)

    def sampler(self):
        """The shadow sampler behind `explore` (its `wait()` waits for shadow calls in flight)."""
        with self._warn_lock:
            if self._sampler is None:
                from ..labeling.shadow import ShadowSampler

                self._sampler = ShadowSampler(self.settings.explore_path, rate=self.settings.explore)
            return self._sampler

    # ---- usage ----------------------------------------------------------------------------------

    def record(self, route: Route, usage: Usage) -> None:
        """Count one answered call in the ledger; a bookkeeping failure never loses the answer."""
        try:
            self.ledger.record(route.model, usage.input_tokens, usage.output_tokens, usage.estimated)
        except Exception as error:
            self._warn_once("ledger", "routellm: could not record a call in the ledger (%s: %s)",
                            type(error).__name__, error)

    def _warn_once(self, kind: str, message: str, *args: Any) -> None:
        with self._warn_lock:
            if kind in self._warned:
                return
            self._warned.add(kind)
        logger.warning(message, *args)

    # A lock cannot be copied or pickled: copies share nothing but the settings, router and ledger.
    def __getstate__(self) -> dict[str, Any]:
        return {"router_spec": self.router_spec, "settings": self.settings, "ledger": self.ledger,
                "models": self.models or None, "prices": self.prices if self.models else None,
                "loaded": self._loaded}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["router_spec"], state["settings"], state["ledger"],
                      models=state.get("models"), prices=state.get("prices"))
        self._loaded = state["loaded"]


def _check_models(models: Sequence[str] | None, prices: Sequence[Price] | None, settings: RoutingSettings) -> list[str]:
    """The N models' names (empty for the strong/weak pair), checked against the settings."""
    if prices is not None and (isinstance(prices, (str, bytes)) or not isinstance(prices, (list, tuple))):
        raise RouteLLMError(f"prices must be a list of routellm_core.ledger.Price, got {type(prices).__name__}")
    if models is None:
        if prices is not None:
            raise RouteLLMError("prices go with models=[...]; price two models with strong_price and weak_price")
        if settings.price_weight:
            raise RouteLLMError("price_weight weighs price against quality among models=[...]; two models take a threshold")
        if settings.shares is not None:
            raise RouteLLMError("shares split calls among models=[...]; for two models give strong_fraction")
        return []
    names = list(models)
    if len(names) < 2:
        raise RouteLLMError(f"route among at least two models, got {len(names)}")
    if len(set(names)) != len(names):
        raise RouteLLMError(f"the routed models need distinct names, got {names}")
    if prices is not None and len(prices) != len(names):
        raise RouteLLMError(f"give one price per model: {len(prices)} prices for {len(names)} models")
    if settings.threshold is not None or settings.strong_fraction is not None or settings.live:
        raise RouteLLMError(
            "N models route by shares=[...] (a share per model, cheapest first) or a quality router's "
            "price_weight; threshold, strong_fraction, adaptive and budget are for two models"
        )
    if settings.shares is not None and len(settings.shares) != len(names):
        raise RouteLLMError(f"shares gives {len(settings.shares)} values for {len(names)} models")
    return names
