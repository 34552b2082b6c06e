"""The routing policy, once, for every adapter: settings, thresholds, decisions, fallback, usage.

An adapter translates its framework's messages into `(role, content)` pairs, asks a
`RoutingEngine` for a `Route`, calls the inner model the route names (through `engine.run` /
`engine.arun`, which fall back when asked to), and records the answer's usage with `engine.record`.
Everything else — which threshold applies, forced and sticky routes, a turn without text, a failing
router, the metadata a response carries — is decided here, so both adapters behave the same.
"""

from .engine import RoutingEngine
from .route import Route
from .settings import RoutingSettings, build_ledger, check_model_choice, check_router_spec
from .turns import Turn, TurnMemory, current_turn

__all__ = [
    "Route",
    "RoutingEngine",
    "RoutingSettings",
    "Turn",
    "TurnMemory",
    "build_ledger",
    "check_model_choice",
    "check_router_spec",
    "current_turn",
]
