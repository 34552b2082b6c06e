"""The instrumentation events a RoutedLLM emits: one per routing decision, one per answered call."""

from __future__ import annotations

from typing import Optional

from llama_index.core.instrumentation.events.base import BaseEvent

from routellm_core.routing import Route
from routellm_core.usage import Usage


class RoutingDecisionEvent(BaseEvent):
    """A RoutedLLM chose the strong or the weak model (or, among N models, one by name) for one call
    (before the call is made).

    The inner LLM's own events (LLMChatStartEvent, ...) follow; this one says why that LLM was chosen.
    When the chosen model fails and `fallback=True`, a second event with reason "fallback" follows.
    """

    #: "strong" or "weak"; among N models (`models=[...]`), the chosen model's name.
    model: str
    model_name: str
    #: None when the router was not asked (a forced route, a turn without text, a router error).
    win_probability: Optional[float]
    threshold: Optional[float]
    router: str
    reason: str
    #: reason "router_error": the router's exception type; reason "fallback": the failed model's.
    error: Optional[str] = None
    #: reason "fallback": the model that failed ("strong" or "weak", or an N-model name).
    fallback_from: Optional[str] = None

    @classmethod
    def class_name(cls) -> str:
        return "RoutingDecisionEvent"


class RoutedUsageEvent(BaseEvent):
    """A RoutedLLM call was answered: by which model, with how many tokens (once per call, streams included).

    `estimated` is True when the provider reported no usage and the tokens were counted
    approximately (see `routellm_llamaindex.usage`). `RoutingLedgerEventHandler` turns these into a ledger.
    """

    #: "strong" or "weak"; among N models, the name of the model that answered.
    model: str
    model_name: str
    input_tokens: int
    output_tokens: int
    estimated: bool
    reason: str

    @classmethod
    def class_name(cls) -> str:
        return "RoutedUsageEvent"

    @classmethod
    def of(cls, route: Route, model_name: str, usage: Usage) -> RoutedUsageEvent:
        """The event for a call that `route` sent to the inner model `model_name`, with its usage."""
        return cls(model=route.decision.model, model_name=model_name, input_tokens=usage.input_tokens,
                   output_tokens=usage.output_tokens, estimated=usage.estimated, reason=route.decision.reason)
