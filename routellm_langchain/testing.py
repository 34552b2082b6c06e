"""Offline stand-ins for tests and examples: a tool-capable fake chat model and a scripted router.

`FakeToolChatModel` behaves like a provider chat model without a network: it answers with a tool
call when tools are bound, with a JSON object when a `response_format` is bound, and with text
otherwise; it streams (tool calls as `tool_call_chunks`), honours `stop`, reports usage and its
model name, and records every call it receives (`calls`) so tests can check what was delegated.
It can be made slow (`delay`, awaited in the async methods) or failing (`error`), natively async.
`ScriptedRouter` gives win probabilities from a function of the text and records what it scored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from pydantic import BaseModel, PrivateAttr

from routellm_core.conversation import approx_token_count, content_text
from routellm_core.testing import ScriptedRouter  # noqa: F401  (re-exported: the adapters' tests use it)

from .structured import attach_parser, json_parser_for, tools_parser_for

__all__ = ["FakeToolChatModel", "ScriptedRouter"]

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Quoted phrases; an apostrophe inside a word ("what's") does not open a quote.
_QUOTED = re.compile(r"(?<!\w)'([^']+)'(?!\w)|\"([^\"]+)\"")
_PIECE = re.compile(r"\S+\s*|\s+")


class FakeToolChatModel(BaseChatModel):
    """A tool-capable fake chat model: deterministic answers, no network, no API key.

    - Text: `"<model_name> heard: <last user text>"` (or `reply` when set), cut at any `stop` string.
    - Tools bound (`bind_tools`): calls a tool — the one `tool_choice` names, else one named in the
      prompt, else the first — with arguments filled from the prompt (numbers for numeric fields,
      quoted phrases or the prompt for strings). After a tool result it answers in text, unless
      `tool_choice` forces another call, which then goes to a tool not yet called in this turn.
    - `response_format` bound (json_schema / json_object): answers with a JSON object.
    - Usage: approximate token counts, on the message (and on the last streamed chunk).
    - `delay`: seconds to wait before answering (`asyncio.sleep` in the async methods, so a
      cancelled call stops there); `error`: raise a fresh copy of this exception instead of answering.
    - `finished`: how many calls ran to their end (a cancelled or failed call does not count).
    """

    model_name: str = "fake-tool-model"
    reply: str | None = None
    #: What `with_structured_output` uses when no method is given (providers differ here).
    structured_output_method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling"
    #: Like providers' `streaming=True`: stream even when invoked (tokens reach callbacks).
    streaming: bool = False
    #: Seconds to wait before answering.
    delay: float = 0.0
    #: Raised (a fresh copy) instead of answering: stands in for a provider outage.
    error: Exception | None = None
    #: Report token usage on answers (False: like many local models, none).
    report_usage: bool = True

    _calls: list[dict[str, Any]] = PrivateAttr(default_factory=list)
    _finished: list[None] = PrivateAttr(default_factory=list)  # one entry per finished call (append is atomic)

    @property
    def _llm_type(self) -> str:
        return "fake-tool-chat-model"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    @property
    def calls(self) -> list[dict[str, Any]]:
        """One record per `_generate`/`_stream` call: `messages`, `stop` and the call kwargs."""
        return self._calls

    @property
    def finished(self) -> int:
        """How many calls ran to their end (answered, or their stream fully read)."""
        return len(self._finished)

    # ---- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(t, strict=kwargs.get("strict")) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: Literal["function_calling", "json_schema", "json_mode"] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict | BaseModel]:
        if kwargs:
            raise ValueError(f"unsupported arguments for with_structured_output: {sorted(kwargs)}")
        method = method or self.structured_output_method
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        if method == "function_calling":
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, strict=strict, ls_structured_output_format=trace)
            parser = tools_parser_for(schema)
        elif method == "json_schema":
            json_schema = convert_to_json_schema(schema)
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": json_schema.get("title", "output"), "schema": json_schema, "strict": strict},
            }
            llm = self.bind(response_format=response_format, ls_structured_output_format=trace)
            parser = json_parser_for(schema)
        elif method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace)
            parser = json_parser_for(schema)
        else:
            raise ValueError(f"method must be 'function_calling', 'json_schema' or 'json_mode', got {method!r}")
        return attach_parser(llm, parser, include_raw=include_raw)

    # ---- answering ---------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            time.sleep(self.delay)
        message = self._answer(messages, stop, kwargs)
        self._finished.append(None)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = self._answer(messages, stop, kwargs)
        self._finished.append(None)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.delay:
            time.sleep(self.delay)
        message = self._answer(messages, stop, kwargs)
        for chunk in _split_into_chunks(message):
            # Like provider models: report tokens when handed a run manager.
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        self._finished.append(None)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = self._answer(messages, stop, kwargs)
        for chunk in _split_into_chunks(message):
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            await asyncio.sleep(0)  # a real stream waits between chunks: a chance to be cancelled
        self._finished.append(None)

    def _answer(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> AIMessage:
        self._calls.append({"messages": list(messages), "stop": stop, "kwargs": dict(kwargs)})
        if self.error is not None:
            raise type(self.error)(*self.error.args)
        prompt = _last_text(messages, HumanMessage) or _last_text(messages, BaseMessage)
        tool = _choose_tool(messages, kwargs.get("tools") or [], kwargs.get("tool_choice"), prompt)
        # Tools first; a bound response_format shapes the final (non-tool) answer.
        response_format = kwargs.get("response_format")
        tool_calls = []
        if tool is not None:
            function = tool.get("function", tool)
            args = _fill(function.get("parameters") or {}, prompt)
            tool_calls = [tool_call(name=function["name"], args=args, id=self._call_id(messages))]
            text = ""
        elif isinstance(response_format, dict) and response_format.get("type") == "json_schema":
            text = json.dumps(_fill(response_format["json_schema"]["schema"], prompt), ensure_ascii=False)
        elif isinstance(response_format, dict) and response_format.get("type") == "json_object":
            text = json.dumps({"answer": self._text_reply(messages, prompt)}, ensure_ascii=False)
        else:
            text = _cut_at_stop(self._text_reply(messages, prompt), stop)
        output_tokens = max(1, approx_token_count(text) + sum(len(json.dumps(c["args"])) // 4 for c in tool_calls))
        input_tokens = sum(approx_token_count(content_text(m.content)) + 3 for m in messages)
        return AIMessage(
            content=text,
            tool_calls=tool_calls,
            usage_metadata={
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            } if self.report_usage else None,
            response_metadata={
                "model_name": self.model_name,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            },
        )

    def _text_reply(self, messages: list[BaseMessage], prompt: str) -> str:
        if self.reply is not None:
            return self.reply
        if messages and isinstance(messages[-1], ToolMessage):
            results = [content_text(m.content) for m in _trailing_tool_messages(messages)]
            return f"{self.model_name} read the tool results: {'; '.join(results)}"
        return f"{self.model_name} heard: {prompt or '(nothing)'}"

    def _call_id(self, messages: list[BaseMessage]) -> str:
        # Deterministic yet distinct per turn of a conversation.
        seed = f"{self.model_name}|{len(messages)}|{content_text(messages[-1].content) if messages else ''}"
        return "call_" + hashlib.blake2b(seed.encode("utf-8", "replace"), digest_size=6).hexdigest()


# ---- helpers ---------------------------------------------------------------------------------


def _last_text(messages: Sequence[BaseMessage], kind: type) -> str:
    for message in reversed(messages):
        if isinstance(message, kind):
            text = content_text(message.content).strip()
            if text:
                return text
    return ""


def _trailing_tool_messages(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    trailing = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        trailing.append(message)
    return list(reversed(trailing))


def _tools_called_this_turn(messages: Sequence[BaseMessage]) -> set[str]:
    called: set[str] = set()
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage):
            called.update(call["name"] for call in message.tool_calls)
    return called


def _choose_tool(
    messages: Sequence[BaseMessage], tools: list[dict[str, Any]], tool_choice: Any, prompt: str
) -> dict[str, Any] | None:
    """The tool to call now, or None to answer without one."""
    if not tools or tool_choice in ("none", False):
        return None
    by_name = {t.get("function", t).get("name"): t for t in tools}
    if isinstance(tool_choice, dict):
        tool_choice = (tool_choice.get("function") or tool_choice).get("name")
    if isinstance(tool_choice, str) and tool_choice in by_name:
        return by_name[tool_choice]
    forced = tool_choice in ("any", "required", True)
    after_tool_result = bool(messages) and isinstance(messages[-1], ToolMessage)
    if after_tool_result and not forced:
        return None
    candidates = list(by_name)
    if after_tool_result:
        uncalled = [name for name in candidates if name not in _tools_called_this_turn(messages)]
        candidates = uncalled or candidates
    mentioned = [name for name in candidates if name and name.lower() in prompt.lower()]
    return by_name[(mentioned or candidates)[0]]


def _fill(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    """An object matching a JSON schema, with values taken from the prompt where possible."""
    numbers = iter(_NUMBER.findall(prompt))
    quoted = iter(a or b for a, b in _QUOTED.findall(prompt))
    defs = schema.get("$defs") or schema.get("definitions") or {}

    def value(spec: dict[str, Any]) -> Any:
        if "$ref" in spec:
            spec = defs.get(spec["$ref"].rsplit("/", 1)[-1], {})
        for key in ("anyOf", "oneOf", "allOf"):
            if key in spec:
                options = [s for s in spec[key] if s.get("type") != "null"] or spec[key]
                return value(options[0])
        if "enum" in spec:
            return spec["enum"][0]
        kind = spec.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "integer":
            return int(float(next(numbers, "0")))
        if kind == "number":
            return float(next(numbers, "0"))
        if kind == "boolean":
            return True
        if kind == "array":
            return []
        if kind == "object" or "properties" in spec:
            return {name: value(sub) for name, sub in (spec.get("properties") or {}).items()}
        return next(quoted, prompt or "something")

    filled = value(schema)
    return filled if isinstance(filled, dict) else {}


def _cut_at_stop(text: str, stop: list[str] | None) -> str:
    for word in stop or []:
        if word and word in text:
            text = text[: text.index(word)]
    return text


def _split_into_chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """Stream a message the way providers do: text piece by piece, a tool call's arguments in two
    pieces, usage and model name once, and `chunk_position="last"` on the final chunk."""
    pieces: list[AIMessageChunk] = []
    for piece in _PIECE.findall(message.text):
        pieces.append(AIMessageChunk(content=piece))
    for index, call in enumerate(message.tool_calls):
        args = json.dumps(call["args"], ensure_ascii=False)
        half = len(args) // 2
        pieces.append(
            AIMessageChunk(
                content="",
                tool_call_chunks=[tool_call_chunk(name=call["name"], args=args[:half], id=call["id"], index=index)],
            )
        )
        pieces.append(
            AIMessageChunk(content="", tool_call_chunks=[tool_call_chunk(args=args[half:], index=index)])
        )
    pieces.append(
        AIMessageChunk(
            content="",
            usage_metadata=message.usage_metadata,
            response_metadata=dict(message.response_metadata),
            chunk_position="last",
        )
    )
    for piece in pieces:
        yield ChatGenerationChunk(message=piece)
