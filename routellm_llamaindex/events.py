"""The instrumentation event emitted once per routing decision."""

from __future__ import annotations

from llama_index.core.instrumentation.events.base import BaseEvent


class RoutingDecisionEvent(BaseEvent):
    """A RoutedLLM chose the strong or the weak model for one call (before the call is made).

    The inner LLM's own events (LLMChatStartEvent, ...) follow; this one says why that LLM was chosen.
    """

    model: str
    model_name: str
    win_probability: float
    threshold: float
    router: str
    reason: str

    @classmethod
    def class_name(cls) -> str:
        return "RoutingDecisionEvent"
