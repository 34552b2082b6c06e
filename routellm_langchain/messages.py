"""LangChain messages as the routing engine reads them: `(role, content)` pairs, and the decision an
earlier answer in a tool-calling turn carries."""

from __future__ import annotations

import math
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from routellm_core import RoutingDecision
from routellm_core.errors import ConversationError

from .structured import ROUTING_KEY


def role_of(message: BaseMessage) -> str:
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


def check_conversation(messages: list[BaseMessage]) -> None:
    """Refuse what no model can answer: no messages, or content that is neither text nor blocks."""
    if not messages:
        raise ConversationError("cannot route an empty conversation: the message list is empty")
    for i, message in enumerate(messages):
        if message.content is not None and not isinstance(message.content, (str, list)):
            raise ConversationError(
                f"message {i} ({message.type}) has content of type {type(message.content).__name__}: "
                "expected a string or a list of content blocks"
            )


def as_float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def sticky_hint(messages: list[BaseMessage], names: dict[str, str], router_name: str) -> RoutingDecision | None:
    """The decision of the answer that made the tool calls this conversation ends with, read from
    its metadata: a tool-calling turn resumed elsewhere (another process, a saved LangGraph
    state) stays on its model. `names` maps each slot a decision can name ("strong" and "weak", or
    among N models each model's name) to its inner model's name."""
    if not messages or not isinstance(messages[-1], ToolMessage):
        return None
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            continue
        if not isinstance(message, AIMessage) or not message.tool_calls:
            return None
        previous = message.response_metadata.get(ROUTING_KEY)
        if not isinstance(previous, dict) or previous.get("model") not in names:
            return None
        slot = previous["model"]
        if previous.get("model_name") != names[slot]:
            return None  # made by another routed model
        return RoutingDecision(
            model=slot,
            win_probability=as_float(previous.get("win_probability")),
            threshold=as_float(previous.get("threshold")),
            router=router_name,
            reason="sticky",
        )
    return None
