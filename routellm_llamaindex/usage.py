"""Token usage of one LlamaIndex call, for the routing ledger.

Providers report usage in different places: on `response.raw` (OpenAI's `usage`, Gemini's
`usage_metadata`, Ollama's `prompt_eval_count` / `eval_count`, a `usage` dict) or on
`response.additional_kwargs` (LlamaIndex's OpenAI integration copies `prompt_tokens` /
`completion_tokens` there). `reported_usage` reads the first of those it finds. When a provider
reports nothing (mock models, many local ones) `estimated_usage` counts approximate tokens (words
and punctuation marks, `routellm_core.conversation.approx_token_count`) of the text sent and
received: cheap and model-independent, a rough stand-in for the provider's own tokenizer. Each
ledger entry says which of the two it used.

While streaming, providers report cumulative usage (OpenAI on the last chunk only, Anthropic input
tokens first and output tokens later), so a stream's usage is the largest count seen per field;
its estimate counts the streamed text once, at the end.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, ToolCallBlock

from routellm_core.usage import Usage, estimated_usage as estimate

from .messages import message_text

_INPUT_KEYS = ("prompt_tokens", "input_tokens", "prompt_token_count", "inputTokens", "prompt_eval_count")
_OUTPUT_KEYS = ("completion_tokens", "output_tokens", "candidates_token_count", "outputTokens", "eval_count")

Response = Union[ChatResponse, CompletionResponse]


def _get(obj: Any, key: str) -> Any:
    """`obj[key]` for mappings, `obj.key` for objects (provider usage comes as either)."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _count(obj: Any, keys: Sequence[str]) -> Optional[int]:
    for key in keys:
        value = _get(obj, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return int(value)
    return None


def _usage_in(obj: Any) -> Optional[tuple[int, int]]:
    """(input, output) tokens if `obj` carries either count, else None."""
    if obj is None or isinstance(obj, (str, bytes, int, float)):
        return None
    tokens_in, tokens_out = _count(obj, _INPUT_KEYS), _count(obj, _OUTPUT_KEYS)
    if tokens_in is None and tokens_out is None:
        return None
    return tokens_in or 0, tokens_out or 0


def reported_usage(response: Response) -> Optional[tuple[int, int]]:
    """The (input, output) tokens the provider reported for `response`, or None if it reported none."""
    raw, extra = response.raw, response.additional_kwargs
    for place in (_get(raw, "usage"), _get(raw, "usage_metadata"), raw, _get(extra, "usage"), extra):
        found = _usage_in(place)
        if found is not None:
            return found
    return None


def input_text(call: Mapping[str, Any]) -> str:
    """The text a call sends: its prompt, or the text of its messages."""
    if "prompt" in call:
        return str(call["prompt"] or "")
    messages = call.get("messages") or []
    return "\n".join(message_text(m) for m in messages if isinstance(m, ChatMessage))


def output_text(response: Response) -> str:
    """The text a response carries: its text, or its message's text and tool calls."""
    if isinstance(response, CompletionResponse):
        return response.text or ""
    parts = [message_text(response.message)]
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            kwargs = block.tool_kwargs if isinstance(block.tool_kwargs, str) else json.dumps(block.tool_kwargs, default=str)
            parts.append(f"{block.tool_name} {kwargs}")
    return "\n".join(p for p in parts if p)


def estimated_usage(call: Mapping[str, Any], answer: str) -> Usage:
    return estimate(input_text(call), answer)


def call_usage(call: Mapping[str, Any], response: Response) -> Usage:
    """Usage of a finished call: as reported, else estimated."""
    reported = reported_usage(response)
    if reported is not None:
        return Usage(*reported, estimated=False)
    return estimated_usage(call, output_text(response))


class StreamUsage:
    """Collects a stream's usage chunk by chunk; `total` is read once, when the stream ends."""

    def __init__(self, call: Mapping[str, Any]):
        self.call = call
        self.chunks = 0
        self._reported: Optional[tuple[int, int]] = None
        self._deltas: list[str] = []
        self._last: Optional[Response] = None

    def add(self, response: Response) -> None:
        self.chunks += 1
        self._last = response
        if response.delta:
            self._deltas.append(response.delta)
        reported = reported_usage(response)
        if reported is not None:
            previous = self._reported or (0, 0)
            self._reported = (max(previous[0], reported[0]), max(previous[1], reported[1]))

    def total(self) -> Usage:
        if self._reported is not None:
            return Usage(*self._reported, estimated=False)
        if self._deltas:
            answer = "".join(self._deltas)
        else:
            answer = output_text(self._last) if self._last is not None else ""
        return estimated_usage(self.call, answer)
