"""RoutedLLM: a LlamaIndex FunctionCallingLLM that sends each call to a strong or a weak LLM.

Each call is first *decided* (`_decide`: forced, sticky within a tool-calling turn, or routed by the
router's win probability against the threshold) and then *delegated* to the chosen inner LLM's own
method (`_delegate` and its async and streaming twins), which also falls back to the other model
when asked to, and records the call's usage in the ledger. The wrapper's methods are deliberately
not decorated with LlamaIndex's LLM callback decorators: the inner LLM's decorators already emit
the LLM events and token counts, and decorating both would double them. The wrapper shares its
callback manager with both inner LLMs so that handlers set on it (or through
`Settings.callback_manager`) see those events, and it emits one `RoutingDecisionEvent` per decision
and one `RoutedUsageEvent` per answered call through the instrumentation dispatcher.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Union

import numpy as np
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SerializeAsAny, field_serializer
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection

from routellm_core import (
    ConversationError,
    RouteLLMError,
    Router,
    RoutingDecision,
    UnknownRouterError,
    available_routers,
    load_router,
    routed_text,
    validate_threshold,
)
from routellm_core.adaptive import AdaptiveThreshold, CostBudget
from routellm_core.calibration import require_reference, share_threshold
from routellm_core.decision import DECISION_ATTRIBUTE, attach_decision
from routellm_core.ledger import Price, RoutingLedger

from .events import RoutedUsageEvent, RoutingDecisionEvent
from .messages import conversation, current_turn, routing_pairs
from .turns import TurnMemory
from .usage import StreamUsage, Usage, call_usage

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

#: Where every response carries the routing decision: `response.additional_kwargs[METADATA_KEY]`.
METADATA_KEY = "routellm"

#: The attribute an exception raised by an inner model carries: the `RoutingDecision` behind the call.
EXCEPTION_ATTRIBUTE = DECISION_ATTRIBUTE

# Per-call keyword arguments the wrapper consumes (never passed on to the inner LLM).
_FORCE_KWARG = "model"  # "strong" / "weak" / an inner model's name: skip the router
_THRESHOLD_KWARG = "threshold"  # a threshold for this call only
_DECISION_KWARG = "routellm_decision"  # a decision taken in _prepare_chat_with_tools, carried into chat
_REPREPARE_KWARG = "routellm_reprepare"  # rebuilds the tool-call arguments for the other model (fallback)
_OWN_KWARGS = (_FORCE_KWARG, _THRESHOLD_KWARG, _DECISION_KWARG, _REPREPARE_KWARG)

# Loading a router or calibrating happens once per RoutedLLM; the lock keeps concurrent first calls
# from doing it twice. Module level, so RoutedLLM copies and pickles stay lock-free.
_LOAD_LOCK = threading.Lock()
_WARN_LOCK = threading.Lock()

logger = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)

#: The arguments of one inner call: {"messages": ...} or {"prompt": ..., "formatted": ...}, plus kwargs.
Call = Dict[str, Any]


@dataclass(frozen=True)
class _Route:
    """A decision plus what the metadata says beyond it (`error`, `fallback_from`)."""

    decision: RoutingDecision
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metadata(self, model_name: str) -> Dict[str, Any]:
        return {**self.decision.as_metadata(model_name), **self.extra}


def _decided_off_loop(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An async tool-calling method of FunctionCallingLLM that takes its routing decision first.

    Those methods prepare the call with the synchronous `_prepare_chat_with_tools`, which would
    route on the event loop; the decision is taken in a worker thread instead and carried into it.
    """

    @functools.wraps(method)
    async def decided(
        self: RoutedLLM,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        kwargs = await self._aroute_tools(user_msg, chat_history, kwargs)
        return await method(self, tools, user_msg, chat_history, *args, **kwargs)

    return decided


class RoutedLLM(FunctionCallingLLM):
    """A drop-in LlamaIndex LLM that routes each call to `strong` or `weak` with a learned router.

    ```python
    from llama_index.core import Settings
    from routellm_llamaindex import RoutedLLM

    Settings.llm = RoutedLLM(strong=OpenAI(model="gpt-4o"), weak=OpenAI(model="gpt-4o-mini"), strong_fraction=0.3)
    ```

    With no threshold settings about half of typical chat traffic goes to the strong model (the
    router's reference quantiles, stored in its checkpoint, give the threshold for a share of 0.5).
    `strong_fraction` sets that share — on typical chat prompts, or on `calibration_prompts` (your
    own, calibrated on first use); `threshold` is a raw win probability (each router has its own
    scale). With `adaptive=True`, `strong_fraction` is held on live traffic
    by an `AdaptiveThreshold` instead (calibration prompts, if given, set its starting point); with
    `budget=CostBudget(...)` the share follows a spend target. The router (`"default"`, another
    bundled name, a checkpoint directory or a `Router`) loads on first use.

    Every response carries `response.additional_kwargs["routellm"]` = `{model, model_name,
    win_probability, threshold, router, reason}` (on every streamed delta too), `threshold` being
    the one this call used. Per call, `model="strong"`/`"weak"` (or an inner model's name) forces
    the route and `threshold=` overrides the threshold; `decide(prompt)` previews a decision.
    Within a tool-calling turn the model that started the turn answers every step (`"sticky"`).

    A turn with no text (empty, whitespace, only images) goes to the weak model without asking the
    router (reason `"no_text"`). Failures: when the router fails, the call goes to
    `default_model` (reason `"router_error"`, a warning logged once) unless
    `on_router_error="raise"`; when the chosen model raises, `fallback=True` sends the call to the
    other model (reason `"fallback"`), else the exception propagates with the decision attached as
    `exc.routing_decision`. Every answered call is counted in `llm.ledger`.
    """

    strong: SerializeAsAny[LLM] = Field(description="The capable, expensive LLM.")
    weak: SerializeAsAny[LLM] = Field(description="The cheap LLM.")
    router: Any = Field(
        default="default",
        description="Bundled router name, checkpoint directory, or a routellm_core Router.",
    )
    threshold: Optional[float] = Field(
        default=None, description="Strong model when the router's win probability >= threshold."
    )
    strong_fraction: Optional[float] = Field(
        default=None,
        description="Instead of a threshold: the share of calls to send to the strong model.",
    )
    calibration_prompts: Optional[List[str]] = Field(
        default=None, exclude=True, description="Prompts like your traffic, used with strong_fraction."
    )
    scope: Literal["last_user", "conversation"] = Field(
        default="last_user",
        description="Routed text: the last user turn, or the latest turns of the conversation.",
    )
    fallback: bool = Field(default=False, description="When the chosen LLM raises, ask the other one.")
    on_router_error: Literal["default", "raise"] = Field(
        default="default", description="When the router fails: use default_model, or raise."
    )
    default_model: Literal["strong", "weak"] = Field(
        default="strong", description="The model that answers when the router cannot decide."
    )
    adaptive: bool = Field(
        default=False, description="Hold strong_fraction on live traffic with an adaptive threshold."
    )

    _router: Optional[Router] = PrivateAttr(default=None)
    _calibrated_threshold: Optional[float] = PrivateAttr(default=None)
    _adaptive_threshold: Optional[AdaptiveThreshold] = PrivateAttr(default=None)
    _budget: Optional[CostBudget] = PrivateAttr(default=None)
    _ledger: RoutingLedger = PrivateAttr(default_factory=RoutingLedger)
    _turns: TurnMemory = PrivateAttr(default_factory=TurnMemory)
    _warned: set = PrivateAttr(default_factory=set)

    def __init__(
        self,
        strong: LLM,
        weak: LLM,
        router: Union[str, Path, Router] = "default",
        threshold: Optional[float] = None,
        strong_fraction: Optional[float] = None,
        calibration_prompts: Optional[Sequence[str]] = None,
        scope: Literal["last_user", "conversation"] = "last_user",
        callback_manager: Optional[CallbackManager] = None,
        fallback: bool = False,
        on_router_error: Literal["default", "raise"] = "default",
        default_model: Literal["strong", "weak"] = "strong",
        adaptive: bool = False,
        budget: Optional[CostBudget] = None,
        ledger: Optional[RoutingLedger] = None,
        strong_price: Optional[Price] = None,
        weak_price: Optional[Price] = None,
        **kwargs: Any,
    ) -> None:
        for role, llm in (("strong", strong), ("weak", weak)):
            if not isinstance(llm, LLM):
                raise RouteLLMError(
                    f"{role} must be a LlamaIndex LLM (llama_index.core.llms.LLM), got {type(llm).__name__}"
                )
        _check_router(router)
        _check_failure_settings(fallback, on_router_error, default_model)
        threshold, strong_fraction, calibration_prompts = _check_threshold_settings(
            threshold, strong_fraction, calibration_prompts, adaptive, budget
        )
        ledger = _check_ledger_settings(ledger, budget, strong_price, weak_price)
        live = adaptive or budget is not None
        if threshold is None and not calibration_prompts and not live and isinstance(router, Router):
            require_reference(router)  # a share of typical traffic needs the router's reference quantiles
        super().__init__(
            strong=strong,
            weak=weak,
            router=router,
            threshold=threshold,
            strong_fraction=strong_fraction,
            calibration_prompts=calibration_prompts,
            scope=scope,
            fallback=fallback,
            on_router_error=on_router_error,
            default_model=default_model,
            adaptive=adaptive or budget is not None,
            callback_manager=callback_manager or _shared_callback_manager(strong, weak),
            **kwargs,
        )
        self._ledger = ledger
        self._budget = budget
        if isinstance(router, Router):
            self._router = router

    @classmethod
    def class_name(cls) -> str:
        return "RoutedLLM"

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # LlamaIndex unpickles by calling __init__ again, which would start a new, unpriced ledger.
        super().__setstate__(state)
        private = state.get("__pydantic_private__") or {}
        for key in ("_ledger", "_budget", "_adaptive_threshold", "_router", "_calibrated_threshold"):
            if key in private:
                setattr(self, key, private[key])

    @field_serializer("router")
    def _serialize_router(self, router: Any) -> str:
        return router.name if isinstance(router, Router) else str(router)

    # ---- configuration -----------------------------------------------------------------------

    @property
    def metadata(self) -> LLMMetadata:
        """Capabilities both inner LLMs share: chat / function calling only if both have it."""
        strong, weak = self.strong.metadata, self.weak.metadata
        return LLMMetadata(
            context_window=_smaller_known(strong.context_window, weak.context_window),
            num_output=_smaller_known(strong.num_output, weak.num_output),
            is_chat_model=strong.is_chat_model and weak.is_chat_model,
            is_function_calling_model=self._is_function_calling(),
            model_name=f"routellm({strong.model_name}|{weak.model_name})",
            system_role=strong.system_role if strong.system_role == weak.system_role else MessageRole.SYSTEM,
        )

    def _is_function_calling(self) -> bool:
        return all(
            isinstance(llm, FunctionCallingLLM) and llm.metadata.is_function_calling_model
            for llm in (self.strong, self.weak)
        )

    @property
    def ledger(self) -> RoutingLedger:
        """Every answered call: which model, tokens in and out, cost at the ledger's prices."""
        return self._ledger

    @property
    def budget(self) -> Optional[CostBudget]:
        return self._budget

    @property
    def adaptive_threshold(self) -> Optional[AdaptiveThreshold]:
        """The live threshold of adaptive and budget modes (created on the first routed call)."""
        return self._adaptive_threshold

    def get_router(self) -> Router:
        """The router, loaded on first use."""
        if self._router is None:
            with _LOAD_LOCK:
                if self._router is None:
                    self._router = load_router(self.router)
        return self._router

    @property
    def effective_threshold(self) -> float:
        """The threshold in use now: fixed, calibrated from `strong_fraction` (on first use), or live."""
        if self.threshold is not None:
            return self.threshold
        if self.adaptive:
            return self._live_threshold().threshold
        if self._calibrated_threshold is None:
            router = self.get_router()
            with _LOAD_LOCK:
                if self._calibrated_threshold is None:
                    self._calibrated_threshold = share_threshold(
                        router, self.strong_fraction, self._calibration_scores(router)
                    )
        return self._calibrated_threshold

    def _calibration_scores(self, router: Router) -> Optional[np.ndarray]:
        """The router's scores of the calibration prompts (None without them)."""
        return router.win_probabilities(self.calibration_prompts) if self.calibration_prompts else None

    def _live_threshold(self) -> AdaptiveThreshold:
        """The adaptive threshold; started at the calibrated threshold and warmed up on the calibration
        prompts' scores, else started at the router's reference threshold (or 0.5 without one) until
        the first live calls warm it up."""
        if self._adaptive_threshold is None:
            fraction = self._budget.strong_fraction() if self._budget is not None else self.strong_fraction
            router = self.get_router()
            with _LOAD_LOCK:
                if self._adaptive_threshold is None:
                    scores = self._calibration_scores(router)
                    # a budget's share is unknown until both models have answered: no reference start
                    has_start = scores is not None or (router.reference is not None and self._budget is None)
                    start = share_threshold(router, fraction, scores) if has_start else None
                    live = AdaptiveThreshold(fraction, initial_threshold=start)
                    for score in [] if scores is None else scores:
                        live.observe(score)
                    self._adaptive_threshold = live
        return self._adaptive_threshold

    def _known_threshold(self, override: Optional[float]) -> float:
        """The threshold a decision taken without the router reports (never computes one: NaN if unknown)."""
        for known in (override, self.threshold, self._calibrated_threshold):
            if known is not None:
                return known
        if self._adaptive_threshold is not None:
            return self._adaptive_threshold.threshold
        return math.nan

    def _router_name(self) -> str:
        if self._router is not None:
            return self._router.name
        return str(self.router)

    def _warn_once(self, kind: str, message: str, *args: Any) -> None:
        with _WARN_LOCK:
            if kind in self._warned:
                return
            self._warned.add(kind)
        logger.warning(message + " (logged once per RoutedLLM)", *args)

    # ---- decide ------------------------------------------------------------------------------

    def _decide(
        self,
        messages: Union[str, Sequence[ChatMessage]],
        model: Optional[str],
        threshold: Optional[float],
        live: bool,
    ) -> _Route:
        """The routing decision for one call: forced, sticky within a tool-calling turn, or routed.

        `model` is "strong", "weak" or None and `threshold` a checked number or None (see `decide`).
        A forced route does not consult the router (its win probability is NaN). A `live` decision
        (one a call acts on, not a preview) feeds the adaptive threshold and is remembered for its
        turn, so the tool-calling steps that continue the turn reuse it.
        """
        if isinstance(messages, str):
            pairs, turn = [("user", messages)], None
        else:
            pairs = routing_pairs(messages)
            if not pairs:
                raise ConversationError("cannot route an empty conversation: it has no messages")
            turn = current_turn(pairs)
        if model is not None:
            decision = RoutingDecision(
                model=model,
                win_probability=math.nan,
                threshold=self._known_threshold(threshold),
                router=self._router_name(),
                reason="forced",
            )
            route = _Route(decision)
        else:
            started = self._turns.get(turn.key) if turn is not None and turn.continuing else None
            if started is not None:
                return _Route(replace(started, reason="sticky"))
            route = self._routed(pairs, threshold, live)
        if live and turn is not None and turn.key is not None:
            self._turns.put(turn.key, route.decision)
        return route

    def _routed(self, pairs: List[tuple[str, str]], override: Optional[float], live: bool) -> _Route:
        """Ask the router; if it cannot answer (no text to route, a failing router), fail open or raise."""
        text = routed_text(pairs, scope=self.scope)
        if not text:
            return _Route(RoutingDecision.without_text(self._known_threshold(override), self._router_name()))
        try:
            router = self.get_router()
            score = router.win_probability(text)
            if math.isnan(score):
                raise RouteLLMError(f"router {router.name!r} returned NaN for a prompt")
            if self.adaptive:
                live_threshold = self._live_threshold()
                if live and self._budget is not None:
                    live_threshold.set_strong_fraction(self._budget.strong_fraction())
                policy = live_threshold.observe(score) if live else live_threshold.threshold
            else:  # a per-call threshold spares calibrating one
                policy = self.effective_threshold if override is None else override
        except Exception as exc:
            if self.on_router_error == "raise":
                raise
            self._warn_once(
                f"router:{type(exc).__name__}",
                "routellm: the router could not route a call (%s: %s); calls it cannot route go to the "
                "%s model (on_router_error='default')",
                type(exc).__name__, exc, self.default_model,
            )
            decision = RoutingDecision(
                model=self.default_model,
                win_probability=math.nan,
                threshold=self._known_threshold(override),
                router=self._router_name(),
                reason="router_error",
            )
            return _Route(decision, {"error": type(exc).__name__})
        used = policy if override is None else override
        return _Route(RoutingDecision.from_score(score, used, router.name))

    def decide(
        self,
        prompt: Union[str, Sequence[ChatMessage]],
        *,
        model: Optional[str] = None,
        threshold: Optional[float] = None,
    ) -> RoutingDecision:
        """Which model would answer `prompt` (a string or chat messages), and why, without calling it.

        `model` forces a route ("strong", "weak" or an inner model's name); `threshold` replaces the
        configured one for this decision. A preview changes nothing: no adaptive update, no turn memory.
        """
        forced, threshold = self._check_options(model, threshold)
        return self._decide(prompt, forced, threshold, live=False).decision

    async def adecide(
        self,
        prompt: Union[str, Sequence[ChatMessage]],
        *,
        model: Optional[str] = None,
        threshold: Optional[float] = None,
    ) -> RoutingDecision:
        """`decide`, with router loading and inference in a worker thread, never on the event loop."""
        forced, threshold = self._check_options(model, threshold)
        route = await asyncio.to_thread(self._decide, prompt, forced, threshold, False)
        return route.decision

    def _check_options(self, model: Optional[str], threshold: Optional[float]) -> tuple[Optional[str], Optional[float]]:
        if threshold is not None:
            threshold = validate_threshold(threshold)
        if model is None or model in ("strong", "weak"):
            return model, threshold
        names = {"strong": self.strong.metadata.model_name, "weak": self.weak.metadata.model_name}
        matches = [role for role, name in names.items() if name == model]
        if len(matches) != 1:
            raise RouteLLMError(
                f"model must be 'strong', 'weak' or one inner model's name "
                f"({names['strong']!r} or {names['weak']!r}) to force a route, got {model!r}"
            )
        return matches[0], threshold

    def _route(
        self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]
    ) -> tuple[_Route, Dict[str, Any], Optional[Callable[[LLM], Call]]]:
        """Decide (unless a decision is carried in `kwargs`); return it, the inner LLM's kwargs and
        the tool-argument rebuilder carried from `_prepare_chat_with_tools` (None elsewhere)."""
        route, kwargs, reprepare, options = self._take_own_kwargs(kwargs)
        if route is None:
            route = self._decide(messages, *options, live=True)
            self._emit(route)
        return route, kwargs, reprepare

    async def _aroute(
        self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]
    ) -> tuple[_Route, Dict[str, Any], Optional[Callable[[LLM], Call]]]:
        route, kwargs, reprepare, options = self._take_own_kwargs(kwargs)
        if route is None:
            route = await asyncio.to_thread(self._decide, messages, *options, True)
            self._emit(route)
        return route, kwargs, reprepare

    def _take_own_kwargs(
        self, kwargs: Dict[str, Any]
    ) -> tuple[Optional[_Route], Dict[str, Any], Optional[Callable[[LLM], Call]], tuple[Optional[str], Optional[float]]]:
        """Split the wrapper's own kwargs from the inner LLM's: a carried decision, the tool-argument
        rebuilder, and the checked (model, threshold) options a new decision needs."""
        kwargs = dict(kwargs)
        route, reprepare = kwargs.pop(_DECISION_KWARG, None), kwargs.pop(_REPREPARE_KWARG, None)
        model, threshold = kwargs.pop(_FORCE_KWARG, None), kwargs.pop(_THRESHOLD_KWARG, None)
        options = (None, None) if route is not None else self._check_options(model, threshold)
        return route, kwargs, reprepare, options

    def _emit(self, route: _Route) -> None:
        dispatcher.event(RoutingDecisionEvent(**route.metadata(self._llm(route.decision).metadata.model_name)))

    # ---- delegate ----------------------------------------------------------------------------

    def _llm(self, decision: RoutingDecision) -> LLM:
        """The inner LLM a decision names, sharing the wrapper's callback manager."""
        llm = self.strong if decision.model == "strong" else self.weak
        if llm.callback_manager is not self.callback_manager:
            llm.callback_manager = self.callback_manager
        return llm

    def _tool_llm(self, llm: LLM) -> FunctionCallingLLM:
        if not isinstance(llm, FunctionCallingLLM):
            role = "strong" if llm is self.strong else "weak"
            raise RouteLLMError(
                f"tool calling needs both inner LLMs to be FunctionCallingLLMs; the {role} one "
                f"({type(llm).__name__}) is not"
            )
        return llm

    def _answered_by(self, response: Union[ChatResponse, CompletionResponse]) -> LLM:
        """The inner LLM that produced a response, read from its routing metadata (strong if absent)."""
        meta = response.additional_kwargs.get(METADATA_KEY)
        model = meta.get("model") if isinstance(meta, dict) else None
        return self.weak if model == "weak" else self.strong

    def _fall_back(
        self, route: _Route, exc: Exception, call: Call, reprepare: Optional[Callable[[LLM], Call]]
    ) -> tuple[_Route, LLM, Call]:
        """The route to the other model after the chosen one raised `exc` (fallback=True)."""
        failed = route.decision.model
        other = "weak" if failed == "strong" else "strong"
        decision = replace(route.decision, model=other, reason="fallback")
        new_route = _Route(decision, {"fallback_from": failed, "error": type(exc).__name__})
        self._warn_once(
            f"fallback:{failed}:{type(exc).__name__}",
            "routellm: the %s model failed (%s: %s); the %s model answers instead (fallback=True)",
            failed, type(exc).__name__, exc, other,
        )
        llm = self._llm(decision)
        if "messages" in call:  # a tool loop goes on with the model that answered
            turn = current_turn(routing_pairs(call["messages"]))
            if turn.key is not None:
                self._turns.put(turn.key, decision)
        call = reprepare(llm) if reprepare is not None else call
        self._emit(new_route)
        return new_route, llm, call

    def _account(self, route: _Route, llm: LLM, usage: Usage) -> None:
        """Record one answered call in the ledger and tell event handlers (never fails the call)."""
        try:
            self._ledger.record(route.decision.model, usage.input_tokens, usage.output_tokens, usage.estimated)
            dispatcher.event(
                RoutedUsageEvent(
                    model=route.decision.model,
                    model_name=llm.metadata.model_name,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    estimated=usage.estimated,
                    reason=route.decision.reason,
                )
            )
        except Exception as exc:  # a bookkeeping bug must not lose an answer the user paid for
            self._warn_once("ledger", "routellm: could not record a call in the ledger (%s: %s)", type(exc).__name__, exc)

    @staticmethod
    def _tag(response: Any, meta: Dict[str, Any]) -> Any:
        # On the response, never on response.message: providers send message.additional_kwargs back.
        response.additional_kwargs = {**response.additional_kwargs, METADATA_KEY: dict(meta)}
        return response

    def _with_fallback(
        self, route: _Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], attempt: Callable[[LLM, Call], Any]
    ) -> tuple[_Route, LLM, Call, Any]:
        """Run `attempt` on the chosen LLM; if it raises, on the other one (fallback=True) or re-raise
        with the decision attached. Returns the route taken, its LLM, its call and the result."""
        llm = self._llm(route.decision)
        try:
            return route, llm, call, attempt(llm, call)
        except Exception as exc:
            if not self.fallback:
                _attach_decision(exc, route, llm)
                raise
            route, llm, call = self._fall_back(route, exc, call, reprepare)
            try:  # inside the handler, so the first failure stays visible as the second's __context__
                return route, llm, call, attempt(llm, call)
            except Exception as again:
                _attach_decision(again, route, llm)
                raise

    async def _awith_fallback(
        self,
        route: _Route,
        call: Call,
        reprepare: Optional[Callable[[LLM], Call]],
        attempt: Callable[[LLM, Call], Awaitable[Any]],
    ) -> tuple[_Route, LLM, Call, Any]:
        llm = self._llm(route.decision)
        try:
            return route, llm, call, await attempt(llm, call)
        except Exception as exc:  # cancellation is a BaseException: never a reason to fall back
            if not self.fallback:
                _attach_decision(exc, route, llm)
                raise
            route, llm, call = self._fall_back(route, exc, call, reprepare)
            try:  # inside the handler, so the first failure stays visible as the second's __context__
                return route, llm, call, await attempt(llm, call)
            except Exception as again:
                _attach_decision(again, route, llm)
                raise

    def _delegate(
        self, route: _Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Any:
        """Call the chosen LLM's `method` (with fallback); tag the answer and count it in the ledger."""
        return self._answered(*self._with_fallback(route, call, reprepare, _invoker(method)))

    async def _adelegate(
        self, route: _Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Any:
        return self._answered(*await self._awith_fallback(route, call, reprepare, _invoker(method)))

    def _answered(self, route: _Route, llm: LLM, call: Call, response: Any) -> Any:
        """A whole answer: counted in the ledger, tagged with the route that produced it."""
        self._account(route, llm, call_usage(call, response))
        return self._tag(response, route.metadata(llm.metadata.model_name))

    def _delegate_stream(
        self, route: _Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Generator:
        """Stream from the chosen LLM. Until its first chunk arrives a failure can still fall back;
        later ones propagate (with the decision attached). Usage is recorded exactly once: when the
        stream ends, is closed early, or fails after its first chunk."""
        start = _invoker(method)

        def first_chunk(llm: LLM, call: Call) -> tuple[Generator, Any]:
            stream = start(llm, call)
            return stream, next(stream, _END)

        route, llm, call, (stream, response) = self._with_fallback(route, call, reprepare, first_chunk)
        meta, usage = route.metadata(llm.metadata.model_name), StreamUsage(call)
        try:
            while response is not _END:
                usage.add(response)
                yield self._tag(response, meta)
                response = next(stream, _END)
        except Exception as exc:
            _attach_decision(exc, route, llm)
            raise
        finally:
            if hasattr(stream, "close"):  # closes the inner generator now, not at garbage collection
                stream.close()
            self._account(route, llm, usage.total())

    async def _adelegate_stream(
        self, route: _Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> AsyncGenerator:
        start = _invoker(method)

        async def first_chunk(llm: LLM, call: Call) -> tuple[AsyncGenerator, Any]:
            stream = await start(llm, call)
            return stream, await anext(stream, _END)

        route, llm, call, (stream, response) = await self._awith_fallback(route, call, reprepare, first_chunk)
        meta, usage = route.metadata(llm.metadata.model_name), StreamUsage(call)
        try:
            while response is not _END:
                usage.add(response)
                yield self._tag(response, meta)
                response = await anext(stream, _END)
        except Exception as exc:
            _attach_decision(exc, route, llm)
            raise
        finally:
            self._account(route, llm, usage.total())
            if hasattr(stream, "aclose"):
                await stream.aclose()

    # ---- chat and completion -----------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        route, kwargs, reprepare = self._route(messages, kwargs)
        return self._delegate(route, {"messages": messages, **kwargs}, reprepare, "chat")

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        route, kwargs, reprepare = self._route(messages, kwargs)
        return self._delegate_stream(route, {"messages": messages, **kwargs}, reprepare, "stream_chat")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        route, kwargs, _ = self._route(_checked_prompt(prompt), kwargs)
        return self._delegate(route, {"prompt": prompt, "formatted": formatted, **kwargs}, None, "complete")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        route, kwargs, _ = self._route(_checked_prompt(prompt), kwargs)
        call = {"prompt": prompt, "formatted": formatted, **kwargs}
        return self._delegate_stream(route, call, None, "stream_complete")

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        route, kwargs, reprepare = await self._aroute(messages, kwargs)
        return await self._adelegate(route, {"messages": messages, **kwargs}, reprepare, "achat")

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        route, kwargs, reprepare = await self._aroute(messages, kwargs)
        return self._adelegate_stream(route, {"messages": messages, **kwargs}, reprepare, "astream_chat")

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        route, kwargs, _ = await self._aroute(_checked_prompt(prompt), kwargs)
        return await self._adelegate(route, {"prompt": prompt, "formatted": formatted, **kwargs}, None, "acomplete")

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        route, kwargs, _ = await self._aroute(_checked_prompt(prompt), kwargs)
        call = {"prompt": prompt, "formatted": formatted, **kwargs}
        return self._adelegate_stream(route, call, None, "astream_complete")

    # ---- tool calling ------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Route here, the only place that sees the messages before the chosen LLM formats its tools."""
        route, kwargs, _ = self._route(conversation(user_msg, chat_history), kwargs)

        def prepare(llm: LLM) -> Call:
            # the tools in the provider's own format: rebuilt for the other model on a fallback
            return self._tool_llm(llm)._prepare_chat_with_tools_compat(
                tools,
                user_msg=user_msg,
                chat_history=chat_history,
                verbose=verbose,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
                tool_required=tool_required,
                **kwargs,
            )

        chat_kwargs = prepare(self._llm(route.decision))
        # chat_with_tools passes these on to self.chat, which delegates to the same LLM.
        return {**chat_kwargs, _DECISION_KWARG: route, _REPREPARE_KWARG: prepare}

    async def _aroute_tools(
        self,
        user_msg: Optional[Union[str, ChatMessage]],
        chat_history: Optional[List[ChatMessage]],
        kwargs: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Decide off the event loop before the (synchronous) _prepare_chat_with_tools runs."""
        route, kwargs, _ = await self._aroute(conversation(user_msg, chat_history), kwargs)
        return {**kwargs, _DECISION_KWARG: route}

    # FunctionCallingLLM's own async tool-calling methods, deciding off the event loop first.
    achat_with_tools = _decided_off_loop(FunctionCallingLLM.achat_with_tools)
    astream_chat_with_tools = _decided_off_loop(FunctionCallingLLM.astream_chat_with_tools)

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence["BaseTool"],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        for own in _OWN_KWARGS:
            kwargs.pop(own, None)
        llm = self._answered_by(response)
        if not isinstance(llm, FunctionCallingLLM):
            return response
        return llm._validate_chat_with_tools_response(
            response, tools, allow_parallel_tool_calls=allow_parallel_tool_calls, **kwargs
        )

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> List[ToolSelection]:
        """Parsed by the inner LLM that produced the response: tool-call formats are provider-specific."""
        llm = self._answered_by(response)
        if not isinstance(llm, FunctionCallingLLM):
            raise RouteLLMError(f"the inner LLM that answered ({type(llm).__name__}) cannot call tools")
        return llm.get_tool_calls_from_response(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)


# ---- how the wrapper calls an inner LLM ---------------------------------------------------------

_END = object()  # the end of a stream


def _invoker(method: str) -> Callable[[LLM, Call], Any]:
    """Calls `llm.<method>` with the call's messages (or prompt) first, as LLM callback decorators expect."""

    def invoke(llm: LLM, call: Call) -> Any:
        first = "messages" if "messages" in call else "prompt"
        return getattr(llm, method)(call[first], **{k: v for k, v in call.items() if k != first})

    return invoke


def _checked_prompt(prompt: Any) -> str:
    if not isinstance(prompt, str):
        raise ConversationError(f"a completion prompt must be a string, got {type(prompt).__name__}")
    return prompt


def _attach_decision(exc: BaseException, route: _Route, llm: LLM) -> None:
    """Attach the routing decision to an inner model's exception: `exc.routing_decision` and a note."""
    if getattr(exc, EXCEPTION_ATTRIBUTE, None) is not None:
        return  # attached already (a stream failing twice, or a nested call)
    attach_decision(exc, route.decision, llm.metadata.model_name, route.extra)


# ---- construction checks ---------------------------------------------------------------------


def _check_router(router: Any) -> None:
    """Fail at construction on a router that could never load (loading itself waits for first use)."""
    if isinstance(router, Router):
        return
    if not isinstance(router, (str, Path)):
        raise RouteLLMError(
            f"router must be a bundled name, a checkpoint directory or a Router, got {type(router).__name__}"
        )
    known = available_routers()
    if str(router) not in known and not Path(router).expanduser().is_dir():
        raise UnknownRouterError(
            f"unknown router {str(router)!r}: not a bundled router ({', '.join(known)}) nor a checkpoint directory"
        )


def _check_failure_settings(fallback: Any, on_router_error: Any, default_model: Any) -> None:
    if not isinstance(fallback, bool):
        raise RouteLLMError(f"fallback must be True or False, got {fallback!r}")
    if on_router_error not in ("default", "raise"):
        raise RouteLLMError(
            f"on_router_error must be 'default' (fail open to default_model) or 'raise', got {on_router_error!r}"
        )
    if default_model not in ("strong", "weak"):
        raise RouteLLMError(f"default_model must be 'strong' or 'weak', got {default_model!r}")


def _check_fraction(strong_fraction: Any) -> float:
    if isinstance(strong_fraction, bool) or not isinstance(strong_fraction, (int, float)) or not (
        0.0 <= float(strong_fraction) <= 1.0
    ):
        raise RouteLLMError(f"strong_fraction must be a number in [0, 1], got {strong_fraction!r}")
    return float(strong_fraction)


def _check_prompts(calibration_prompts: Any) -> List[str]:
    prompts = [] if isinstance(calibration_prompts, str) else list(calibration_prompts)
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise RouteLLMError("calibration_prompts must be a non-empty list of strings")
    return prompts


def _check_threshold_settings(
    threshold: Optional[float],
    strong_fraction: Optional[float],
    calibration_prompts: Optional[Sequence[str]],
    adaptive: Any,
    budget: Any,
) -> tuple[Optional[float], Optional[float], Optional[List[str]]]:
    if not isinstance(adaptive, bool):
        raise RouteLLMError(f"adaptive must be True or False, got {adaptive!r}")
    prompts = None if calibration_prompts is None else _check_prompts(calibration_prompts)
    if budget is not None:
        if not isinstance(budget, CostBudget):
            raise RouteLLMError(f"budget must be a routellm_core.adaptive.CostBudget, got {type(budget).__name__}")
        if threshold is not None or strong_fraction is not None:
            raise RouteLLMError("budget= sets the strong share itself: give neither threshold= nor strong_fraction=")
        return None, None, prompts
    if adaptive:
        if threshold is not None:
            raise RouteLLMError("adaptive=True holds strong_fraction= on live traffic: give strong_fraction=, not threshold=")
        if strong_fraction is None:
            raise RouteLLMError("adaptive=True needs strong_fraction=: the share of calls to send to the strong model")
        return None, _check_fraction(strong_fraction), prompts
    if threshold is not None:
        if strong_fraction is not None:
            raise RouteLLMError("give either threshold= or strong_fraction=, not both")
        if prompts is not None:
            raise RouteLLMError("calibration_prompts are only used with strong_fraction=, not with threshold=")
        return validate_threshold(threshold), None, None
    # a share of strong calls: on the calibration prompts, else on the router's reference quantiles
    return None, None if strong_fraction is None else _check_fraction(strong_fraction), prompts


def _check_ledger_settings(
    ledger: Any, budget: Optional[CostBudget], strong_price: Any, weak_price: Any
) -> RoutingLedger:
    """The ledger this RoutedLLM feeds: the given one, the budget's, or a new one at the given prices."""
    for name, price in (("strong_price", strong_price), ("weak_price", weak_price)):
        if price is not None and not isinstance(price, Price):
            raise RouteLLMError(f"{name} must be a routellm_core.ledger.Price, got {type(price).__name__}")
    if ledger is not None and not isinstance(ledger, RoutingLedger):
        raise RouteLLMError(f"ledger must be a routellm_core.ledger.RoutingLedger, got {type(ledger).__name__}")
    priced = strong_price is not None or weak_price is not None
    if budget is not None:
        if ledger is not None and ledger is not budget.ledger:
            raise RouteLLMError("budget= reads its own ledger, which this model must feed: pass that one as ledger=")
        if priced:
            raise RouteLLMError("with budget=, prices come from the budget's ledger: set them on that RoutingLedger")
        if budget.ledger.strong_price == Price() and budget.ledger.weak_price == Price():
            raise RouteLLMError("a cost budget needs prices: build its RoutingLedger with strong_price= and weak_price=")
        return budget.ledger
    if ledger is not None:
        if priced:
            raise RouteLLMError("strong_price=/weak_price= price a new ledger: set prices on the ledger you pass instead")
        return ledger
    return RoutingLedger(strong_price, weak_price)


def _smaller_known(a: int, b: int) -> int:
    """The smaller of two sizes, ignoring unknown ones (-1 or 0 sentinels)."""
    known = [v for v in (a, b) if v is not None and v > 0]
    return min(known) if known else a


def _shared_callback_manager(strong: LLM, weak: LLM) -> Optional[CallbackManager]:
    """The manager the wrapper and both inner LLMs share: theirs if common, else their handlers merged."""
    if strong.callback_manager is weak.callback_manager:
        return strong.callback_manager
    handlers: list = []
    for manager in (strong.callback_manager, weak.callback_manager):
        for handler in getattr(manager, "handlers", []):
            if not any(handler is known for known in handlers):
                handlers.append(handler)
    if not handlers:
        return None
    manager = CallbackManager([])
    manager.handlers = handlers
    return manager
