"""RoutedLLM under bad input, faults and load: it is never the reason a call fails, never mixes up calls."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
import pickle
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.llms.callbacks import llm_chat_callback
from llama_index.core.tools import FunctionTool

from routellm_core import ConversationError, RouteLLMError, Router, RoutingDecision, load_router
from routellm_core.adaptive import CostBudget
from routellm_core.conversation import MAX_ROUTED_CHARS
from routellm_core.ledger import Price, RoutingLedger
from routellm_llamaindex import METADATA_KEY, RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import KeywordRouter, NamedMockLLM, signed_echo, tool_plan

from .llamaindex_helpers import EASY, HARD, make_llm, meta, user

def raising(exc: Exception):
    """A response generator that fails like a provider would."""

    def reply(messages, **kwargs):
        raise exc

    return reply


# ---- bad input: conversations ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["chat", "achat", "decide"])
def test_an_empty_message_list_is_a_clear_conversation_error(method):
    llm = make_llm()
    with pytest.raises(ConversationError, match="empty conversation"):
        if method == "achat":
            asyncio.run(llm.achat([]))
        else:
            getattr(llm, method)([])


def test_only_a_system_message_is_routed_on_its_text():
    router = KeywordRouter()
    response = make_llm(router=router).chat([ChatMessage(role="system", content="You solve hard problems.")])
    assert meta(response)["reason"] == "routed" and meta(response)["model"] == "strong"
    assert router.seen == ["You solve hard problems."]


def test_image_audio_and_document_blocks_are_skipped_and_the_text_parts_routed():
    router = KeywordRouter()
    message = ChatMessage(
        role="user",
        blocks=[
            ImageBlock(url="https://example.com/cat.png"),
            TextBlock(text="transcribe this hard"),
            AudioBlock(audio=b"RIFF....WAVEfmt ", format="wav"),
            DocumentBlock(data=b"%PDF-1.4 tiny", title="notes.pdf"),
            TextBlock(text="recording"),
        ],
    )
    response = make_llm(router=router).chat([message])
    assert meta(response)["model"] == "strong" and meta(response)["reason"] == "routed"
    assert router.seen == ["transcribe this hard\nrecording"]


@pytest.mark.parametrize(
    "message",
    [
        ChatMessage(role="user", blocks=[ImageBlock(url="https://example.com/cat.png")]),
        ChatMessage(role="user", blocks=[AudioBlock(audio=b"RIFF....WAVEfmt ", format="wav")]),
        ChatMessage(role="user", content=None),
        ChatMessage(role="user", content=""),
        ChatMessage(role="user", content=12345),  # LlamaIndex keeps no block for non-text content
    ],
    ids=["image-only", "audio-only", "none", "empty-string", "non-string"],
)
def test_a_conversation_without_text_goes_to_the_weak_model_without_the_router_or_a_warning(message, caplog):
    router = KeywordRouter()
    with caplog.at_level(logging.WARNING, logger="routellm_llamaindex"):
        response = make_llm(router=router).chat([message])
    assert meta(response)["model"] == "weak" and meta(response)["reason"] == "no_text"
    assert "error" not in meta(response) and meta(response)["win_probability"] is None
    assert response.message.content.startswith("weak-model:")
    assert router.seen == [] and caplog.records == []
    # not a router failure: the same whatever the failure settings say
    assert meta(make_llm(default_model="strong", on_router_error="raise").chat([message]))["model"] == "weak"


def test_a_tool_message_without_its_call_is_routed_on_its_text():
    router = KeywordRouter()
    orphan = ChatMessage(role=MessageRole.TOOL, content="hard result 42", additional_kwargs={"tool_call_id": "nowhere"})
    response = make_llm(router=router).chat([orphan])
    assert meta(response)["reason"] == "routed" and meta(response)["model"] == "strong"
    assert router.seen == ["hard result 42"]


def test_a_1mb_prompt_is_routed_on_a_bounded_truncation_in_bounded_time():
    router = KeywordRouter()
    llm = make_llm(router=router)
    prompt = "hard " + "x" * (1024 * 1024)
    started = time.perf_counter()
    response = llm.chat(user(prompt))
    elapsed = time.perf_counter() - started
    assert meta(response)["model"] == "strong"
    assert len(router.seen[0]) == MAX_ROUTED_CHARS
    assert elapsed < 5.0  # routing and the ledger's estimate stay linear in the prompt at worst
    assert llm.complete(prompt).additional_kwargs[METADATA_KEY]["model"] == "strong"


def test_invalid_surrogates_and_control_characters_are_cleaned_before_routing():
    router = KeywordRouter()
    text = "hard \ud800 question\x00 with \x07 bell and \udfff"
    llm = make_llm(router=router)
    response = llm.chat(user(text))
    assert meta(response)["model"] == "strong"
    seen = router.seen[0]
    seen.encode("utf-8")  # no unpaired surrogate left
    assert not any(ord(c) < 32 and c not in "\n\t\r" for c in seen)
    assert llm.ledger.snapshot().calls == 1


@pytest.mark.parametrize("prompt", [None, 42, ["a", "list"]])
def test_a_completion_prompt_must_be_a_string(prompt):
    with pytest.raises(ConversationError, match="prompt must be a string"):
        make_llm().complete(prompt)


@pytest.mark.parametrize(
    "messages", [[{"role": "user", "content": "hi"}], [("user", "hi")], "hi there".encode(), 7]
)
def test_messages_that_are_not_chat_messages_are_a_clear_conversation_error(messages):
    with pytest.raises(ConversationError, match="ChatMessage"):
        make_llm().chat(messages)


# ---- bad input: configuration ---------------------------------------------------------------

PRICED = RoutingLedger(strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fallback": "yes"}, "fallback must be True or False"),
        ({"on_router_error": "ignore"}, "on_router_error must be"),
        ({"default_model": "medium"}, "default_model must be"),
        ({"adaptive": 1}, "adaptive must be True or False"),
        ({"adaptive": True}, r"give strong_fraction=\.\.\. instead of threshold"),
        ({"adaptive": True, "threshold": None, "strong_fraction": 1.2}, "strong_fraction must be"),
        ({"budget": CostBudget(PRICED, cost_per_call=0.01)}, "leave out threshold and strong_fraction"),
        ({"threshold": None, "budget": CostBudget(RoutingLedger(), cost_per_call=0.01)}, "needs prices"),
        ({"threshold": None, "budget": 0.01}, "budget must be"),
        ({"threshold": None, "budget": CostBudget(PRICED, cost_per_call=0.01), "ledger": RoutingLedger()}, "its own ledger"),
        ({"threshold": None, "budget": CostBudget(PRICED, cost_per_call=0.01), "strong_price": Price(1, 1)}, "differs from the ledger's"),
        ({"ledger": RoutingLedger(), "weak_price": Price(1, 1)}, "set prices on the ledger"),
        ({"ledger": {"calls": 0}}, "ledger must be"),
        ({"strong_price": 10.0}, "strong_price must be"),
    ],
)
def test_bad_failure_and_budget_settings_are_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(RouteLLMError, match=message):
        make_llm(**kwargs)


def test_a_router_checkpoint_that_cannot_load_fails_open_or_raises(tmp_path, caplog):
    broken = tmp_path / "broken-router"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (broken / "model.safetensors").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))  # a pickle in disguise
    llm = make_llm(router=str(broken))
    with caplog.at_level(logging.WARNING, logger="routellm_llamaindex"):
        response = llm.chat(user(HARD))
    assert (meta(response)["model"], meta(response)["reason"]) == ("strong", "router_error")
    assert meta(response)["error"] == "CheckpointError"
    with pytest.raises(RouteLLMError):
        make_llm(router=str(broken), on_router_error="raise").chat(user(HARD))


# ---- faults: the router fails -----------------------------------------------------------------


class BrokenRouter(Router):
    """A router whose state is corrupt: scoring raises (or returns NaN)."""

    kind = "broken"

    def __init__(self, nan: bool = False):
        super().__init__()
        self.nan = nan
        self.calls = 0

    def _score(self, texts):
        self.calls += 1
        if self.nan:
            return np.full(len(texts), np.nan)
        raise RuntimeError("embedding backend crashed")


@pytest.mark.parametrize("nan", [False, True], ids=["raises", "returns-nan"])
def test_a_failing_router_fails_open_to_the_default_model_and_warns_once(nan, caplog, events):
    llm = make_llm(router=BrokenRouter(nan=nan))
    with caplog.at_level(logging.WARNING, logger="routellm_llamaindex"):
        responses = [llm.chat(user(HARD)), llm.complete(EASY), asyncio.run(llm.achat(user(EASY)))]
    for response in responses:
        assert meta(response)["model"] == "strong" and meta(response)["reason"] == "router_error"
        assert meta(response)["error"] == ("RouteLLMError" if nan else "RuntimeError")
        assert meta(response)["threshold"] == 0.5
    warnings = [r for r in caplog.records if "could not route" in r.getMessage()]
    assert len(warnings) == 1
    routed = [e for e in events if isinstance(e, RoutingDecisionEvent)]
    assert [e.reason for e in routed] == ["router_error"] * 3
    assert llm.ledger.snapshot().strong.calls == 3


def test_a_failing_router_can_be_made_to_raise():
    llm = make_llm(router=BrokenRouter(), on_router_error="raise")
    with pytest.raises(RuntimeError, match="embedding backend crashed"):
        llm.chat(user(HARD))
    assert llm.ledger.snapshot().calls == 0


def test_a_forced_route_never_needs_the_router():
    llm = make_llm(router=BrokenRouter(), on_router_error="raise")
    assert meta(llm.chat(user(HARD), model="weak"))["reason"] == "forced"


# ---- faults: the chosen model fails ---------------------------------------------------------


def broken_strong(exc=None) -> NamedMockLLM:
    return NamedMockLLM("strong-model", response_generator=raising(exc or TimeoutError("provider timed out")))


def _call(llm, method, text):
    if method == "chat":
        return [llm.chat(user(text))]
    if method == "stream_chat":
        return list(llm.stream_chat(user(text)))
    if method == "achat":
        return [asyncio.run(llm.achat(user(text)))]

    async def astream():
        return [r async for r in await llm.astream_chat(user(text))]

    return asyncio.run(astream())


CHAT_METHODS = ["chat", "stream_chat", "achat", "astream_chat"]


@pytest.mark.parametrize("method", CHAT_METHODS)
def test_without_fallback_the_original_exception_propagates_with_the_decision_attached(method):
    llm = make_llm(strong=broken_strong())
    with pytest.raises(TimeoutError, match="provider timed out") as caught:
        _call(llm, method, HARD)
    assert caught.value.routing_decision == RoutingDecision(
        model="strong", win_probability=0.9, threshold=0.5, router="keyword", reason="routed"
    )
    assert any("went to the strong model (strong-model)" in note for note in caught.value.__notes__)
    assert llm.ledger.snapshot().calls == 0  # a failed call answered nothing


@pytest.mark.parametrize("method", CHAT_METHODS)
def test_with_fallback_the_other_model_answers_and_the_metadata_says_so(method, events):
    llm = make_llm(strong=broken_strong(), fallback=True)
    responses = _call(llm, method, HARD)
    for response in responses:
        m = meta(response)
        assert (m["model"], m["model_name"], m["reason"]) == ("weak", "weak-model", "fallback")
        assert (m["fallback_from"], m["error"]) == ("strong", "TimeoutError")
        assert m["win_probability"] == 0.9  # the router's verdict is kept
    assert responses[-1].message.content == f"weak-model: {HARD}"
    assert [(e.model, e.reason) for e in events if isinstance(e, RoutingDecisionEvent)] == [
        ("strong", "routed"), ("weak", "fallback")
    ]
    snapshot = llm.ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.weak.calls) == (0, 1)


class BrokenCompletions(NamedMockLLM):
    def complete(self, prompt, formatted=False, **kwargs):
        raise ConnectionError("connection reset")

    async def acomplete(self, prompt, formatted=False, **kwargs):
        raise ConnectionError("connection reset")


def test_completions_fall_back_too():
    llm = make_llm(strong=BrokenCompletions("strong-model"), fallback=True)
    m = meta(llm.complete(HARD))
    assert (m["model"], m["fallback_from"], m["error"]) == ("weak", "strong", "ConnectionError")
    assert meta(asyncio.run(llm.acomplete(HARD)))["reason"] == "fallback"
    with pytest.raises(ConnectionError) as caught:
        make_llm(strong=BrokenCompletions("strong-model")).complete(HARD)
    assert caught.value.routing_decision.model == "strong"


def test_when_both_models_fail_the_second_error_propagates_with_the_fallback_decision():
    weak = NamedMockLLM("weak-model", response_generator=raising(ValueError("quota exceeded")))
    llm = make_llm(strong=broken_strong(), weak=weak, fallback=True)
    with pytest.raises(ValueError, match="quota exceeded") as caught:
        llm.chat(user(HARD))
    assert (caught.value.routing_decision.model, caught.value.routing_decision.reason) == ("weak", "fallback")
    assert "fallback_from 'strong'" in caught.value.__notes__[0]
    assert isinstance(caught.value.__context__, TimeoutError)  # the first failure stays visible
    assert llm.ledger.snapshot().calls == 0


def failing_stream(name: str, fail_after: int):
    """A reply streamed as three chunks that fails after `fail_after` of them."""

    def reply(messages, **kwargs):
        def chunks():
            for i, word in enumerate(["one", "two", "three"]):
                if i == fail_after:
                    raise ConnectionError("stream broke")
                yield ChatMessage(role="assistant", content=f"{name}: {word}")

        return chunks()

    return reply


def test_a_stream_that_fails_before_its_first_chunk_falls_back():
    strong = NamedMockLLM("strong-model", response_generator=failing_stream("strong-model", 0))
    llm = make_llm(strong=strong, fallback=True)
    chunks = list(llm.stream_chat(user(HARD)))
    assert {meta(c)["model"] for c in chunks} == {"weak"} and meta(chunks[0])["reason"] == "fallback"
    assert llm.ledger.snapshot().weak.calls == 1


def test_a_stream_that_fails_midway_propagates_and_is_counted_once():
    strong = NamedMockLLM("strong-model", response_generator=failing_stream("strong-model", 2))
    llm = make_llm(strong=strong, fallback=True)
    received = []
    with pytest.raises(ConnectionError, match="stream broke") as caught:
        for chunk in llm.stream_chat(user(HARD)):
            received.append(chunk)
    assert len(received) == 2 and {meta(c)["model"] for c in received} == {"strong"}
    assert caught.value.routing_decision.model == "strong"  # no fallback once chunks were streamed
    snapshot = llm.ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.weak.calls) == (1, 0)


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class ToolPrepSpy(NamedMockLLM):
    prepared: int = 0

    def _prepare_chat_with_tools(self, tools, **kwargs):
        self.prepared += 1
        return super()._prepare_chat_with_tools(tools, **kwargs)


def test_a_tool_call_falls_back_with_tools_prepared_by_the_other_model_and_the_turn_stays_there():
    plan = [("multiply", {"a": 6, "b": 7})]
    strong = ToolPrepSpy("strong-model", response_generator=raising(TimeoutError("provider timed out")))
    weak = ToolPrepSpy("weak-model", response_generator=tool_plan("weak-model", plan))
    llm = make_llm(strong=strong, weak=weak, fallback=True)
    tools = [FunctionTool.from_defaults(multiply)]
    first = llm.chat_with_tools(tools, user_msg=HARD)
    assert (meta(first)["model"], meta(first)["reason"]) == ("weak", "fallback")
    assert (strong.prepared, weak.prepared) == (1, 1)
    calls = llm.get_tool_calls_from_response(first)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    # the next step of the same turn stays on the model that answered: no provider switch mid-loop
    history = [*user(HARD), first.message, ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "call-1"})]
    second = llm.chat_with_tools(tools, chat_history=history)
    assert (meta(second)["model"], meta(second)["reason"]) == ("weak", "sticky")
    assert second.message.content == "weak-model: 42"


def test_predict_and_call_survives_a_failing_strong_model():
    plan = [("multiply", {"a": 2, "b": 21})]
    weak = NamedMockLLM("weak-model", response_generator=tool_plan("weak-model", plan))
    llm = make_llm(strong=broken_strong(), weak=weak, fallback=True)
    assert llm.predict_and_call([FunctionTool.from_defaults(multiply)], user_msg=HARD).response == "42"


# ---- async cancellation and timeouts --------------------------------------------------------


class SlowLLM(NamedMockLLM):
    """Answers after `delay` seconds; records calls started, finished and cancelled."""

    delay: float = 5.0
    started: int = 0
    finished: int = 0
    cancelled: int = 0

    @llm_chat_callback()
    async def achat(self, messages, **kwargs):
        self.started += 1
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.finished += 1
        return ChatResponse(message=ChatMessage(role="assistant", content=f"{self.model_name}: done"))

    @llm_chat_callback()
    async def astream_chat(self, messages, **kwargs):
        async def gen():
            self.started += 1
            try:
                for i in range(100):
                    await asyncio.sleep(self.delay / 100)
                    yield ChatResponse(message=ChatMessage(role="assistant", content=str(i)), delta=f"{i} ")
            except (asyncio.CancelledError, GeneratorExit):
                self.cancelled += 1
                raise
            self.finished += 1

        return gen()


def _no_other_tasks() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


@pytest.mark.parametrize("fallback", [False, True])
def test_a_timeout_cancels_the_inner_call_and_leaves_nothing_behind(fallback):
    strong, weak = SlowLLM("strong-model"), SlowLLM("weak-model")
    llm = make_llm(strong=strong, weak=weak, fallback=fallback)

    async def main():
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await asyncio.wait_for(llm.achat(user(HARD)), timeout=0.1)
        await asyncio.sleep(0)
        return _no_other_tasks()

    started = time.perf_counter()
    assert asyncio.run(main())
    assert time.perf_counter() - started < 2.0
    assert (strong.started, strong.cancelled, strong.finished) == (1, 1, 0)
    assert weak.started == 0  # a cancellation is not a model failure: no fallback
    assert llm.ledger.snapshot().calls == 0
    assert meta(asyncio.run(make_llm(strong=SlowLLM("strong-model", delay=0.01)).achat(user(HARD))))["model"] == "strong"


def test_a_cancelled_stream_closes_the_inner_stream_and_is_counted_once():
    strong = SlowLLM("strong-model", delay=2.0)
    llm = make_llm(strong=strong)
    received = []

    async def consume():
        async for chunk in await llm.astream_chat(user(HARD)):
            received.append(chunk)

    async def main():
        task = asyncio.create_task(consume())
        while len(received) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return _no_other_tasks()

    assert asyncio.run(main())
    assert strong.cancelled == 1 and strong.finished == 0
    snapshot = llm.ledger.snapshot()
    assert snapshot.strong.calls == 1 and snapshot.strong.output_tokens >= 3  # the chunks streamed so far


def test_cancelling_during_routing_leaves_no_stuck_work():
    class SlowRouter(KeywordRouter):
        def __init__(self):
            super().__init__()
            self.done = threading.Event()

        def _score(self, texts):
            time.sleep(0.2)
            scores = super()._score(texts)
            self.done.set()
            return scores

    router = SlowRouter()
    strong = SlowLLM("strong-model", delay=0.01)
    llm = make_llm(router=router, strong=strong)

    async def main():
        task = asyncio.create_task(llm.achat(user(HARD)))
        await asyncio.sleep(0.05)  # the router is scoring in a worker thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return _no_other_tasks()

    assert asyncio.run(main())
    assert router.done.wait(2.0)  # the worker thread finished its bounded scoring on its own
    assert strong.started == 0 and llm.ledger.snapshot().calls == 0


# ---- concurrency --------------------------------------------------------------------------------


class JitteryEcho(NamedMockLLM):
    """Echoes after a random short pause, so that concurrent calls finish out of order."""

    @llm_chat_callback()
    async def achat(self, messages, **kwargs):
        await asyncio.sleep(random.random() * 0.01)
        text = messages[-1].content
        return ChatResponse(message=ChatMessage(role="assistant", content=f"{self.model_name}: {text}"))


def varied_prompts(n: int, seed: int = 0) -> list[str]:
    """Prompts of many lengths (so the length router gives them distinct scores), each numbered."""
    rng = random.Random(seed)
    return [f"prompt {i}: " + "word " * rng.randint(0, 160) for i in range(n)]


def test_1000_concurrent_achat_calls_with_a_real_router_keep_their_own_decisions():
    router = load_router("length")
    llm = RoutedLLM(strong=JitteryEcho("strong-model"), weak=JitteryEcho("weak-model"), router="length", threshold=0.6)
    prompts = varied_prompts(1000)

    async def main():
        return await asyncio.gather(*(llm.achat(user(p)) for p in prompts))

    started = time.perf_counter()
    responses = asyncio.run(main())
    elapsed = time.perf_counter() - started
    assert len(responses) == 1000
    expected_strong = 0
    for prompt, response in zip(prompts, responses):
        score = router.win_probability(prompt)
        expected = "strong" if score >= 0.6 else "weak"
        expected_strong += expected == "strong"
        m = meta(response)
        assert m["win_probability"] == pytest.approx(score, abs=0, rel=1e-12)
        assert (m["model"], m["reason"], m["threshold"]) == (expected, "routed", 0.6)
        assert response.message.content == f"{expected}-model: {prompt}"
    snapshot = llm.ledger.snapshot()
    assert (snapshot.calls, snapshot.strong.calls) == (1000, expected_strong)
    assert 0 < expected_strong < 1000
    assert elapsed < 20.0, elapsed


def test_threaded_chat_shares_one_router_across_threads():
    router = load_router("length")
    llm = RoutedLLM(
        strong=NamedMockLLM("strong-model", response_generator=signed_echo("strong-model")),
        weak=NamedMockLLM("weak-model", response_generator=signed_echo("weak-model")),
        router=router,
        threshold=0.6,
    )
    prompts = varied_prompts(400, seed=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda p: llm.chat(user(p)), prompts))
    for prompt, response in zip(prompts, responses):
        expected = "strong" if router.win_probability(prompt) >= 0.6 else "weak"
        assert meta(response)["model"] == expected
        assert response.message.content == f"{expected}-model: {prompt}"
    assert llm.ledger.snapshot().calls == 400


def test_a_routed_llm_with_a_ledger_still_copies_and_pickles():
    llm = make_llm(router="length", strong_price=Price(10, 30), weak_price=Price(1, 2))
    llm.chat(user(HARD))
    clone = copy.deepcopy(llm)
    clone.chat(user(HARD))
    assert llm.ledger.snapshot().calls == 1 and clone.ledger.snapshot().calls == 2
    restored = pickle.loads(pickle.dumps(llm))
    assert restored.ledger.snapshot().calls == 1 and restored.ledger.strong_price == Price(10, 30)


# ---- property-based: any message structure routes or raises the documented error -------------

_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
_BLOCK = st.one_of(
    _TEXT.map(lambda t: TextBlock(text=t)),
    st.just(ImageBlock(url="https://example.com/a.png")),
    st.just(AudioBlock(audio=b"RIFF....WAVEfmt ", format="wav")),
    st.builds(
        lambda name, arg: ToolCallBlock(tool_call_id="c1", tool_name=name or "t", tool_kwargs={"x": arg}),
        st.text(max_size=8),
        _TEXT,
    ),
)
_ROLE = st.sampled_from([MessageRole.USER, MessageRole.ASSISTANT, MessageRole.SYSTEM, MessageRole.TOOL])
_MESSAGE = st.one_of(
    st.builds(lambda role, blocks: ChatMessage(role=role, blocks=blocks), _ROLE, st.lists(_BLOCK, max_size=4)),
    st.builds(lambda role, text: ChatMessage(role=role, content=text), _ROLE, st.one_of(st.none(), _TEXT)),
)
_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(messages=st.lists(_MESSAGE, max_size=6), scope=st.sampled_from(["last_user", "conversation"]))
def test_any_message_structure_routes_or_raises_a_conversation_error(messages, scope):
    llm = make_llm(router="length", scope=scope)
    try:
        response = llm.chat(messages)
    except ConversationError:
        assert messages == []  # the one documented failure: nothing to route at all
        return
    m = meta(response)
    assert m["model"] in ("strong", "weak")
    has_text = any(isinstance(b, TextBlock) and b.text.strip() for msg in messages for b in msg.blocks)
    assert m["reason"] == ("routed" if has_text else "no_text")
    if has_text:
        assert 0.0 <= m["win_probability"] <= 1.0
    json.dumps(m)  # plain data, safe to log


@_PROPERTY
@given(messages=st.lists(_MESSAGE, max_size=6))
def test_with_on_router_error_raise_only_conversation_errors_escape(messages):
    llm = make_llm(router="length", on_router_error="raise")
    try:
        decision = llm.decide(messages)
    except ConversationError:
        return
    assert decision.reason in ("routed", "no_text") and decision.model in ("strong", "weak")


@_PROPERTY
@given(prompt=_TEXT)
def test_any_completion_prompt_routes(prompt):
    response = make_llm(router="length").complete(prompt)
    assert meta(response)["reason"] == ("routed" if prompt.strip() else "no_text")
