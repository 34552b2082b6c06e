"""RoutedLLM on its own: construction, metadata, every LLM method, routing options, events."""

from __future__ import annotations

import asyncio
import inspect
import math
import subprocess
import sys
import threading
import time

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent, LLMCompletionStartEvent
from llama_index.core.llms import MockLLM
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool

import routellm_llamaindex
from routellm_core import (
    ConversationError,
    RouteLLMError,
    RoutingDecision,
    UnknownRouterError,
    calibrate_threshold,
    load_router,
)
from routellm_llamaindex import METADATA_KEY, RoutedLLM
from routellm_core.routing import TurnMemory, current_turn
from routellm_llamaindex.messages import routing_pairs
from routellm_llamaindex.testing import KeywordRouter, NamedMockLLM, SequenceRouter, tool_plan

from .llamaindex_helpers import EASY, HARD, decisions, make_llm, user

# ---- package surface -------------------------------------------------------------------------


def test_all_names_are_exported():
    assert set(routellm_llamaindex.__all__) == {
        "METADATA_KEY", "RoutingLedgerEventHandler", "RoutedLLM", "RoutedUsageEvent", "RoutingDecisionEvent"
    }
    for name in routellm_llamaindex.__all__:
        assert getattr(routellm_llamaindex, name) is not None


def test_import_does_not_import_torch():
    code = "import sys, routellm_llamaindex; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- construction ----------------------------------------------------------------------------


def test_router_loads_lazily_on_first_call():
    llm = RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="length", threshold=0.5)
    assert not llm._engine.is_loaded
    llm.chat(user(EASY))
    assert llm.get_router().kind == "length"


def test_default_router_routes_offline():
    llm = RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), threshold=0.5)
    meta = llm.chat(user("Prove that there are infinitely many primes.")).additional_kwargs[METADATA_KEY]
    expected = load_router("default").win_probability("Prove that there are infinitely many primes.")
    assert meta["router"] == "default"
    assert meta["win_probability"] == pytest.approx(expected)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strong": "gpt-4"}, "strong must be a LlamaIndex LLM"),
        ({"weak": object()}, "weak must be a LlamaIndex LLM"),
        ({"threshold": 0.5, "strong_fraction": 0.3}, "not both"),
        ({"threshold": 1.5}, "threshold must be in"),
        ({"threshold": float("nan")}, "threshold must be in"),
        ({"threshold": None, "strong_fraction": 2, "calibration_prompts": ["a"]}, "strong_fraction must be"),
        ({"threshold": None, "strong_fraction": 0.3, "calibration_prompts": []}, "non-empty list"),
        ({"threshold": 0.5, "calibration_prompts": ["a"]}, "used only with strong_fraction"),
        ({"router": 42}, "router must be"),
        ({"scope": "everything"}, "scope"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_error(kwargs, message):
    base = {"strong": NamedMockLLM("s"), "weak": NamedMockLLM("w"), "router": "length", "threshold": 0.5}
    with pytest.raises(ValueError, match=message):
        RoutedLLM(**{**base, **kwargs})


def test_unknown_router_name_lists_the_known_ones():
    with pytest.raises(UnknownRouterError, match="length"):
        RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="no-such-router", threshold=0.5)


def test_strong_fraction_calibrates_the_threshold_on_first_use():
    prompts = ["hi", "short one", "a somewhat longer prompt here", "x" * 300, "y" * 900, "z" * 50]
    llm = RoutedLLM(
        strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="length",
        strong_fraction=0.5, calibration_prompts=prompts,
    )
    assert not llm._engine.is_loaded
    expected = calibrate_threshold(load_router("length"), prompts, 0.5)
    assert llm.effective_threshold == pytest.approx(expected)
    chosen = [llm.chat(user(p)).additional_kwargs[METADATA_KEY]["model"] for p in prompts]
    assert chosen.count("strong") == 3


def test_to_dict_names_the_router_and_both_models():
    data = make_llm(router="length").to_dict()
    assert data["class_name"] == "RoutedLLM"
    assert data["router"] == "length"
    assert data["strong"]["model_name"] == "strong-model" and data["weak"]["model_name"] == "weak-model"


# ---- metadata --------------------------------------------------------------------------------


def test_metadata_is_what_both_models_share():
    llm = make_llm(
        strong=NamedMockLLM("big", context_window=128_000, num_output=4096),
        weak=NamedMockLLM("small", context_window=8192, num_output=1024),
    )
    meta = llm.metadata
    assert meta.is_chat_model and meta.is_function_calling_model
    assert meta.context_window == 8192 and meta.num_output == 1024
    assert "routellm" in meta.model_name and "big" in meta.model_name and "small" in meta.model_name


def test_function_calling_only_if_both_models_call_functions():
    assert not make_llm(weak=NamedMockLLM("w", function_calling=False)).metadata.is_function_calling_model
    # MockLLM is not a FunctionCallingLLM at all, and not a chat model
    mixed = make_llm(weak=MockLLM())
    assert not mixed.metadata.is_function_calling_model
    assert not mixed.metadata.is_chat_model


def test_unknown_sizes_are_ignored():
    llm = make_llm(strong=NamedMockLLM("s", num_output=700), weak=MockLLM())  # MockLLM: num_output -1
    assert llm.metadata.num_output == 700


# ---- every method ----------------------------------------------------------------------------


def _run(llm, method, text, **kwargs):
    """Call one LLM method; return every response it produced (one, or each streamed delta)."""
    if method in ("chat", "stream_chat"):
        out = getattr(llm, method)(user(text), **kwargs)
    elif method in ("complete", "stream_complete"):
        out = getattr(llm, method)(text, **kwargs)
    else:

        async def go():
            arg = user(text) if "chat" in method else text
            result = await getattr(llm, method)(arg, **kwargs)
            if method.startswith("astream"):
                return [r async for r in result]
            return [result]

        return asyncio.run(go())
    return list(out) if method.startswith("stream") else [out]


METHODS = ["chat", "stream_chat", "complete", "stream_complete", "achat", "astream_chat", "acomplete", "astream_complete"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text, expected", [(EASY, "weak"), (HARD, "strong")])
def test_each_method_routes_delegates_and_tags_every_response(method, text, expected, events):
    llm = make_llm()
    responses = _run(llm, method, text)
    assert responses
    for response in responses:
        meta = response.additional_kwargs[METADATA_KEY]
        assert meta["model"] == expected
        assert meta["model_name"] == f"{expected}-model"
        assert meta["threshold"] == 0.5 and meta["router"] == "keyword" and meta["reason"] == "routed"
        assert meta["win_probability"] == (0.9 if expected == "strong" else 0.1)
        if hasattr(response, "message"):
            # never on the message: providers send message.additional_kwargs back to their API
            assert METADATA_KEY not in response.message.additional_kwargs
    # the inner model that emitted the LLM events is the one the decision names
    starts = [e for e in events if isinstance(e, (LLMChatStartEvent, LLMCompletionStartEvent))]
    assert [e.model_dict["model_name"] for e in starts] == [f"{expected}-model"]
    assert len(decisions(events)) == 1
    if "chat" in method:
        assert responses[-1].message.content.startswith(f"{expected}-model:")


def test_predict_and_stream_go_through_the_router():
    llm = make_llm()
    assert llm.predict(PromptTemplate("Answer this {kind} question"), kind="hard").startswith("strong-model:")
    assert llm.predict(PromptTemplate("Answer this {kind} question"), kind="easy").startswith("weak-model:")
    assert "".join(llm.stream(PromptTemplate("say {x}"), x="hello")).startswith("weak-model:")
    assert asyncio.run(llm.apredict(PromptTemplate("a {x} one"), x="hard")).startswith("strong-model:")


def test_predict_uses_completion_when_one_model_is_not_a_chat_model(events):
    llm = make_llm(weak=MockLLM())
    assert llm.predict(PromptTemplate("echo {x}"), x="this") == "echo this"  # MockLLM echoes the prompt
    assert [type(e) for e in events if isinstance(e, (LLMChatStartEvent, LLMCompletionStartEvent))] == [
        LLMCompletionStartEvent
    ]


# ---- routing options -------------------------------------------------------------------------


def test_forced_route_skips_the_router():
    router = KeywordRouter()
    llm = make_llm(router=router)
    meta = llm.chat(user(EASY), model="strong").additional_kwargs[METADATA_KEY]
    assert meta["model"] == "strong" and meta["reason"] == "forced" and meta["win_probability"] is None
    meta = llm.chat(user(HARD), model="weak").additional_kwargs[METADATA_KEY]
    assert meta["model"] == "weak" and meta["reason"] == "forced"
    assert router.seen == []


def test_a_route_can_be_forced_by_inner_model_name():
    llm = make_llm()
    meta = llm.chat(user(EASY), model="strong-model").additional_kwargs[METADATA_KEY]
    assert (meta["model"], meta["reason"]) == ("strong", "forced")
    same_names = make_llm(strong=NamedMockLLM("twin"), weak=NamedMockLLM("twin"))
    with pytest.raises(RouteLLMError, match="an inner model's name"):
        same_names.chat(user(EASY), model="twin")


def test_decide_previews_a_decision_without_calling_a_model(events):
    llm = make_llm()
    assert llm.decide(HARD) == RoutingDecision(model="strong", win_probability=0.9, threshold=0.5, router="keyword")
    assert llm.decide(user(HARD), threshold=0.95).model == "weak"
    assert asyncio.run(llm.adecide(EASY, model="strong")).reason == "forced"
    assert not [e for e in events if isinstance(e, (LLMChatStartEvent, LLMCompletionStartEvent))]


def test_per_call_threshold_overrides_the_configured_one():
    llm = make_llm()
    assert llm.chat(user(EASY), threshold=0.05).additional_kwargs[METADATA_KEY]["model"] == "strong"
    assert llm.chat(user(HARD), threshold=0.95).additional_kwargs[METADATA_KEY]["model"] == "weak"
    assert llm.chat(user(HARD)).additional_kwargs[METADATA_KEY]["threshold"] == 0.5


@pytest.mark.parametrize("kwargs, message", [({"model": "gpt-4o"}, "names neither route"), ({"threshold": -1}, "threshold")])
def test_bad_per_call_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_llm().chat(user(EASY), **kwargs)


def test_routing_options_never_reach_the_inner_model():
    seen_kwargs = []

    def reply(messages, **kwargs):
        seen_kwargs.append(set(kwargs))
        return ChatMessage(role=MessageRole.ASSISTANT, content="ok")

    llm = make_llm(strong=NamedMockLLM("s", response_generator=reply), weak=NamedMockLLM("w", response_generator=reply))
    llm.chat(user(EASY), model="strong", threshold=0.2)
    llm.chat_with_tools([FunctionTool.from_defaults(fn=lambda: 1, name="one")], user_msg=HARD, threshold=0.3)
    asyncio.run(llm.achat_with_tools([FunctionTool.from_defaults(fn=lambda: 1, name="one")], user_msg=HARD, model="weak"))
    assert seen_kwargs[0] == set()
    for keys in seen_kwargs[1:]:
        assert keys == {"tools"}


def test_routed_text_is_the_last_user_turn_text_only():
    router = KeywordRouter()
    llm = make_llm(router=router)
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content="You are hard-working."),
        ChatMessage(role=MessageRole.USER, content="an earlier question"),
        ChatMessage(role=MessageRole.ASSISTANT, content="an earlier answer"),
        ChatMessage(
            role=MessageRole.USER,
            blocks=[TextBlock(text="what is in"), ImageBlock(url="https://example.com/cat.png"), TextBlock(text="this picture")],
        ),
    ]
    assert llm.chat(messages).additional_kwargs[METADATA_KEY]["model"] == "weak"
    assert router.seen == ["what is in\nthis picture"]


def test_conversation_scope_routes_on_the_latest_turns():
    router = KeywordRouter()
    llm = make_llm(router=router, scope="conversation")
    messages = [ChatMessage(role="user", content="a hard one"), ChatMessage(role="assistant", content="ok"), *user("and?")]
    assert llm.chat(messages).additional_kwargs[METADATA_KEY]["model"] == "strong"
    assert router.seen == ["user: a hard one\nassistant: ok\nuser: and?"]


@pytest.mark.parametrize("messages", [[], ["hello"], None])
def test_malformed_conversations_raise_conversation_error(messages):
    with pytest.raises(ConversationError):
        make_llm().chat(messages)


# ---- tool calling ----------------------------------------------------------------------------


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def tool_llm(**kwargs) -> RoutedLLM:
    plan = [("multiply", {"a": 6, "b": 7})]
    return make_llm(
        strong=NamedMockLLM("strong-model", response_generator=tool_plan("strong-model", plan)),
        weak=NamedMockLLM("weak-model", response_generator=tool_plan("weak-model", plan)),
        **kwargs,
    )


@pytest.mark.parametrize("method", ["chat_with_tools", "stream_chat_with_tools", "achat_with_tools", "astream_chat_with_tools"])
def test_chat_with_tools_routes_before_the_tools_are_prepared(method, events):
    llm = tool_llm()
    tools = [FunctionTool.from_defaults(multiply)]

    async def collect():
        result = await getattr(llm, method)(tools, user_msg=HARD)
        return [r async for r in result] if method.startswith("astream") else [result]

    if method.startswith("a"):
        responses = asyncio.run(collect())
    else:
        result = getattr(llm, method)(tools, user_msg=HARD)
        responses = list(result) if method.startswith("stream") else [result]
    last = responses[-1]
    assert all(r.additional_kwargs[METADATA_KEY]["model"] == "strong" for r in responses)
    calls = llm.get_tool_calls_from_response(last)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    assert len(decisions(events)) == 1


class PreparingSpy(NamedMockLLM):
    prepared: list = []

    def _prepare_chat_with_tools(self, tools, verbose=False, allow_parallel_tool_calls=False, tool_required=False, **kwargs):
        self.prepared.append(
            {"verbose": verbose, "allow_parallel_tool_calls": allow_parallel_tool_calls, "tool_required": tool_required}
        )
        return super()._prepare_chat_with_tools(
            tools, verbose=verbose, allow_parallel_tool_calls=allow_parallel_tool_calls, **kwargs
        )


@pytest.mark.parametrize("method", ["achat_with_tools", "astream_chat_with_tools"])
def test_async_tool_calling_takes_function_calling_llm_arguments_positionally(method, events):
    plan = [("multiply", {"a": 6, "b": 7})]
    strong = PreparingSpy("strong-model", response_generator=tool_plan("strong-model", plan), prepared=[])
    llm = make_llm(strong=strong, weak=NamedMockLLM("weak-model", response_generator=tool_plan("weak-model", plan)))
    assert inspect.signature(getattr(RoutedLLM, method)) == inspect.signature(getattr(FunctionCallingLLM, method))

    async def collect():
        # tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required
        result = await getattr(llm, method)([FunctionTool.from_defaults(multiply)], HARD, None, False, False, True)
        return [r async for r in result] if method.startswith("astream") else [result]

    responses = asyncio.run(collect())
    assert all(r.additional_kwargs[METADATA_KEY]["model"] == "strong" for r in responses)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(responses[-1])] == ["multiply"]
    assert strong.prepared == [{"verbose": False, "allow_parallel_tool_calls": False, "tool_required": True}]
    assert len(decisions(events)) == 1


class ParsingSpy(NamedMockLLM):
    parsed: int = 0

    def get_tool_calls_from_response(self, response, error_on_no_tool_call=True, **kwargs):
        self.parsed += 1
        return super().get_tool_calls_from_response(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)


def test_tool_calls_are_parsed_by_the_model_that_answered():
    plan = [("multiply", {"a": 2, "b": 3})]
    strong = ParsingSpy("strong-model", response_generator=tool_plan("strong-model", plan))
    weak = ParsingSpy("weak-model", response_generator=tool_plan("weak-model", plan))
    llm = make_llm(strong=strong, weak=weak)
    tools = [FunctionTool.from_defaults(multiply)]
    llm.get_tool_calls_from_response(llm.chat_with_tools(tools, user_msg=EASY))
    assert (strong.parsed, weak.parsed) == (0, 1)
    llm.get_tool_calls_from_response(llm.chat_with_tools(tools, user_msg=HARD))
    assert (strong.parsed, weak.parsed) == (1, 1)


def test_predict_and_call_runs_the_tool():
    llm = tool_llm()
    out = llm.predict_and_call([FunctionTool.from_defaults(multiply)], user_msg=EASY)
    assert out.response == "42"
    out = asyncio.run(llm.apredict_and_call([FunctionTool.from_defaults(multiply)], user_msg=HARD))
    assert out.response == "42"


def test_tools_need_function_calling_inner_models():
    llm = make_llm(weak=MockLLM(is_chat_model=True))
    with pytest.raises(RouteLLMError, match="FunctionCallingLLM"):
        llm.chat_with_tools([FunctionTool.from_defaults(multiply)], user_msg=EASY)


# ---- sticky routing --------------------------------------------------------------------------


def tool_turn(question: str, answer_model_call: ChatMessage, result: str) -> list[ChatMessage]:
    return [
        *user(question),
        answer_model_call,
        ChatMessage(role=MessageRole.TOOL, content=result, additional_kwargs={"tool_call_id": "c1"}),
    ]


def test_a_tool_loop_keeps_the_model_that_started_the_turn():
    # The router changes its mind on every call: only stickiness keeps the second step on "strong".
    llm = tool_llm(router=SequenceRouter([0.9, 0.1, 0.9, 0.1]))
    tools = [FunctionTool.from_defaults(multiply)]
    first = llm.chat_with_tools(tools, user_msg=HARD)
    assert first.additional_kwargs[METADATA_KEY]["model"] == "strong"
    history = tool_turn(HARD, first.message, "42")
    second = llm.chat_with_tools(tools, chat_history=history)
    meta = second.additional_kwargs[METADATA_KEY]
    assert meta["model"] == "strong" and meta["reason"] == "sticky" and meta["win_probability"] == 0.9
    # a new user message starts a new turn, routed afresh (the router now says 0.1)
    new_turn = [*history, second.message, *user("thanks, and 2 times 3?")]
    assert llm.chat_with_tools(tools, chat_history=new_turn).additional_kwargs[METADATA_KEY]["reason"] == "routed"


def test_a_forced_route_in_a_tool_loop_wins_over_the_sticky_one():
    llm = tool_llm(router=SequenceRouter([0.9]))
    tools = [FunctionTool.from_defaults(multiply)]
    first = llm.chat_with_tools(tools, user_msg=HARD)
    history = tool_turn(HARD, first.message, "42")
    meta = llm.chat_with_tools(tools, chat_history=history, model="weak").additional_kwargs[METADATA_KEY]
    assert (meta["model"], meta["reason"]) == ("weak", "forced")


def test_an_unknown_turn_continuation_is_routed():
    llm = tool_llm(router=SequenceRouter([0.1]))
    call = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c1", tool_name="multiply", tool_kwargs={})])
    meta = llm.chat(tool_turn(HARD, call, "42")).additional_kwargs[METADATA_KEY]
    assert (meta["model"], meta["reason"]) == ("weak", "routed")


def test_react_observations_count_as_tool_results():
    messages = [
        ChatMessage(role="system", content="You answer with tools."),
        *user("What is 6 times 7?"),
        ChatMessage(role="assistant", content="Thought: use a tool\nAction: multiply\nAction Input: {}"),
        ChatMessage(role="user", content="Observation: 42"),
    ]
    pairs = routing_pairs(messages)
    assert [role for role, _ in pairs] == ["system", "user", "assistant", "tool"]
    assert current_turn(pairs).continuing
    assert current_turn(pairs).key == current_turn(routing_pairs(messages[:2])).key
    # a user message that merely starts with the word is a new turn when no assistant step precedes it
    assert routing_pairs(user("Observation: my cat sleeps a lot"))[0][0] == "user"


def test_turn_memory_is_bounded_and_copies_start_empty():
    import copy

    memory = TurnMemory(max_turns=2)
    decision = RoutingDecision.from_score(0.7, 0.5, "r")
    for key in "abc":
        memory.put(key, decision)
    assert len(memory) == 2 and memory.get("a") is None and memory.get("c") == decision
    assert len(copy.deepcopy(memory)) == 0


# ---- events, callbacks, async ----------------------------------------------------------------


def test_one_routing_event_per_call_with_the_decision(events):
    llm = make_llm()
    llm.chat(user(HARD))
    llm.complete(EASY)
    got = [(e.model, e.model_name, e.win_probability, e.threshold, e.router, e.reason) for e in decisions(events)]
    assert got == [("strong", "strong-model", 0.9, 0.5, "keyword", "routed"), ("weak", "weak-model", 0.1, 0.5, "keyword", "routed")]


def test_inner_models_share_the_wrapper_callback_manager():
    counter = TokenCountingHandler(tokenizer=str.split)
    manager = CallbackManager([counter])
    llm = make_llm(callback_manager=manager)
    llm.chat(user(EASY))
    llm.chat(user(HARD))
    assert llm.weak.callback_manager is manager and llm.strong.callback_manager is manager
    assert len(counter.llm_token_counts) == 2  # one LLM event per call, not two


def test_handlers_already_on_the_inner_models_are_kept():
    counter = TokenCountingHandler(tokenizer=str.split)
    strong = NamedMockLLM("s", callback_manager=CallbackManager([counter]))
    llm = make_llm(strong=strong)
    assert counter in llm.callback_manager.handlers
    llm.chat(user(EASY))  # answered by the weak model
    assert len(counter.llm_token_counts) == 1


class SlowRouter(KeywordRouter):
    """Scores slowly, like a real embedding router, and records the thread it ran on."""

    def __init__(self):
        super().__init__()
        self.threads: list[int] = []

    def _score(self, texts):
        self.threads.append(threading.get_ident())
        time.sleep(0.3)
        return super()._score(texts)


@pytest.mark.parametrize("method", ["achat", "achat_with_tools"])
def test_async_routing_never_blocks_the_event_loop(method):
    router = SlowRouter()
    llm = tool_llm(router=router)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        if method == "achat":
            response = await llm.achat(user(HARD))
        else:
            response = await llm.achat_with_tools([FunctionTool.from_defaults(multiply)], user_msg=HARD)
        task.cancel()
        return response, ticks, threading.get_ident()

    response, ticks, loop_thread = asyncio.run(main())
    assert response.additional_kwargs[METADATA_KEY]["model"] == "strong"
    assert router.threads and loop_thread not in router.threads
    assert ticks >= 10  # the loop kept running during the 0.3 s of scoring


def test_concurrent_async_calls_keep_their_own_decisions():
    llm = make_llm()
    prompts = [f"{'hard' if i % 3 == 0 else 'easy'} question number {i}" for i in range(60)]

    async def main():
        return await asyncio.gather(*(llm.achat(user(p)) for p in prompts))

    for prompt, response in zip(prompts, asyncio.run(main())):
        expected = "strong" if prompt.startswith("hard") else "weak"
        assert response.additional_kwargs[METADATA_KEY]["model"] == expected
        assert response.message.content == f"{expected}-model: {prompt}"
