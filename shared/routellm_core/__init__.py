"""routellm_core: the framework-free RouteLLM router core.

Light to import: torch and sentence-transformers load only when a router that needs them scores.
"""

from .calibration import calibrate_threshold, reference_threshold, strong_share, threshold_for_share
from .conversation import routed_text
from .decision import RoutingDecision, validate_threshold
from .errors import CheckpointError, ConversationError, RouteLLMError, UnknownRouterError
from .registry import available_routers, load_router
from .router import Router
from . import routers as _routers  # noqa: F401  (registers the router kinds)

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "ConversationError",
    "RouteLLMError",
    "Router",
    "RoutingDecision",
    "UnknownRouterError",
    "available_routers",
    "calibrate_threshold",
    "load_router",
    "reference_threshold",
    "routed_text",
    "strong_share",
    "threshold_for_share",
    "validate_threshold",
]


def __getattr__(name: str):
    # Heavy pieces resolve lazily so `import routellm_core` does not import torch.
    if name == "Embedder":
        from .embedding import Embedder

        return Embedder
    raise AttributeError(name)
