"""Scores that do not depend on the batch, thresholds between scores, and the no-threshold default.

- A prompt scores the same, bit for bit, alone or in any batch (one code path), so a threshold
  calibrated on a batch sends the promised share of those prompts strong when they come one by one.
- Every bundled router carries reference quantiles; with no threshold settings both adapters and
  `routellm route` send about half of typical chat traffic strong, `strong_fraction` alone another share.
- Both adapters count a call whose model reports no usage with the same estimate, flagged.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from langchain_core.language_models import FakeListChatModel
from llama_index.core.base.llms.types import ChatMessage
from typer.testing import CliRunner

from routellm_core import (
    CheckpointError,
    RouteLLMError,
    Router,
    available_routers,
    calibrate_threshold,
    load_router,
    reference_threshold,
)
from routellm_core.cli import app
from routellm_core.reference import LEVELS, ReferenceQuantiles
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter
from routellm_llamaindex import RoutedLLM
from routellm_llamaindex.testing import NamedMockLLM

PROMPTS = [f"question {i}: " + "word " * (i % 17) + ("hard proof" if i % 3 == 0 else "small talk") for i in range(60)]


class BatchSensitiveRouter(Router):
    """Adds a rounding error that depends on the batch size, as a BLAS kernel or padding would."""

    kind = "test-batch-sensitive"

    def _score(self, texts: list[str]) -> np.ndarray:
        base = np.array([len(t) / (len(t) + 40.0) for t in texts])
        return base + len(texts) * 1e-16


# ---- one code path -------------------------------------------------------------------------------


def test_a_prompt_scores_the_same_alone_and_in_any_batch():
    router = BatchSensitiveRouter()
    batched = router.win_probabilities(PROMPTS)
    alone = np.array([router.win_probability(p) for p in PROMPTS])
    assert np.array_equal(batched, alone)
    assert np.array_equal(router.win_probabilities(PROMPTS[::-1])[::-1], batched)


def test_the_default_router_scores_a_prompt_the_same_alone_and_in_a_batch():
    router = load_router("default")
    batched = router.win_probabilities(PROMPTS[:12])
    router._embedder.clear_cache()  # recompute every embedding, one prompt at a time
    alone = np.array([router.win_probability(p) for p in PROMPTS[:12]])
    assert np.array_equal(batched, alone)


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.77, 1.0])
def test_a_calibrated_threshold_sends_the_promised_share_of_prompts_routed_one_by_one(fraction):
    router = BatchSensitiveRouter()
    threshold = calibrate_threshold(router, PROMPTS, fraction)
    strong = sum(router.route(p, threshold).model == "strong" for p in PROMPTS)
    scores = np.unique(router.win_probabilities(PROMPTS))
    assert strong == pytest.approx(fraction * len(PROMPTS), abs=len(PROMPTS) - len(scores) + 1)
    assert threshold not in scores  # between two scores, never on one


def test_a_calibrated_threshold_lies_between_two_scores():
    router = BatchSensitiveRouter()
    scores = np.sort(router.win_probabilities(PROMPTS))
    threshold = calibrate_threshold(router, PROMPTS, 0.5)
    below, above = scores[scores < threshold], scores[scores >= threshold]
    assert below.max() < threshold < above.min()


# ---- reference quantiles -------------------------------------------------------------------------


@pytest.mark.parametrize("name", available_routers())
def test_every_bundled_router_has_reference_quantiles(name):
    reference = load_router(name).reference
    assert reference is not None and "Arena-Hard" in reference.prompts
    thresholds = [reference.threshold_for_share(f) for f in (0.8, 0.5, 0.2)]
    assert thresholds == sorted(thresholds)  # fewer strong calls, a higher threshold


def test_reference_thresholds_send_the_share_of_the_reference_scores():
    scores = np.random.default_rng(0).beta(5, 2, size=2000)
    reference = ReferenceQuantiles.from_scores(scores, "synthetic")
    for fraction in (0.1, 0.3, 0.5, 0.9):
        assert np.mean(scores >= reference.threshold_for_share(fraction)) == pytest.approx(fraction, abs=0.02)
    assert np.mean(scores >= reference.threshold_for_share(0.0)) == 0.0
    assert np.mean(scores >= reference.threshold_for_share(1.0)) == 1.0


def test_reference_quantiles_survive_a_checkpoint_and_bad_ones_are_refused(tmp_path):
    router = load_router("length")
    path = router.save(tmp_path / "mine")
    assert load_router(path).reference == router.reference
    config = json.loads((path / "config.json").read_text())
    config["reference_quantiles"]["scores"] = config["reference_quantiles"]["scores"][::-1]
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="reference_quantiles.*must not decrease"):
        load_router(path)
    with pytest.raises(ValueError, match=f"need {LEVELS.size} scores"):
        ReferenceQuantiles((0.5,), "too few")


def test_a_router_without_reference_quantiles_asks_for_calibration_prompts():
    with pytest.raises(RouteLLMError, match="no reference quantiles: give calibration prompts"):
        reference_threshold(ScriptedRouter(0.5), 0.3)


# ---- the no-threshold default in both adapters ---------------------------------------------------


def langchain_model(**kwargs):
    return RoutedChatModel(strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"), **kwargs)


def llamaindex_model(**kwargs):
    return RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), **kwargs)


def threshold_in_use(model) -> float:
    return model.get_threshold() if isinstance(model, RoutedChatModel) else model.effective_threshold


ADAPTERS = [pytest.param(langchain_model, id="langchain"), pytest.param(llamaindex_model, id="llamaindex")]


@pytest.mark.parametrize("build", ADAPTERS)
def test_no_threshold_settings_send_half_of_typical_traffic_strong(build):
    model = build(router="length")
    assert threshold_in_use(model) == load_router("length").reference.threshold_for_share(0.5)


@pytest.mark.parametrize("build", ADAPTERS)
def test_strong_fraction_alone_reads_the_reference_quantiles(build):
    model = build(router="length", strong_fraction=0.3)
    assert threshold_in_use(model) == reference_threshold(load_router("length"), 0.3)


@pytest.mark.parametrize("build", ADAPTERS)
def test_strong_fraction_with_calibration_prompts_calibrates_on_them(build):
    model = build(router="length", strong_fraction=0.3, calibration_prompts=PROMPTS)
    assert threshold_in_use(model) == calibrate_threshold(load_router("length"), PROMPTS, 0.3)


@pytest.mark.parametrize("build", ADAPTERS)
def test_a_router_without_reference_quantiles_and_no_threshold_is_refused_at_construction(build):
    with pytest.raises(ValueError, match="no reference quantiles"):
        build(router=ScriptedRouter(0.5))


def test_routellm_route_uses_the_same_default():
    result = CliRunner().invoke(app, ["route", "hi", "a much longer prompt " * 20, "--router", "length", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    expected = load_router("length").reference.threshold_for_share(0.5)
    assert [row["threshold"] for row in rows] == [expected, expected]
    assert [row["model"] for row in rows] == ["weak", "strong"]
    assert all(row["model_name"] for row in rows)  # the identity the router's score refers to


# ---- usage a model does not report: one estimate for both adapters -------------------------------


def test_both_adapters_estimate_unreported_usage_the_same_way():
    reply = "Paris is the capital of France."
    langchain = RoutedChatModel(strong=FakeListChatModel(responses=[reply]), weak=FakeListChatModel(responses=[reply]),
                                router="length", threshold=0.0)
    langchain.invoke("What is the capital of France?")
    llamaindex = RoutedLLM(strong=NamedMockLLM("s", response_generator=lambda messages, **_: ChatMessage(role="assistant", content=reply)),
                           weak=NamedMockLLM("w"),
                           router="length", threshold=0.0)
    llamaindex.chat([ChatMessage(role="user", content="What is the capital of France?")])
    counted = [model.ledger.snapshot() for model in (langchain, llamaindex)]
    assert [(s.strong.input_tokens, s.strong.output_tokens, s.strong.estimated_calls) for s in counted] == [(7, 7, 1)] * 2


def test_a_langchain_budget_sees_spend_when_the_models_report_no_usage():
    from routellm_core.adaptive import CostBudget
    from routellm_core.ledger import Price, RoutingLedger

    ledger = RoutingLedger(strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))
    model = RoutedChatModel(strong=FakeListChatModel(responses=["a long strong answer " * 5]),
                            weak=FakeListChatModel(responses=["short"]), router="length",
                            budget=CostBudget(ledger, cost_per_call=1e-4))
    for i in range(20):
        model.invoke(f"question {i} " + "x " * i)
    snapshot = ledger.snapshot()
    assert snapshot.cost > 0 and snapshot.as_dict()["estimated_calls"] == 20
