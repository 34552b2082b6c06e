"""RoutedChatModel budgets: the ledger fed per call, the callback handler, adaptive and cost-budget modes."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from routellm_core.adaptive import AdaptiveThreshold, CostBudget
from routellm_core.calibration import threshold_for_share
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.routers import LengthRouter
from routellm_langchain import RoutedChatModel, RoutingLedgerCallbackHandler
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter

STRONG, WEAK = "fake-strong-model", "fake-weak-model"
STRONG_PRICE, WEAK_PRICE = Price(10.0, 30.0), Price(0.5, 1.5)


def routed(**kwargs) -> RoutedChatModel:
    params = {
        "strong": FakeToolChatModel(model_name=STRONG),
        "weak": FakeToolChatModel(model_name=WEAK),
        "router": ScriptedRouter(lambda text: 0.9 if "hard" in text else 0.1),
    }
    if not {"strong_fraction", "budget"} & set(kwargs):
        params["threshold"] = 0.5
    return RoutedChatModel(**{**params, **kwargs})


def usage(answer) -> tuple[int, int]:
    return answer.usage_metadata["input_tokens"], answer.usage_metadata["output_tokens"]


def ledger_row(ledger: RoutingLedger, role: str) -> tuple[int, int, int]:
    model = getattr(ledger.snapshot(), role)
    return model.calls, model.input_tokens, model.output_tokens


def merged(chunks):
    return sum(chunks[1:], chunks[0])


# ---- the model's own ledger ---------------------------------------------------------------------


def test_every_model_has_a_ledger_and_invoke_records_the_answer_usage():
    model = routed()
    assert isinstance(model.ledger, RoutingLedger)
    hard, easy = model.invoke("a hard one"), model.invoke("an easy one")
    assert ledger_row(model.ledger, "strong") == (1, *usage(hard))
    assert ledger_row(model.ledger, "weak") == (1, *usage(easy))


async def test_streams_are_recorded_exactly_once_with_their_merged_usage():
    model = routed()
    streamed = merged(list(model.stream("a hard one")))
    astreamed = merged([c async for c in model.astream("a hard one")])
    assert usage(streamed) == usage(astreamed) == usage(FakeToolChatModel(model_name=STRONG).invoke("a hard one"))
    calls, tokens_in, tokens_out = ledger_row(model.ledger, "strong")
    assert (calls, tokens_in, tokens_out) == (2, 2 * usage(streamed)[0], 2 * usage(streamed)[1])


def test_an_inner_model_that_streams_when_invoked_is_recorded_once():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, streaming=True))
    answer = model.invoke("a hard one")
    assert ledger_row(model.ledger, "strong") == (1, *usage(answer))


def test_a_stream_the_caller_stops_reading_is_recorded_once():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, reply="one two three four"))
    stream = model.stream("a hard one")
    next(stream)
    stream.close()
    # the reported usage rides on the last chunk, never read: the call is counted with the estimate
    # (3 words sent, the one chunk received)
    assert ledger_row(model.ledger, "strong") == (1, 3, 1)
    assert model.ledger.snapshot().strong.estimated_calls == 1


async def test_batch_and_abatch_record_each_input():
    model = routed()
    answers = model.batch(["a hard one", "an easy one", "an easy two"])
    answers += await model.abatch(["a hard three", "an easy four"])
    snapshot = model.ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.weak.calls) == (2, 3)
    assert snapshot.strong.input_tokens + snapshot.weak.input_tokens == sum(usage(a)[0] for a in answers)


def test_prices_build_the_ledger_and_give_the_cost_and_the_saving():
    model = routed(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    hard, easy = model.invoke("a hard one"), model.invoke("an easy one")
    (hi, ho), (ei, eo) = usage(hard), usage(easy)
    snapshot = model.ledger.snapshot()
    assert snapshot.cost == pytest.approx((hi * 10 + ho * 30 + ei * 0.5 + eo * 1.5) / 1e6)
    assert snapshot.always_strong_cost == pytest.approx(((hi + ei) * 10 + (ho + eo) * 30) / 1e6)
    assert snapshot.saving > 0


def test_a_given_ledger_is_shared_and_can_be_reset():
    ledger = RoutingLedger(strong_price=STRONG_PRICE)
    first, second = routed(ledger=ledger), routed(ledger=ledger, strong_price=STRONG_PRICE)
    first.invoke("a hard one")
    second.invoke("an easy one")
    assert first.ledger is ledger and second.ledger is ledger
    assert ledger.snapshot().calls == 2
    ledger.reset()
    assert ledger.snapshot().calls == 0


def test_forced_and_sticky_calls_are_recorded_under_the_model_that_answered():
    model = routed()
    model.invoke("a hard one", model="weak")
    assert ledger_row(model.ledger, "weak")[0] == 1 and ledger_row(model.ledger, "strong")[0] == 0


# ---- the callback handler, for a model built elsewhere -------------------------------------------


def test_the_callback_handler_records_what_the_model_ledger_records():
    model = routed()
    ledger = RoutingLedger()
    config = {"callbacks": [RoutingLedgerCallbackHandler(ledger)]}
    model.invoke("a hard one", config=config)
    list(model.stream("an easy one", config=config))
    model.batch(["a hard two", "an easy three"], config=config)
    assert ledger.snapshot() == model.ledger.snapshot()
    assert ledger.snapshot().calls == 4


async def test_the_callback_handler_records_async_calls_and_streams_once():
    model = routed()
    ledger = RoutingLedger()
    config = {"callbacks": [RoutingLedgerCallbackHandler(ledger)]}
    await model.ainvoke("a hard one", config=config)
    [c async for c in model.astream("an easy one", config=config)]
    await model.abatch(["a hard two", "an easy three"], config=config)
    assert ledger.snapshot() == model.ledger.snapshot()
    assert ledger.snapshot().calls == 4


def test_the_callback_handler_ignores_other_chat_models_in_a_chain():
    routed_model, plain = routed(), FakeToolChatModel(model_name="plain-model")
    prompt = ChatPromptTemplate.from_messages([("human", "Explain {topic}")])
    chain = prompt | routed_model | StrOutputParser() | (lambda text: [("human", text)]) | plain
    ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    chain.invoke({"topic": "a hard one"}, config={"callbacks": [RoutingLedgerCallbackHandler(ledger)]})
    assert ledger.snapshot().calls == 1 and ledger.snapshot().strong.calls == 1
    assert ledger.snapshot().strong.input_tokens == routed_model.ledger.snapshot().strong.input_tokens
    assert ledger.snapshot().cost > 0


def test_the_callback_handler_skips_failed_calls_and_records_fallbacks_once():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, error=ConnectionError("down")), fallback=True)
    ledger = RoutingLedger()
    model.invoke("a hard one", config={"callbacks": [RoutingLedgerCallbackHandler(ledger)]})
    assert ledger_row(ledger, "weak")[0] == 1 and ledger_row(ledger, "strong")[0] == 0
    with pytest.raises(TypeError, match="RoutingLedger"):
        RoutingLedgerCallbackHandler({"calls": 0})


# ---- adaptive mode -------------------------------------------------------------------------------


def length_prompts(seed: int, n: int, shortest: int, longest: int) -> list[str]:
    words = np.random.default_rng(seed).integers(shortest, longest, n)
    return [f"q{i} " + "word " * int(k) for i, k in enumerate(words)]


def test_adaptive_mode_holds_the_strong_share_through_a_shift_while_a_fixed_threshold_drifts():
    # 2,000 calls through invoke with the real length router; prompts get much longer halfway.
    stream = length_prompts(0, 1000, 2, 40) + length_prompts(1, 1000, 30, 180)
    target = 0.3
    model = routed(router="length", strong_fraction=target, adaptive=True)
    strong = []
    for prompt in stream:
        decision = model.invoke(prompt).response_metadata["routellm"]
        # the metadata's threshold is the one the decision used
        assert (decision["model"] == "strong") == (decision["win_probability"] >= decision["threshold"])
        strong.append(decision["model"] == "strong")
    strong = np.array(strong)
    windows = [strong[start:start + 500].mean() for start in range(100, 1600, 250)]  # after the 100-call warm-up
    assert all(abs(share - target) <= 0.05 for share in windows), windows
    assert abs(strong[100:].mean() - target) <= 0.02
    assert model.ledger.snapshot().strong.calls == strong.sum()
    # the same stream with a threshold calibrated once on the first 250 prompts
    router = LengthRouter()
    fixed = threshold_for_share(router.win_probabilities(stream[:250]), target)
    assert (router.win_probabilities(stream[1000:]) >= fixed).mean() > 0.9


def test_calibration_prompts_warm_up_the_adaptive_threshold():
    calibration = length_prompts(5, 200, 2, 40)
    model = routed(router="length", strong_fraction=0.3, adaptive=True, calibration_prompts=calibration)
    warmed = model.get_threshold()
    scores = LengthRouter().win_probabilities(calibration)
    assert abs((scores >= warmed).mean() - 0.3) <= 0.05  # already at the share, before any live call
    live = [model.invoke(p).response_metadata["routellm"]["model"] for p in length_prompts(6, 100, 2, 40)]
    assert abs(live.count("strong") / 100 - 0.3) <= 0.1


def test_previews_do_not_move_the_adaptive_threshold_and_calls_do():
    model = routed(router="length", strong_fraction=0.3, adaptive=True, calibration_prompts=length_prompts(5, 200, 2, 40))
    before = model.get_threshold()
    for prompt in length_prompts(7, 50, 2, 40):
        assert model.decide(prompt).threshold == before
    assert model.get_threshold() == before
    for prompt in length_prompts(8, 50, 2, 40):
        model.invoke(prompt)
    assert model.get_threshold() != before
    assert isinstance(model.adaptive_threshold, AdaptiveThreshold)
    assert model.adaptive_threshold.threshold == model.get_threshold()


def test_per_call_overrides_still_apply_in_adaptive_mode():
    model = routed(router="length", strong_fraction=0.3, adaptive=True)
    lowered = model.invoke("short", threshold=0.0).response_metadata["routellm"]
    assert (lowered["model"], lowered["threshold"], lowered["reason"]) == ("strong", 0.0, "routed")
    forced = model.invoke("a much longer prompt " * 50, model="weak").response_metadata["routellm"]
    assert (forced["model"], forced["reason"]) == ("weak", "forced")
    assert forced["threshold"] == model.get_threshold()


def test_configured_copies_keep_feeding_the_same_adaptive_threshold():
    from langchain_core.runnables import ConfigurableField

    model = routed(router="length", strong_fraction=0.3, adaptive=True)
    configurable = model.configurable_fields(route=ConfigurableField(id="route"))
    config = {"configurable": {"route": "auto"}}  # each call runs on a new copy of the model
    answers = [configurable.invoke(p, config=config) for p in length_prompts(9, 400, 2, 40)]
    strong = [a.response_metadata["routellm"]["model"] == "strong" for a in answers]
    # past the 100-call warm-up the copies route at the target share: they all feed one threshold
    assert abs(np.mean(strong[100:]) - 0.3) <= 0.05
    assert model.adaptive_threshold is not None and model.adaptive_threshold.threshold != 0.5


# ---- cost budget mode ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget_kwargs", "per_token"),
    [({"cost_per_call": 4e-4}, False), ({"cost_per_million_tokens": 4.0}, True)],
)
def test_a_cost_budget_keeps_the_spend_near_its_target(budget_kwargs, per_token):
    ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    model = routed(router="length", budget=CostBudget(ledger, **budget_kwargs))
    assert model.ledger is ledger
    stream = length_prompts(2, 1000, 2, 60)
    for prompt in stream[:300]:
        model.invoke(prompt)
    start = ledger.snapshot()
    for prompt in stream[300:]:
        model.invoke(prompt)
    end = ledger.snapshot()
    spent = end.cost - start.cost
    if per_token:
        tokens = sum(
            getattr(end, r).input_tokens + getattr(end, r).output_tokens
            - getattr(start, r).input_tokens - getattr(start, r).output_tokens
            for r in ("strong", "weak")
        )
        realised, target = spent / tokens * 1e6, budget_kwargs["cost_per_million_tokens"]
    else:
        realised, target = spent / (end.calls - start.calls), budget_kwargs["cost_per_call"]
    assert realised == pytest.approx(target, rel=0.1)
    assert 0.05 < end.strong_share < 0.6  # it mixes both models to get there
    always_strong_per_call = end.always_strong_cost / end.calls
    assert end.cost / end.calls < always_strong_per_call


def test_a_tighter_budget_sends_fewer_calls_to_the_strong_model():
    shares = []
    for target in (2e-4, 8e-4):
        ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
        model = routed(router="length", budget=CostBudget(ledger, cost_per_call=target))
        for prompt in length_prompts(3, 300, 2, 60):
            model.invoke(prompt)
        shares.append(ledger.snapshot().strong_share)
    assert shares[0] < shares[1]
