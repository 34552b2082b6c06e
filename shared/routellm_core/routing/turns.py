"""Turns of a conversation, and a memory of the decision that started each one.

A tool-calling loop sends the same user turn to the model several times (the request, then the
request plus tool results). Switching providers mid-loop breaks provider-specific tool-call history,
so the engine reuses the first decision of a turn ("sticky"). A turn is everything up to the last
user message; tool results after it continue it. The memory is bounded: old turns drop out.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..conversation import content_text
from ..decision import RoutingDecision


@dataclass(frozen=True)
class Turn:
    """`key`: a digest of the conversation up to its last user message (None without one);
    `continuing`: tool results follow that message, so the call continues a tool-calling turn."""

    key: str | None
    continuing: bool


def current_turn(pairs: Sequence[tuple[str, Any]]) -> Turn:
    """The turn a conversation of `(role, content)` pairs is in."""
    last_user = next((i for i in range(len(pairs) - 1, -1, -1) if pairs[i][0] == "user"), None)
    if last_user is None:
        return Turn(key=None, continuing=False)
    digest = hashlib.blake2b(digest_size=16)
    for role, content in pairs[: last_user + 1]:
        digest.update(role.encode())
        digest.update(b"\x00")
        digest.update(content_text(content).encode("utf-8", "replace"))
        digest.update(b"\x01")
    continuing = any(role == "tool" for role, _ in pairs[last_user + 1 :])
    return Turn(key=digest.hexdigest(), continuing=continuing)


class TurnMemory:
    """Maps a turn key to the decision that started the turn; least recently used turns drop out."""

    def __init__(self, max_turns: int = 1024):
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns!r}")
        self.max_turns = max_turns
        self._decisions: OrderedDict[str, RoutingDecision] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> RoutingDecision | None:
        with self._lock:
            decision = self._decisions.get(key)
            if decision is not None:
                self._decisions.move_to_end(key)
            return decision

    def put(self, key: str, decision: RoutingDecision) -> None:
        with self._lock:
            self._decisions[key] = decision
            self._decisions.move_to_end(key)
            while len(self._decisions) > self.max_turns:
                self._decisions.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._decisions.clear()

    def __len__(self) -> int:
        return len(self._decisions)

    # A lock cannot be copied or pickled: copies start with an empty memory of their own.
    def __deepcopy__(self, memo: dict) -> TurnMemory:
        return TurnMemory(self.max_turns)

    def __getstate__(self) -> dict[str, Any]:
        return {"max_turns": self.max_turns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["max_turns"])
