"""RoutedLLM inside LlamaIndex applications, offline: query and chat engines, agents, workflows,
structured output, and the callback / instrumentation event counts."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core import Document, PromptTemplate, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from routellm_llamaindex.testing import EventCollector
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent

from routellm_llamaindex import METADATA_KEY, RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import (
    KeywordRouter,
    NamedMockLLM,
    SequenceRouter,
    react_plan,
    signed_echo,
    tool_plan,
)

DOCUMENTS = [
    "Paris is the capital of France. It lies on the Seine.",
    "Berlin is the capital of Germany. It has many museums.",
    "Canberra is the capital of Australia. It was planned in 1913.",
]
# Everything here runs with internet sockets blocked: no LLM, embedding or router reaches a network.
pytestmark = pytest.mark.usefixtures("network_disabled")

EASY_QUESTION = "What is the capital of France?"
HARD_QUESTION = "A hard one: which capital was planned, and when?"
MULTIPLY_PLAN = [("multiply", {"a": 6, "b": 7})]


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def routed(reply=signed_echo, router=None, weak_function_calling=True, **kwargs) -> RoutedLLM:
    """Strong and weak mocks built from one scripted reply; the keyword router sends "hard" to strong."""
    return RoutedLLM(
        strong=NamedMockLLM("strong-model", response_generator=reply("strong-model")),
        weak=NamedMockLLM("weak-model", response_generator=reply("weak-model"), function_calling=weak_function_calling),
        router=router or KeywordRouter(),
        threshold=0.5,
        **kwargs,
    )


def tools_reply(name):
    return tool_plan(name, MULTIPLY_PLAN)


def react_reply(name):
    return react_plan(name, MULTIPLY_PLAN)


def build_index(**kwargs) -> VectorStoreIndex:
    documents = [Document(text=text) for text in DOCUMENTS]
    return VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8), **kwargs)


@pytest.fixture(scope="module")
def index() -> VectorStoreIndex:
    return build_index()


def routing(collected) -> list[tuple[str, str]]:
    """(model, reason) of each routing decision, in order."""
    return [(e.model, e.reason) for e in collected if isinstance(e, RoutingDecisionEvent)]


def answered_by(collected) -> list[str]:
    """The model name of each inner LLM call, in order (from the inner LLM's own start events)."""
    return [e.model_dict["model_name"] for e in collected if isinstance(e, LLMChatStartEvent)]


# ---- query and chat engines ------------------------------------------------------------------


@pytest.mark.parametrize("question, model", [(EASY_QUESTION, "weak"), (HARD_QUESTION, "strong")])
def test_query_engine(index, events, question, model):
    response = index.as_query_engine(llm=routed()).query(question)
    assert str(response).startswith(f"{model}-model: ")
    assert question in str(response)  # the mock echoes the prompt: the question reached the model
    assert routing(events) == [(model, "routed")]
    assert answered_by(events) == [f"{model}-model"]


def test_streaming_query_engine(index, events):
    response = index.as_query_engine(llm=routed(), streaming=True).query(HARD_QUESTION)
    assert "".join(response.response_gen).startswith("strong-model: ")
    assert routing(events) == [("strong", "routed")]


def test_async_query_engine(index, events):
    response = asyncio.run(index.as_query_engine(llm=routed()).aquery(EASY_QUESTION))
    assert str(response).startswith("weak-model: ")

    async def stream():
        engine = index.as_query_engine(llm=routed(), streaming=True)
        streamed = await engine.aquery(HARD_QUESTION)
        return "".join([token async for token in streamed.async_response_gen()])

    assert asyncio.run(stream()).startswith("strong-model: ")
    assert routing(events) == [("weak", "routed"), ("strong", "routed")]


def test_context_chat_engine_routes_on_the_question_not_the_context(index, events):
    router = KeywordRouter()
    engine = index.as_chat_engine(chat_mode="context", llm=routed(router=router))
    assert str(engine.chat(HARD_QUESTION)).startswith("strong-model: ")
    assert router.seen == [HARD_QUESTION]  # the retrieved context sits in the system message
    streamed = engine.stream_chat(EASY_QUESTION)
    assert "".join(streamed.response_gen).startswith("weak-model: ")
    assert str(asyncio.run(engine.achat("and a hard follow-up?"))).startswith("strong-model: ")
    assert routing(events) == [("strong", "routed"), ("weak", "routed"), ("strong", "routed")]


# ---- agents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("question, model", [("What is 6 times 7?", "weak"), ("A hard one: 6 times 7?", "strong")])
async def test_function_agent(events, streaming, question, model):
    agent = FunctionAgent(tools=[multiply], llm=routed(tools_reply), streaming=streaming)
    result = await agent.run(question)
    assert str(result) == f"{model}-model: 42"
    assert result.tool_calls and result.tool_calls[0].tool_output.raw_output == 42
    assert routing(events) == [(model, "routed"), (model, "sticky")]
    assert answered_by(events) == [f"{model}-model"] * 2


async def test_function_agent_streams_its_events(events):
    agent = FunctionAgent(tools=[multiply], llm=routed(tools_reply), streaming=True)

    async def main():
        handler = agent.run("A hard one: 6 times 7?")
        kinds = [type(event).__name__ async for event in handler.stream_events()]
        return kinds, await handler

    kinds, result = await main()
    assert {"AgentStream", "ToolCall", "ToolCallResult", "AgentOutput"} <= set(kinds)
    assert str(result) == "strong-model: 42"


@pytest.mark.parametrize("question, model", [("What is 6 times 7?", "weak"), ("A hard one: 6 times 7?", "strong")])
async def test_react_agent(events, question, model):
    agent = ReActAgent(tools=[multiply], llm=routed(react_reply))
    result = await agent.run(question)
    assert str(result) == f"{model}-model: 42"
    assert routing(events) == [(model, "routed"), (model, "sticky")]


async def test_agent_workflow_uses_a_function_agent_when_both_models_call_functions(events):
    workflow = AgentWorkflow.from_tools_or_functions([multiply], llm=routed(tools_reply))
    assert [type(agent) for agent in workflow.agents.values()] == [FunctionAgent]
    assert str(await workflow.run("A hard one: 6 times 7?")) == "strong-model: 42"
    assert routing(events) == [("strong", "routed"), ("strong", "sticky")]


async def test_agent_workflow_falls_back_to_react_when_one_model_cannot_call_functions(events):
    llm = routed(react_reply, weak_function_calling=False)
    workflow = AgentWorkflow.from_tools_or_functions([multiply], llm=llm)
    assert [type(agent) for agent in workflow.agents.values()] == [ReActAgent]
    assert str(await workflow.run("What is 6 times 7?")) == "weak-model: 42"
    assert routing(events) == [("weak", "routed"), ("weak", "sticky")]


@pytest.mark.parametrize("agent_type", [FunctionAgent, ReActAgent])
async def test_sticky_routing_through_a_tool_loop(events, agent_type):
    # The router says 0.9 then 0.1: re-routing would move the second step to the weak model.
    reply = tools_reply if agent_type is FunctionAgent else react_reply
    agent = agent_type(tools=[multiply], llm=routed(reply, router=SequenceRouter([0.9, 0.1])))
    assert str(await agent.run("What is 6 times 7?")) == "strong-model: 42"
    assert routing(events) == [("strong", "routed"), ("strong", "sticky")]
    assert answered_by(events) == ["strong-model", "strong-model"]
    # the next user turn is routed afresh (the router's next score is 0.1)
    assert str(await agent.run("And 6 times 7 again?")) == "weak-model: 42"


# ---- predict_and_call and structured output --------------------------------------------------


def test_predict_and_call(events):
    from llama_index.core.tools import FunctionTool

    llm = routed(tools_reply)
    assert llm.predict_and_call([FunctionTool.from_defaults(multiply)], user_msg="A hard one: 6 times 7?").response == "42"
    assert routing(events) == [("strong", "routed")]


class City(BaseModel):
    name: str
    population_millions: float


def city_reply(name):
    return tool_plan(name, [("City", {"name": f"Paris (by {name})", "population_millions": 2.1})])


def test_structured_predict(events):
    llm = routed(city_reply)
    city = llm.structured_predict(City, PromptTemplate("Describe the {kind} city {city}."), kind="hard", city="Paris")
    assert city == City(name="Paris (by strong-model)", population_millions=2.1)
    city = asyncio.run(llm.astructured_predict(City, PromptTemplate("Describe {city}."), city="Paris"))
    assert city.name == "Paris (by weak-model)"
    assert routing(events) == [("strong", "routed"), ("weak", "routed")]


def test_as_structured_llm(events):
    structured = routed(city_reply).as_structured_llm(City)
    response = structured.complete("A hard question: describe Paris.")
    assert City.model_validate_json(response.text).name == "Paris (by strong-model)"
    assert routing(events) == [("strong", "routed")]


# ---- events counted once ---------------------------------------------------------------------


@pytest.fixture
def clean_settings():
    saved = (Settings._llm, Settings._embed_model, Settings._callback_manager)
    yield Settings
    Settings._llm, Settings._embed_model, Settings._callback_manager = saved


def _count_query(settings, llm) -> tuple[TokenCountingHandler, list]:
    """Run one query with a token counter on the global callback manager, the usual LlamaIndex way."""
    counter = TokenCountingHandler(tokenizer=str.split)
    settings.callback_manager = CallbackManager([counter])
    handler = EventCollector()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        # MockEmbedding ties every node: retrieve them all, so both runs see the same prompt
        build_index().as_query_engine(llm=llm, similarity_top_k=len(DOCUMENTS)).query(HARD_QUESTION)
    finally:
        root.event_handlers.remove(handler)
    return counter, handler.events


def test_query_engine_counts_llm_events_and_tokens_once(clean_settings):
    direct = NamedMockLLM("strong-model", response_generator=signed_echo("strong-model"))
    direct_counter, direct_events = _count_query(clean_settings, direct)
    routed_counter, routed_events = _count_query(clean_settings, routed())
    assert len(routed_counter.llm_token_counts) == len(direct_counter.llm_token_counts) == 1
    assert routed_counter.prompt_llm_token_count == direct_counter.prompt_llm_token_count > 0
    assert routed_counter.completion_llm_token_count == direct_counter.completion_llm_token_count > 0
    for kind in (LLMChatStartEvent, LLMChatEndEvent):
        assert sum(isinstance(e, kind) for e in routed_events) == sum(isinstance(e, kind) for e in direct_events) == 1
    assert sum(isinstance(e, RoutingDecisionEvent) for e in routed_events) == 1


@pytest.mark.parametrize("streaming", [False, True])
async def test_agent_counts_llm_events_and_tokens_once(streaming):
    async def run(llm):
        counter = TokenCountingHandler(tokenizer=str.split)
        llm.callback_manager = CallbackManager([counter])
        handler = EventCollector()
        get_dispatcher().add_event_handler(handler)
        try:
            agent = FunctionAgent(tools=[multiply], llm=llm, streaming=streaming)
            await agent.run("A hard one: 6 times 7?")
        finally:
            get_dispatcher().event_handlers.remove(handler)
        return counter, [e for e in handler.events if isinstance(e, (LLMChatStartEvent, LLMChatEndEvent))]

    direct_counter, direct_llm_events = await run(
        NamedMockLLM("strong-model", response_generator=tools_reply("strong-model"))
    )
    routed_counter, routed_llm_events = await run(routed(tools_reply))
    assert len(routed_counter.llm_token_counts) == len(direct_counter.llm_token_counts) == 2
    assert routed_counter.total_llm_token_count == direct_counter.total_llm_token_count
    assert len(routed_llm_events) == len(direct_llm_events) == 4  # start + end, two steps


def test_settings_swap(clean_settings):
    counter = TokenCountingHandler(tokenizer=str.split)
    clean_settings.callback_manager = CallbackManager([counter])
    clean_settings.embed_model = MockEmbedding(embed_dim=8)
    clean_settings.llm = routed()
    engine = VectorStoreIndex.from_documents([Document(text=t) for t in DOCUMENTS]).as_query_engine()
    assert str(engine.query(HARD_QUESTION)).startswith("strong-model: ")
    assert str(engine.query(EASY_QUESTION)).startswith("weak-model: ")
    assert len(counter.llm_token_counts) == 2


def test_every_streamed_delta_carries_the_decision():
    from llama_index.core.llms import ChatMessage

    llm = RoutedLLM(
        strong=NamedMockLLM("strong-model"),
        weak=NamedMockLLM("weak-model"),
        router=KeywordRouter(),
        threshold=0.5,
    )
    deltas = list(llm.stream_complete("a hard prompt"))
    assert deltas and all(d.additional_kwargs[METADATA_KEY]["model"] == "strong" for d in deltas)
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="easy")]))
    assert chunks and all(c.additional_kwargs[METADATA_KEY]["model_name"] == "weak-model" for c in chunks)
