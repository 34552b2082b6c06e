"""The routing engine among N models: tiers of a scalar router, quality against price, forcing,
fallback to the next model, the ledger per model."""

from __future__ import annotations

import numpy as np
import pytest

from routellm_core import RouteLLMError, Router
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.n_models import NModelRouter
from routellm_core.reference import ReferenceQuantiles
from routellm_core.routing import RoutingEngine, RoutingSettings, build_ledger

MODELS = ["mini", "medium", "large"]
PRICES = [Price(0.1, 0.4), Price(1.0, 4.0), Price(10.0, 40.0)]


class LengthScore(Router):
    """Scores len/100 (capped), with uniform reference quantiles."""

    kind = "test-length-score"
    scores_rows_independently = True

    def __init__(self, name=None):
        super().__init__(name)
        self.reference = ReferenceQuantiles.from_scores(np.linspace(0, 1, 1001), "uniform")

    def _score(self, texts):
        return np.array([min(len(t), 100) / 100 for t in texts])


class KeywordQuality(NModelRouter, Router):
    """Predicts 'medium' is as good as 'large' on prompts without "proof", else only 'large' is good."""

    kind = "test-keyword-quality"
    qualities_rows_independent = True

    def __init__(self, name=None):
        super().__init__(name)
        self.models = ["Mini", "medium", "org/large"]  # spelt differently from the inner models

    def _qualities(self, texts):
        return np.array([[0.2, 0.3, 0.95] if "proof" in t else [0.5, 0.9, 0.92] for t in texts])

    def _score(self, texts):
        return self._qualities(texts)[:, -1]


def engine(router=None, **settings) -> RoutingEngine:
    ledger = build_ledger(model_prices=dict(zip(MODELS, PRICES)))
    return RoutingEngine(router or LengthScore(), RoutingSettings(**settings), ledger, models=MODELS, prices=PRICES)


def test_a_scalar_router_splits_prompts_into_tiers_by_shares():
    routed = engine(shares=(0.5, 0.3, 0.2))
    assert routed.policy.thresholds == pytest.approx([0.5, 0.8], abs=1e-3)
    chosen = [routed.decide("x" * n).model for n in (10, 49, 51, 79, 81, 100)]
    assert chosen == ["mini", "mini", "medium", "medium", "large", "large"]


def test_equal_shares_by_default_and_a_turn_without_text_goes_to_the_cheapest():
    routed = engine()
    assert routed.policy.thresholds == pytest.approx([1 / 3, 2 / 3], abs=1e-3)
    assert routed.decide("   ").model == "mini" and routed.decide("   ").decision.reason == "no_text"


def test_a_quality_router_picks_by_quality_against_price():
    free = engine(KeywordQuality())
    assert free.decide("hi").model == "large"  # price_weight 0: the best predicted model
    thrifty = engine(KeywordQuality(), price_weight=0.05)
    assert thrifty.decide("hi").model == "medium"  # 0.9 - 0.05*2.5 beats 0.92 - 0.05*25
    assert thrifty.decide("a proof please").model == "mini"  # large's price outweighs its lead
    assert engine(KeywordQuality(), price_weight=0.01).decide("a proof please").model == "large"


def test_forcing_by_name_and_by_strong_or_weak():
    routed = engine()
    assert routed.forced_role("medium", {}) == "medium"
    assert routed.forced_role("strong", {}) == "large" and routed.forced_role("weak", {}) == "mini"
    with pytest.raises(RouteLLMError, match="names none of the routed models"):
        routed.forced_role("gpt-9", {})


def test_a_failing_model_falls_back_to_the_next_dearer_one_and_the_dearest_to_the_next_cheaper():
    routed = engine(fallback=True)
    first = routed.decide("x" * 10)
    assert first.model == "mini"
    calls = []

    def attempt(route):
        calls.append(route.model)
        if route.model == "mini":
            raise ConnectionError("down")
        return "answer"

    route, answer = routed.run(first, attempt, str)
    assert (route.model, route.details["fallback_from"], answer, calls) == ("medium", "mini", "answer", ["mini", "medium"])
    assert routed._fallback_model("large") == "medium"


def test_the_ledger_counts_each_model():
    routed = engine()
    for n in (10, 60, 90, 95):
        route = routed.decide("x" * n)
        routed.ledger.record(route.model, 1000, 100)
    snapshot = routed.ledger.snapshot()
    assert [snapshot.usage[m].calls for m in MODELS] == [1, 1, 2]
    assert snapshot.strong_share == 0.5  # the dearest model's share
    assert snapshot.as_dict()["large_calls"] == 2 and snapshot.cost < snapshot.always_strong_cost


@pytest.mark.parametrize("settings, models, message", [
    ({"threshold": 0.5}, MODELS, "threshold, strong_fraction, adaptive and budget are for two models"),
    ({"shares": (0.5, 0.5)}, MODELS, "shares gives 2 values for 3 models"),
    ({"shares": (0.5, 0.6, 0.1)}, MODELS, "must add up to 1"),
    ({}, ["a", "a"], "distinct names"),
    ({}, ["a"], "at least two models"),
])
def test_bad_n_model_settings_are_refused(settings, models, message):
    with pytest.raises(RouteLLMError, match=message):
        RoutingEngine(LengthScore(), RoutingSettings(**settings), RoutingLedger(), models=models)


def test_a_quality_router_must_know_every_inner_model():
    routed = RoutingEngine(KeywordQuality(), RoutingSettings(on_router_error="raise"), RoutingLedger(prices={"x": Price(), "y": Price()}),
                           models=["x", "y"])
    with pytest.raises(RouteLLMError, match="knows nothing of x, y"):
        routed.decide("hi")
