"""RoutedChatModel under bad input and faults: clear errors, fail-open routing, fallback, cancellation."""

from __future__ import annotations

import asyncio
import logging
import math
import time

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.tools import tool

from routellm_core import CheckpointError, ConversationError
from routellm_core.adaptive import CostBudget
from routellm_core.conversation import MAX_ROUTED_CHARS
from routellm_core.ledger import Price, RoutingLedger
from routellm_core.routers import LengthRouter
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter

STRONG, WEAK = "fake-strong-model", "fake-weak-model"


def routed(router=None, strong=None, weak=None, **kwargs) -> RoutedChatModel:
    params = {
        "strong": strong or FakeToolChatModel(model_name=STRONG),
        "weak": weak or FakeToolChatModel(model_name=WEAK),
        "router": router if router is not None else ScriptedRouter(lambda text: 0.9 if "hard" in text else 0.1),
    }
    if not {"strong_fraction", "budget"} & set(kwargs):
        params["threshold"] = 0.5
    return RoutedChatModel(**{**params, **kwargs})


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def routing(answer) -> dict:
    return answer.response_metadata["routellm"]


class _RecordingLengthRouter(LengthRouter):
    """The real length router, remembering the texts it scored."""

    def __init__(self) -> None:
        super().__init__(name="length")
        self.seen: list[str] = []

    def _score(self, texts):
        self.seen.extend(texts)
        return super()._score(texts)


# ---- bad conversations -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["auto", "strong"])
def test_an_empty_message_list_is_a_conversation_error_even_when_forced(route):
    model = routed(route=route)
    with pytest.raises(ConversationError, match="empty conversation: the message list is empty"):
        model.invoke([])
    assert model.strong.calls == [] and model.weak.calls == []
    assert model.ledger.snapshot().calls == 0


def test_a_conversation_of_only_a_system_message_is_routed_on_its_text():
    router = ScriptedRouter(0.9)
    answer = routed(router=router).invoke([SystemMessage("You are a hard-working assistant.")])
    assert routing(answer)["reason"] == "routed" and routing(answer)["model"] == "strong"
    assert router.seen == ["You are a hard-working assistant."]


def test_content_blocks_are_routed_on_their_text_parts_only():
    router = ScriptedRouter(0.2)
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Describe this picture"},
            {"type": "image", "source_type": "url", "url": "https://example.com/cat.png"},
            {"type": "audio", "source_type": "base64", "data": "UklGRg==", "mime_type": "audio/wav"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "text", "text": "and this sound."},
        ]
    )
    answer = routed(router=router).invoke([message])
    assert router.seen == ["Describe this picture\nand this sound."]
    assert routing(answer)["reason"] == "routed"


NO_TEXT = [
    [HumanMessage(content=[{"type": "image", "source_type": "url", "url": "https://example.com/a.png"}])],
    [HumanMessage(content="")],
    [HumanMessage(content="   \n\t ")],
]


@pytest.mark.parametrize("policy", ["default", "raise"])
@pytest.mark.parametrize("conversation", NO_TEXT, ids=["image-only", "empty", "whitespace"])
def test_a_turn_without_text_goes_to_the_weak_model_without_the_router_or_a_warning(conversation, policy, caplog):
    router = ScriptedRouter(0.9)
    model = routed(router=router, on_router_error=policy, default_model="strong")
    with caplog.at_level(logging.WARNING, logger="routellm_langchain"):
        answer = model.invoke(conversation)
    decision = routing(answer)
    assert (decision["model"], decision["reason"]) == ("weak", "no_text") and "error" not in decision
    assert decision["win_probability"] is None and decision["threshold"] == 0.5
    assert router.seen == [] and caplog.records == []
    assert model.ledger.snapshot().weak.calls == 1


def test_a_tool_message_without_its_call_is_routed_on_the_user_turn():
    router = ScriptedRouter(0.9)
    answer = routed(router=router).invoke([HumanMessage("What is 2 + 3?"), ToolMessage("5", tool_call_id="missing")])
    assert routing(answer)["reason"] == "routed"
    assert router.seen == ["What is 2 + 3?"]
    lone = routed(router=ScriptedRouter(0.1)).invoke([ToolMessage("5", tool_call_id="missing")])
    assert routing(lone)["reason"] == "routed" and routing(lone)["model"] == "weak"


def test_a_one_megabyte_prompt_is_routed_on_a_bounded_truncation_in_bounded_time():
    router = _RecordingLengthRouter()
    model = routed(router=router)
    small_started = time.perf_counter()
    model.decide("a short prompt")
    small = time.perf_counter() - small_started
    huge = "lorem ipsum dolor sit amet " * 40_000  # about 1 MB
    started = time.perf_counter()
    decision = model.decide(huge)
    elapsed = time.perf_counter() - started
    assert len(huge) > 1_000_000
    assert len(router.seen[-1]) == MAX_ROUTED_CHARS
    assert decision.win_probability == pytest.approx(MAX_ROUTED_CHARS / (MAX_ROUTED_CHARS + 256))
    assert elapsed < 0.5 + 50 * small  # bounded: no work proportional to a megabyte of tokens
    assert routing(model.invoke(huge))["model"] == "strong"  # a long prompt scores high


def test_invalid_surrogates_and_control_characters_reach_the_router_cleaned():
    # The router encodes strictly: an unpaired surrogate would make it fail (and fail open).
    router = ScriptedRouter(lambda text: 0.9 if text.encode("utf-8") and "\x00" not in text else 0.0)
    answer = routed(router=router).invoke([HumanMessage("bad \ud800 bytes\x00 and \x1b[31m colour")])
    assert routing(answer)["reason"] == "routed" and routing(answer)["model"] == "strong"
    assert router.seen[0].encode("utf-8")
    assert not any(ch in router.seen[0] for ch in "\x00\x1b")


def test_none_content_is_empty_text_and_other_content_types_are_named():
    # LangChain refuses None as content when a message is built; a dict message with None content
    # becomes an empty message, which has no text to route: the weak model answers.
    answer = routed().invoke([{"role": "user", "content": None}])
    assert (routing(answer)["model"], routing(answer)["reason"]) == ("weak", "no_text")
    with pytest.raises(ValueError, match="content"):
        routed().invoke([("user", None)])
    # Content of another type can only be smuggled past LangChain's validation; it is named.
    smuggled = HumanMessage.model_construct(content=42, type="human")
    with pytest.raises(ConversationError, match=r"message 0 \(human\) has content of type int"):
        routed().invoke([smuggled])
    unset = HumanMessage.model_construct(content=None, type="human")
    assert routed().decide([unset, HumanMessage("hello")]).reason == "routed"


# ---- bad configuration (the new settings; the rest is in test_langchain_routed_chat_model) -------


def _priced_ledger() -> RoutingLedger:
    return RoutingLedger(strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"adaptive": True, "threshold": 0.5}, "give strong_fraction=... instead of threshold"),
        ({"budget": CostBudget(_priced_ledger(), cost_per_call=0.01), "strong_fraction": 0.3}, "leave out threshold and strong_fraction"),
        ({"budget": CostBudget(RoutingLedger(), cost_per_call=0.01)}, "a cost budget needs prices"),
        ({"budget": CostBudget(_priced_ledger(), cost_per_call=0.01), "ledger": RoutingLedger()}, "reads its own ledger"),
        ({"threshold": 0.5, "ledger": _priced_ledger(), "strong_price": Price(1.0, 1.0)}, "strong_price differs from the ledger's"),
        ({"threshold": 0.5, "budget": 0.01}, "budget"),
        ({"threshold": 0.5, "ledger": {"calls": 0}}, "ledger"),
        ({"threshold": 0.5, "on_router_error": "ignore"}, "on_router_error"),
        ({"threshold": 0.5, "default_model": "medium"}, "default_model"),
        ({"threshold": 0.5, "fallback": "sometimes"}, "fallback"),
    ],
)
def test_bad_fault_and_budget_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RoutedChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel(), router="length", **kwargs)


# ---- the chosen model fails ----------------------------------------------------------------------


def _down(name: str) -> FakeToolChatModel:
    return FakeToolChatModel(model_name=name, error=ConnectionError(f"{name} is down"))


async def _answer(model: RoutedChatModel, entry: str, prompt: str):
    """One call through an entry point; streams are read to the end and merged."""
    if entry == "invoke":
        return model.invoke(prompt)
    if entry == "ainvoke":
        return await model.ainvoke(prompt)
    if entry == "stream":
        chunks = list(model.stream(prompt))
    else:
        chunks = [c async for c in model.astream(prompt)]
    return sum(chunks[1:], chunks[0])


ENTRIES = ["invoke", "ainvoke", "stream", "astream"]


@pytest.mark.parametrize("entry", ENTRIES)
async def test_with_fallback_the_other_model_answers_and_the_metadata_says_so(entry):
    model = routed(strong=_down(STRONG), fallback=True)
    answer = await _answer(model, entry, "a hard one")
    decision = routing(answer)
    assert decision["model"] == "weak" and decision["model_name"] == WEAK
    assert decision["reason"] == "fallback"
    assert decision["fallback_from"] == "strong" and decision["error"] == "ConnectionError"
    assert decision["win_probability"] == 0.9 and decision["threshold"] == 0.5  # the decision it overrode
    assert answer.content == f"{WEAK} heard: a hard one"
    assert len(model.strong.calls) == 1 and len(model.weak.calls) == 1
    snapshot = model.ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.weak.calls) == (0, 1)  # only the model that answered


@pytest.mark.parametrize("entry", ENTRIES)
async def test_without_fallback_the_original_exception_propagates_with_the_decision(entry):
    model = routed(strong=_down(STRONG))
    with pytest.raises(ConnectionError) as caught:
        await _answer(model, entry, "a hard one")
    assert str(caught.value) == f"{STRONG} is down"  # the inner model's own exception
    decision = caught.value.routing_decision
    assert (decision.model, decision.reason, decision.win_probability) == ("strong", "routed", 0.9)
    assert any(f"routellm: this call went to the strong model ({STRONG})" in note for note in caught.value.__notes__)
    assert model.weak.calls == []
    assert model.ledger.snapshot().calls == 0


@pytest.mark.parametrize("entry", ENTRIES)
async def test_when_both_models_fail_the_second_error_propagates_after_the_first(entry):
    model = routed(strong=_down(STRONG), weak=FakeToolChatModel(model_name=WEAK, error=TimeoutError("weak timed out")), fallback=True)
    with pytest.raises(TimeoutError, match="weak timed out") as caught:
        await _answer(model, entry, "a hard one")
    assert caught.value.routing_decision.reason == "fallback" and caught.value.routing_decision.model == "weak"
    assert isinstance(caught.value.__context__, ConnectionError)
    assert caught.value.__context__.routing_decision.model == "strong"
    assert model.ledger.snapshot().calls == 0


class _BreaksMidStream(FakeToolChatModel):
    """Streams one chunk, then fails: too late to hand the call to the other model."""

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        yield ChatGenerationChunk(message=AIMessageChunk(content="partial "))
        raise ConnectionError("connection reset")


def test_a_failure_after_the_stream_started_propagates_with_the_decision():
    model = routed(strong=_BreaksMidStream(model_name=STRONG), fallback=True)
    received = []
    with pytest.raises(ConnectionError, match="connection reset") as caught:
        for chunk in model.stream("a hard one"):
            received.append(chunk.content)
    assert received == ["partial "]
    assert caught.value.routing_decision.model == "strong"
    assert model.weak.calls == []
    assert model.ledger.snapshot().strong.calls == 1  # it started answering: recorded once


def test_a_tool_turn_that_fell_back_stays_with_the_model_that_answered():
    model = routed(router=ScriptedRouter(0.9), fallback=True)
    model.strong.error = ConnectionError("strong is down")
    with_tools = model.bind_tools([add])
    messages = [HumanMessage("What is 2 + 3?")]
    call = with_tools.invoke(messages)
    assert routing(call)["reason"] == "fallback" and call.tool_calls[0]["name"] == "add"
    model.strong.error = None  # the strong model is back, but the turn's tool history is the weak one's
    messages += [call, add.invoke(call.tool_calls[0])]
    answer = with_tools.invoke(messages)
    assert (routing(answer)["model"], routing(answer)["reason"]) == ("weak", "sticky")
    assert len(model.strong.calls) == 1  # only the failed first attempt


# ---- the router fails ----------------------------------------------------------------------------


def _broken(text: str) -> float:
    raise RuntimeError("embedding model crashed")


@pytest.mark.parametrize("entry", ENTRIES)
async def test_a_failing_router_fails_open_to_the_default_model(entry, caplog):
    model = routed(router=ScriptedRouter(_broken))
    with caplog.at_level(logging.WARNING, logger="routellm_langchain"):
        answer = await _answer(model, entry, "a hard one")
        await _answer(model, entry, "another one")
    decision = routing(answer)
    assert (decision["model"], decision["reason"], decision["error"]) == ("strong", "router_error", "RuntimeError")
    assert decision["win_probability"] is None and decision["threshold"] == 0.5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "embedding model crashed" in warnings[0].getMessage()
    assert model.ledger.snapshot().strong.calls == 2


def test_a_failing_router_can_fail_open_to_the_weak_model():
    answer = routed(router=ScriptedRouter(_broken), default_model="weak").invoke("a hard one")
    assert routing(answer)["model"] == "weak" and routing(answer)["reason"] == "router_error"


@pytest.mark.parametrize("entry", ENTRIES)
async def test_a_failing_router_raises_when_asked_to(entry):
    model = routed(router=ScriptedRouter(_broken), on_router_error="raise")
    with pytest.raises(RuntimeError, match="embedding model crashed"):
        await _answer(model, entry, "a hard one")
    assert model.strong.calls == [] and model.weak.calls == []


def test_a_router_returning_nan_is_a_router_error():
    answer = routed(router=ScriptedRouter(math.nan)).invoke("x")
    assert routing(answer)["reason"] == "router_error" and routing(answer)["error"] == "RouteLLMError"


def test_a_router_that_cannot_load_fails_open_and_loads_once_repaired(tmp_path, caplog):
    folder = tmp_path / "router"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    model = routed(router=str(folder))
    with caplog.at_level(logging.WARNING, logger="routellm_langchain"):
        answer = model.invoke("hello")
    assert routing(answer)["reason"] == "router_error" and routing(answer)["error"] == "CheckpointError"
    assert "CheckpointError" in caplog.text
    with pytest.raises(CheckpointError):
        routed(router=str(folder), on_router_error="raise").invoke("hello")
    LengthRouter(scale=10.0).save(folder)  # repaired: the next call loads it and routes
    assert routing(model.invoke("hello"))["reason"] == "routed"


def test_the_decision_preview_fails_open_too():
    decision = routed(router=ScriptedRouter(_broken)).decide("x")
    assert (decision.model, decision.reason) == ("strong", "router_error")


def test_per_call_mistakes_are_errors_not_router_failures():
    model = routed(router=ScriptedRouter(_broken))
    with pytest.raises(ValueError, match="threshold"):
        model.invoke("x", threshold=math.nan)
    with pytest.raises(ValueError, match="names neither route"):
        model.invoke("x", model="gpt-5")


# ---- cancellation and timeouts -------------------------------------------------------------------


def _other_tasks() -> set:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def _settled(seconds: float = 1.0) -> set:
    """The tasks still pending after giving finalisers (closing streams, callbacks) a moment."""
    deadline = time.perf_counter() + seconds
    while _other_tasks() and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    return _other_tasks()


async def test_a_timeout_while_the_model_answers_leaves_no_work_behind():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, delay=5.0))
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.ainvoke("a hard one"), timeout=0.05)
    assert time.perf_counter() - started < 1.0
    assert await _settled() == set()
    assert model.strong.finished == 0 and model.ledger.snapshot().calls == 0
    assert routing(await model.ainvoke("an easy one"))["model"] == "weak"  # the model still works


async def test_a_timed_out_call_does_not_fall_back():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, delay=5.0), fallback=True)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.ainvoke("a hard one"), timeout=0.05)
    assert await _settled() == set()
    assert model.weak.calls == []  # cancellation is not a model failure


async def test_a_cancelled_stream_closes_the_inner_stream_and_is_recorded_once():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, reply="one two three four five six"))
    received = []
    first_chunk = asyncio.Event()

    async def read():
        async for chunk in model.astream("a hard one"):
            received.append(chunk.content)
            first_chunk.set()
            await asyncio.sleep(10)  # a slow consumer, cancelled here

    task = asyncio.create_task(read())
    await asyncio.wait_for(first_chunk.wait(), timeout=2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _settled() == set()
    assert received == ["one "]
    assert model.strong.finished == 0  # the inner stream did not run on
    assert model.ledger.snapshot().strong.calls == 1


async def test_a_timeout_while_the_router_scores_leaves_no_work_behind():
    router = ScriptedRouter(0.9, delay=0.3)
    model = routed(router=router)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.ainvoke("slow to route"), timeout=0.05)
    assert await _settled() == set()
    await asyncio.sleep(0.5)  # the scoring thread ends on its own, in bounded time
    assert router.seen == ["slow to route"]
    assert model.strong.calls == [] and model.weak.calls == []
    assert model.ledger.snapshot().calls == 0


async def test_timeouts_on_some_calls_do_not_disturb_the_others():
    model = routed(strong=FakeToolChatModel(model_name=STRONG, delay=5.0))
    prompts = [f"{'a hard' if i % 3 == 0 else 'an easy'} question {i}" for i in range(60)]
    results = await asyncio.gather(
        *(asyncio.wait_for(model.ainvoke(p), timeout=0.2) for p in prompts), return_exceptions=True
    )
    for prompt, result in zip(prompts, results):
        if "hard" in prompt:
            assert isinstance(result, TimeoutError)
        else:
            assert result.content == f"{WEAK} heard: {prompt}"
    assert await _settled() == set()
    assert model.ledger.snapshot().weak.calls == 40 and model.ledger.snapshot().strong.calls == 0
