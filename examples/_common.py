"""What the examples share: their command line, and one line saying which model answered and why.

Framework-free, so each example needs only its own framework installed.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any


def routing_arguments(description: str, strong_fraction: float, routed: str = "questions") -> argparse.Namespace:
    """`--router` and `--strong-fraction` (the share of the `routed` items sent to the strong model)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", default="default", help="bundled router name or checkpoint directory")
    parser.add_argument(
        "--strong-fraction", type=float, default=strong_fraction, help=f"share of the {routed} sent to the strong model"
    )
    return parser.parse_args()


def why(decision: Mapping[str, Any]) -> str:
    """Which model answered and why, from routing metadata (`response_metadata["routellm"]` and the like)."""
    answered = decision["model"] if decision["model"] == decision["model_name"] else f"{decision['model']} ({decision['model_name']})"
    if decision["reason"] == "routed" and decision["threshold"] is not None:
        sign = ">=" if decision["win_probability"] >= decision["threshold"] else "<"
        return f"{answered}: win probability {decision['win_probability']:.3f} {sign} threshold {decision['threshold']:.3f}"
    if decision["reason"] == "sticky":
        return f"{answered}: sticky, the model that started this turn"
    return f"{answered}: {decision['reason']}"
