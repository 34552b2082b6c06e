"""What a routed call hands back: the metadata on results and chunks, and the call's usage.

The route a call took (`routellm_core.routing.Route`) becomes `response_metadata["routellm"]` on the
answer: on every generation of a result, on exactly one chunk of a stream.
"""

from __future__ import annotations

import functools
import inspect
import json
import operator
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from routellm_core.routing import Route
from routellm_core.conversation import content_text
from routellm_core.usage import Usage, estimated_usage

from .structured import ROUTING_KEY


# ---- usage ---------------------------------------------------------------------------------------
# One rule for both adapters (`routellm_core.usage`): reported tokens when the answer carries
# `usage_metadata`, else an estimate from the text sent and received, flagged `estimated`.


def messages_text(messages: Sequence[BaseMessage | None]) -> str:
    """The text of messages as the usage estimate counts it: their text content and tool calls."""
    parts = []
    for message in messages:
        if message is None:
            continue
        parts.append(content_text(message.content))
        parts += [f"{call['name']} {json.dumps(call['args'], default=str)}" for call in getattr(message, "tool_calls", [])]
    return "\n".join(p for p in parts if p)


def reported_tokens(messages: Sequence[BaseMessage | None]) -> tuple[int, int] | None:
    """(input, output) tokens the messages' `usage_metadata` report, summed; None if none reports any."""
    reports = [getattr(m, "usage_metadata", None) for m in messages]
    reports = [r for r in reports if r]
    if not reports:
        return None
    return sum(int(r.get("input_tokens") or 0) for r in reports), sum(int(r.get("output_tokens") or 0) for r in reports)


def call_usage(sent: Sequence[BaseMessage], answers: Sequence[BaseMessage | None]) -> Usage:
    """The usage of one call that sent `sent` and got `answers` back: as reported, else estimated."""
    reported = reported_tokens(answers)
    if reported is not None:
        return Usage(*reported)
    return estimated_usage(messages_text(sent), messages_text(answers))


def result_usage(sent: Sequence[BaseMessage], result: ChatResult) -> Usage:
    return call_usage(sent, [generation.message for generation in result.generations])


class UsageCounter:
    """Collects a stream's chunks; `total` is its usage (chunks' reported usage summed: providers put it
    on one chunk or split it), or the estimate when no chunk reported any."""

    def __init__(self, sent: Sequence[BaseMessage]) -> None:
        self.sent = sent
        self.chunks: list[BaseMessageChunk] = []

    def add(self, chunk: ChatGenerationChunk) -> None:
        self.chunks.append(chunk.message)

    def total(self) -> Usage:
        if not self.chunks:
            return call_usage(self.sent, [])
        # AI chunks merge in one pass; other chunk types one by one
        first, rest = self.chunks[0], self.chunks[1:]
        merged = first + rest if isinstance(first, AIMessageChunk) else functools.reduce(operator.add, rest, first)
        return call_usage(self.sent, [merged])


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
