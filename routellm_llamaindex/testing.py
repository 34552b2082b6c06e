"""Offline stand-ins for real LLMs, for tests and the runnable examples.

`NamedMockLLM` is LlamaIndex's own `MockFunctionCallingLLM` with a model name and adjustable
capabilities, so an offline run can show which model answered. What it says comes from a
`response_generator(messages, **kwargs) -> ChatMessage` (see `MockFunctionCallingLLM`); without
one it echoes the last message, and when tools are offered it calls each of them once with their
default arguments, then answers "Tool calls complete.". The scripted replies below
(`signed_echo`, `tool_plan`, `react_plan`) make answers and tool calls predictable, and the two
tiny routers (`KeywordRouter`, `SequenceRouter`, from `routellm_core.testing`) make decisions predictable. `MeteredMockLLM`
reports token usage the way a provider does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any


from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM

from routellm_core.testing import KeywordRouter, SequenceRouter  # noqa: F401  (re-exported for the tests)


class NamedMockLLM(MockFunctionCallingLLM):
    """A tool-capable mock chat LLM that reports a model name (and optionally no tool calling)."""

    model_name: str = Field(default="mock", description="Reported as metadata.model_name.")
    context_window: int = Field(default=8192)
    num_output: int = Field(default=512)
    function_calling: bool = Field(default=True, description="Reported as metadata.is_function_calling_model.")

    def __init__(self, model_name: str = "mock", is_chat_model: bool = True, **kwargs: Any) -> None:
        super().__init__(is_chat_model=is_chat_model, **kwargs)
        self.model_name = model_name

    @classmethod
    def class_name(cls) -> str:
        return "NamedMockLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            model_name=self.model_name,
            context_window=self.context_window,
            num_output=self.num_output,
            is_chat_model=bool(self.is_chat_model),
            is_function_calling_model=self.function_calling,
        )

    # MockFunctionCallingLLM.achat calls the decorated chat from a decorated achat, which emits every
    # LLM event twice; answer directly so that one call is one event, as with a real provider.
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message = self._get_response_generator()(messages, **kwargs)
        content = message.content or ""
        return ChatResponse(message=message, delta=content, raw={"content": content})


# ---- scripted replies (response generators for NamedMockLLM) ---------------------------------


def _turn_tool_results(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Tool results after the last user message: what this turn's tool calls returned."""
    results: list[ChatMessage] = []
    for message in reversed(messages):
        if message.role == MessageRole.USER:
            break
        if message.role == MessageRole.TOOL:
            results.insert(0, message)
    return results


def signed_echo(name: str) -> Callable[..., ChatMessage]:
    """Reply "<name>: <last message text>", so that the text shows which model answered."""

    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        last = messages[-1].content if messages else ""
        return ChatMessage(role=MessageRole.ASSISTANT, content=f"{name}: {last or ''}")

    return reply


def tool_plan(name: str, steps: Sequence[tuple[str, dict]]) -> Callable[..., ChatMessage]:
    """Call the tools in `steps` one per LLM call, then answer "<name>: <last tool result>".

    Each step is `(tool_name, tool_kwargs)`; the step taken is the number of tool results already in
    the current turn, so the same plan replays for every new user message.
    """

    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        done = _turn_tool_results(messages)
        if kwargs.get("tools") and len(done) < len(steps):
            tool_name, tool_kwargs = steps[len(done)]
            # deterministic ids keep token counts reproducible (they are counted as prompt text)
            call = ToolCallBlock(tool_call_id=f"call-{len(done) + 1}", tool_name=tool_name, tool_kwargs=dict(tool_kwargs))
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=[call])
        result = done[-1].content if done else "no tool was needed"
        return ChatMessage(role=MessageRole.ASSISTANT, content=f"{name}: {result}")

    return reply


def react_plan(name: str, steps: Sequence[tuple[str, dict]]) -> Callable[..., ChatMessage]:
    """Like `tool_plan`, in the ReAct text format ("Thought / Action / Action Input", then "Answer")."""

    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        observations = []
        for message in reversed(messages):
            text = message.content or ""
            if message.role == MessageRole.USER and not text.startswith("Observation:"):
                break
            if text.startswith("Observation:"):
                observations.insert(0, text[len("Observation:") :].strip())
        if len(observations) < len(steps):
            tool_name, tool_kwargs = steps[len(observations)]
            text = (
                f"Thought: I need to use a tool to help me answer the question.\n"
                f"Action: {tool_name}\nAction Input: {json.dumps(tool_kwargs)}"
            )
        else:
            result = observations[-1] if observations else "no tool was needed"
            text = f"Thought: I can answer without using any more tools.\nAnswer: {name}: {result}"
        return ChatMessage(role=MessageRole.ASSISTANT, content=text)

    return reply


# ---- predictable routers ---------------------------------------------------------------------


# ---- a mock that reports usage like a provider ------------------------------------------------


def mock_usage(messages_or_prompt: Any, answer: str) -> dict:
    """The usage `MeteredMockLLM` reports: characters sent and characters answered."""
    if isinstance(messages_or_prompt, str):
        sent = len(messages_or_prompt)
    else:
        sent = sum(len(m.content or "") for m in messages_or_prompt)
    return {"prompt_tokens": sent, "completion_tokens": len(answer)}


class MeteredMockLLM(NamedMockLLM):
    """A `NamedMockLLM` that reports token usage on `response.raw["usage"]`, as providers do.

    It counts characters (`mock_usage`), deliberately unlike the ledger's own estimate, so a test
    can tell reported usage from estimated usage. Streams answer word by word and report usage on
    the last chunk only, as OpenAI does; completions echo the prompt.
    """

    @classmethod
    def class_name(cls) -> str:
        return "MeteredMockLLM"

    def _answer(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message = self._get_response_generator()(messages, **kwargs)
        content = message.content or ""
        return ChatResponse(message=message, delta=content, raw={"usage": mock_usage(messages, content)})

    def _chunks(self, messages: Sequence[ChatMessage], **kwargs: Any) -> list[ChatResponse]:
        content = self._get_response_generator()(messages, **kwargs).content or ""
        words = content.split(" ")
        pieces = [word if i == 0 else " " + word for i, word in enumerate(words)]
        chunks, sent = [], ""
        for i, piece in enumerate(pieces):
            sent += piece
            raw = {"usage": mock_usage(messages, content)} if i == len(pieces) - 1 else {}
            chunks.append(ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=sent), delta=piece, raw=raw))
        return chunks

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._answer(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._answer(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        chunks = self._chunks(messages, **kwargs)

        def gen() -> ChatResponseGen:
            yield from chunks

        return gen()

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        chunks = self._chunks(messages, **kwargs)

        async def gen() -> ChatResponseAsyncGen:
            for chunk in chunks:
                yield chunk

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=prompt, raw={"usage": mock_usage(prompt, prompt)})

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=prompt, raw={"usage": mock_usage(prompt, prompt)})


class EventCollector(BaseEventHandler):
    """Keeps every instrumentation event it sees, in order (attach it to a dispatcher)."""

    events: list = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventCollector"

    def handle(self, event, **kwargs) -> None:
        self.events.append(event)
