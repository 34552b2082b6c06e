"""routellm_llamaindex: RouteLLM's learned routers as a drop-in LlamaIndex LLM."""

from .base import METADATA_KEY, RoutedLLM
from .events import RoutedUsageEvent, RoutingDecisionEvent
from .handlers import RoutingLedgerEventHandler

__all__ = ["METADATA_KEY", "RoutedLLM", "RoutedUsageEvent", "RoutingDecisionEvent", "RoutingLedgerEventHandler"]
