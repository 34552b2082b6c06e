"""RoutedChatModel inside a LangChain `create_agent` (LangGraph) tool-calling agent, offline.

Checks the properties that break when a wrapper delegates through public APIs: one chat-model run
per model call, each token streamed once with `stream_mode="messages"`, usage counted once; and the
routing behaviour an agent needs: the model that starts a turn finishes it (sticky), and
`create_agent`'s structured-output strategies reach the chosen inner model.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.callbacks import BaseCallbackHandler, UsageMetadataCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from routellm_core.ledger import Price, RoutingLedger
from routellm_langchain import RoutedChatModel, RoutingLedgerCallbackHandler
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter

pytestmark = pytest.mark.usefixtures("network_disabled")

STRONG, WEAK = "fake-strong-model", "fake-weak-model"
QUESTION = "What is the weather in 'Paris' today?"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Weather(BaseModel):
    """A weather report."""

    city: str
    summary: str


class StartCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1


def flipping_router() -> ScriptedRouter:
    """Strong for the first call, weak after: only sticky routing keeps one model through a turn."""
    scores = iter([0.9] + [0.1] * 10)
    return ScriptedRouter(lambda _: next(scores))


def routed(router=None, **inner_kwargs) -> RoutedChatModel:
    return RoutedChatModel(
        strong=FakeToolChatModel(model_name=STRONG, **inner_kwargs),
        weak=FakeToolChatModel(model_name=WEAK, **inner_kwargs),
        router=router or flipping_router(),
        threshold=0.5,
    )


def ai_messages(state: dict) -> list[AIMessage]:
    return [m for m in state["messages"] if isinstance(m, AIMessage)]


def check_streamed_run(model, streamed: dict[str, list[AIMessageChunk]], final: dict, starts: int, usage) -> None:
    answers = ai_messages(final)
    assert len(answers) == 2  # a tool call, then the answer
    assert starts == 2  # one chat-model run per model call
    assert set(streamed) == {m.id for m in answers}  # no second (nested) run streaming the same tokens
    for message in answers:
        chunks = streamed[message.id]
        merged = chunks[0]
        for chunk in chunks[1:]:
            merged = merged + chunk
        assert merged.content == message.content
        assert merged.tool_calls == message.tool_calls
        assert sum(1 for c in chunks if "routellm" in c.response_metadata) == 1
    total = sum(m.usage_metadata["total_tokens"] for m in answers)
    assert usage.usage_metadata[STRONG]["total_tokens"] == total
    first, last = (m.response_metadata["routellm"] for m in answers)
    assert (first["model"], first["reason"]) == ("strong", "routed")
    assert (last["model"], last["reason"]) == ("strong", "sticky")
    assert model.weak.calls == []
    assert answers[-1].content == f"{STRONG} read the tool results: sunny in Paris"


def test_agent_streams_messages_once_and_keeps_the_model_through_the_tool_turn():
    model = routed()
    agent = create_agent(model, tools=[get_weather])
    counter, usage = StartCounter(), UsageMetadataCallbackHandler()
    streamed: dict[str, list[AIMessageChunk]] = defaultdict(list)
    final: dict = {}
    for mode, payload in agent.stream(
        {"messages": [("user", QUESTION)]},
        stream_mode=["messages", "values"],
        config={"callbacks": [counter, usage]},
    ):
        if mode == "values":
            final = payload
        elif isinstance(payload[0], AIMessageChunk):
            streamed[payload[0].id].append(payload[0])
    check_streamed_run(model, streamed, final, counter.starts, usage)
    assert isinstance(final["messages"][2], ToolMessage)


async def test_async_agent_streams_messages_once():
    model = routed()
    agent = create_agent(model, tools=[get_weather])
    counter, usage = StartCounter(), UsageMetadataCallbackHandler()
    streamed: dict[str, list[AIMessageChunk]] = defaultdict(list)
    final: dict = {}
    async for mode, payload in agent.astream(
        {"messages": [("user", QUESTION)]},
        stream_mode=["messages", "values"],
        config={"callbacks": [counter, usage]},
    ):
        if mode == "values":
            final = payload
        elif isinstance(payload[0], AIMessageChunk):
            streamed[payload[0].id].append(payload[0])
    check_streamed_run(model, streamed, final, counter.starts, usage)


def test_agent_structured_output_through_tool_strategy():
    model = routed()
    agent = create_agent(model, tools=[get_weather], response_format=ToolStrategy(Weather))
    question = "How is it outside in 'Paris' today?"  # names no tool: the fake calls get_weather first
    final = agent.invoke({"messages": [("user", question)]})
    assert final["structured_response"] == Weather(city="Paris", summary=question)
    assert [call["name"] for m in ai_messages(final) for call in m.tool_calls] == ["get_weather", "Weather"]
    decisions = [m.response_metadata["routellm"] for m in ai_messages(final)]
    assert [d["model"] for d in decisions] == ["strong", "strong"]
    assert [d["reason"] for d in decisions] == ["routed", "sticky"]


def test_agent_provider_strategy_reaches_the_chosen_model_through_bind_tools():
    model = routed(profile={"structured_output": True, "tool_calling": True})
    assert model.profile == {"structured_output": True, "tool_calling": True}
    agent = create_agent(model, tools=[get_weather], response_format=ProviderStrategy(Weather))
    final = agent.invoke({"messages": [("user", QUESTION)]})
    assert final["structured_response"] == Weather(city="Paris", summary=QUESTION)
    last_call = model.strong.calls[-1]["kwargs"]
    assert last_call["response_format"]["type"] == "json_schema"
    assert last_call["tools"][0]["function"]["name"] == "get_weather"


def test_a_ledger_handler_on_an_agent_run_records_each_model_call_once():
    model = routed()
    agent = create_agent(model, tools=[get_weather])  # a model built elsewhere: only the run config is ours
    ledger = RoutingLedger(strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))
    handler = RoutingLedgerCallbackHandler(ledger)
    final = {}
    for mode, payload in agent.stream(
        {"messages": [("user", QUESTION)]}, stream_mode=["messages", "values"], config={"callbacks": [handler]}
    ):
        if mode == "values":
            final = payload
    answers = ai_messages(final)
    snapshot = ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.weak.calls) == (2, 0)  # the tool call and the answer, once each
    assert snapshot.strong.input_tokens == sum(m.usage_metadata["input_tokens"] for m in answers)
    assert snapshot.strong.output_tokens == sum(m.usage_metadata["output_tokens"] for m in answers)
    assert model.ledger.snapshot().strong == snapshot.strong  # the model's own ledger agrees
    assert snapshot.cost == pytest.approx((snapshot.strong.input_tokens * 10 + snapshot.strong.output_tokens * 30) / 1e6)
