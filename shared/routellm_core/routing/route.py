"""A route: the routing decision for one call, and why the call did not go as routed, if it did not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..decision import RoutingDecision


@dataclass(frozen=True)
class Route:
    """A decision plus the details of a call that did not go as routed: `error` (the router's or the
    failed model's exception type) and `fallback_from` (the model that failed)."""

    decision: RoutingDecision
    details: Mapping[str, str] = field(default_factory=dict)
    #: The key of the turn the call belongs to (see `turns`): a fallback keeps the rest of the turn
    #: on the model that answered. Not part of the metadata.
    turn: str | None = None

    @property
    def model(self) -> str:
        return self.decision.model

    def metadata(self, model_name: str) -> dict[str, Any]:
        """What a response carries (`response_metadata["routellm"]`, `additional_kwargs["routellm"]`):
        JSON-ready, with the answering inner model's own name."""
        return {**self.decision.as_metadata(model_name), **self.details}

    def to_other_model(self, error: BaseException, other: str | None = None) -> Route:
        """The route to `other` (of two models, the other one) after the chosen one raised `error`."""
        other = other or ("weak" if self.decision.model == "strong" else "strong")
        decision = replace(self.decision, model=other, reason="fallback")
        return Route(decision, {"fallback_from": self.decision.model, "error": type(error).__name__}, self.turn)
