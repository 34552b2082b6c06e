"""`RoutedChatModel`: one LangChain chat model that sends each call to a strong or a weak model.

A RouteLLM router scores the prompt (P(strong model beats weak model)); at or above the threshold
the call goes to the strong model, below it to the weak one. The wrapper is a true `BaseChatModel`:
chains, agents, tools, structured output, streaming, async and batch work unchanged.

Each call has two steps. *Decide* (`decide` / `adecide`): a forced route, else the model that
started the current tool-calling turn (sticky), else the router against the threshold. *Delegate*:
call the chosen model's `_generate` / `_stream` (or async twins) with the wrapper's run manager, so
one user call is one chat-model run with one token stream and one usage count.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import agenerate_from_stream, generate_from_stream
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationInfo, field_validator, model_validator

from routellm_core import (
    Router,
    RoutingDecision,
    available_routers,
    calibrate_threshold,
    load_router,
    routed_text,
    validate_threshold,
)
from routellm_core.errors import UnknownRouterError

from .inner import InnerModel, TRACING_KWARGS, binding_kwargs, intersect_profiles, split_structured, unwrap
from .structured import ROUTING_KEY, ParserByRoute, attach_parser

ROLES = ("strong", "weak")
Role = Literal["strong", "weak"]

#: The call kwarg that carries, per inner model, what `bind_tools` / `with_structured_output` bound.
BINDINGS_KEY = "routellm_bindings"

#: LangChain's standard sampling and client settings belong to the inner models: a routed model has
#: none of its own. Passed to the wrapper they are dropped with a warning (the standard test suite
#: passes them to every chat model); any other unknown argument is an error.
INNER_MODEL_SETTINGS = ("temperature", "max_tokens", "timeout", "max_retries", "api_key")

# Loading a router can be slow (embedding models); load each one once even under concurrent calls.
_LOAD_LOCK = threading.Lock()


class RoutedChatModel(BaseChatModel):
    """A chat model that routes each call to `strong` or `weak` with a RouteLLM router.

    Swap it in wherever a chat model goes:

    ```python
    # llm = ChatOpenAI(model="gpt-4o")
    llm = RoutedChatModel(strong=ChatOpenAI(model="gpt-4o"), weak=ChatOpenAI(model="gpt-4o-mini"),
                          router="default", strong_fraction=0.3, calibration_prompts=my_prompts)
    ```

    - `threshold`: strong when the router's win probability is at or above it; or `strong_fraction`
      with `calibration_prompts`: the threshold that sends that share of those prompts to `strong`
      (computed when the router first loads).
    - The router (a bundled name, a checkpoint directory or a `Router`) loads on first use.
    - Per call: `model="strong"` / `"weak"` (or an inner model's name) forces a route,
      `threshold=` changes the threshold. `route` does the same as a field (make it configurable
      with `configurable_fields`).
    - Inside a tool-calling turn the model that started the turn keeps answering (sticky routing).
    - Every response carries `response_metadata["routellm"]`: `model`, `model_name`,
      `win_probability`, `threshold`, `router`, `reason` (on exactly one chunk when streaming).
    """

    strong: Any
    """The strong (expensive) chat model: a `BaseChatModel`, optionally with `bind(...)` applied."""
    weak: Any
    """The weak (cheap) chat model."""
    router: Any = "default"
    """A bundled router name, a checkpoint directory, or a `routellm_core.Router`."""
    threshold: float | None = None
    """Route to `strong` when the win probability is at or above this (in [0, 1])."""
    strong_fraction: float | None = None
    """Instead of `threshold`: the share of `calibration_prompts` to send to `strong`."""
    calibration_prompts: list[Any] | None = None
    """Prompts typical of the workload (strings or message lists), used with `strong_fraction`."""
    routed_scope: Literal["last_user", "conversation"] = "last_user"
    """Which text the router reads: the last user turn, or the latest turns of the conversation."""
    route: Literal["auto", "strong", "weak"] = "auto"
    """"auto" routes; "strong" / "weak" force a model (useful as a configurable field)."""
    stop: list[str] | None = None
    """Default stop sequences, passed to whichever model answers."""
    streaming: bool = False
    """Stream from the inner model even when invoked (tokens reach streaming callbacks)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    _router: Router | None = PrivateAttr(default=None)
    _calibrated_threshold: float | None = PrivateAttr(default=None)

    # ---- construction ------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _drop_inner_model_settings(cls, values: Any) -> Any:
        if isinstance(values, dict):
            ignored = [name for name in INNER_MODEL_SETTINGS if name in values]
            if ignored:
                warnings.warn(
                    f"RoutedChatModel ignores {', '.join(ignored)}: set them on the strong and weak models",
                    UserWarning,
                    stacklevel=4,
                )
                values = {k: v for k, v in values.items() if k not in ignored}
        return values

    @field_validator("strong", "weak")
    @classmethod
    def _check_inner_model(cls, value: Any, info: ValidationInfo) -> Any:
        unwrap(value, info.field_name)  # raises a clear error for what cannot be delegated to
        return value

    @field_validator("router")
    @classmethod
    def _check_router(cls, value: Any) -> Any:
        if isinstance(value, Router):
            return value
        if not isinstance(value, (str, Path)):
            raise ValueError(f"router must be a router name, a checkpoint directory or a Router, got {type(value).__name__}")
        # Check the name now (cheap); the router itself loads on first use.
        if str(value) not in available_routers() and not Path(value).expanduser().is_dir():
            raise UnknownRouterError(
                f"unknown router {str(value)!r}: not a bundled router ({', '.join(available_routers())}) "
                "nor a checkpoint directory"
            )
        return value

    @field_validator("threshold")
    @classmethod
    def _check_threshold(cls, value: float | None) -> float | None:
        return None if value is None else validate_threshold(value)

    @model_validator(mode="after")
    def _check_threshold_source(self) -> RoutedChatModel:
        if self.threshold is not None and self.strong_fraction is not None:
            raise ValueError("give either threshold or strong_fraction, not both")
        if self.threshold is None and self.strong_fraction is None:
            raise ValueError(
                "give threshold=... (strong when the win probability is at or above it) or "
                "strong_fraction=... with calibration_prompts=[...] (the share of calls to send to strong)"
            )
        if self.strong_fraction is not None:
            if not 0.0 <= self.strong_fraction <= 1.0:
                raise ValueError(f"strong_fraction must be in [0, 1], got {self.strong_fraction!r}")
            if not self.calibration_prompts:
                raise ValueError("strong_fraction needs calibration_prompts: a non-empty list of typical prompts")
        elif self.calibration_prompts is not None:
            raise ValueError("calibration_prompts are used only with strong_fraction")
        return self

    def _resolve_model_profile(self) -> dict | None:
        # What the routed model can do is what both inner models can do.
        return intersect_profiles(self._inner("strong").model.profile, self._inner("weak").model.profile)

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
            "routed_scope": self.routed_scope,
            "route": self.route,
        }
        for role in ROLES:
            model = self._inner(role).model
            params[role] = {"_type": model._llm_type, **model._identifying_params}
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
        if isinstance(model, str) and model:
            return self._inner(model).name if model in ROLES else model
        if self.route in ROLES:
            return self._inner(self.route).name
        return f"routellm/{self.router_name}"

    def _inner(self, role: str) -> InnerModel:
        return unwrap(getattr(self, role), role)

    # ---- the router (loaded lazily) ----------------------------------------------------------

    def get_router(self) -> Router:
        """The router, loaded (and the threshold calibrated) on first use."""
        return self._load()[0]

    def get_threshold(self) -> float:
        """The configured threshold, or the one calibrated from `strong_fraction`."""
        return self._load()[1]

    def _load(self) -> tuple[Router, float]:
        if self._router is None:
            with _LOAD_LOCK:
                if self._router is None:
                    router = load_router(self.router)
                    if self.threshold is None:
                        texts = [self._routed_text(self._as_messages(p)) for p in self.calibration_prompts or []]
                        self._calibrated_threshold = calibrate_threshold(router, texts, self.strong_fraction)
                    self._router = router
        return self._router, self.threshold if self.threshold is not None else self._calibrated_threshold

    def _known_threshold(self, per_call: float | None) -> float:
        """The threshold that applies, without loading the router (NaN if only calibration can tell)."""
        for value in (per_call, self.threshold, self._calibrated_threshold):
            if value is not None:
                return value
        return math.nan

    # ---- decide ------------------------------------------------------------------------------

    def decide(
        self, input: LanguageModelInput, *, model: str | None = None, threshold: float | None = None
    ) -> RoutingDecision:
        """Which model would answer `input` (a string, messages or a prompt value), and why."""
        messages = self._as_messages(input)
        threshold = None if threshold is None else validate_threshold(threshold)
        decision = self._decide_without_router(messages, model, threshold)
        return decision if decision is not None else self._route_by_score(messages, threshold)

    async def adecide(
        self, input: LanguageModelInput, *, model: str | None = None, threshold: float | None = None
    ) -> RoutingDecision:
        """`decide`, with router loading and inference off the event loop."""
        messages = self._as_messages(input)
        threshold = None if threshold is None else validate_threshold(threshold)
        decision = self._decide_without_router(messages, model, threshold)
        if decision is not None:
            return decision
        return await asyncio.to_thread(self._route_by_score, messages, threshold)

    def _decide_without_router(
        self, messages: list[BaseMessage], model: str | None, threshold: float | None
    ) -> RoutingDecision | None:
        forced = self._forced_role(model)
        if forced is not None:
            return RoutingDecision(
                model=forced,
                win_probability=math.nan,  # the router was not asked
                threshold=self._known_threshold(threshold),
                router=self.router_name,
                reason="forced",
            )
        return self._sticky_decision(messages)

    def _forced_role(self, model: str | None) -> Role | None:
        choice = self.route if model is None else model
        if choice == "auto":
            return None
        if choice in ROLES:
            return choice
        names = {role: self._inner(role).name for role in ROLES}
        matches = [role for role in ROLES if names[role] == choice]
        if len(matches) == 1:
            return matches[0]
        raise ValueError(
            f"model={choice!r} names neither route: use 'strong', 'weak', 'auto', or an inner model's "
            f"name ({names['strong']!r} or {names['weak']!r}, which must differ)"
        )

    def _sticky_decision(self, messages: list[BaseMessage]) -> RoutingDecision | None:
        """Inside a tool-calling turn (tool results last), keep the model that made the tool calls."""
        if not messages or not isinstance(messages[-1], ToolMessage):
            return None
        for message in reversed(messages):
            if isinstance(message, ToolMessage):
                continue
            if not isinstance(message, AIMessage) or not message.tool_calls:
                return None
            previous = message.response_metadata.get(ROUTING_KEY)
            if not isinstance(previous, dict) or previous.get("model") not in ROLES:
                return None
            role = previous["model"]
            if previous.get("model_name") != self._inner(role).name:
                return None  # made by another routed model
            return RoutingDecision(
                model=role,
                win_probability=_as_float(previous.get("win_probability")),
                threshold=_as_float(previous.get("threshold")),
                router=self.router_name,
                reason="sticky",
            )
        return None

    def _route_by_score(self, messages: list[BaseMessage], threshold: float | None) -> RoutingDecision:
        router, configured = self._load()
        win_probability = router.win_probability(self._routed_text(messages))
        return RoutingDecision.from_score(win_probability, threshold if threshold is not None else configured, self.router_name)

    def _routed_text(self, messages: list[BaseMessage]) -> str:
        return routed_text([(_role(m), m.content) for m in messages], scope=self.routed_scope)

    def _as_messages(self, input: Any) -> list[BaseMessage]:
        if isinstance(input, list) and all(isinstance(m, BaseMessage) for m in input):
            return input
        return self._convert_input(input).to_messages()

    # ---- the four entry points: decide, then delegate ----------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, threshold, bindings = _pop_call_options(kwargs)
        decision = self.decide(messages, model=model, threshold=threshold)
        return self._delegate_generate(decision, messages, stop, run_manager, kwargs, bindings)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model, threshold, bindings = _pop_call_options(kwargs)
        decision = await self.adecide(messages, model=model, threshold=threshold)
        return await self._adelegate_generate(decision, messages, stop, run_manager, kwargs, bindings)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, threshold, bindings = _pop_call_options(kwargs)
        decision = self.decide(messages, model=model, threshold=threshold)
        yield from self._delegate_stream(decision, messages, stop, run_manager, kwargs, bindings)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model, threshold, bindings = _pop_call_options(kwargs)
        decision = await self.adecide(messages, model=model, threshold=threshold)
        async for chunk in self._adelegate_stream(decision, messages, stop, run_manager, kwargs, bindings):
            yield chunk

    # ---- delegate: one call of the chosen model, under the wrapper's run ----------------------

    def _start_call(
        self, decision: RoutingDecision, stop: list[str] | None, kwargs: dict[str, Any], bindings: dict[str, Any]
    ) -> tuple[InnerModel, list[str] | None, dict[str, Any]]:
        """The chosen model, the stop sequences and the kwargs to call it with."""
        inner = self._inner(decision.model)
        call_kwargs = {**inner.bound_kwargs, **bindings.get(decision.model, {}), **kwargs}
        return inner, stop if stop is not None else self.stop, call_kwargs

    def _delegate_generate(
        self,
        decision: RoutingDecision,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        bindings: dict[str, Any],
    ) -> ChatResult:
        inner, stop, kwargs = self._start_call(decision, stop, kwargs, bindings)
        chat = inner.model
        if chat.rate_limiter:
            chat.rate_limiter.acquire(blocking=True)
        if chat._should_stream(async_api=False, **kwargs):
            # The inner model streams even when invoked (streaming=True): keep its token stream.
            result = generate_from_stream(_report_tokens(chat._stream(messages, stop=stop, **kwargs), run_manager))
        else:
            result = chat._generate(messages, stop=stop, **_run_manager_kwarg(chat._generate, run_manager), **kwargs)
        return _annotate_result(result, decision, inner)

    async def _adelegate_generate(
        self,
        decision: RoutingDecision,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        bindings: dict[str, Any],
    ) -> ChatResult:
        inner, stop, kwargs = self._start_call(decision, stop, kwargs, bindings)
        chat = inner.model
        if chat.rate_limiter:
            await chat.rate_limiter.aacquire(blocking=True)
        if chat._should_stream(async_api=True, **kwargs):
            chunks = _areport_tokens(chat._astream(messages, stop=stop, **kwargs), run_manager)
            result = await agenerate_from_stream(chunks)
        else:
            result = await chat._agenerate(
                messages, stop=stop, **_run_manager_kwarg(chat._agenerate, run_manager), **kwargs
            )
        return _annotate_result(result, decision, inner)

    def _delegate_stream(
        self,
        decision: RoutingDecision,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        bindings: dict[str, Any],
    ) -> Iterator[ChatGenerationChunk]:
        inner, stop, kwargs = self._start_call(decision, stop, kwargs, bindings)
        chat = inner.model
        if chat.rate_limiter:
            chat.rate_limiter.acquire(blocking=True)
        if chat._should_stream(async_api=False, **{**kwargs, "stream": True}):
            chunks = chat._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
        else:  # the inner model cannot stream: its whole answer is one chunk
            result = chat._generate(messages, stop=stop, **_run_manager_kwarg(chat._generate, run_manager), **kwargs)
            chunks = iter([_result_as_chunk(result)])
        annotate = _ChunkAnnotator(decision, inner)
        for chunk in chunks:
            yield annotate(chunk)
        if (closing := annotate.closing_chunk()) is not None:
            yield closing

    async def _adelegate_stream(
        self,
        decision: RoutingDecision,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        bindings: dict[str, Any],
    ) -> AsyncIterator[ChatGenerationChunk]:
        inner, stop, kwargs = self._start_call(decision, stop, kwargs, bindings)
        chat = inner.model
        if chat.rate_limiter:
            await chat.rate_limiter.aacquire(blocking=True)
        if chat._should_stream(async_api=True, **{**kwargs, "stream": True}):
            chunks = chat._astream(messages, stop=stop, run_manager=run_manager, **kwargs)
        else:
            result = await chat._agenerate(
                messages, stop=stop, **_run_manager_kwarg(chat._agenerate, run_manager), **kwargs
            )
            chunks = _aiter([_result_as_chunk(result)])
        annotate = _ChunkAnnotator(decision, inner)
        async for chunk in chunks:
            yield annotate(chunk)
        if (closing := annotate.closing_chunk()) is not None:
            yield closing

    # ---- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools for both inner models; the chosen one gets its binding at call time.

        Extra kwargs (`strict`, `parallel_tool_calls`, `response_format`, ...) reach each inner
        model's own `bind_tools`, so each formats the tools its provider's way.
        """
        tracing = {name: kwargs.pop(name) for name in TRACING_KWARGS if name in kwargs}
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bindings = {}
        for role in ROLES:
            inner = self._inner(role)
            try:
                bound = inner.model.bind_tools(tools, **kwargs)
            except NotImplementedError as error:
                raise NotImplementedError(f"the {role} model ({inner.name}) does not support bind_tools") from error
            bindings[role] = binding_kwargs(bound, inner, "bind_tools")
        return self.bind(**{BINDINGS_KEY: bindings}, **tracing)

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

        `method` / `strict` / other kwargs go to both inner models' `with_structured_output`
        (left out, each uses its provider's default); the response is parsed by the parser of the
        model that answered.
        """
        options = dict(kwargs)
        if method is not None:
            options["method"] = method
        if strict is not None:
            options["strict"] = strict
        bindings, parsers, methods = {}, {}, {}
        for role in ROLES:
            inner = self._inner(role)
            try:
                structured = inner.model.with_structured_output(schema, include_raw=False, **options)
            except NotImplementedError as error:
                raise NotImplementedError(
                    f"the {role} model ({inner.name}) does not support with_structured_output"
                ) from error
            bindings[role], parsers[role], methods[role] = split_structured(structured, inner)
        traced_method = method or (
            methods["strong"] if methods["strong"] == methods["weak"] else f"strong: {methods['strong']}, weak: {methods['weak']}"
        )
        traced = {"kwargs": {"method": traced_method, **({"strict": strict} if strict is not None else {})}, "schema": schema}
        llm = self.bind(**{BINDINGS_KEY: bindings}, ls_structured_output_format=traced)
        return attach_parser(llm, ParserByRoute(parsers), include_raw=include_raw)


# ---- helpers ---------------------------------------------------------------------------------


def _role(message: BaseMessage) -> str:
    """The conversation role the core expects for a LangChain message."""
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, ChatMessage):
        return message.role
    return message.type


def _as_float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _pop_call_options(kwargs: dict[str, Any]) -> tuple[str | None, float | None, dict[str, Any]]:
    """Take the wrapper's own per-call options out of the kwargs bound for the inner model."""
    model = kwargs.pop("model", None)
    threshold = kwargs.pop("threshold", None)
    bindings = kwargs.pop(BINDINGS_KEY, None) or {}
    return model, threshold, bindings


def _run_manager_kwarg(method: Callable[..., Any], run_manager: Any) -> dict[str, Any]:
    # Some custom chat models define `_generate` without a run_manager parameter.
    return {"run_manager": run_manager} if "run_manager" in inspect.signature(method).parameters else {}


def _report_tokens(
    chunks: Iterator[ChatGenerationChunk], run_manager: CallbackManagerForLLMRun | None
) -> Iterator[ChatGenerationChunk]:
    for chunk in chunks:
        if run_manager:
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def _areport_tokens(
    chunks: AsyncIterator[ChatGenerationChunk], run_manager: AsyncCallbackManagerForLLMRun | None
) -> AsyncIterator[ChatGenerationChunk]:
    async for chunk in chunks:
        if run_manager:
            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _has_model_name(*metadata: dict[str, Any] | None) -> bool:
    return any((m or {}).get("model_name") for m in metadata)


def _annotate_result(result: ChatResult, decision: RoutingDecision, inner: InnerModel) -> ChatResult:
    """Add the routing decision (and the model name, if the inner model gave none) to a result."""
    for generation in result.generations:
        metadata = dict(generation.message.response_metadata)
        if not _has_model_name(metadata, generation.generation_info, result.llm_output):
            metadata["model_name"] = inner.name
        metadata[ROUTING_KEY] = decision.as_metadata(inner.name)
        generation.message.response_metadata = metadata
    return result


class _ChunkAnnotator:
    """Puts the routing decision on the first chunk and makes sure one chunk names the model."""

    def __init__(self, decision: RoutingDecision, inner: InnerModel):
        self.routing = decision.as_metadata(inner.name)
        self.model_name = inner.name
        self.named = False
        self.last: ChatGenerationChunk | None = None

    def __call__(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        metadata = dict(chunk.message.response_metadata)
        self.named = self.named or _has_model_name(metadata, chunk.generation_info)
        if self.last is None:
            metadata[ROUTING_KEY] = self.routing
        if getattr(chunk.message, "chunk_position", None) == "last" and not self.named:
            metadata["model_name"] = self.model_name
            self.named = True
        chunk.message.response_metadata = metadata
        self.last = chunk
        return chunk

    def closing_chunk(self) -> ChatGenerationChunk | None:
        """A final chunk when the inner stream did not mark its last one (and name the model)."""
        if self.last is None or getattr(self.last.message, "chunk_position", None) == "last":
            return None
        content: str | list = "" if isinstance(self.last.message.content, str) else []
        metadata = {} if self.named else {"model_name": self.model_name}
        return ChatGenerationChunk(message=AIMessageChunk(content=content, chunk_position="last", response_metadata=metadata))


def _result_as_chunk(result: ChatResult) -> ChatGenerationChunk:
    """A whole (non-streamed) answer as the single, last chunk of a stream."""
    generation = result.generations[0]
    message = generation.message
    metadata = {**(result.llm_output or {}), **(generation.generation_info or {}), **message.response_metadata}
    calls = [
        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
        for i, c in enumerate(getattr(message, "tool_calls", []))
    ]
    calls += [
        tool_call_chunk(name=c.get("name"), args=c.get("args"), id=c.get("id"), index=len(calls) + i)
        for i, c in enumerate(getattr(message, "invalid_tool_calls", []))
    ]
    chunk = AIMessageChunk(
        content=message.content,
        additional_kwargs=message.additional_kwargs,
        response_metadata=metadata,
        usage_metadata=getattr(message, "usage_metadata", None),
        id=message.id,
        name=message.name,
        tool_call_chunks=calls,
        chunk_position="last",
    )
    return ChatGenerationChunk(message=chunk)
