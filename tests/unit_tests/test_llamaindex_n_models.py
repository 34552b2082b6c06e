"""RoutedLLM among N models (`models=[...]`): tiers by shares, forcing by name, fallback to the next
dearer model, the ledger per model, streaming, sticky tool turns, a quality router, and the errors."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle

import numpy as np
import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import MockLLM
from llama_index.core.tools import FunctionTool

from routellm_core import RouteLLMError, Router, load_router
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.n_models import NModelRouter
from routellm_core.reference import ReferenceQuantiles
from routellm_llamaindex import METADATA_KEY, RoutedLLM, RoutedUsageEvent, RoutingLedgerEventHandler
from routellm_llamaindex.testing import MeteredMockLLM, NamedMockLLM, signed_echo, tool_plan

from .llamaindex_helpers import decisions, meta, user

NAMES = ["mini", "medium", "large"]
PRICES = [Price(0.1, 0.4), Price(1.0, 4.0), Price(10.0, 40.0)]
SHARES = [0.5, 0.3, 0.2]


def mocks(reply=signed_echo, cls=NamedMockLLM, **per_model) -> list:
    """Three mocks, cheapest first, each signing its answers; `per_model[name]` overrides one's kwargs."""
    return [cls(name, **{"response_generator": reply(name), **per_model.get(name, {})}) for name in NAMES]


def routed(router="length", models=None, **kwargs) -> RoutedLLM:
    kwargs.setdefault("prices", PRICES)
    return RoutedLLM(models=models or mocks(), router=router, **kwargs)


def expected_model(router: Router, prompt: str, thresholds: list[float]) -> str:
    return NAMES[sum(router.win_probability(prompt) >= t for t in thresholds)]


# ---- tiers by shares -------------------------------------------------------------------------


def test_a_scalar_router_sends_short_medium_and_long_prompts_to_the_cheap_medium_and_dear_models():
    llm = routed(shares=SHARES)
    reference = load_router("length").reference
    # each boundary sends the dearer models above it their shares: 0.3 + 0.2 above the first, 0.2 above the second
    thresholds = [reference.threshold_for_share(0.5), reference.threshold_for_share(0.2)]
    prompts = {"short": "What is 2 + 2?", "medium": "m" * 250, "long": "l" * 900}
    answered = {}
    for kind, prompt in prompts.items():
        response = llm.chat(user(prompt))
        answered[kind] = meta(response)["model"]
        assert response.message.content == f"{answered[kind]}: {prompt}"
        assert meta(response)["model_name"] == answered[kind] and meta(response)["reason"] == "routed"
        assert answered[kind] == expected_model(llm.get_router(), prompt, thresholds)
    assert answered == {"short": "mini", "medium": "medium", "long": "large"}
    assert llm._engine.policy.thresholds == pytest.approx(thresholds)
    assert llm.get_threshold() == pytest.approx(thresholds[0])  # the lowest tier's


def test_equal_shares_by_default_and_the_metadata_names_the_tier_threshold():
    llm = routed()
    reference = load_router("length").reference
    thresholds = [reference.threshold_for_share(2 / 3), reference.threshold_for_share(1 / 3)]
    assert llm._engine.policy.thresholds == pytest.approx(thresholds)
    for n in (5, 60, 120, 200, 400, 2000):
        prompt = "x" * n
        decision = meta(llm.chat(user(prompt)))
        assert decision["model"] == expected_model(llm.get_router(), prompt, thresholds)
        tier = NAMES.index(decision["model"])
        assert decision["threshold"] == pytest.approx(thresholds[max(tier - 1, 0)])


def test_shares_of_your_own_prompts_with_calibration_prompts():
    prompts = ["a" * n for n in range(1, 301)]
    llm = routed(shares=SHARES, calibration_prompts=prompts)
    chosen = [meta(llm.chat(user(p)))["model"] for p in prompts[::10]]
    assert [chosen.count(name) for name in NAMES] == [15, 9, 6]


def test_completions_async_calls_and_previews_route_alike():
    llm = routed(shares=SHARES)
    assert llm.complete("l" * 900).additional_kwargs[METADATA_KEY]["model"] == "large"
    assert meta(asyncio.run(llm.achat(user("m" * 250))))["model"] == "medium"
    assert asyncio.run(llm.acomplete("hi")).additional_kwargs[METADATA_KEY]["model"] == "mini"
    assert llm.decide("m" * 250).model == "medium"
    assert asyncio.run(llm.adecide(user("l" * 900))).model == "large"
    assert llm.ledger.snapshot().calls == 3  # previews are not calls


def test_a_turn_without_text_goes_to_the_cheapest_model():
    decision = meta(routed().chat(user("   ")))
    assert (decision["model"], decision["reason"]) == ("mini", "no_text")


# ---- forcing, fallback -------------------------------------------------------------------------


def test_forcing_by_name_or_by_strong_and_weak():
    llm = routed()
    prompt = "l" * 900
    for forced, model in [("medium", "medium"), ("mini", "mini"), ("strong", "large"), ("weak", "mini"), ("auto", "large")]:
        response = llm.chat(user(prompt), model=forced)
        assert meta(response)["model"] == model and response.message.content.startswith(f"{model}: ")
        assert meta(response)["reason"] == ("routed" if forced == "auto" else "forced")
    assert llm.decide("hi", model="large").model == "large"
    with pytest.raises(RouteLLMError, match="names none of the routed models"):
        llm.chat(user(prompt), model="gpt-9")


def down(messages, **kwargs):
    raise ConnectionError("provider unreachable")


def test_a_failing_model_falls_back_to_the_next_dearer_one(events):
    llm = routed(models=mocks(mini={"response_generator": down}), shares=SHARES, fallback=True)
    response = llm.chat(user("hi"))
    decision = meta(response)
    assert response.message.content == "medium: hi"
    assert (decision["model"], decision["reason"], decision["fallback_from"], decision["error"]) == (
        "medium", "fallback", "mini", "ConnectionError"
    )
    assert [(e.model, e.reason) for e in decisions(events)] == [("mini", "routed"), ("medium", "fallback")]
    snapshot = llm.ledger.snapshot()
    assert [snapshot.usage[name].calls for name in NAMES] == [0, 1, 0]


def test_the_dearest_model_falls_back_to_the_next_cheaper_one_and_streams_fall_back_too():
    llm = routed(models=mocks(large={"response_generator": down}), shares=SHARES, fallback=True)
    assert meta(llm.chat(user("l" * 900)))["model"] == "medium"
    chunks = list(llm.stream_chat(user("l" * 900)))
    assert {(meta(c)["model"], meta(c)["fallback_from"]) for c in chunks} == {("medium", "large")}


def test_without_fallback_the_error_carries_the_decision_by_name():
    llm = routed(models=mocks(medium={"response_generator": down}), shares=SHARES)
    with pytest.raises(ConnectionError) as caught:
        llm.chat(user("m" * 250))
    assert caught.value.routing_decision.model == "medium"


# ---- the ledger, events, streaming --------------------------------------------------------------


def test_the_ledger_and_the_event_handler_count_each_model(events):
    handler = RoutingLedgerEventHandler(ledger=RoutingLedger(prices=dict(zip(NAMES, PRICES))))
    get_dispatcher().add_event_handler(handler)
    try:
        llm = routed(models=mocks(cls=MeteredMockLLM), shares=SHARES)
        for prompt in ["hi", "short question", "m" * 250, "l" * 900, "l" * 1200]:
            llm.chat(user(prompt))
        list(llm.stream_chat(user("m" * 300)))
    finally:
        get_dispatcher().event_handlers.remove(handler)
    snapshot = llm.ledger.snapshot()
    assert [snapshot.usage[name].calls for name in NAMES] == [2, 2, 2]
    assert snapshot.usage["large"].input_tokens == 900 + 1200  # MeteredMockLLM reports characters
    assert snapshot.cost == pytest.approx(
        sum(PRICES[i].cost(snapshot.usage[n].input_tokens, snapshot.usage[n].output_tokens) for i, n in enumerate(NAMES))
    )
    assert 0 < snapshot.cost < snapshot.always_strong_cost  # the dearest model's price for every call
    assert snapshot.as_dict()["medium_calls"] == 2 and snapshot.strong_share == pytest.approx(1 / 3)
    assert handler.ledger.snapshot() == snapshot
    assert [e.model for e in events if isinstance(e, RoutedUsageEvent)] == [
        "mini", "mini", "medium", "large", "large", "medium"
    ]


def test_a_given_ledger_must_count_the_routed_models():
    ledger = RoutingLedger(prices=dict(zip(NAMES, PRICES)))
    llm = routed(ledger=ledger)
    llm.chat(user("hi"))
    assert llm.ledger is ledger and ledger.snapshot().usage["mini"].calls == 1
    with pytest.raises(RouteLLMError, match="must count the routed models"):
        routed(ledger=RoutingLedger(Price(1, 1), Price(2, 2)))


def test_an_event_handler_with_a_two_model_ledger_skips_named_models_with_a_warning(caplog):
    handler = RoutingLedgerEventHandler()
    get_dispatcher().add_event_handler(handler)
    try:
        llm = routed()
        with caplog.at_level(logging.WARNING, logger="routellm"):
            llm.chat(user("hi"))
            llm.chat(user("hello"))
    finally:
        get_dispatcher().event_handlers.remove(handler)
    assert handler.ledger.snapshot().calls == 0 and llm.ledger.snapshot().calls == 2
    assert sum("skips calls answered by 'mini'" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("method", ["stream_chat", "astream_chat", "stream_complete", "astream_complete"])
def test_every_streamed_delta_names_the_model(method):
    llm = routed(models=mocks(cls=MeteredMockLLM), shares=SHARES)
    prompt = "m" * 250
    args = (user(prompt),) if "chat" in method else (prompt,)

    async def collect():
        return [chunk async for chunk in await getattr(llm, method)(*args)]

    chunks = asyncio.run(collect()) if method.startswith("a") else list(getattr(llm, method)(*args))
    assert chunks and all(meta(c)["model"] == "medium" and meta(c)["model_name"] == "medium" for c in chunks)
    assert llm.ledger.snapshot().usage["medium"].calls == 1


# ---- tool calling ------------------------------------------------------------------------------


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class CyclingScore(Router):
    """Returns `scores` in turn whatever the prompt (a router that keeps changing its mind), with
    uniform reference quantiles so that shares map to thresholds 1/3 and 2/3."""

    kind = "test-cycling-score"

    def __init__(self, scores, name=None):
        super().__init__(name)
        self.scores, self.calls = list(scores), 0
        self.reference = ReferenceQuantiles.from_scores(np.linspace(0, 1, 1001), "uniform")

    def _score(self, texts):
        out = [self.scores[(self.calls + i) % len(self.scores)] for i in range(len(texts))]
        self.calls += len(texts)
        return np.array(out)


def tool_llm(router) -> RoutedLLM:
    return routed(models=mocks(lambda name: tool_plan(name, [("multiply", {"a": 6, "b": 7})])), router=router)


def test_a_tool_loop_stays_on_the_model_that_started_the_turn():
    llm = tool_llm(CyclingScore([0.5, 0.9, 0.1]))  # medium first; then the router would say large, then mini
    tools = [FunctionTool.from_defaults(multiply)]
    first = llm.chat_with_tools(tools, user_msg="What is 6 times 7?")
    assert (meta(first)["model"], meta(first)["reason"]) == ("medium", "routed")
    calls = llm.get_tool_calls_from_response(first)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    history = [
        *user("What is 6 times 7?"),
        first.message,
        ChatMessage(role=MessageRole.TOOL, content="42", additional_kwargs={"tool_call_id": calls[0].tool_id}),
    ]
    second = llm.chat_with_tools(tools, chat_history=history)
    assert (meta(second)["model"], meta(second)["reason"]) == ("medium", "sticky")
    assert second.message.content == "medium: 42"
    assert llm.get_tool_calls_from_response(second, error_on_no_tool_call=False) == []
    # a new user message starts a new turn, routed afresh (the router now says 0.9: large)
    third = llm.chat_with_tools(tools, chat_history=[*history, second.message, *user("and 2 times 3?")])
    assert (meta(third)["model"], meta(third)["reason"]) == ("large", "routed")


async def test_a_function_agent_runs_its_tool_loop_on_one_model(events):
    llm = tool_llm(CyclingScore([0.1, 0.9, 0.5]))
    agent = FunctionAgent(tools=[multiply], llm=llm)
    result = await agent.run("What is 6 times 7?")
    assert str(result) == "mini: 42"
    assert [(e.model, e.reason) for e in decisions(events)] == [("mini", "routed"), ("mini", "sticky")]
    assert llm.ledger.snapshot().usage["mini"].calls == 2


def test_tools_need_every_inner_model_to_call_functions():
    models = mocks()
    models[1] = MockLLM(is_chat_model=True)
    llm = RoutedLLM(models=models, router="length")
    assert not llm.metadata.is_function_calling_model
    with pytest.raises(RouteLLMError, match="FunctionCallingLLM"):
        llm.chat_with_tools([FunctionTool.from_defaults(multiply)], user_msg="x" * 150, model=models[1].metadata.model_name)


# ---- a quality router ----------------------------------------------------------------------------


class KeywordQuality(NModelRouter, Router):
    """Predicts medium as good as large on prompts without "proof"; with it, only large is good."""

    kind = "test-keyword-quality"
    qualities_rows_independent = True

    def __init__(self, name=None):
        super().__init__(name)
        self.models = list(NAMES)

    def _qualities(self, texts):
        return np.array([[0.2, 0.3, 0.95] if "proof" in t else [0.5, 0.9, 0.92] for t in texts])

    def _score(self, texts):
        return self._qualities(texts)[:, -1]


def test_a_quality_router_chooses_by_quality_against_price_weight():
    free = routed(router=KeywordQuality())
    assert meta(free.chat(user("hi")))["model"] == "large"  # price_weight 0: the best predicted model
    thrifty = routed(router=KeywordQuality(), price_weight=0.05)
    decision = meta(thrifty.chat(user("hi")))
    assert decision["model"] == "medium"  # 0.9 - 0.05 * 2.5 beats 0.92 - 0.05 * 25
    assert decision["win_probability"] == pytest.approx(0.9)  # the chosen model's predicted quality
    assert decision["threshold"] is None  # a quality router compares no score with a threshold
    assert meta(thrifty.chat(user("a proof please")))["model"] == "mini"  # large's price outweighs its lead
    assert meta(routed(router=KeywordQuality(), price_weight=0.01).chat(user("a proof please")))["model"] == "large"


# ---- construction, metadata, copies ------------------------------------------------------------


def test_metadata_is_what_every_model_shares():
    llm = routed(
        models=mocks(
            mini={"context_window": 16_000, "num_output": 2048},
            medium={"context_window": 8192, "num_output": 4096},
            large={"context_window": -1, "num_output": 1024},
        )
    )
    metadata = llm.metadata
    assert (metadata.context_window, metadata.num_output) == (8192, 1024)
    assert metadata.is_chat_model and metadata.is_function_calling_model
    assert metadata.model_name == "routellm(mini|medium|large)"
    assert not routed(models=mocks(medium={"function_calling": False})).metadata.is_function_calling_model
    assert not routed(models=mocks(large={"is_chat_model": False})).metadata.is_chat_model
    assert (llm.strong, llm.weak) == (None, None) and [m.metadata.model_name for m in llm.models] == NAMES
    assert llm.to_dict()["models"][2]["model_name"] == "large"


def test_copies_and_pickles_keep_the_models_and_the_ledger():
    llm = routed(shares=SHARES)
    llm.chat(user("l" * 900))
    clone = copy.deepcopy(llm)
    assert meta(clone.chat(user("m" * 250)))["model"] == "medium"
    assert llm.ledger.snapshot().calls == 1 and clone.ledger.snapshot().calls == 2
    restored = pickle.loads(pickle.dumps(llm))
    assert restored._engine.models == NAMES and restored.shares == SHARES
    assert restored.ledger.snapshot().usage["large"].calls == 1 and restored.ledger.prices["large"] == PRICES[2]
    assert meta(restored.chat(user("hi")))["model"] == "mini"


def test_the_callback_manager_is_shared_with_every_model():
    llm = routed(shares=SHARES)
    for prompt in ("hi", "m" * 250, "l" * 900):
        llm.chat(user(prompt))
    assert all(m.callback_manager is llm.callback_manager for m in llm.models)
    handler = TokenCountingHandler()
    models = mocks()
    models[2].callback_manager = CallbackManager([handler])
    assert routed(models=models).callback_manager.handlers == [handler]  # merged in at construction


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strong": NamedMockLLM("s"), "weak": NamedMockLLM("w")}, "either strong= and weak= .* or models=.*not both"),
        ({"strong": NamedMockLLM("s")}, "not both"),
        ({"models": [NamedMockLLM("only")]}, "at least two models"),
        ({"models": [NamedMockLLM("same"), NamedMockLLM("same")]}, "distinct names"),
        ({"models": NamedMockLLM("one")}, "models must be a list"),
        ({"models": [NamedMockLLM("a"), "gpt-4o"]}, r"models\[1\] must be a LlamaIndex LLM"),
        ({"threshold": 0.5}, "threshold, strong_fraction, adaptive and budget are for two models"),
        ({"strong_fraction": 0.3}, "are for two models"),
        ({"adaptive": True}, "are for two models"),
        ({"shares": [0.5, 0.5]}, "shares gives 2 values for 3 models"),
        ({"shares": [0.5, 0.6, 0.1]}, "must add up to 1"),
        ({"shares": 0.5}, "shares must be a list"),
        ({"prices": PRICES[:2]}, "one price per model"),
        ({"prices": [1, 2, 3]}, r"prices\[0\] must be a routellm_core.ledger.Price"),
        ({"strong_price": Price(1, 1)}, "strong_price, weak_price and budget are for two"),
        ({"price_weight": -1.0}, "price_weight must be a non-negative number"),
    ],
)
def test_bad_n_model_configuration_is_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(RouteLLMError, match=message):
        RoutedLLM(**{"models": mocks(), "router": "length", **kwargs})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "no strong and weak model"),
        ({"strong": NamedMockLLM("s")}, "no weak model"),
        ({"strong": NamedMockLLM("s"), "weak": NamedMockLLM("w"), "shares": [0.5, 0.5]}, "shares split calls among models"),
        ({"strong": NamedMockLLM("s"), "weak": NamedMockLLM("w"), "prices": PRICES[:2]}, "prices go with models"),
        ({"strong": NamedMockLLM("s"), "weak": NamedMockLLM("w"), "price_weight": 0.1}, "price_weight weighs price"),
    ],
)
def test_options_for_n_models_are_refused_for_two(kwargs, message):
    with pytest.raises(RouteLLMError, match=message):
        RoutedLLM(router="length", **kwargs)
