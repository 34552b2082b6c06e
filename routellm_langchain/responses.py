"""What a routed call hands back: the route taken, the metadata on results and chunks, the usage.

A `Route` is a routing decision plus the details of a call that did not go as routed (the error
type when the router failed, the model that failed when another answered). It becomes
`response_metadata["routellm"]` on the answer, or a note and an attribute on an exception.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from routellm_core import RoutingDecision
from routellm_core.decision import attach_decision

from .structured import ROUTING_KEY


@dataclass(frozen=True)
class Route:
    """A routing decision and, for calls that did not go as routed, why (`error`, `fallback_from`)."""

    decision: RoutingDecision
    details: dict[str, str] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return self.decision.model

    def metadata(self, model_name: str) -> dict[str, Any]:
        """`response_metadata["routellm"]` for an answer by the inner model named `model_name`."""
        return {**self.decision.as_metadata(model_name), **self.details}

    def fallback(self, error: BaseException) -> Route:
        """The route to the other model after the chosen one raised `error`."""
        other = "weak" if self.decision.model == "strong" else "strong"
        decision = replace(self.decision, model=other, reason="fallback")
        return Route(decision, {"fallback_from": self.decision.model, "error": type(error).__name__})


def attach_route(error: BaseException, route: Route, model_name: str) -> None:
    """Attach the routing decision to an exception: an attribute, and a note in its traceback."""
    attach_decision(error, route.decision, model_name, route.details)


# ---- usage ---------------------------------------------------------------------------------------


def message_tokens(message: BaseMessage | None) -> tuple[int, int]:
    """(input, output) tokens a message's `usage_metadata` reports (0, 0 when it reports none)."""
    usage = getattr(message, "usage_metadata", None) or {}
    return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)


def result_tokens(result: ChatResult) -> tuple[int, int]:
    """(input, output) tokens of one call's result, summed over its generations."""
    totals = [message_tokens(generation.message) for generation in result.generations]
    return sum(t[0] for t in totals), sum(t[1] for t in totals)


class UsageCounter:
    """Sums the usage carried by a stream's chunks (providers put it on one chunk or split it)."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0

    def add(self, chunk: ChatGenerationChunk) -> None:
        input_tokens, output_tokens = message_tokens(chunk.message)
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


# ---- metadata on results and chunks --------------------------------------------------------------


def _has_model_name(*metadata: dict[str, Any] | None) -> bool:
    return any((m or {}).get("model_name") for m in metadata)


def annotate_result(result: ChatResult, route: Route, model_name: str) -> ChatResult:
    """Add the routing decision (and the model name, if the inner model gave none) to a result."""
    for generation in result.generations:
        metadata = dict(generation.message.response_metadata)
        if not _has_model_name(metadata, generation.generation_info, result.llm_output):
            metadata["model_name"] = model_name
        metadata[ROUTING_KEY] = route.metadata(model_name)
        generation.message.response_metadata = metadata
    return result


class ChunkAnnotator:
    """Puts the routing decision on the first chunk and makes sure one chunk names the model."""

    def __init__(self, route: Route, model_name: str):
        self.routing = route.metadata(model_name)
        self.model_name = model_name
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


def result_as_chunk(result: ChatResult) -> ChatGenerationChunk:
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


# ---- calling inner models ------------------------------------------------------------------------


def run_manager_kwarg(method: Callable[..., Any], run_manager: Any) -> dict[str, Any]:
    # Some custom chat models define `_generate` without a run_manager parameter.
    return {"run_manager": run_manager} if _takes_run_manager(getattr(method, "__func__", method)) else {}


@functools.lru_cache(maxsize=256)
def _takes_run_manager(function: Callable[..., Any]) -> bool:
    # Cached per function: reading a signature costs more than a fake model's whole answer.
    return "run_manager" in inspect.signature(function).parameters


def report_tokens(
    chunks: Iterator[ChatGenerationChunk], run_manager: CallbackManagerForLLMRun | None
) -> Iterator[ChatGenerationChunk]:
    for chunk in chunks:
        if run_manager:
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def areport_tokens(
    chunks: AsyncIterator[ChatGenerationChunk], run_manager: AsyncCallbackManagerForLLMRun | None
) -> AsyncIterator[ChatGenerationChunk]:
    async for chunk in chunks:
        if run_manager:
            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def aiter_list(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item
