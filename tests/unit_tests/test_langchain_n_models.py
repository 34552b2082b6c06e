"""RoutedChatModel among N models (`models=[...]`, cheapest first): tiers by shares, quality against
price, forcing by name, fallback to the next dearer model, the ledger per model, metadata, tools."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from routellm_core import RouteLLMError, Router, load_router
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.n_models import NModelRouter
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

NAMES = ["fake-mini", "fake-medium", "fake-large"]
PRICES = [Price(0.1, 0.4), Price(1.0, 4.0), Price(10.0, 40.0)]
SHARES = [0.5, 0.3, 0.2]
SHORT, MEDIUM, LONG = "hi there", "Explain " + "why " * 50 + "the sky is blue.", "Prove " + "that " * 250 + "primes are infinite."


def fakes(**by_name) -> list[FakeToolChatModel]:
    """The three fake models, cheapest first; `by_name` gives one of them other settings."""
    return [FakeToolChatModel(model_name=name, **by_name.get(name, {})) for name in NAMES]


def routed(models=None, **kwargs) -> RoutedChatModel:
    return RoutedChatModel(**{"models": models or fakes(), "router": "length", "shares": SHARES, "prices": PRICES, **kwargs})


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person."""

    name: str = Field(description="the person's name")
    age: int = Field(description="the person's age")


class KeywordQuality(NModelRouter, Router):
    """Predicts the medium model is as good as the large one on prompts without "proof"; with it only
    the large one is good. Names the models as a provider might (matched by model key)."""

    kind = "test-keyword-quality"
    qualities_rows_independent = True

    def __init__(self, name=None):
        super().__init__(name)
        self.models = ["Fake-Mini", "fake-medium", "org/fake-large"]

    def _qualities(self, texts):
        return np.array([[0.2, 0.3, 0.95] if "proof" in t else [0.5, 0.9, 0.92] for t in texts])

    def _score(self, texts):
        return self._qualities(texts)[:, -1]


# ---- routing: tiers of a scalar router, quality against price ------------------------------------


def test_the_length_router_splits_prompts_into_three_tiers_by_shares():
    reference = load_router("length").reference
    low, high = reference.threshold_for_share(0.5), reference.threshold_for_share(0.2)  # above each boundary
    models = fakes()
    model = routed(models)
    assert model.get_tier_thresholds() == pytest.approx([low, high])
    assert model.get_threshold() == pytest.approx(low)

    scorer = load_router("length")
    for prompt, expected in ((SHORT, "fake-mini"), (MEDIUM, "fake-medium"), (LONG, "fake-large")):
        score = scorer.win_probability(prompt)
        assert (score < low, low <= score < high, score >= high)[NAMES.index(expected)]  # the prompt is in that tier
        answer = model.invoke(prompt)
        meta = answer.response_metadata["routellm"]
        assert meta["model"] == meta["model_name"] == answer.response_metadata["model_name"] == expected
        assert meta["reason"] == "routed" and meta["win_probability"] == pytest.approx(score)
        assert answer.content == f"{expected} heard: {prompt}"
    assert [len(m.calls) for m in models] == [1, 1, 1]
    assert model.decide(MEDIUM).model == "fake-medium"  # a preview names the model too


def test_equal_shares_by_default_and_a_turn_without_text_goes_to_the_cheapest():
    reference = load_router("length").reference
    model = routed(shares=None)
    assert model.get_tier_thresholds() == pytest.approx([reference.threshold_for_share(s) for s in (2 / 3, 1 / 3)], abs=1e-3)
    decision = model.decide("   ")
    assert (decision.model, decision.reason) == ("fake-mini", "no_text")


def test_a_quality_router_picks_by_quality_against_price():
    free = routed(router=KeywordQuality(), shares=None)
    assert free.invoke("hi").response_metadata["routellm"]["model"] == "fake-large"  # the best predicted model
    thrifty = routed(router=KeywordQuality(), shares=None, price_weight=0.05)
    assert thrifty.decide("hi").model == "fake-medium"  # 0.9 - 0.05 * 2.5 beats 0.92 - 0.05 * 25
    meta = thrifty.invoke("a proof please").response_metadata["routellm"]
    assert (meta["model"], meta["reason"]) == ("fake-mini", "routed")  # the large model's price outweighs its lead
    assert routed(router=KeywordQuality(), shares=None, price_weight=0.01).decide("a proof please").model == "fake-large"
    assert thrifty.get_tier_thresholds() == []


# ---- forcing, fallback, the ledger ---------------------------------------------------------------


def test_a_call_is_forced_by_a_models_name_or_by_strong_and_weak():
    models = fakes()
    model = routed(models)
    assert model.invoke(LONG, model="fake-medium").response_metadata["routellm"]["model"] == "fake-medium"
    assert model.invoke(SHORT, model="strong").response_metadata["routellm"]["model"] == "fake-large"
    assert model.invoke(LONG, model="weak").response_metadata["routellm"]["reason"] == "forced"
    assert [len(m.calls) for m in models] == [1, 1, 1]
    assert routed(route="fake-medium").invoke(SHORT).response_metadata["routellm"]["model"] == "fake-medium"
    with pytest.raises(RouteLLMError, match="names none of the routed models"):
        model.invoke(SHORT, model="gpt-9")


def test_route_as_a_configurable_field_takes_a_models_name():
    model = routed().configurable_fields(route=ConfigurableField(id="route"))
    answer = model.invoke(SHORT, config={"configurable": {"route": "fake-large"}})
    assert answer.response_metadata["routellm"]["model"] == "fake-large"
    assert routed()._get_ls_params(model="strong")["ls_model_name"] == "fake-large"


def test_a_failing_model_falls_back_to_the_next_dearer_one():
    down = {"error": ConnectionError("the mini model is down")}
    models = fakes(**{"fake-mini": down})
    model = routed(models, fallback=True)
    answer = model.invoke(SHORT)
    meta = answer.response_metadata["routellm"]
    assert (meta["model"], meta["model_name"], meta["reason"]) == ("fake-medium", "fake-medium", "fallback")
    assert (meta["fallback_from"], meta["error"]) == ("fake-mini", "ConnectionError")
    assert answer.content == f"fake-medium heard: {SHORT}"
    usage = model.ledger.snapshot().usage
    assert [usage[name].calls for name in NAMES] == [0, 1, 0]


def test_the_dearest_model_falls_back_to_the_next_cheaper_one_and_without_fallback_the_error_carries_the_decision():
    models = fakes(**{"fake-large": {"error": ConnectionError("the large model is down")}})
    meta = routed(models, fallback=True).invoke(LONG).response_metadata["routellm"]
    assert (meta["model"], meta["fallback_from"]) == ("fake-medium", "fake-large")
    with pytest.raises(ConnectionError) as caught:
        routed(models).invoke(LONG)
    assert caught.value.routing_decision.model == "fake-large"


def test_the_ledger_counts_each_model_at_its_price():
    model = routed()
    for prompt in (SHORT, SHORT, MEDIUM, LONG):
        model.invoke(prompt)
    snapshot = model.ledger.snapshot()
    assert list(snapshot.usage) == NAMES
    assert [snapshot.usage[name].calls for name in NAMES] == [2, 1, 1]
    assert snapshot.as_dict()["fake-mini_calls"] == 2 and snapshot.strong_share == 0.25
    expected = sum(PRICES[NAMES.index(n)].cost(u.input_tokens, u.output_tokens) for n, u in snapshot.usage.items())
    assert snapshot.cost == pytest.approx(expected) and 0 < snapshot.cost < snapshot.always_strong_cost


def test_a_given_ledger_must_count_the_routed_models():
    ledger = RoutingLedger(prices=dict(zip(NAMES, PRICES)))
    model = routed(ledger=ledger)
    model.invoke(SHORT)
    assert model.ledger is ledger and ledger.snapshot().usage["fake-mini"].calls == 1
    with pytest.raises(RouteLLMError, match="the ledger must count the routed models"):
        routed(ledger=RoutingLedger())


# ---- streaming, async, tools, structured output --------------------------------------------------


def test_a_stream_carries_the_chosen_models_name_on_exactly_one_chunk():
    model = routed()
    chunks = list(model.stream(LONG))
    tagged = [c.response_metadata["routellm"] for c in chunks if "routellm" in c.response_metadata]
    assert len(tagged) == 1 and tagged[0]["model"] == tagged[0]["model_name"] == "fake-large"
    assert "".join(c.text for c in chunks) == f"fake-large heard: {LONG}"
    assert model.ledger.snapshot().usage["fake-large"].calls == 1


async def test_async_calls_and_streams_route_among_the_models():
    model = routed()
    answer = await model.ainvoke(MEDIUM)
    assert answer.response_metadata["routellm"]["model"] == "fake-medium"
    chunks = [c async for c in model.astream(SHORT)]
    tagged = [c.response_metadata["routellm"] for c in chunks if "routellm" in c.response_metadata]
    assert [t["model"] for t in tagged] == ["fake-mini"]
    assert (await model.adecide(LONG)).model == "fake-large"


def test_bind_tools_gives_each_model_its_binding_and_the_chosen_one_answers_with_it():
    models = fakes()
    model = routed(models)
    bound = model.bind_tools([add], tool_choice="add", strict=True)
    answer = bound.invoke(MEDIUM + " What is 4 + 5?")
    assert answer.tool_calls[0]["name"] == "add" and answer.tool_calls[0]["args"] == {"a": 4, "b": 5}
    assert answer.response_metadata["routellm"]["model"] == "fake-medium"
    kwargs = models[1].calls[-1]["kwargs"]
    assert kwargs["tools"][0]["function"]["name"] == "add" and kwargs["tool_choice"] == "add" and kwargs["strict"] is True
    assert "routellm_bindings" not in kwargs and models[0].calls == [] and models[2].calls == []

    # the tool result comes back: the turn stays on the model that started it (sticky)
    conversation = [HumanMessage(MEDIUM + " What is 4 + 5?"), answer, ToolMessage("9", tool_call_id=answer.tool_calls[0]["id"])]
    follow_up = model.bind_tools([add]).invoke(conversation)
    assert follow_up.response_metadata["routellm"]["model"] == "fake-medium"
    assert follow_up.response_metadata["routellm"]["reason"] == "sticky"
    # ... also in a fresh routed model, from the metadata the answer carries
    resumed = routed().decide(conversation)
    assert (resumed.model, resumed.reason) == ("fake-medium", "sticky")


@pytest.mark.parametrize("forced", NAMES)
def test_structured_output_is_parsed_by_the_parser_of_the_model_that_answered(forced):
    methods = {"fake-mini": "function_calling", "fake-medium": "json_schema", "fake-large": "function_calling"}
    models = [FakeToolChatModel(model_name=name, structured_output_method=methods[name]) for name in NAMES]
    model = routed(models, route=forced)
    assert model.with_structured_output(Person).invoke("The person is 'Ada', aged 36.") == Person(name="Ada", age=36)
    chunks = list(model.with_structured_output(Person).stream("'Grace' is 85."))
    assert chunks[-1] == Person(name="Grace", age=85)
    kwargs = models[NAMES.index(forced)].calls[-1]["kwargs"]
    assert ("tools" in kwargs) == (methods[forced] == "function_calling")
    assert ("response_format" in kwargs) == (methods[forced] == "json_schema")
    assert sum(len(m.calls) for m in models) == 2  # only the forced model was called


def test_profile_identity_and_copies():
    models = fakes()
    models[0].profile = {"max_input_tokens": 500, "tool_calling": True}
    models[1].profile = {"max_input_tokens": 1000, "tool_calling": True}
    models[2].profile = {"max_input_tokens": 2000, "tool_calling": False}
    model = routed(models)
    assert model.profile == {"max_input_tokens": 500, "tool_calling": False}
    params = model._identifying_params
    assert [p["model_name"] for p in params["models"]] == NAMES and params["shares"] == SHARES
    model.invoke(SHORT)
    copied = copy.deepcopy(model)
    assert copied.invoke(LONG).response_metadata["routellm"]["model"] == "fake-large"


# ---- clear errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strong": FakeToolChatModel(model_name="x")}, "either strong= and weak= .* or models=.*, not both"),
        ({"models": [FakeToolChatModel(model_name="solo")], "shares": None, "prices": None}, "at least two models"),
        ({"models": [FakeToolChatModel(model_name="twin"), FakeToolChatModel(model_name="twin")], "shares": None,
          "prices": None}, "distinct names"),
        ({"threshold": 0.5, "shares": None}, "threshold, strong_fraction, adaptive and budget are for two models"),
        ({"strong_fraction": 0.3, "shares": None}, "are for two models"),
        ({"shares": [0.5, 0.5]}, "shares gives 2 values for 3 models"),
        ({"shares": [0.5, 0.6, 0.1]}, "must add up to 1"),
        ({"prices": PRICES[:2]}, "one price per model"),
        ({"strong_price": Price(1, 1)}, "N models take prices"),
        ({"price_weight": -1}, "price_weight must be a non-negative number"),
    ],
)
def test_bad_n_model_configurations_are_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(RouteLLMError, match=message):
        routed(**kwargs)


def test_two_model_settings_that_belong_to_n_models_are_refused():
    pair = {"strong": FakeToolChatModel(model_name="big"), "weak": FakeToolChatModel(model_name="small"), "router": "length"}
    with pytest.raises(RouteLLMError, match="shares split calls among models"):
        RoutedChatModel(**pair, shares=[0.5, 0.5])
    with pytest.raises(RouteLLMError, match="prices go with models"):
        RoutedChatModel(**pair, prices=PRICES[:2])
    with pytest.raises(RouteLLMError, match="no weak model"):
        RoutedChatModel(strong=pair["strong"], router="length")
    with pytest.raises(RouteLLMError, match="no strong and weak model"):
        RoutedChatModel(router="length")


def test_an_inner_model_that_cannot_be_delegated_to_is_named_by_its_place():
    with pytest.raises(ValueError, match=r"the models\[1\] model must be a LangChain chat model"):
        routed([FakeToolChatModel(model_name="a"), "gpt-4o", FakeToolChatModel(model_name="c")])
