"""LlamaIndex chat messages as the router core sees them.

The core routes `(role, text)` pairs. Here LlamaIndex `ChatMessage`s become such pairs (text blocks
kept, images, audio and tool-call blocks ignored), and tool results are marked with the role
`"tool"`, so that the routed text is the user's request and a tool-calling loop is recognisable.
"""

from __future__ import annotations

from collections.abc import Sequence
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
