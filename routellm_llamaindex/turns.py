"""A small, thread-safe memory of the routing decision that started each user turn.

A tool-calling loop sends the same user turn to the LLM several times (the request, then the request
plus tool results). Switching providers mid-loop breaks provider-specific tool-call history, so the
adapter reuses the first decision of a turn. The memory is bounded: old turns drop out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Optional

from routellm_core import RoutingDecision


class TurnMemory:
    """Maps a turn key to the decision that started the turn; least recently used turns drop out."""

    def __init__(self, max_turns: int = 1024):
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns!r}")
        self.max_turns = max_turns
        self._decisions: OrderedDict[str, RoutingDecision] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[RoutingDecision]:
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
