"""Calling the chosen inner model under the wrapper's own run, and passing its stream on.

The wrapper calls the inner model's `_generate` / `_stream` (and async twins) with its run manager,
never the public `invoke` / `stream`: one user call is one chat-model run, with one token stream and
one usage count. A stream is recorded once, however it ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, closing, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.language_models.chat_models import agenerate_from_stream, generate_from_stream
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from routellm_core.routing import Route, RoutingEngine
from routellm_core.usage import Usage

from .inner import InnerModel
from .responses import (
    ChunkAnnotator,
    UsageCounter,
    aiter_list,
    annotate_result,
    areport_tokens,
    report_tokens,
    result_as_chunk,
    result_usage,
    run_manager_kwarg,
)

#: The call kwarg that carries, per inner model, what `bind_tools` / `with_structured_output` bound.
BINDINGS_KEY = "routellm_bindings"


@dataclass(frozen=True)
class Call:
    """What one call hands the chosen inner model (or, after a failure, the other one)."""

    messages: list[BaseMessage]
    stop: list[str] | None
    run_manager: Any
    kwargs: dict[str, Any]
    bindings: dict[str, Any]


def prepare_call(
    messages: list[BaseMessage], stop: list[str] | None, run_manager: Any, kwargs: dict[str, Any]
) -> tuple[str | None, float | None, Call]:
    """Take the wrapper's own per-call options (model, threshold, bindings) out of the call kwargs."""
    kwargs = dict(kwargs)
    model = kwargs.pop("model", None)
    threshold = kwargs.pop("threshold", None)
    bindings = kwargs.pop(BINDINGS_KEY, None) or {}
    return model, threshold, Call(messages, stop, run_manager, kwargs, bindings)


def generate(route: Route, call: Call, inner: InnerModel, stop: list[str] | None, kwargs: dict[str, Any]) -> ChatResult:
    """The chosen model's answer, through its own `_generate` (or `_stream`, for a model that streams when invoked)."""
    chat = inner.model
    if chat.rate_limiter:
        chat.rate_limiter.acquire(blocking=True)
    if chat._should_stream(async_api=False, **kwargs):
        # The inner model streams even when invoked (streaming=True): keep its token stream.
        chunks = report_tokens(chat._stream(call.messages, stop=stop, **kwargs), call.run_manager)
        result = generate_from_stream(chunks)
    else:
        result = chat._generate(
            call.messages, stop=stop, **run_manager_kwarg(chat._generate, call.run_manager), **kwargs
        )
    return annotate_result(result, route, inner.name)

async def agenerate(route: Route, call: Call, inner: InnerModel, stop: list[str] | None, kwargs: dict[str, Any]) -> ChatResult:
    chat = inner.model
    if chat.rate_limiter:
        await chat.rate_limiter.aacquire(blocking=True)
    if chat._should_stream(async_api=True, **kwargs):
        chunks = areport_tokens(chat._astream(call.messages, stop=stop, **kwargs), call.run_manager)
        result = await agenerate_from_stream(chunks)
    else:
        result = await chat._agenerate(
            call.messages, stop=stop, **run_manager_kwarg(chat._agenerate, call.run_manager), **kwargs
        )
    return annotate_result(result, route, inner.name)

def stream(
    route: Route, call: Call, inner: InnerModel, stop: list[str] | None, kwargs: dict[str, Any]
) -> Iterator[ChatGenerationChunk]:
    """The chosen model's stream (one chunk for a model that cannot stream), the decision on its first chunk."""
    chat = inner.model
    if chat.rate_limiter:
        chat.rate_limiter.acquire(blocking=True)
    if chat._should_stream(async_api=False, **{**kwargs, "stream": True}):
        chunks = chat._stream(call.messages, stop=stop, run_manager=call.run_manager, **kwargs)
    else:  # the inner model cannot stream: its whole answer is one chunk
        result = chat._generate(
            call.messages, stop=stop, **run_manager_kwarg(chat._generate, call.run_manager), **kwargs
        )
        chunks = iter([result_as_chunk(result)])
    annotate = ChunkAnnotator(route, inner.name)
    with _closing(chunks):  # a caller that stops reading closes the inner stream too
        for chunk in chunks:
            yield annotate(chunk)
    if (closing_chunk := annotate.closing_chunk()) is not None:
        yield closing_chunk

async def astream(
    route: Route, call: Call, inner: InnerModel, stop: list[str] | None, kwargs: dict[str, Any]
) -> AsyncIterator[ChatGenerationChunk]:
    chat = inner.model
    if chat.rate_limiter:
        await chat.rate_limiter.aacquire(blocking=True)
    if chat._should_stream(async_api=True, **{**kwargs, "stream": True}):
        chunks = chat._astream(call.messages, stop=stop, run_manager=call.run_manager, **kwargs)
    else:
        result = await chat._agenerate(
            call.messages, stop=stop, **run_manager_kwarg(chat._agenerate, call.run_manager), **kwargs
        )
        chunks = aiter_list([result_as_chunk(result)])
    annotate = ChunkAnnotator(route, inner.name)
    async with _aclosing(chunks):
        async for chunk in chunks:
            yield annotate(chunk)
    if (closing_chunk := annotate.closing_chunk()) is not None:
        yield closing_chunk


def pass_on(
    route: Route,
    first: ChatGenerationChunk | None,
    chunks: Iterator[ChatGenerationChunk],
    usage: UsageCounter,
    record: Callable[[Route, Usage], None],
    attach: Callable[[BaseException, Route], None],
) -> Iterator[ChatGenerationChunk]:
    """Yield a stream that has started answering; record it once, however it ends (read to the
    end, stopped by the caller, cancelled or failed), with the usage its chunks carried."""
    try:
        with closing(chunks):
            if first is not None:
                usage.add(first)
                yield first
            for chunk in chunks:
                usage.add(chunk)
                yield chunk
    except Exception as error:
        attach(error, route)
        raise
    finally:
        record(route, usage.total())

async def apass_on(
    route: Route,
    first: ChatGenerationChunk | None,
    chunks: AsyncIterator[ChatGenerationChunk],
    usage: UsageCounter,
    record: Callable[[Route, Usage], None],
    attach: Callable[[BaseException, Route], None],
) -> AsyncIterator[ChatGenerationChunk]:
    try:
        async with aclosing(chunks):
            if first is not None:
                usage.add(first)
                yield first
            async for chunk in chunks:
                usage.add(chunk)
                yield chunk
    except Exception as error:
        attach(error, route)
        raise
    finally:
        record(route, usage.total())


def _closing(chunks: Iterator[Any]) -> Any:
    return closing(chunks) if hasattr(chunks, "close") else nullcontext()


def _aclosing(chunks: AsyncIterator[Any]) -> Any:
    return aclosing(chunks) if hasattr(chunks, "aclose") else nullcontext()


def explore(
    engine: RoutingEngine, route: Route, call: Call, result: ChatResult,
    start_call: Callable[[Route, Call], tuple[InnerModel, list[str] | None, dict[str, Any]]],
    names: dict[str, str], text: str,
) -> None:
    """Hand the engine's shadow sampling a way to ask another routed model the same call, on its own
    (outside the user's run)."""

    def call_other(slot: str) -> tuple[str, Usage]:
        shadow = replace(route, decision=replace(route.decision, model=slot))
        alone = replace(call, run_manager=None)
        answer = generate(shadow, alone, *start_call(shadow, alone))
        return answer.generations[0].message.text, result_usage(call.messages, answer)

    engine.explore(route, text, result.generations[0].message.text, names, call_other)
