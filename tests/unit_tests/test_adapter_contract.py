"""One contract, two adapters: `RoutedChatModel` and `RoutedLLM` behave the same.

Each test runs against both adapters through a small driver that translates a framework-free
conversation (`(role, text)` turns) into the adapter's own message types. The same conversations
must give the same decisions, metadata, ledger totals, errors and fallbacks: the policy lives once,
in `routellm_core.routing`, and the adapters only translate.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from routellm_core import RouteLLMError, UnknownRouterError, load_router
from routellm_core.adaptive import CostBudget
from routellm_core.ledger import Price, RoutingLedger
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter
from routellm_llamaindex import METADATA_KEY, RoutedLLM
from routellm_llamaindex.testing import NamedMockLLM

STRONG, WEAK = "strong-model", "weak-model"
HARD, EASY = "a hard proof about groups", "hi there"
REPLY = "the answer is forty two"


def keyword_router() -> ScriptedRouter:
    return ScriptedRouter(lambda text: 0.9 if "hard" in text else 0.1)


# ---- drivers: the same operations on each adapter ---------------------------------------------------


@dataclass
class Answer:
    text: str
    meta: dict


class LangChainDriver:
    name = "langchain"

    def model(self, name: str, failing: bool = False):
        error = ConnectionError(f"{name} is down") if failing else None
        return FakeToolChatModel(model_name=name, reply=REPLY, report_usage=False, error=error)

    def build(self, router=None, strong=None, weak=None, **settings):
        return RoutedChatModel(strong=strong or self.model(STRONG), weak=weak or self.model(WEAK),
                               router=router if router is not None else keyword_router(), **settings)

    def messages(self, turns):
        out = []
        for i, (role, text) in enumerate(turns):
            if role == "user":
                out.append(HumanMessage(text))
            elif role == "system":
                out.append(SystemMessage(text))
            elif role == "tool_call":
                out.append(AIMessage("", tool_calls=[{"name": text, "args": {}, "id": f"call-{i}"}]))
            elif role == "tool":
                out.append(ToolMessage(text, tool_call_id=f"call-{i - 1}"))
            else:
                out.append(AIMessage(text))
        return out

    def chat(self, routed, turns, **per_call) -> Answer:
        message = routed.invoke(self.messages(turns), **per_call)
        return Answer(message.content, message.response_metadata["routellm"])

    def stream(self, model, turns) -> tuple[Answer, int]:
        chunks = list(model.stream(self.messages(turns)))
        tagged = [c.response_metadata["routellm"] for c in chunks if "routellm" in c.response_metadata]
        return Answer("".join(c.text for c in chunks), tagged[0]), len(tagged)

    async def achat(self, model, turns) -> Answer:
        message = await model.ainvoke(self.messages(turns))
        return Answer(message.content, message.response_metadata["routellm"])

    def decide(self, routed, turns, **per_call):
        return routed.decide(self.messages(turns), **per_call)

    def engine(self, routed):
        return routed._engine()


class LlamaIndexDriver:
    name = "llamaindex"

    def model(self, name: str, failing: bool = False):
        def reply(messages, **kwargs):
            if failing:
                raise ConnectionError(f"{name} is down")
            return ChatMessage(role=MessageRole.ASSISTANT, content=REPLY)

        return NamedMockLLM(name, response_generator=reply)

    def build(self, router=None, strong=None, weak=None, **settings):
        return RoutedLLM(strong=strong or self.model(STRONG), weak=weak or self.model(WEAK),
                         router=router if router is not None else keyword_router(), **settings)

    def messages(self, turns):
        out = []
        for i, (role, text) in enumerate(turns):
            if role == "tool_call":
                calls = [{"id": f"call-{i}", "type": "function", "function": {"name": text, "arguments": "{}"}}]
                out.append(ChatMessage(role=MessageRole.ASSISTANT, content="", additional_kwargs={"tool_calls": calls}))
            elif role == "tool":
                out.append(ChatMessage(role=MessageRole.TOOL, content=text, additional_kwargs={"tool_call_id": f"call-{i - 1}"}))
            else:
                out.append(ChatMessage(role=role, content=text))
        return out

    def chat(self, routed, turns, **per_call) -> Answer:
        response = routed.chat(self.messages(turns), **per_call)
        return Answer(response.message.content, response.additional_kwargs[METADATA_KEY])

    def stream(self, model, turns) -> tuple[Answer, int]:
        chunks = list(model.stream_chat(self.messages(turns)))
        tagged = [c.additional_kwargs[METADATA_KEY] for c in chunks if METADATA_KEY in c.additional_kwargs]
        return Answer("".join(c.delta or "" for c in chunks), tagged[0]), len(chunks)

    async def achat(self, model, turns) -> Answer:
        response = await model.achat(self.messages(turns))
        return Answer(response.message.content, response.additional_kwargs[METADATA_KEY])

    def decide(self, routed, turns, **per_call):
        return routed.decide(self.messages(turns), **per_call)

    def engine(self, routed):
        return routed._engine


DRIVERS = [LangChainDriver(), LlamaIndexDriver()]


@pytest.fixture(params=DRIVERS, ids=lambda d: d.name)
def driver(request):
    return request.param


def on_both(check: Callable[[Any], Any]) -> list:
    """What `check(driver)` gives on each adapter (the test then asserts they agree)."""
    return [check(d) for d in DRIVERS]


def same(values: list) -> Any:
    assert all(v == values[0] for v in values), values
    return values[0]


# ---- decisions and metadata ---------------------------------------------------------------------------

CONVERSATIONS = {
    "hard": [("user", HARD)],
    "easy": [("user", EASY)],
    "system then user": [("system", "be brief"), ("user", HARD)],
    "earlier turns": [("user", HARD), ("assistant", "ok"), ("user", EASY)],
    "empty": [("user", "")],
    "whitespace": [("user", "   \n ")],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_the_same_conversation_gets_the_same_decision_and_metadata(name):
    metas = on_both(lambda d: d.chat(d.build(threshold=0.5), CONVERSATIONS[name]).meta)
    meta = same(metas)
    assert set(meta) >= {"model", "model_name", "win_probability", "threshold", "router", "reason"}
    assert meta["model_name"] == (STRONG if meta["model"] == "strong" else WEAK)


def test_metadata_is_json_ready_and_a_turn_without_text_goes_weak():
    meta = same(on_both(lambda d: d.chat(d.build(threshold=0.5), [("user", " ")]).meta))
    assert (meta["model"], meta["reason"], meta["win_probability"]) == ("weak", "no_text", None)
    assert not any(isinstance(v, float) and math.isnan(v) for v in meta.values())


@pytest.mark.parametrize("forced, expected", [("strong", "strong"), ("weak", "weak"), (STRONG, "strong"), (WEAK, "weak")])
def test_a_forced_route_by_role_or_inner_name_skips_the_router(forced, expected):
    meta = same(on_both(lambda d: d.chat(d.build(threshold=0.5), [("user", EASY)], model=forced).meta))
    assert (meta["model"], meta["reason"], meta["win_probability"], meta["threshold"]) == (expected, "forced", None, 0.5)


def test_a_per_call_threshold_applies_to_that_call_only():
    def check(d):
        model = d.build(threshold=0.5)
        return [d.chat(model, [("user", EASY)], threshold=0.05).meta["model"], d.chat(model, [("user", EASY)]).meta["model"]]

    assert same(on_both(check)) == ["strong", "weak"]


def test_bad_per_call_options_are_refused_with_the_same_error():
    def error(d, **per_call):
        with pytest.raises(ValueError) as caught:
            d.chat(d.build(threshold=0.5), [("user", EASY)], **per_call)
        return type(caught.value).__name__, str(caught.value)

    assert same(on_both(lambda d: error(d, model="gpt-9")))[1].startswith("model='gpt-9' names neither route")
    assert "threshold must be in [0, 1]" in same(on_both(lambda d: error(d, threshold=1.5)))[1]


def test_the_default_threshold_and_strong_fraction_alone_read_the_reference_quantiles():
    reference = load_router("length").reference
    assert same(on_both(lambda d: d.build(router="length").get_threshold())) == reference.threshold_for_share(0.5)
    assert same(on_both(lambda d: d.build(router="length", strong_fraction=0.2).get_threshold())) == \
        reference.threshold_for_share(0.2)


def test_a_tool_calling_turn_stays_on_the_model_that_started_it():
    def check(d):
        model = d.build(threshold=0.5)
        first = d.chat(model, [("user", HARD)]).meta
        loop = d.chat(model, [("user", HARD), ("tool_call", "lookup"), ("tool", "an easy result")]).meta
        return first["model"], loop["model"], loop["reason"]

    assert same(on_both(check)) == ("strong", "strong", "sticky")


def test_streams_carry_the_decision_and_are_counted_once():
    def check(d):
        model = d.build(threshold=0.5)
        answer, _ = d.stream(model, [("user", HARD)])
        snapshot = model.ledger.snapshot()
        return answer.text, answer.meta["model"], snapshot.strong.calls, snapshot.weak.calls

    assert same(on_both(check)) == (REPLY, "strong", 1, 0)


# ---- the ledger -----------------------------------------------------------------------------------------


def test_the_same_calls_give_the_same_ledger_totals():
    turns = [[("user", HARD)], [("user", EASY)], [("system", "be brief"), ("user", "what is a hard question?")], [("user", "")]]

    def check(d):
        model = d.build(threshold=0.5, strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))
        for conversation in turns:
            d.chat(model, conversation)
        asyncio.run(d.achat(model, [("user", HARD)]))
        return model.ledger.snapshot().as_dict()

    totals = same(on_both(check))
    assert totals["calls"] == 5 and totals["strong_calls"] == 3 and totals["estimated_calls"] == 5
    assert totals["cost"] > 0


def test_prices_equal_to_the_ledgers_are_accepted_and_different_ones_refused():
    ledger = RoutingLedger(strong_price=Price(1.0, 2.0), weak_price=Price(0.1, 0.2))
    same(on_both(lambda d: d.build(threshold=0.5, ledger=ledger, strong_price=Price(1.0, 2.0)).ledger is ledger))

    def error(d):
        with pytest.raises(RouteLLMError) as caught:
            d.build(threshold=0.5, ledger=ledger, strong_price=Price(3.0, 2.0))
        return str(caught.value)

    assert "differs from the ledger's" in same(on_both(error))


# ---- failures -------------------------------------------------------------------------------------------


def test_a_failing_model_falls_back_to_the_other_one_when_asked():
    def check(d):
        model = d.build(threshold=0.5, strong=d.model(STRONG, failing=True), fallback=True)
        answer = d.chat(model, [("user", HARD)])
        snapshot = model.ledger.snapshot()
        meta = answer.meta
        return answer.text, meta["model"], meta["reason"], meta["fallback_from"], meta["error"], snapshot.weak.calls

    assert same(on_both(check)) == (REPLY, "weak", "fallback", "strong", "ConnectionError", 1)


def test_without_fallback_the_error_propagates_with_the_decision():
    def check(d):
        model = d.build(threshold=0.5, strong=d.model(STRONG, failing=True))
        with pytest.raises(ConnectionError) as caught:
            d.chat(model, [("user", HARD)])
        decision = caught.value.routing_decision
        return decision.model, decision.reason, model.ledger.snapshot().calls

    assert same(on_both(check)) == ("strong", "routed", 0)


class BrokenRouter(ScriptedRouter):
    def _score(self, texts):
        raise RuntimeError("embedding backend crashed")


@pytest.mark.parametrize("router, error", [(BrokenRouter(), "RuntimeError"), (ScriptedRouter(math.nan), "RouteLLMError")])
def test_a_failing_router_sends_the_call_to_the_default_model(router, error):
    def check(d):
        meta = d.chat(d.build(router=router, threshold=0.5, default_model="weak"), [("user", HARD)]).meta
        return meta["model"], meta["reason"], meta["error"], meta["win_probability"]

    assert same(on_both(check)) == ("weak", "router_error", error, None)


def test_a_failing_router_raises_when_asked_to():
    def check(d):
        with pytest.raises(RuntimeError, match="embedding backend crashed"):
            d.chat(d.build(router=BrokenRouter(), threshold=0.5, on_router_error="raise"), [("user", HARD)])
        return True

    same(on_both(check))


# ---- settings: the same checks and messages -------------------------------------------------------------

PRICED = RoutingLedger(strong_price=Price(1.0, 1.0), weak_price=Price(0.1, 0.1))

BAD_SETTINGS = [
    ({"threshold": 0.5, "strong_fraction": 0.3}, "not both"),
    ({"threshold": 1.5}, r"threshold must be in \[0, 1\]"),
    ({"strong_fraction": -0.1}, r"strong_fraction must be in \[0, 1\]"),
    ({"threshold": 0.5, "calibration_prompts": ["a"]}, "used only with strong_fraction"),
    ({"strong_fraction": 0.3, "calibration_prompts": []}, "non-empty list"),
    ({"adaptive": True, "threshold": 0.5}, "instead of threshold"),
    ({"budget": CostBudget(PRICED, cost_per_call=0.01), "strong_fraction": 0.3}, "leave out threshold and strong_fraction"),
    ({"budget": CostBudget(RoutingLedger(), cost_per_call=0.01)}, "needs prices"),
    ({"budget": CostBudget(PRICED, cost_per_call=0.01), "ledger": RoutingLedger()}, "reads its own ledger"),
    ({"threshold": 0.5, "on_router_error": "ignore"}, "on_router_error must be"),
    ({"threshold": 0.5, "default_model": "medium"}, "default_model must be"),
    ({"threshold": 0.5, "router": "no-such-router"}, "unknown router 'no-such-router'"),
    ({"router": ScriptedRouter(0.5)}, "no reference quantiles"),
]


@pytest.mark.parametrize("settings, message", BAD_SETTINGS, ids=[m for _, m in BAD_SETTINGS])
def test_bad_settings_are_refused_with_the_same_error(settings, message):
    def error(d):
        with pytest.raises(RouteLLMError, match=message) as caught:
            d.build(**settings)
        return type(caught.value).__name__, str(caught.value)

    kind, _ = same(on_both(error))
    if "unknown router" in message:
        assert kind == UnknownRouterError.__name__


# ---- shadow sampling ----------------------------------------------------------------------------------


def test_shadow_sampling_stores_both_answers_and_counts_the_shadow_call_as_exploration(tmp_path):
    import json as _json

    def check(d):
        path = tmp_path / f"{d.name}.jsonl"
        model = d.build(threshold=0.5, explore=1.0, explore_path=str(path),
                        strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))
        answer = d.chat(model, [("user", HARD)])
        d.chat(model, [("user", EASY)], model="weak")  # forced: not explored
        d.engine(model).sampler().wait()
        rows = [_json.loads(line) for line in path.read_text().splitlines()]
        snapshot = model.ledger.snapshot()
        return (answer.meta["model"], [(r["prompt"], sorted(r["answers"]), r["explored"]) for r in rows],
                snapshot.calls, sum(u.calls for u in snapshot.exploration.values()), snapshot.exploration_cost > 0)

    assert same(on_both(check)) == ("strong", [(HARD, [STRONG, WEAK], WEAK)], 2, 1, True)


def test_shadow_sampling_needs_a_file():
    def error(d):
        with pytest.raises(RouteLLMError, match="explore= needs explore_path"):
            d.build(threshold=0.5, explore=0.1)
        return True

    same(on_both(error))
