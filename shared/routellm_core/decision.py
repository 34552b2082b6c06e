"""The routing decision: which model, and why."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .errors import RouteLLMError

#: "strong" or "weak" for two models; the model's name when routing among N models.
ModelChoice = str

#: How a decision was reached. "routed": the router's score against the threshold;
#: "forced": the caller named the model; "sticky": reused inside a tool-calling turn;
#: "router_error": the router failed and the call went to the configured default model;
#: "fallback": the chosen model raised and the other one answered; "no_text": the turn has no text
#: to score (empty, whitespace, only images), so the cheap model answers without asking the router.
DecisionReason = Literal["routed", "forced", "sticky", "router_error", "fallback", "no_text"]


def validate_unit_interval(value: float, name: str) -> float:
    """Return `value` as a float, or raise `RouteLLMError` (a ValueError) naming `name` if it is not a
    number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RouteLLMError(f"{name} must be a number in [0, 1], got {type(value).__name__}")
    number = float(value)
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise RouteLLMError(f"{name} must be in [0, 1], got {value!r}")
    return number


def validate_threshold(threshold: float) -> float:
    """Return `threshold` as a float, or raise ValueError if it is not a number in [0, 1]."""
    return validate_unit_interval(threshold, "threshold")


@dataclass(frozen=True)
class RoutingDecision:
    """Which model a prompt goes to. Two models: `model` is "strong" when win_probability >= threshold.
    N models: `model` is the chosen model's name."""

    model: ModelChoice
    win_probability: float
    threshold: float
    router: str
    reason: DecisionReason = "routed"

    @classmethod
    def from_score(cls, win_probability: float, threshold: float, router: str) -> RoutingDecision:
        model: ModelChoice = "strong" if win_probability >= threshold else "weak"
        return cls(model=model, win_probability=float(win_probability), threshold=threshold, router=router)

    @classmethod
    def without_text(cls, threshold: float, router: str) -> RoutingDecision:
        """The decision for a turn with no text to score: the weak model, the router not asked."""
        return cls(model="weak", win_probability=math.nan, threshold=threshold, router=router, reason="no_text")

    def as_metadata(self, model_name: str | None = None) -> dict:
        """The dict both adapters attach to responses (`model_name` is the inner model's own name).

        JSON-ready: a score or threshold that is not known (a forced route) is None, never NaN.
        """
        meta = {key: None if isinstance(value, float) and math.isnan(value) else value
                for key, value in asdict(self).items()}
        meta["model_name"] = model_name or ""
        return meta


#: The attribute an exception raised by a routed call carries: the `RoutingDecision` behind it.
DECISION_ATTRIBUTE = "routing_decision"


def attach_decision(
    error: BaseException, decision: RoutingDecision, model_name: str, details: Mapping[str, Any] | None = None
) -> None:
    """Attach the decision behind a failed call to its exception: an attribute, and a note in its traceback.

    `details` are what the call's metadata says beyond the decision (`error`, `fallback_from`).
    """
    try:
        setattr(error, DECISION_ATTRIBUTE, decision)
    except AttributeError:  # an exception type with __slots__: the note still says it
        pass
    score = "not scored" if math.isnan(decision.win_probability) else f"win probability {decision.win_probability:.3f}"
    error.add_note(
        f"routellm: this call went to the {decision.model} model ({model_name}); reason {decision.reason!r}, "
        f"{score}, threshold {decision.threshold:.3f}, router {decision.router!r}"
        + "".join(f", {key} {value!r}" for key, value in (details or {}).items())
    )
