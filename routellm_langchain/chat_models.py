"""`RoutedChatModel`: one LangChain chat model that sends each call to a strong or a weak model,
or to one of N models.

A RouteLLM router scores the prompt (P(strong model beats weak model)); at or above the threshold
the call goes to the strong model, below it to the weak one. Among N models (`models=[...]`,
cheapest first) the scores split prompts into tiers by `shares`, or a router that predicts each
model's quality picks by quality against price. The wrapper is a true `BaseChatModel`: chains,
agents, tools, structured output, streaming, async and batch work unchanged.

Each call has two steps. *Decide* (`_route`): a forced route, else the model that started the
current tool-calling turn (sticky), else the router against the threshold (fixed, calibrated, or
live in adaptive and budget modes); a router that fails sends the call to `default_model`.
*Delegate*: call the chosen model's `_generate` / `_stream` (or async twins) with the wrapper's run
manager, so one user call is one chat-model run with one token stream and one usage count; with
`fallback=True` a model that raises hands the call to the other one (among N, the next dearer one).
Each answered call is recorded once in `ledger`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from routellm_core import Router, RoutingDecision, routed_text
from routellm_core.adaptive import AdaptiveThreshold, CostBudget
from routellm_core.errors import RouteLLMError
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.routing import Route, RoutingEngine, RoutingSettings, check_model_choice
from routellm_core.routing.settings import check_settings_arguments
from routellm_core.routing.settings import calibration_texts
from routellm_core.usage import Usage

from . import delegate
from .delegate import Call
from .inner import InnerModel, TRACING_KWARGS, intersect_profiles, unwrap
from .messages import check_conversation, role_of, sticky_hint
from .responses import UsageCounter, result_usage
from .structured import attach_parser, structured_bindings, tool_bindings

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

ROLES = ("strong", "weak")
Role = Literal["strong", "weak"]

#: LangChain's standard sampling and client settings belong to the inner models: a routed model has
#: none of its own. Passed to the wrapper they are dropped with a warning (the standard test suite
#: passes them to every chat model); any other unknown argument is an error.
INNER_MODEL_SETTINGS = ("temperature", "max_tokens", "timeout", "max_retries", "api_key")

# Building an engine is cheap, but each must exist once per settings even under concurrent calls.
_ENGINE_LOCK = threading.Lock()


class RoutingState:
    """What a routed model learns at run time, shared with the copies LangChain makes of it.

    LangChain builds a new model object for each call that sets a configurable field, passing it
    this object with the other fields. Each routing engine (a loaded router with its calibrated or
    live threshold and its memory of tool-calling turns) is kept under the settings it was built
    from: a copy with the same settings reuses it, a copy with other settings builds its own.
    """

    def __init__(self) -> None:
        self.engines: dict[tuple, RoutingEngine] = {}

    def __repr__(self) -> str:
        return f"RoutingState(engines={len(self.engines)})"


class RoutedChatModel(BaseChatModel):
    """A chat model that routes each call to `strong` or `weak` with a RouteLLM router.

    Swap it in wherever a chat model goes:

    ```python
    # llm = ChatOpenAI(model="gpt-4o")
    llm = RoutedChatModel(strong=ChatOpenAI(model="gpt-4o"), weak=ChatOpenAI(model="gpt-4o-mini"),
                          strong_fraction=0.3)   # 30 % of typical chat traffic to the strong model
    ```

    With no threshold settings about half of typical chat traffic goes to `strong` (the router's
    reference quantiles); `strong_fraction`, `calibration_prompts`, `threshold`, `adaptive` and
    `budget` set the share otherwise. Per call, `model=` forces a route and `threshold=` changes the
    threshold. Every response carries `response_metadata["routellm"]` (`model`, `model_name`,
    `win_probability`, `threshold`, `router`, `reason`; on one chunk when streaming), and `ledger`
    counts every answered call. N models: `models=[...]` (cheapest first) with `prices` and
    `shares` (or a quality router's `price_weight`) instead of `strong` and `weak`.

    The routing rules — sticky tool-calling turns, turns without text, router failures, fallback,
    usage — are the core engine's, shared with `RoutedLLM` (docs/routing.md); the options are
    described in docs/langchain.md.
    """

    strong: Any = None
    """The strong (expensive) chat model: a `BaseChatModel`, optionally with `bind(...)` applied.
    Give `strong` and `weak`, or `models`."""
    weak: Any = None
    """The weak (cheap) chat model."""
    models: list[Any] | None = None
    """Instead of `strong` and `weak`: two or more chat models, cheapest first, with distinct names
    (each model's own name, e.g. its `model_name`)."""
    prices: list[Price] | None = None
    """With `models`: each model's price per million input / output tokens, in the order of `models`
    (for the ledger's cost, and for a quality router's `price_weight`)."""
    shares: list[float] | None = None
    """With `models` and a scalar router: the share of calls each model answers, cheapest first,
    adding up to 1 (default: equal shares) — of typical chat traffic (the router's reference
    quantiles), or of `calibration_prompts` when given."""
    price_weight: float = 0.0
    """With `models` and a router that predicts each model's quality: the quality one unit of price
    (per million tokens, input and output averaged) is worth; each call goes to the model with the
    best quality - price_weight * price (0: the best predicted model, whatever it costs)."""
    explore: float = 0.0
    """Shadow sampling: on this share of routed calls also ask another model, in the background, and
    append both answers to `explore_path` for `routellm label` to judge (its usage goes to the
    ledger as exploration). 0: off."""
    explore_path: str | None = None
    """With `explore`: the JSONL file the shadow pairs are appended to."""
    router: Any = "default"
    """A bundled router name, a checkpoint directory, or a `routellm_core.Router`."""
    threshold: float | None = None
    """Route to `strong` when the win probability is at or above this (in [0, 1]; each router has its own scale)."""
    strong_fraction: float | None = None
    """Instead of `threshold`: the share of calls to send to `strong`. Without `calibration_prompts`
    the router's reference quantiles (typical chat prompts) set it; with neither this nor a threshold,
    0.5. Live with `adaptive`."""
    calibration_prompts: list[Any] | None = None
    """Prompts typical of the workload (strings or message lists): calibrate `strong_fraction` on them,
    or warm up the live threshold in adaptive and budget modes."""
    adaptive: bool = False
    """With `strong_fraction`: track the share on live traffic instead of fixing a threshold once."""
    budget: CostBudget | None = None
    """A spend target (`CostBudget(ledger, cost_per_call=...)`): a live threshold whose strong share
    is the one that meets it. Its ledger, which must carry prices, becomes `ledger`."""
    ledger: RoutingLedger | None = None
    """Where every answered call is recorded; created (with `strong_price` / `weak_price`) if not given."""
    strong_price: Price | None = None
    """Price of the strong model per million input / output tokens, for the ledger's cost."""
    weak_price: Price | None = None
    """Price of the weak model per million input / output tokens."""
    fallback: bool = False
    """When the chosen model raises, call the other one (reason "fallback" in the metadata)."""
    on_router_error: Literal["default", "raise"] = "default"
    """A failing router: send the call to `default_model` and log a warning once, or raise."""
    default_model: Literal["strong", "weak"] = "strong"
    """The model that answers when the router cannot decide."""
    scope: Literal["last_user", "conversation"] = "last_user"
    """Which text the router reads: the last user turn, or the latest turns of the conversation."""
    route: str = "auto"
    """"auto" routes; "strong" / "weak" (the dearest / cheapest of N) or an inner model's name forces
    a model (useful as a configurable field)."""
    stop: list[str] | None = None
    """Default stop sequences, passed to whichever model answers."""
    streaming: bool = False
    """Stream from the inner model even when invoked (tokens reach streaming callbacks)."""

    routing_state: RoutingState = Field(default_factory=RoutingState, exclude=True, repr=False)
    """Run-time state (loaded router, calibrated and live thresholds), shared with copies: not a setting."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    _state_key: tuple | None = PrivateAttr(default=None)

    # ---- construction ------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _drop_inner_model_settings(cls, values: Any) -> Any:
        if isinstance(values, dict):
            ignored = [name for name in INNER_MODEL_SETTINGS if name in values]
            if ignored:
                warnings.warn(
                    f"RoutedChatModel ignores {', '.join(ignored)}: set them on the inner models",
                    UserWarning,
                    stacklevel=4,
                )
                values = {k: v for k, v in values.items() if k not in ignored}
        return values

    @field_validator("strong", "weak", "models")
    @classmethod
    def _check_inner_models(cls, value: Any, info: ValidationInfo) -> Any:
        # a clear error for what cannot be delegated to
        many = info.field_name == "models" and value is not None
        for i, model in enumerate(value if many else [value]):
            if model is not None:
                unwrap(model, f"models[{i}]" if many else info.field_name)
        return value

    @model_validator(mode="before")
    @classmethod
    def _rename_routed_scope(cls, values: Any) -> Any:
        if isinstance(values, dict) and "routed_scope" in values:
            warnings.warn("routed_scope is now scope (the same name as RoutedLLM's)", DeprecationWarning, stacklevel=4)
            values = {**{k: v for k, v in values.items() if k != "routed_scope"}, "scope": values["routed_scope"]}
        return values

    @model_validator(mode="after")
    def _check_routing(self) -> RoutedChatModel:
        # The core checks every routing setting, with the same messages as RoutedLLM's: building an
        # engine checks them (the router itself loads on first use) and is otherwise thrown away.
        check_model_choice(self.strong, self.weak, self.models)
        self.ledger = self._new_engine().ledger
        return self

    def __init__(self, **kwargs: Any) -> None:
        # The core checks the routing settings first: both adapters refuse bad ones with the same error.
        check_settings_arguments(kwargs)
        try:
            super().__init__(**kwargs)
        except ValidationError as error:
            # A routing setting the core refused: raise its own error (as RoutedLLM does), not pydantic's.
            causes = [e.get("ctx", {}).get("error") for e in error.errors()]
            if len(causes) == 1 and isinstance(causes[0], RouteLLMError):
                raise causes[0] from None
            raise

    def _resolve_model_profile(self) -> dict | None:
        # What the routed model can do is what every inner model can do.
        profiles = [inner.model.profile for inner in self._slots().values()]
        return functools.reduce(intersect_profiles, profiles[1:], profiles[0])

    # ---- identity and tracing ----------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "routellm"

    @property
    def router_name(self) -> str:
        """The router's name as reported in routing metadata (known without loading it)."""
        return self.router.name if isinstance(self.router, Router) else str(self.router)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "router": self.router_name,
            "threshold": self.threshold,
            "strong_fraction": self.strong_fraction,
            "adaptive": self.adaptive or self.budget is not None,
            "scope": self.scope,
            "route": self.route,
            "fallback": self.fallback,
        }
        described = {slot: {"_type": inner.model._llm_type, **inner.model._identifying_params}
                     for slot, inner in self._slots().items()}
        if self.models is None:
            params.update(described)
        else:
            params.update(models=list(described.values()), shares=self.shares, price_weight=self.price_weight)
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="routellm", ls_model_name=self._traced_model_name(kwargs.get("model")), ls_model_type="chat"
        )
        stop = stop if stop is not None else self.stop
        if stop:
            params["ls_stop"] = stop
        return params

    def _traced_model_name(self, model: Any) -> str:
        for choice in (model, self.route):
            if isinstance(choice, str) and choice and choice != "auto":
                try:
                    return self._inner(self._engine().forced_role(choice, self._names())).name
                except RouteLLMError:
                    return choice
        return f"routellm/{self.router_name}"

    def _slots(self) -> dict[str, InnerModel]:
        """The routed models by the name decisions give them: "strong" and "weak" for two; for N
        models each model's own name, cheapest first."""
        if self.models is None:
            return {role: unwrap(getattr(self, role), role) for role in ROLES}
        inners = [unwrap(model, f"models[{i}]") for i, model in enumerate(self.models)]
        return {inner.name: InnerModel(inner.name, inner.model, inner.bound_kwargs) for inner in inners}

    def _inner(self, slot: str) -> InnerModel:
        if self.models is None:
            return unwrap(getattr(self, slot), slot)
        return self._slots()[slot]

    @staticmethod
    def _describe(slot: str, inner: InnerModel) -> str:
        """How errors name an inner model: "the strong model (gpt-4o)", "the model 'gpt-4o'"."""
        return f"the {slot} model ({inner.name})" if slot in ROLES else f"the model {inner.name!r}"

    # ---- the routing engine (the router loads on first use) ------------------------------------

    def _settings(self) -> RoutingSettings:
        prompts = self.calibration_prompts
        texts = None if prompts is None else calibration_texts(prompts, lambda p: self._routed_text(self._as_messages(p)))
        return RoutingSettings(
            threshold=self.threshold, strong_fraction=self.strong_fraction, calibration_texts=texts,
            adaptive=self.adaptive, budget=self.budget, fallback=self.fallback,
            on_router_error=self.on_router_error, default_model=self.default_model, scope=self.scope,
            shares=None if self.shares is None else tuple(self.shares), price_weight=self.price_weight,
            explore=self.explore, explore_path=None if self.explore_path is None else str(self.explore_path),
        )

    def _settings_key(self) -> tuple:
        """The settings an engine depends on (see `RoutingState`)."""
        if self._state_key is None:
            router = self.router if isinstance(self.router, Router) else str(self.router)
            prompts = repr(self.calibration_prompts).encode("utf-8", "backslashreplace")
            self._state_key = (
                router, self.threshold, self.strong_fraction, hashlib.blake2b(prompts, digest_size=16).hexdigest(),
                self.adaptive, id(self.budget), self.fallback, self.on_router_error, self.default_model,
                self.scope, id(self.ledger),
                None if self.models is None else tuple(self._slots()),
                None if self.prices is None else tuple(self.prices),
                None if self.shares is None else tuple(self.shares), self.price_weight, self.explore,
                self.explore_path,
            )
        return self._state_key

    def _engine(self) -> RoutingEngine:
        """The routing policy for these settings, shared with copies that have the same ones."""
        key = self._settings_key()
        engine = self.routing_state.engines.get(key)
        if engine is None:
            with _ENGINE_LOCK:
                engine = self.routing_state.engines.get(key)
                if engine is None:
                    engine = self._new_engine()
                    self.routing_state.engines[key] = engine
        return engine

    def _new_engine(self) -> RoutingEngine:
        return RoutingEngine.build(
            self.router, self._settings(),
            models=None if self.models is None else [unwrap(m, f"models[{i}]").name for i, m in enumerate(self.models)],
            prices=self.prices, ledger=self.ledger, budget=self.budget, strong_price=self.strong_price,
            weak_price=self.weak_price,
        )

    @property
    def adaptive_threshold(self) -> AdaptiveThreshold | None:
        """The live threshold in adaptive and budget modes (None until the router loads, or in fixed mode)."""
        engine = self._engine()
        return getattr(engine.policy, "tracker", None) if engine.is_loaded else None

    def get_router(self) -> Router:
        """The router, loaded (and the threshold calibrated or warmed up) on first use."""
        return self._engine().router

    def get_threshold(self) -> float:
        """The threshold that applies now: fixed, for a share of strong calls, or live. Among N
        models, the lowest tier's (NaN for a router that predicts each model's quality)."""
        return self._engine().threshold()

    def get_tier_thresholds(self) -> list[float]:
        """Among N models with a scalar router, the N - 1 thresholds between tiers, lowest first:
        a prompt scoring at or above the k-th goes to a dearer model than the k-th cheapest. Empty
        for a router that predicts each model's quality; for two models, `[get_threshold()]`."""
        engine = self._engine()
        if not engine.n_models:
            return [engine.threshold()]
        return list(getattr(engine.policy, "thresholds", []))

    # ---- decide ------------------------------------------------------------------------------

    def decide(
        self, input: LanguageModelInput, *, model: str | None = None, threshold: float | None = None
    ) -> RoutingDecision:
        """Which model would answer `input` (a string, messages or a prompt value), and why
        (`decision.model`: "strong" or "weak"; among N models, the inner model's name).

        A preview: in adaptive and budget modes it reads the live threshold without moving it.
        """
        return self._route(self._as_messages(input), model, threshold, live=False).decision

    async def adecide(
        self, input: LanguageModelInput, *, model: str | None = None, threshold: float | None = None
    ) -> RoutingDecision:
        """`decide`, with router loading and inference off the event loop."""
        return (await self._aroute(self._as_messages(input), model, threshold, live=False)).decision

    def _route(self, messages: list[BaseMessage], model: str | None, threshold: float | None, *, live: bool) -> Route:
        check_conversation(messages)
        engine = self._engine()
        forced = engine.forced_role(self.route if model is None else model, self._names())
        pairs = [(role_of(m), m.content) for m in messages]
        return engine.decide(pairs, model=forced, threshold=threshold, live=live, sticky_hint=sticky_hint(messages, self._names(), self.router_name))

    async def _aroute(
        self, messages: list[BaseMessage], model: str | None, threshold: float | None, *, live: bool
    ) -> Route:
        # Off the event loop. A cancelled call leaves the thread to finish its (bounded) scoring.
        return await asyncio.to_thread(self._route, messages, model, threshold, live=live)

    def _names(self) -> dict[str, str]:
        """Each slot's inner model name ({"strong": ..., "weak": ...}; among N, each name by itself)."""
        return {slot: inner.name for slot, inner in self._slots().items()}

    def _routed_text(self, messages: list[BaseMessage]) -> str:
        return routed_text([(role_of(m), m.content) for m in messages], scope=self.scope)

    def _as_messages(self, input: Any) -> list[BaseMessage]:
        if isinstance(input, list) and all(isinstance(m, BaseMessage) for m in input):
            return input
        return self._convert_input(input).to_messages()

    # ---- the four entry points: decide, delegate (falling back if asked), record -------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, threshold, call = delegate.prepare_call(messages, stop, run_manager, kwargs)
        route = self._route(messages, model, threshold, live=True)
        route, result = self._with_fallback(route, lambda chosen: self._delegate_generate(chosen, call))
        self._record(route, result_usage(messages, result))
        self._explore(route, call, result)
        return result

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, threshold, call = delegate.prepare_call(messages, stop, run_manager, kwargs)
        route = await self._aroute(messages, model, threshold, live=True)
        route, result = await self._awith_fallback(route, lambda chosen: self._adelegate_generate(chosen, call))
        self._record(route, result_usage(messages, result))
        self._explore(route, call, result)
        return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, threshold, call = delegate.prepare_call(messages, stop, run_manager, kwargs)
        route = self._route(messages, model, threshold, live=True)

        def start(chosen: Route) -> tuple[Iterator[ChatGenerationChunk], ChatGenerationChunk | None]:
            # Until the first chunk is in, nothing has reached the caller: the other model can still answer.
            chunks = self._delegate_stream(chosen, call)
            return chunks, next(chunks, None)

        route, (chunks, first) = self._with_fallback(route, start)
        yield from delegate.pass_on(route, first, chunks, UsageCounter(messages), self._record, self._attach)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model, threshold, call = delegate.prepare_call(messages, stop, run_manager, kwargs)
        route = await self._aroute(messages, model, threshold, live=True)

        async def start(chosen: Route) -> tuple[AsyncIterator[ChatGenerationChunk], ChatGenerationChunk | None]:
            chunks = self._adelegate_stream(chosen, call)
            return chunks, await anext(chunks, None)

        route, (chunks, first) = await self._awith_fallback(route, start)
        async for chunk in delegate.apass_on(route, first, chunks, UsageCounter(messages), self._record, self._attach):
            yield chunk

    def _with_fallback(self, route: Route, attempt: Callable[[Route], _T]) -> tuple[Route, _T]:
        """Run `attempt` on the chosen route; if it raises, on the other model (fallback=True) or
        re-raise with the decision attached. Returns the route that answered and its result."""
        return self._engine().run(route, attempt, self._inner_name)

    async def _awith_fallback(self, route: Route, attempt: Callable[[Route], Awaitable[_T]]) -> tuple[Route, _T]:
        return await self._engine().arun(route, attempt, self._inner_name)

    def _inner_name(self, role: str) -> str:
        return self._inner(role).name

    def _record(self, route: Route, usage: Usage) -> None:
        self._engine().record(route, usage)

    def _explore(self, route: Route, call: Call, result: ChatResult) -> None:
        """Shadow sampling (`explore`): the engine may ask another model too, in the background."""
        engine = self._engine()
        if engine.settings.explore:
            delegate.explore(engine, route, call, result, self._start_call, self._names(), self._routed_text(call.messages))

    def _attach(self, error: BaseException, route: Route) -> None:
        self._engine().attach(error, route, self._inner(route.model).name)

    # ---- delegate: one call of the chosen model, under the wrapper's run ----------------------

    def _start_call(self, route: Route, call: Call) -> tuple[InnerModel, list[str] | None, dict[str, Any]]:
        """The chosen model, the stop sequences and the kwargs to call it with."""
        inner = self._inner(route.model)
        kwargs = {**inner.bound_kwargs, **call.bindings.get(route.model, {}), **call.kwargs}
        return inner, call.stop if call.stop is not None else self.stop, kwargs

    def _delegate_generate(self, route: Route, call: Call) -> ChatResult:
        return delegate.generate(route, call, *self._start_call(route, call))

    async def _adelegate_generate(self, route: Route, call: Call) -> ChatResult:
        return await delegate.agenerate(route, call, *self._start_call(route, call))

    def _delegate_stream(self, route: Route, call: Call) -> Iterator[ChatGenerationChunk]:
        return delegate.stream(route, call, *self._start_call(route, call))

    def _adelegate_stream(self, route: Route, call: Call) -> AsyncIterator[ChatGenerationChunk]:
        return delegate.astream(route, call, *self._start_call(route, call))

    # ---- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools for every inner model; the chosen one gets its binding at call time.

        Extra kwargs (`strict`, `parallel_tool_calls`, `response_format`, ...) reach each inner
        model's own `bind_tools`, so each formats the tools its provider's way.
        """
        tracing = {name: kwargs.pop(name) for name in TRACING_KWARGS if name in kwargs}
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(**{delegate.BINDINGS_KEY: tool_bindings(self._slots(), self._describe, tools, kwargs)}, **tracing)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: str | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict | BaseModel]:
        """Structured output from whichever model answers, each using its own method.

        `method` / `strict` / other kwargs go to every inner model's `with_structured_output`
        (left out, each uses its provider's default); the response is parsed by the parser of the
        model that answered.
        """
        bindings, parser, traced = structured_bindings(self._slots(), self._describe, schema, method, strict, kwargs)
        llm = self.bind(**{delegate.BINDINGS_KEY: bindings}, ls_structured_output_format=traced)
        return attach_parser(llm, parser, include_raw=include_raw)


# ---- helpers ---------------------------------------------------------------------------------
