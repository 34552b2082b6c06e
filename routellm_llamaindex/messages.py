"""LlamaIndex chat messages as the router core sees them, and where a user turn begins.

The core routes `(role, text)` pairs. Here LlamaIndex `ChatMessage`s become such pairs (text blocks
kept, images, audio and tool-call blocks ignored), and tool results are marked with the role
`"tool"`, so that the routed text is the user's request and a tool-calling loop is recognisable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock

from routellm_core import ConversationError

#: ReAct agents send each tool output back as a user message starting with this word.
REACT_OBSERVATION_PREFIX = "Observation:"

_TOOL_ROLES = {MessageRole.TOOL, MessageRole.FUNCTION}


def message_text(message: ChatMessage) -> str:
    """The text of a message: its text blocks joined; other blocks carry no routable text."""
    return "\n".join(block.text for block in message.blocks if isinstance(block, TextBlock))


def conversation(
    user_msg: Optional[Union[str, ChatMessage]], chat_history: Optional[Sequence[ChatMessage]]
) -> list[ChatMessage]:
    """The messages a `chat_with_tools` call sends: the history, then the new user message if any."""
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
    elif user_msg is not None:
        messages.append(user_msg)
    return messages


def routing_pairs(messages: Sequence[ChatMessage]) -> list[tuple[str, str]]:
    """`(role, text)` for each message; tool results (ReAct observations included) get role "tool"."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise ConversationError(f"messages must be a list of ChatMessage, got {type(messages).__name__}")
    pairs: list[tuple[str, str]] = []
    previous: Optional[MessageRole] = None
    for i, message in enumerate(messages):
        if not isinstance(message, ChatMessage):
            raise ConversationError(f"message {i} must be a llama_index ChatMessage, got {type(message).__name__}")
        text = message_text(message)
        role = message.role.value
        if message.role in _TOOL_ROLES:
            role = "tool"
        elif (
            message.role == MessageRole.USER
            and previous == MessageRole.ASSISTANT
            and text.lstrip().startswith(REACT_OBSERVATION_PREFIX)
        ):
            role = "tool"
        pairs.append((role, text))
        previous = message.role
    return pairs


@dataclass(frozen=True)
class Turn:
    """The user turn a call belongs to: `key` identifies it; `continuing` when tool results follow it."""

    key: Optional[str]
    continuing: bool


def current_turn(pairs: Sequence[tuple[str, str]]) -> Turn:
    """Find the last user message: the turn is everything up to it; tool results after it continue it."""
    last_user = next((i for i in range(len(pairs) - 1, -1, -1) if pairs[i][0] == "user"), None)
    if last_user is None:
        return Turn(key=None, continuing=False)
    digest = hashlib.blake2b(digest_size=16)
    for role, text in pairs[: last_user + 1]:
        digest.update(role.encode())
        digest.update(b"\x00")
        digest.update(text.encode("utf-8", "replace"))
        digest.update(b"\x01")
    continuing = any(role == "tool" for role, _ in pairs[last_user + 1 :])
    return Turn(key=digest.hexdigest(), continuing=continuing)
