"""RoutedLLM: a LlamaIndex FunctionCallingLLM that sends each call to a strong or a weak LLM.

Each call is first *decided* (`_decide`: forced, sticky within a tool-calling turn, or routed by the
router's win probability against the threshold) and then *delegated* to the chosen inner LLM's own
method. The wrapper's methods are deliberately not decorated with LlamaIndex's LLM callback
decorators: the inner LLM's decorators already emit the LLM events and token counts, and decorating
both would double them. The wrapper shares its callback manager with both inner LLMs so that
handlers set on it (or through `Settings.callback_manager`) see those events, and it emits one
`RoutingDecisionEvent` per decision through the instrumentation dispatcher.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import AsyncGenerator, Generator, Sequence
from dataclasses import replace
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

from routellm_core import (
    RouteLLMError,
    Router,
    RoutingDecision,
    UnknownRouterError,
    available_routers,
    calibrate_threshold,
    load_router,
    routed_text,
    validate_threshold,
)

from .events import RoutingDecisionEvent
from .messages import conversation, current_turn, routing_pairs
from .turns import TurnMemory

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

#: Where every response carries the routing decision: `response.additional_kwargs[METADATA_KEY]`.
METADATA_KEY = "routellm"

# Per-call keyword arguments the wrapper consumes (never passed on to the inner LLM).
_FORCE_KWARG = "model"  # "strong" / "weak" / an inner model's name: skip the router
_THRESHOLD_KWARG = "threshold"  # a threshold for this call only
_DECISION_KWARG = "routellm_decision"  # a decision taken in _prepare_chat_with_tools, carried into chat

# Loading a router or calibrating happens once per RoutedLLM; the lock keeps concurrent first calls
# from doing it twice. Module level, so RoutedLLM copies and pickles stay lock-free.
_LOAD_LOCK = threading.Lock()

dispatcher = get_dispatcher(__name__)


class RoutedLLM(FunctionCallingLLM):
    """A drop-in LlamaIndex LLM that routes each call to `strong` or `weak` with a learned router.

    ```python
    from llama_index.core import Settings
    from routellm_llamaindex import RoutedLLM

    Settings.llm = RoutedLLM(strong=OpenAI(model="gpt-4o"), weak=OpenAI(model="gpt-4o-mini"), threshold=0.4)
    ```

    Give either `threshold` (strong when the win probability >= threshold) or `strong_fraction`
    with `calibration_prompts` (the threshold that sends that share of those prompts to the strong
    model, computed on first use). The router (`"default"`, another bundled name, a checkpoint
    directory or a `Router`) loads on first use, so construction stays fast.

    Every response carries `response.additional_kwargs["routellm"]` = `{model, model_name,
    win_probability, threshold, router, reason}` (on every streamed delta too). Per call,
    `model="strong"`/`"weak"` (or an inner model's name) forces the route and `threshold=`
    overrides the threshold; `decide(prompt)` previews a decision. Within a tool-calling turn the
    model that started the turn answers every step (reason `"sticky"`).
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
        description="Instead of a threshold: the share of calibration prompts to send to the strong model.",
    )
    calibration_prompts: Optional[List[str]] = Field(
        default=None, exclude=True, description="Prompts like your traffic, used with strong_fraction."
    )
    scope: Literal["last_user", "conversation"] = Field(
        default="last_user",
        description="Routed text: the last user turn, or the latest turns of the conversation.",
    )

    _router: Optional[Router] = PrivateAttr(default=None)
    _calibrated_threshold: Optional[float] = PrivateAttr(default=None)
    _turns: TurnMemory = PrivateAttr(default_factory=TurnMemory)

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
        **kwargs: Any,
    ) -> None:
        for role, llm in (("strong", strong), ("weak", weak)):
            if not isinstance(llm, LLM):
                raise RouteLLMError(
                    f"{role} must be a LlamaIndex LLM (llama_index.core.llms.LLM), got {type(llm).__name__}"
                )
        _check_router(router)
        threshold, strong_fraction, calibration_prompts = _check_threshold_settings(
            threshold, strong_fraction, calibration_prompts
        )
        super().__init__(
            strong=strong,
            weak=weak,
            router=router,
            threshold=threshold,
            strong_fraction=strong_fraction,
            calibration_prompts=calibration_prompts,
            scope=scope,
            callback_manager=callback_manager or _shared_callback_manager(strong, weak),
            **kwargs,
        )
        if isinstance(router, Router):
            self._router = router

    @classmethod
    def class_name(cls) -> str:
        return "RoutedLLM"

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

    def get_router(self) -> Router:
        """The router, loaded on first use."""
        if self._router is None:
            with _LOAD_LOCK:
                if self._router is None:
                    self._router = load_router(self.router)
        return self._router

    @property
    def effective_threshold(self) -> float:
        """The threshold in use: `threshold`, or the one calibrated from `strong_fraction` (on first use)."""
        if self.threshold is not None:
            return self.threshold
        if self._calibrated_threshold is None:
            router = self.get_router()
            with _LOAD_LOCK:
                if self._calibrated_threshold is None:
                    self._calibrated_threshold = calibrate_threshold(
                        router, self.calibration_prompts, self.strong_fraction
                    )
        return self._calibrated_threshold

    def _router_name(self) -> str:
        if self._router is not None:
            return self._router.name
        return str(self.router)

    # ---- decide ------------------------------------------------------------------------------

    def _decide(
        self,
        messages: Union[str, Sequence[ChatMessage]],
        model: Optional[str] = None,
        threshold: Optional[float] = None,
    ) -> RoutingDecision:
        """The routing decision for one call: forced, sticky within a tool-calling turn, or routed.

        `model` is "strong", "weak" or None and `threshold` a checked number or None (see `decide`).
        A forced route does not consult the router (its win probability is NaN). The decision that
        starts a turn is remembered, so the tool-calling steps that continue it reuse it.
        """
        if isinstance(messages, str):
            pairs, turn = [("user", messages)], None
        else:
            pairs = routing_pairs(messages)
            turn = current_turn(pairs)
        if model is not None:
            known = threshold if threshold is not None else self.threshold
            if known is None:
                known = self._calibrated_threshold
            decision = RoutingDecision(
                model=model,
                win_probability=math.nan,
                threshold=math.nan if known is None else known,
                router=self._router_name(),
                reason="forced",
            )
        else:
            started = self._turns.get(turn.key) if turn is not None and turn.continuing else None
            if started is not None:
                return replace(started, reason="sticky")
            text = routed_text(pairs, scope=self.scope)
            router = self.get_router()
            threshold = self.effective_threshold if threshold is None else threshold
            decision = RoutingDecision.from_score(router.win_probability(text), threshold, router.name)
        if turn is not None and turn.key is not None:
            self._turns.put(turn.key, decision)
        return decision

    def decide(
        self,
        prompt: Union[str, Sequence[ChatMessage]],
        *,
        model: Optional[str] = None,
        threshold: Optional[float] = None,
    ) -> RoutingDecision:
        """Which model would answer `prompt` (a string or chat messages), and why, without calling it.

        `model` forces a route ("strong", "weak" or an inner model's name); `threshold` replaces the
        configured one for this decision.
        """
        forced, threshold = self._check_options(model, threshold)
        return self._decide(prompt, forced, threshold)

    async def adecide(
        self,
        prompt: Union[str, Sequence[ChatMessage]],
        *,
        model: Optional[str] = None,
        threshold: Optional[float] = None,
    ) -> RoutingDecision:
        """`decide`, with router loading and inference in a worker thread, never on the event loop."""
        forced, threshold = self._check_options(model, threshold)
        return await asyncio.to_thread(self._decide, prompt, forced, threshold)

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

    def _route(self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]) -> tuple[RoutingDecision, Dict[str, Any]]:
        """Decide (unless a decision is carried in `kwargs`) and return the kwargs meant for the inner LLM."""
        kwargs = dict(kwargs)
        decision = kwargs.pop(_DECISION_KWARG, None)
        model, threshold = kwargs.pop(_FORCE_KWARG, None), kwargs.pop(_THRESHOLD_KWARG, None)
        if decision is None:
            decision = self.decide(messages, model=model, threshold=threshold)
            self._emit(decision)
        return decision, kwargs

    async def _aroute(
        self, messages: Union[str, Sequence[ChatMessage]], kwargs: Dict[str, Any]
    ) -> tuple[RoutingDecision, Dict[str, Any]]:
        kwargs = dict(kwargs)
        decision = kwargs.pop(_DECISION_KWARG, None)
        model, threshold = kwargs.pop(_FORCE_KWARG, None), kwargs.pop(_THRESHOLD_KWARG, None)
        if decision is None:
            decision = await self.adecide(messages, model=model, threshold=threshold)
            self._emit(decision)
        return decision, kwargs

    def _emit(self, decision: RoutingDecision) -> None:
        meta = decision.as_metadata(self._llm(decision).metadata.model_name)
        dispatcher.event(RoutingDecisionEvent(**meta))

    # ---- delegate ----------------------------------------------------------------------------

    def _llm(self, decision: RoutingDecision) -> LLM:
        """The inner LLM a decision names, sharing the wrapper's callback manager."""
        llm = self.strong if decision.model == "strong" else self.weak
        if llm.callback_manager is not self.callback_manager:
            llm.callback_manager = self.callback_manager
        return llm

    def _tool_llm(self, decision: RoutingDecision) -> FunctionCallingLLM:
        llm = self._llm(decision)
        if not isinstance(llm, FunctionCallingLLM):
            raise RouteLLMError(
                f"tool calling needs both inner LLMs to be FunctionCallingLLMs; the {decision.model} one "
                f"({type(llm).__name__}) is not"
            )
        return llm

    def _answered_by(self, response: Union[ChatResponse, CompletionResponse]) -> LLM:
        """The inner LLM that produced a response, read from its routing metadata (strong if absent)."""
        meta = response.additional_kwargs.get(METADATA_KEY)
        model = meta.get("model") if isinstance(meta, dict) else None
        return self.weak if model == "weak" else self.strong

    @staticmethod
    def _metadata(decision: RoutingDecision, llm: LLM) -> Dict[str, Any]:
        return decision.as_metadata(llm.metadata.model_name)

    @staticmethod
    def _tag(response: Any, meta: Dict[str, Any]) -> Any:
        # On the response, never on response.message: providers send message.additional_kwargs back.
        response.additional_kwargs = {**response.additional_kwargs, METADATA_KEY: dict(meta)}
        return response

    def _tag_stream(self, stream: Generator, meta: Dict[str, Any]) -> Generator:
        for response in stream:
            yield self._tag(response, meta)

    async def _atag_stream(self, stream: AsyncGenerator, meta: Dict[str, Any]) -> AsyncGenerator:
        async for response in stream:
            yield self._tag(response, meta)

    # ---- chat and completion -----------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        decision, kwargs = self._route(messages, kwargs)
        llm = self._llm(decision)
        return self._tag(llm.chat(messages, **kwargs), self._metadata(decision, llm))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        decision, kwargs = self._route(messages, kwargs)
        llm = self._llm(decision)
        return self._tag_stream(llm.stream_chat(messages, **kwargs), self._metadata(decision, llm))

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        decision, kwargs = self._route(prompt, kwargs)
        llm = self._llm(decision)
        return self._tag(llm.complete(prompt, formatted=formatted, **kwargs), self._metadata(decision, llm))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        decision, kwargs = self._route(prompt, kwargs)
        llm = self._llm(decision)
        stream = llm.stream_complete(prompt, formatted=formatted, **kwargs)
        return self._tag_stream(stream, self._metadata(decision, llm))

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        decision, kwargs = await self._aroute(messages, kwargs)
        llm = self._llm(decision)
        return self._tag(await llm.achat(messages, **kwargs), self._metadata(decision, llm))

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        decision, kwargs = await self._aroute(messages, kwargs)
        llm = self._llm(decision)
        stream = await llm.astream_chat(messages, **kwargs)
        return self._atag_stream(stream, self._metadata(decision, llm))

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        decision, kwargs = await self._aroute(prompt, kwargs)
        llm = self._llm(decision)
        response = await llm.acomplete(prompt, formatted=formatted, **kwargs)
        return self._tag(response, self._metadata(decision, llm))

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        decision, kwargs = await self._aroute(prompt, kwargs)
        llm = self._llm(decision)
        stream = await llm.astream_complete(prompt, formatted=formatted, **kwargs)
        return self._atag_stream(stream, self._metadata(decision, llm))

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
        decision, kwargs = self._route(conversation(user_msg, chat_history), kwargs)
        chat_kwargs = self._tool_llm(decision)._prepare_chat_with_tools_compat(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )
        # chat_with_tools passes these on to self.chat, which delegates to the same LLM.
        return {**chat_kwargs, _DECISION_KWARG: decision}

    async def _aroute_tools(
        self,
        user_msg: Optional[Union[str, ChatMessage]],
        chat_history: Optional[List[ChatMessage]],
        kwargs: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Decide off the event loop before the (synchronous) _prepare_chat_with_tools runs."""
        decision, kwargs = await self._aroute(conversation(user_msg, chat_history), kwargs)
        return {**kwargs, _DECISION_KWARG: decision}

    async def achat_with_tools(
        self,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        kwargs = await self._aroute_tools(user_msg, chat_history, kwargs)
        return await super().achat_with_tools(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )

    async def astream_chat_with_tools(
        self,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        kwargs = await self._aroute_tools(user_msg, chat_history, kwargs)
        return await super().astream_chat_with_tools(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence["BaseTool"],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        for own in (_DECISION_KWARG, _FORCE_KWARG, _THRESHOLD_KWARG):
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


def _check_threshold_settings(
    threshold: Optional[float], strong_fraction: Optional[float], calibration_prompts: Optional[Sequence[str]]
) -> tuple[Optional[float], Optional[float], Optional[List[str]]]:
    if (threshold is None) == (strong_fraction is None):
        raise RouteLLMError(
            "give exactly one of threshold= (a number in [0, 1]) or strong_fraction= (with calibration_prompts=)"
            + (", not both" if threshold is not None else "")
        )
    if threshold is not None:
        if calibration_prompts is not None:
            raise RouteLLMError("calibration_prompts are only used with strong_fraction=, not with threshold=")
        return validate_threshold(threshold), None, None
    if isinstance(strong_fraction, bool) or not isinstance(strong_fraction, (int, float)) or not (
        0.0 <= float(strong_fraction) <= 1.0
    ):
        raise RouteLLMError(f"strong_fraction must be a number in [0, 1], got {strong_fraction!r}")
    if calibration_prompts is None or isinstance(calibration_prompts, str):
        raise RouteLLMError("strong_fraction= needs calibration_prompts=: a list of prompts like your traffic")
    prompts = list(calibration_prompts)
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise RouteLLMError("calibration_prompts must be a non-empty list of strings")
    return None, float(strong_fraction), prompts


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
