"""RoutedLLM: a LlamaIndex FunctionCallingLLM that sends each call to a strong or a weak LLM (or to
one of N LLMs, `models=[...]`).

Each call is first *decided* (`_decide`: forced, sticky within a tool-calling turn, or routed by the
router's win probability against the threshold) and then *delegated* to the chosen inner LLM's own
method (`_delegate` and its async and streaming twins), which also falls back to the other model
when asked to, and records the call's usage in the ledger. The wrapper's methods are deliberately
not decorated with LlamaIndex's LLM callback decorators: the inner LLM's decorators already emit
the LLM events and token counts, and decorating both would double them. The wrapper shares its
callback manager with every inner LLM so that handlers set on it (or through
`Settings.callback_manager`) see those events, and it emits one `RoutingDecisionEvent` per decision
and one `RoutedUsageEvent` per answered call through the instrumentation dispatcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Union

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

from routellm_core import RouteLLMError, Router, RoutingDecision, validate_threshold
from routellm_core.adaptive import AdaptiveThreshold, CostBudget
from routellm_core.decision import DECISION_ATTRIBUTE
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.routing import Route, RoutingEngine, RoutingSettings
from routellm_core.usage import Usage

from .calls import (
    END,
    Call,
    explore,
    StreamHooks,
    apass_on,
    pass_on,
    calibration_texts,
    checked_prompt,
    decided_off_loop,
    inner_models,
    invoker,
    shared_callback_manager,
    smaller_known,
)
from .events import RoutedUsageEvent, RoutingDecisionEvent
from .messages import conversation, routing_pairs
from .usage import StreamUsage, call_usage

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
_REPREPARE_KWARG = "routellm_reprepare"  # rebuilds the tool-call arguments for another model (fallback)
_OWN_KWARGS = (_FORCE_KWARG, _THRESHOLD_KWARG, _DECISION_KWARG, _REPREPARE_KWARG)

dispatcher = get_dispatcher(__name__)


class RoutedLLM(FunctionCallingLLM):
    """A drop-in LlamaIndex LLM that routes each call to `strong` or `weak` with a learned router.

    ```python
    from llama_index.core import Settings
    from routellm_llamaindex import RoutedLLM

    Settings.llm = RoutedLLM(strong=OpenAI(model="gpt-4o"), weak=OpenAI(model="gpt-4o-mini"), strong_fraction=0.3)
    ```

    With no threshold settings about half of typical chat traffic goes to the strong model (the
    router's reference quantiles); `strong_fraction`, `calibration_prompts`, `threshold`, `adaptive`
    and `budget` set the share otherwise. Per call, `model=` forces a route and `threshold=` changes
    the threshold; `decide(prompt)` previews a decision. Every response carries
    `response.additional_kwargs["routellm"]` (`model`, `model_name`, `win_probability`, `threshold`,
    `router`, `reason`; on every streamed delta), and `ledger` counts every answered call. N models:
    `models=[...]` (cheapest first) with `prices` and `shares` (or a quality router's
    `price_weight`) instead of `strong` and `weak`.

    The routing rules — sticky tool-calling turns, turns without text, router failures, fallback,
    usage — are the core engine's, shared with `RoutedChatModel` (docs/routing.md); the options are
    described in docs/llamaindex.md.
    """

    strong: Optional[SerializeAsAny[LLM]] = Field(default=None, description="The capable, expensive LLM (two models).")
    weak: Optional[SerializeAsAny[LLM]] = Field(default=None, description="The cheap LLM (two models).")
    models: Optional[List[SerializeAsAny[LLM]]] = Field(
        default=None, description="Instead of strong and weak: the routed LLMs, cheapest first."
    )
    prices: Optional[List[Any]] = Field(
        default=None, description="With models: each model's routellm_core.ledger.Price, in the same order."
    )
    shares: Optional[List[float]] = Field(
        default=None, description="With models and a scalar router: the share of calls each model answers."
    )
    price_weight: float = Field(
        default=0.0, description="With models and a quality router: the quality a unit of price is worth."
    )
    explore: float = Field(default=0.0, description="Shadow sampling: the share of routed calls also sent to another model.")
    explore_path: Optional[str] = Field(default=None, description="With explore: the JSONL file the pairs go to.")
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
    calibration_prompts: Optional[List[Any]] = Field(
        default=None, exclude=True, description="Prompts like your traffic, used with strong_fraction."
    )
    scope: Literal["last_user", "conversation"] = Field(
        default="last_user",
        description="Routed text: the last user turn, or the latest turns of the conversation.",
    )
    fallback: bool = Field(default=False, description="When the chosen LLM raises, ask another one.")
    on_router_error: Literal["default", "raise"] = Field(
        default="default", description="When the router fails: use default_model, or raise."
    )
    default_model: Literal["strong", "weak"] = Field(
        default="strong", description="The model that answers when the router cannot decide."
    )
    adaptive: bool = Field(
        default=False, description="Hold strong_fraction on live traffic with an adaptive threshold."
    )

    #: The routing policy (settings, router, thresholds, turn memory, ledger): shared with every adapter.
    _engine: RoutingEngine = PrivateAttr()

    def __init__(
        self,
        strong: Optional[LLM] = None,
        weak: Optional[LLM] = None,
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
        models: Optional[Sequence[LLM]] = None,
        prices: Optional[Sequence[Price]] = None,
        shares: Optional[Sequence[float]] = None,
        price_weight: float = 0.0,
        explore: float = 0.0,
        explore_path: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        routed = inner_models(strong, weak, models)
        settings = RoutingSettings(
            threshold=threshold, strong_fraction=strong_fraction, adaptive=adaptive, budget=budget,
            calibration_texts=None if calibration_prompts is None else calibration_texts(calibration_prompts),
            fallback=fallback, on_router_error=on_router_error, default_model=default_model, scope=scope,
            shares=tuple(shares) if isinstance(shares, (list, tuple)) else shares, price_weight=price_weight,
            explore=explore, explore_path=None if explore_path is None else str(explore_path),
        )
        names = None if models is None else [llm.metadata.model_name for llm in models]
        engine = RoutingEngine.build(router, settings, models=names, prices=prices, ledger=ledger, budget=budget,
                                     strong_price=strong_price, weak_price=weak_price)
        super().__init__(
            strong=strong,
            weak=weak,
            models=None if models is None else list(models),
            prices=None if prices is None else list(prices),
            shares=None if shares is None else list(shares),
            price_weight=price_weight,
            explore=explore,
            explore_path=None if explore_path is None else str(explore_path),
            router=router,
            threshold=threshold,
            strong_fraction=strong_fraction,
            calibration_prompts=None if calibration_prompts is None else list(calibration_prompts),
            scope=scope,
            fallback=fallback,
            on_router_error=on_router_error,
            default_model=default_model,
            adaptive=settings.live,
            callback_manager=callback_manager or shared_callback_manager(*routed.values()),
            **kwargs,
        )
        self._engine = engine

    @classmethod
    def class_name(cls) -> str:
        return "RoutedLLM"

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # LlamaIndex unpickles by calling __init__ again, which would start a new, unpriced ledger.
        super().__setstate__(state)
        private = state.get("__pydantic_private__") or {}
        if "_engine" in private:
            self._engine = private["_engine"]

    @field_serializer("router")
    def _serialize_router(self, router: Any) -> str:
        return router.name if isinstance(router, Router) else str(router)

    # ---- configuration -----------------------------------------------------------------------

    @property
    def metadata(self) -> LLMMetadata:
        """Capabilities every inner LLM shares: chat / function calling only if all have it."""
        metas = [llm.metadata for llm in self._routed().values()]
        roles = {meta.system_role for meta in metas}
        return LLMMetadata(
            context_window=smaller_known(*(meta.context_window for meta in metas)),
            num_output=smaller_known(*(meta.num_output for meta in metas)),
            is_chat_model=all(meta.is_chat_model for meta in metas),
            is_function_calling_model=self._is_function_calling(),
            model_name=f"routellm({'|'.join(meta.model_name for meta in metas)})",
            system_role=metas[0].system_role if len(roles) == 1 else MessageRole.SYSTEM,
        )

    def _routed(self) -> Dict[str, LLM]:
        """The inner LLMs by the name decisions give them: "strong" and "weak", or (N models) each
        model's name, cheapest first."""
        if self.models is None:
            return {"strong": self.strong, "weak": self.weak}
        return dict(zip(self._engine.models, self.models))

    def _is_function_calling(self) -> bool:
        return all(
            isinstance(llm, FunctionCallingLLM) and llm.metadata.is_function_calling_model
            for llm in self._routed().values()
        )

    @property
    def ledger(self) -> RoutingLedger:
        """Every answered call: which model, tokens in and out, cost at the ledger's prices."""
        return self._engine.ledger

    @property
    def budget(self) -> Optional[CostBudget]:
        return self._engine.settings.budget

    @property
    def adaptive_threshold(self) -> Optional[AdaptiveThreshold]:
        """The live threshold of adaptive and budget modes (None until the router loads, or in fixed mode)."""
        return self._engine.policy.tracker if self._engine.is_loaded else None

    def get_router(self) -> Router:
        """The router, loaded on first use."""
        return self._engine.router

    def get_threshold(self) -> float:
        """The threshold in use now: fixed, for a share of strong calls (computed on first use), or live."""
        return self._engine.threshold()

    @property
    def effective_threshold(self) -> float:
        """`get_threshold()`, as a property (the name earlier versions used)."""
        return self.get_threshold()

    # ---- decide ------------------------------------------------------------------------------

    def _decide(self, messages: Union[str, Sequence[ChatMessage]], model: Optional[str], threshold: Optional[float],
                live: bool) -> Route:
        """The routing decision for one call (see `RoutingEngine.decide`): `model` is "strong", "weak"
        or None and `threshold` a checked number or None (see `decide`)."""
        pairs = messages if isinstance(messages, str) else routing_pairs(messages)
        return self._engine.decide(pairs, model=model, threshold=threshold, live=live)

    def decide(self, prompt: Union[str, Sequence[ChatMessage]], *, model: Optional[str] = None,
               threshold: Optional[float] = None) -> RoutingDecision:
        """Which model would answer `prompt` (a string or chat messages), and why, without calling it.

        `model` forces a route ("strong", "weak" or an inner model's name; among N models "strong"
        is the dearest and "weak" the cheapest); `threshold` replaces the configured one for this
        decision (two models). A preview changes nothing: no adaptive update, no turn memory.
        """
        forced, threshold = self._check_options(model, threshold)
        return self._decide(prompt, forced, threshold, live=False).decision

    async def adecide(self, prompt: Union[str, Sequence[ChatMessage]], *, model: Optional[str] = None,
                      threshold: Optional[float] = None) -> RoutingDecision:
        """`decide`, with router loading and inference in a worker thread, never on the event loop."""
        forced, threshold = self._check_options(model, threshold)
        route = await asyncio.to_thread(self._decide, prompt, forced, threshold, False)
        return route.decision

    def _check_options(self, model: Optional[str], threshold: Optional[float]) -> tuple[Optional[str], Optional[float]]:
        if threshold is not None:
            threshold = validate_threshold(threshold)
        return self._engine.forced_role(model, self._model_names()), threshold

    def _model_names(self) -> Dict[str, str]:
        """Each decision's model ("strong", "weak", or an N-model name) to its inner model's own name."""
        return {slot: llm.metadata.model_name for slot, llm in self._routed().items()}

    def _model_name(self, role: str) -> str:
        return self._model_names()[role]

    def _route(
        self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]
    ) -> tuple[Route, Dict[str, Any], Optional[Callable[[LLM], Call]]]:
        """Decide (unless a decision is carried in `kwargs`); return it, the inner LLM's kwargs and
        the tool-argument rebuilder carried from `_prepare_chat_with_tools` (None elsewhere)."""
        route, kwargs, reprepare, options = self._take_own_kwargs(kwargs)
        if route is None:
            route = self._decide(messages, *options, live=True)
            self._emit(route)
        return route, kwargs, reprepare

    async def _aroute(
        self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]
    ) -> tuple[Route, Dict[str, Any], Optional[Callable[[LLM], Call]]]:
        route, kwargs, reprepare, options = self._take_own_kwargs(kwargs)
        if route is None:
            route = await asyncio.to_thread(self._decide, messages, *options, True)
            self._emit(route)
        return route, kwargs, reprepare

    def _take_own_kwargs(
        self, kwargs: Dict[str, Any]
    ) -> tuple[Optional[Route], Dict[str, Any], Optional[Callable[[LLM], Call]], tuple[Optional[str], Optional[float]]]:
        """Split the wrapper's own kwargs from the inner LLM's: a carried decision, the tool-argument
        rebuilder, and the checked (model, threshold) options a new decision needs."""
        kwargs = dict(kwargs)
        route, reprepare = kwargs.pop(_DECISION_KWARG, None), kwargs.pop(_REPREPARE_KWARG, None)
        model, threshold = kwargs.pop(_FORCE_KWARG, None), kwargs.pop(_THRESHOLD_KWARG, None)
        options = (None, None) if route is not None else self._check_options(model, threshold)
        return route, kwargs, reprepare, options

    def _emit(self, route: Route) -> None:
        dispatcher.event(RoutingDecisionEvent(**route.metadata(self._llm(route.decision).metadata.model_name)))

    # ---- delegate ----------------------------------------------------------------------------

    def _llm(self, decision: RoutingDecision) -> LLM:
        """The inner LLM a decision names, sharing the wrapper's callback manager."""
        llm = self._routed()[decision.model]
        if llm.callback_manager is not self.callback_manager:
            llm.callback_manager = self.callback_manager
        return llm

    def _tool_llm(self, llm: LLM) -> FunctionCallingLLM:
        if not isinstance(llm, FunctionCallingLLM):
            role = next((slot for slot, inner in self._routed().items() if inner is llm), "chosen")
            raise RouteLLMError(
                f"tool calling needs every inner LLM to be a FunctionCallingLLM; the {role} one "
                f"({type(llm).__name__}) is not"
            )
        return llm

    def _answered_by(self, response: Union[ChatResponse, CompletionResponse]) -> LLM:
        """The inner LLM that produced a response, read from its routing metadata (the strong, or
        dearest, one if absent)."""
        meta = response.additional_kwargs.get(METADATA_KEY)
        model = meta.get("model") if isinstance(meta, dict) else None
        routed = self._routed()
        return routed.get(model) if isinstance(model, str) and model in routed else routed[self._engine.choices[-1]]

    def _account(self, route: Route, llm: LLM, usage: Usage) -> None:
        """Record one answered call in the ledger and tell event handlers (never fails the call)."""
        self._engine.record(route, usage)
        dispatcher.event(RoutedUsageEvent.of(route, llm.metadata.model_name, usage))

    @staticmethod
    def _tag(response: Any, meta: Dict[str, Any]) -> Any:
        # On the response, never on response.message: providers send message.additional_kwargs back.
        response.additional_kwargs = {**response.additional_kwargs, METADATA_KEY: dict(meta)}
        return response

    def _with_fallback(
        self, route: Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], attempt: Callable[[LLM, Call], Any]
    ) -> tuple[Route, LLM, Call, Any]:
        """Run `attempt` on the chosen LLM (and, on a fallback, on the next one, with the tool
        arguments rebuilt for it). Returns the route taken, its LLM, its call and the result."""

        def on(route: Route) -> tuple[LLM, Call, Any]:
            llm = self._llm(route.decision)
            this_call = reprepare(llm) if reprepare is not None and route.decision.reason == "fallback" else call
            return llm, this_call, attempt(llm, this_call)

        route, (llm, call, result) = self._engine.run(route, on, self._model_name, on_fallback=self._emit)
        return route, llm, call, result

    async def _awith_fallback(
        self,
        route: Route,
        call: Call,
        reprepare: Optional[Callable[[LLM], Call]],
        attempt: Callable[[LLM, Call], Awaitable[Any]],
    ) -> tuple[Route, LLM, Call, Any]:
        async def on(route: Route) -> tuple[LLM, Call, Any]:
            llm = self._llm(route.decision)
            this_call = reprepare(llm) if reprepare is not None and route.decision.reason == "fallback" else call
            return llm, this_call, await attempt(llm, this_call)

        route, (llm, call, result) = await self._engine.arun(route, on, self._model_name, on_fallback=self._emit)
        return route, llm, call, result

    def _delegate(
        self, route: Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Any:
        """Call the chosen LLM's `method` (with fallback); tag the answer and count it in the ledger."""
        return self._answered(*self._with_fallback(route, call, reprepare, invoker(method)))

    async def _adelegate(
        self, route: Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Any:
        return self._answered(*await self._awith_fallback(route, call, reprepare, invoker(method)))

    def _answered(self, route: Route, llm: LLM, call: Call, response: Any) -> Any:
        """A whole answer: counted in the ledger, tagged with the route that produced it."""
        self._account(route, llm, call_usage(call, response))
        if self._engine.settings.explore:
            explore(self._engine, route, call, response, self._routed(), self._model_names())
        return self._tag(response, route.metadata(llm.metadata.model_name))

    def _delegate_stream(
        self, route: Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> Generator:
        """Stream from the chosen LLM. Until its first chunk arrives a failure can still fall back;
        later ones propagate (with the decision attached). Usage is recorded exactly once: when the
        stream ends, is closed early, or fails after its first chunk."""
        start = invoker(method)

        def first_chunk(llm: LLM, call: Call) -> tuple[Generator, Any]:
            stream = start(llm, call)
            return stream, next(stream, END)

        route, llm, call, (stream, first) = self._with_fallback(route, call, reprepare, first_chunk)
        yield from pass_on(stream, first, self._stream_hooks(route, llm, call))

    async def _adelegate_stream(
        self, route: Route, call: Call, reprepare: Optional[Callable[[LLM], Call]], method: str
    ) -> AsyncGenerator:
        start = invoker(method)

        async def first_chunk(llm: LLM, call: Call) -> tuple[AsyncGenerator, Any]:
            stream = await start(llm, call)
            return stream, await anext(stream, END)

        route, llm, call, (stream, first) = await self._awith_fallback(route, call, reprepare, first_chunk)
        async for response in apass_on(stream, first, self._stream_hooks(route, llm, call)):
            yield response

    def _stream_hooks(self, route: Route, llm: LLM, call: Call) -> StreamHooks:
        """How a stream that has started answering is tagged, counted once, and fails."""
        meta = route.metadata(llm.metadata.model_name)
        return StreamHooks(
            tag=lambda response: self._tag(response, meta),
            usage=StreamUsage(call),
            finish=lambda usage: self._account(route, llm, usage),
            fail=lambda error: self._engine.attach(error, route, llm.metadata.model_name),
        )

    # ---- chat and completion -----------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        route, kwargs, reprepare = self._route(messages, kwargs)
        return self._delegate(route, {"messages": messages, **kwargs}, reprepare, "chat")

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        route, kwargs, reprepare = self._route(messages, kwargs)
        return self._delegate_stream(route, {"messages": messages, **kwargs}, reprepare, "stream_chat")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        route, kwargs, _ = self._route(checked_prompt(prompt), kwargs)
        return self._delegate(route, {"prompt": prompt, "formatted": formatted, **kwargs}, None, "complete")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        route, kwargs, _ = self._route(checked_prompt(prompt), kwargs)
        call = {"prompt": prompt, "formatted": formatted, **kwargs}
        return self._delegate_stream(route, call, None, "stream_complete")

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        route, kwargs, reprepare = await self._aroute(messages, kwargs)
        return await self._adelegate(route, {"messages": messages, **kwargs}, reprepare, "achat")

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        route, kwargs, reprepare = await self._aroute(messages, kwargs)
        return self._adelegate_stream(route, {"messages": messages, **kwargs}, reprepare, "astream_chat")

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        route, kwargs, _ = await self._aroute(checked_prompt(prompt), kwargs)
        return await self._adelegate(route, {"prompt": prompt, "formatted": formatted, **kwargs}, None, "acomplete")

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        route, kwargs, _ = await self._aroute(checked_prompt(prompt), kwargs)
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
    achat_with_tools = decided_off_loop(FunctionCallingLLM.achat_with_tools)
    astream_chat_with_tools = decided_off_loop(FunctionCallingLLM.astream_chat_with_tools)

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
