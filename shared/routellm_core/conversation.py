"""Which text a router sees.

Routers score plain text. Adapters turn their framework's messages into `(role, content)` pairs and
call `routed_text`; everything about choosing and bounding that text lives here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from .errors import ConversationError

#: Longest text (in characters) a router ever sees. The embedding models read a few hundred tokens;
#: bounding the text keeps routing time bounded whatever the prompt size (a 1 MB prompt included).
MAX_ROUTED_CHARS = 8_000

RoutedScope = Literal["last_user", "conversation"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def content_text(content: Any) -> str:
    """Text of one message's content: a string, or a list of blocks of which only text is kept.

    Blocks may be strings or dicts (`{"type": "text", "text": ...}`; images, audio and other
    non-text blocks are skipped, not errors). `None` is empty text.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, (list, tuple)):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                if block.get("type", "text") in ("text", "input_text", "output_text"):
                    parts.append(block["text"])
            # anything else (images, audio, files, tool blocks) carries no routable text
        return "\n".join(parts)
    raise ConversationError(
        f"message content must be a string or a list of content blocks, got {type(content).__name__}"
    )


def clean_text(text: str) -> str:
    """Drop control characters and unpaired surrogates, so any tokenizer accepts the text."""
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return _CONTROL.sub(" ", text)


def approx_token_count(text: str) -> int:
    """A tokenizer-free token estimate (words and punctuation marks): cheap and model-independent."""
    return len(_TOKEN.findall(text))


def _pairs(messages: Iterable[Any]) -> list[tuple[str, str]]:
    pairs = []
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            role, content = message.get("role"), message.get("content")
        elif isinstance(message, (tuple, list)) and len(message) == 2:
            role, content = message
        else:
            raise ConversationError(
                f"message {i} must be a {{'role', 'content'}} dict or a (role, content) pair, "
                f"got {type(message).__name__}"
            )
        if not isinstance(role, str):
            raise ConversationError(f"message {i} has no string role")
        pairs.append((role, content_text(content)))
    return pairs


def routed_text(
    messages: Sequence[Any] | str,
    scope: RoutedScope = "last_user",
    token_budget: int = 512,
    max_chars: int = MAX_ROUTED_CHARS,
) -> str:
    """The text a router scores for a conversation.

    `messages` is a prompt string or a list of `{"role", "content"}` dicts / `(role, content)`
    pairs, content being a string or a list of blocks (non-text blocks ignored).

    - `scope="last_user"` (default, as in the paper): the last user turn's text.
    - `scope="conversation"`: the most recent turns, newest last, that fit in `token_budget`
      approximate tokens, each prefixed by its role.

    Falls back to the last non-empty turn of any role when no user turn has text (for example a
    conversation holding only a system message). A conversation with no text at all (empty or
    whitespace turns, only images) gives "": not an error — the adapters send such a turn to the
    weak model without asking the router (reason "no_text"). The result is cleaned of control characters and cut to `max_chars`.
    """
    if isinstance(messages, str):
        pairs = [("user", messages)]
    elif isinstance(messages, (list, tuple)):
        pairs = _pairs(messages)
    else:
        raise ConversationError(
            f"a conversation must be a string or a list of messages, got {type(messages).__name__}"
        )
    if not pairs:
        raise ConversationError("cannot route an empty conversation: it has no messages")
    if scope == "last_user":
        text = next((t for r, t in reversed(pairs) if r in ("user", "human") and t.strip()), "")
        if not text:
            text = next((t for _, t in reversed(pairs) if t.strip()), "")
    elif scope == "conversation":
        kept, used = [], 0
        for role, text_part in reversed(pairs):
            if not text_part.strip():
                continue
            cost = approx_token_count(text_part) + 1
            if kept and used + cost > token_budget:
                break
            kept.append(f"{role}: {text_part}")
            used += cost
        text = "\n".join(reversed(kept))
    else:
        raise ConversationError(f"scope must be 'last_user' or 'conversation', got {scope!r}")
    if not text.strip():
        return ""
    return clean_text(text[:max_chars])
