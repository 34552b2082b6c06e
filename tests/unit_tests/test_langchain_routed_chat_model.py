"""RoutedChatModel: construction, decisions (routed, forced, sticky, calibrated), delegation and metadata."""

from __future__ import annotations

import asyncio
import math
import threading
import time
import warnings

import pytest
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import ConfigurableField, RunnableLambda
from langchain_core.tools import tool
from pydantic import BaseModel, Field, ValidationError

import routellm_langchain
from routellm_core import calibrate_threshold, load_router
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter

STRONG, WEAK = "fake-strong-model", "fake-weak-model"


def routed(router=None, **kwargs) -> RoutedChatModel:
    params = {
        "strong": FakeToolChatModel(model_name=STRONG),
        "weak": FakeToolChatModel(model_name=WEAK),
        "router": router if router is not None else ScriptedRouter(lambda text: 0.9 if "hard" in text else 0.1),
    }
    if "strong_fraction" not in kwargs:
        params["threshold"] = 0.5
    return RoutedChatModel(**{**params, **kwargs})


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person."""

    name: str = Field(description="the person's name")
    age: int = Field(description="the person's age")


def test_public_names():
    assert routellm_langchain.__all__ == ["RoutedChatModel", "RoutingLedgerCallbackHandler"]
    assert issubclass(RoutedChatModel, BaseChatModel)


# ---- construction ------------------------------------------------------------------------------


def test_construction_does_not_load_the_router_and_the_first_call_loads_it_once(monkeypatch):
    loads = []
    import routellm_core.routing.engine as engine

    real = engine.load_router
    monkeypatch.setattr(engine, "load_router", lambda spec: loads.append(spec) or real(spec))
    model = routed(router="length")
    assert loads == []
    model.invoke("hi")
    model.invoke("hello again")
    assert loads == ["length"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.5, "strong_fraction": 0.3, "calibration_prompts": ["a"]}, "not both"),
        ({"strong_fraction": 1.5, "calibration_prompts": ["a"]}, r"strong_fraction must be in \[0, 1\]"),
        ({"threshold": 0.5, "calibration_prompts": ["a"]}, "used only with strong_fraction"),
        ({"threshold": 1.5}, r"threshold must be in \[0, 1\]"),
        ({"threshold": math.nan}, r"threshold must be in \[0, 1\]"),
        ({"threshold": 0.5, "router": "no-such-router"}, "unknown router 'no-such-router'"),
        ({"threshold": 0.5, "router": 42}, "router must be a router name"),
        ({"threshold": 0.5, "treshold": 0.5}, "treshold"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RoutedChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel(), **{"router": "length", **kwargs})


def test_standard_sampling_settings_are_left_to_the_inner_models_with_a_warning():
    with pytest.warns(UserWarning, match="ignores temperature, max_tokens"):
        model = routed(temperature=0, max_tokens=10)
    assert not hasattr(model, "temperature")


def test_no_warning_for_a_plain_construction():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        routed()


@pytest.mark.parametrize(
    ("inner", "hint"),
    [
        ("gpt-4o", "got str"),
        (RunnableLambda(lambda x: x), "got RunnableLambda"),
        (FakeToolChatModel().with_structured_output(Person), "apply with_structured_output to the RoutedChatModel"),
        (FakeToolChatModel().with_retry(), "Retry and fallback wrappers"),
        (FakeToolChatModel().with_config(tags=["x"]), "binding with a config"),
    ],
)
def test_an_inner_model_that_cannot_be_delegated_to_is_refused_at_construction(inner, hint):
    with pytest.raises(ValidationError, match=f"the weak model .*{hint}"):
        RoutedChatModel(strong=FakeToolChatModel(), weak=inner, router="length", threshold=0.5)


def test_a_configurable_init_chat_model_is_refused_with_a_hint():
    from langchain.chat_models import init_chat_model

    with pytest.raises(ValidationError, match="configurable init_chat_model"):
        RoutedChatModel(strong=init_chat_model(), weak=FakeToolChatModel(), router="length", threshold=0.5)


def test_an_inner_model_with_bind_tools_applied_is_delegated_with_its_bound_kwargs():
    weak = FakeToolChatModel(model_name=WEAK)
    model = routed(weak=weak.bind_tools([add], tool_choice="add"))
    answer = model.invoke("What is 2 + 3?")
    assert answer.tool_calls[0]["name"] == "add"
    assert answer.tool_calls[0]["args"] == {"a": 2, "b": 3}
    assert weak.calls[-1]["kwargs"]["tool_choice"] == "add"


# ---- deciding ----------------------------------------------------------------------------------


def test_routes_by_win_probability_against_the_threshold():
    model = routed()
    easy, hard = model.invoke("an easy one"), model.invoke("a hard one")
    assert easy.response_metadata["routellm"] == {
        "model": "weak",
        "model_name": WEAK,
        "win_probability": 0.1,
        "threshold": 0.5,
        "router": "scripted",
        "reason": "routed",
    }
    assert hard.response_metadata["routellm"]["model"] == "strong"
    assert hard.response_metadata["model_name"] == STRONG
    assert easy.response_metadata["model_name"] == WEAK


def test_a_win_probability_equal_to_the_threshold_goes_strong():
    model = routed(router=ScriptedRouter(0.5), threshold=0.5)
    assert model.invoke("x").response_metadata["routellm"]["model"] == "strong"


def test_only_the_chosen_model_is_called():
    model = routed()
    model.invoke("a hard one")
    assert len(model.strong.calls) == 1 and model.weak.calls == []


def test_the_threshold_can_change_per_call():
    model = routed()
    decision = model.invoke("an easy one", threshold=0.05).response_metadata["routellm"]
    assert (decision["model"], decision["threshold"]) == ("strong", 0.05)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        model.invoke("x", threshold=2)


@pytest.mark.parametrize(("choice", "role"), [("strong", "strong"), ("weak", "weak"), (STRONG, "strong"), (WEAK, "weak")])
def test_a_route_can_be_forced_per_call_without_asking_the_router(choice, role):
    router = ScriptedRouter(0.1 if role == "strong" else 0.9)
    model = routed(router=router)
    decision = model.invoke("hello", model=choice).response_metadata["routellm"]
    assert decision["model"] == role and decision["reason"] == "forced"
    assert decision["win_probability"] is None
    assert router.seen == []


def test_auto_routes_even_when_passed_explicitly():
    assert routed().invoke("a hard one", model="auto").response_metadata["routellm"]["reason"] == "routed"


def test_an_unknown_per_call_model_is_refused():
    with pytest.raises(ValueError, match="model='gpt-5' names neither route"):
        routed().invoke("hello", model="gpt-5")


def test_route_and_threshold_are_configurable_fields():
    model = routed().configurable_fields(
        route=ConfigurableField(id="route"), threshold=ConfigurableField(id="threshold")
    )
    forced = model.with_config(configurable={"route": "strong"}).invoke("an easy one")
    assert forced.response_metadata["routellm"]["model"] == "strong"
    assert forced.response_metadata["routellm"]["reason"] == "forced"
    lowered = model.with_config(configurable={"threshold": 0.01}).invoke("an easy one")
    assert lowered.response_metadata["routellm"]["model"] == "strong"
    assert model.invoke("an easy one").response_metadata["routellm"]["model"] == "weak"


def test_configured_copies_share_the_loaded_router_and_calibration(monkeypatch):
    loads = []
    import routellm_core.routing.engine as engine

    real = engine.load_router
    monkeypatch.setattr(engine, "load_router", lambda spec: loads.append(spec) or real(spec))
    prompts = [" ".join(["word"] * n) for n in range(1, 21)]
    model = routed(router="length", strong_fraction=0.3, calibration_prompts=prompts).configurable_fields(
        route=ConfigurableField(id="route"), strong_fraction=ConfigurableField(id="strong_fraction")
    )
    for _ in range(3):  # LangChain builds a new model object for each of these calls
        answer = model.invoke("hello there", config={"configurable": {"route": "auto"}})
        assert answer.response_metadata["routellm"]["reason"] == "routed"
    assert loads == ["length"]
    # a copy with another share calibrates its own threshold
    other = model.invoke("hello there", config={"configurable": {"strong_fraction": 0.9}})
    assert loads == ["length", "length"]
    expected = calibrate_threshold(load_router("length"), prompts, 0.9)
    assert other.response_metadata["routellm"]["threshold"] == pytest.approx(expected)


def test_decide_previews_a_decision_without_calling_a_model():
    model = routed()
    decision = model.decide("a hard one")
    assert (decision.model, decision.reason, decision.win_probability) == ("strong", "routed", 0.9)
    assert model.strong.calls == [] and model.weak.calls == []


def test_strong_fraction_calibrates_the_threshold_on_the_given_prompts():
    prompts = [" ".join(["word"] * n) for n in (1, 3, 6, 10, 15, 21, 28, 36, 45, 55)]
    model = routed(router="length", strong_fraction=0.3, calibration_prompts=prompts)
    expected = calibrate_threshold(load_router("length"), prompts, 0.3)
    assert model.get_threshold() == pytest.approx(expected)
    answered = [model.invoke(p).response_metadata["routellm"]["model"] for p in prompts]
    assert answered.count("strong") == 3
    assert answered[-3:] == ["strong"] * 3  # the longest prompts score highest


def test_the_router_reads_the_last_user_turn_by_default():
    router = ScriptedRouter(0.2)
    routed(router=router).invoke([SystemMessage("be brief"), HumanMessage("first"), AIMessage("ok"), HumanMessage("second")])
    assert router.seen == ["second"]


def test_conversation_scope_reads_the_latest_turns_with_their_roles():
    router = ScriptedRouter(0.2)
    model = routed(router=router, scope="conversation")
    model.invoke([SystemMessage("be brief"), HumanMessage("first"), AIMessage("ok"), HumanMessage("second")])
    assert router.seen == ["system: be brief\nuser: first\nassistant: ok\nuser: second"]


# ---- sticky routing through a tool loop --------------------------------------------------------


def _tool_loop(model, question="What is 2 + 3?"):
    """One user turn: the model calls the tool, gets its result, and answers."""
    with_tools = model.bind_tools([add])
    messages = [HumanMessage(question)]
    call = with_tools.invoke(messages)
    messages += [call, add.invoke(call.tool_calls[0])]
    return call, with_tools.invoke(messages), messages


def test_the_model_that_starts_a_tool_turn_answers_the_rest_of_it():
    scores = iter([0.9, 0.1, 0.1])  # the router would switch to weak after the first call
    router = ScriptedRouter(lambda _: next(scores))
    model = routed(router=router)
    call, answer, _ = _tool_loop(model)
    assert call.response_metadata["routellm"]["model"] == "strong"
    assert answer.response_metadata["routellm"]["model"] == "strong"
    assert answer.response_metadata["routellm"]["reason"] == "sticky"
    assert answer.response_metadata["routellm"]["win_probability"] == 0.9
    assert len(router.seen) == 1  # not re-routed inside the turn
    assert len(model.strong.calls) == 2 and model.weak.calls == []


def test_a_new_user_turn_is_routed_again():
    scores = iter([0.9, 0.1])
    model = routed(router=ScriptedRouter(lambda _: next(scores)))
    _, answer, messages = _tool_loop(model)
    follow_up = model.invoke([*messages, answer, HumanMessage("thanks, and 1 + 1?")])
    assert follow_up.response_metadata["routellm"]["model"] == "weak"
    assert follow_up.response_metadata["routellm"]["reason"] == "routed"


def test_a_tool_call_made_by_another_model_is_not_sticky():
    foreign = AIMessage(
        "",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"}],
        response_metadata={"routellm": {"model": "strong", "model_name": "someone-else"}},
    )
    messages = [HumanMessage("What is 1 + 2?"), foreign, ToolMessage("3", tool_call_id="c1")]
    decision = routed().decide(messages)
    assert decision.reason == "routed" and decision.model == "weak"


def test_a_forced_route_wins_over_a_sticky_one():
    _, _, messages = _tool_loop(routed(router=ScriptedRouter(0.9)))
    model = routed(router=ScriptedRouter(0.9))
    assert model.decide(messages).reason == "sticky"
    assert model.decide(messages, model="weak").model == "weak"


# ---- delegation and metadata -------------------------------------------------------------------


def test_invoke_keeps_the_inner_usage_and_metadata():
    model = routed()
    answer = model.invoke("a hard one")
    inner = FakeToolChatModel(model_name=STRONG).invoke("a hard one")
    assert answer.usage_metadata == inner.usage_metadata
    assert answer.content == inner.content
    assert answer.response_metadata["finish_reason"] == "stop"


def test_stream_puts_the_decision_on_exactly_one_chunk():
    model = routed()
    chunks = list(model.stream("a hard one"))
    with_decision = [c for c in chunks if "routellm" in c.response_metadata]
    assert len(with_decision) == 1
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]
    full = sum(chunks[1:], chunks[0])
    assert full.response_metadata["routellm"]["model"] == "strong"
    assert full.response_metadata["model_name"] == STRONG
    assert full.content == FakeToolChatModel(model_name=STRONG).invoke("a hard one").content
    assert chunks[-1].chunk_position == "last"


class _NamelessModel(GenericFakeChatModel):
    """An inner model that reports no model name and never marks its last chunk."""


def test_a_model_name_is_added_when_the_inner_model_gives_none():
    strong = _NamelessModel(messages=iter(["one two three"] * 2))
    model = routed(strong=strong, router=ScriptedRouter(0.9))
    assert model.invoke("x").response_metadata["model_name"] == "_NamelessModel"
    chunks = list(model.stream("x"))
    assert [c.response_metadata.get("model_name") for c in chunks if c.response_metadata.get("model_name")] == [
        "_NamelessModel"
    ]
    assert chunks[-1].chunk_position == "last"


class _GenerateOnly(BaseChatModel):
    """An inner model that cannot stream."""

    @property
    def _llm_type(self) -> str:
        return "generate-only"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        message = AIMessage("whole answer", response_metadata={"model_name": "generate-only-1"})
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_an_inner_model_that_cannot_stream_streams_as_one_chunk():
    model = routed(weak=_GenerateOnly(), router=ScriptedRouter(0.1))
    chunks = list(model.stream("x"))
    assert [c.content for c in chunks] == ["whole answer"]
    assert chunks[0].response_metadata["model_name"] == "generate-only-1"  # as the inner model reported it
    assert chunks[0].response_metadata["routellm"]["model"] == "weak"
    assert isinstance(chunks[0], AIMessageChunk) and chunks[0].chunk_position == "last"


def test_stop_reaches_the_chosen_model():
    model = routed(stop=["heard"])
    assert model.invoke("a hard one").content == f"{STRONG} "
    assert model.strong.calls[-1]["stop"] == ["heard"]
    model.invoke("a hard one", stop=["one"])
    assert model.strong.calls[-1]["stop"] == ["one"]


def test_tracing_params_name_the_provider_and_honour_a_per_call_model():
    model = routed()
    assert model._get_ls_params()["ls_provider"] == "routellm"
    assert model._get_ls_params()["ls_model_name"] == "routellm/scripted"
    assert model._get_ls_params(model="weak")["ls_model_name"] == WEAK
    assert model._get_ls_params(model="anything")["ls_model_name"] == "anything"
    params = model._identifying_params
    assert params["router"] == "scripted" and params["threshold"] == 0.5
    assert params["strong"]["model_name"] == STRONG and params["weak"]["model_name"] == WEAK


def test_profile_is_what_both_inner_models_can_do():
    strong = FakeToolChatModel(profile={"max_input_tokens": 1000, "tool_calling": True, "image_inputs": True})
    weak = FakeToolChatModel(
        profile={"max_input_tokens": 500, "tool_calling": True, "image_inputs": False, "pdf_inputs": True}
    )
    model = routed(strong=strong, weak=weak)
    assert model.profile == {"max_input_tokens": 500, "tool_calling": True, "image_inputs": False}
    assert routed(strong=strong).profile is None  # the weak model's profile is unknown


# ---- tools and structured output ---------------------------------------------------------------


def test_bind_tools_replays_the_tools_and_extra_kwargs_on_the_chosen_model():
    model = routed()
    answer = model.bind_tools([add], tool_choice="any", strict=True, parallel_tool_calls=False).invoke("a hard one: 4 + 5")
    assert answer.tool_calls[0]["args"] == {"a": 4, "b": 5}
    kwargs = model.strong.calls[-1]["kwargs"]
    assert kwargs["tool_choice"] == "any" and kwargs["strict"] is True and kwargs["parallel_tool_calls"] is False
    assert kwargs["tools"][0]["function"]["name"] == "add"
    assert "routellm_bindings" not in kwargs and model.weak.calls == []


def test_bind_tools_on_a_model_without_tool_support_names_it():
    model = routed(weak=GenericFakeChatModel(messages=iter(["x"])))
    with pytest.raises(NotImplementedError, match="the weak model .* does not support bind_tools"):
        model.bind_tools([add])


@pytest.mark.parametrize("role", ["strong", "weak"])
def test_structured_output_works_whichever_model_answers_each_with_its_own_method(role):
    strong = FakeToolChatModel(model_name=STRONG, structured_output_method="json_schema")
    weak = FakeToolChatModel(model_name=WEAK, structured_output_method="function_calling")
    model = routed(strong=strong, weak=weak, route=role)
    person = model.with_structured_output(Person).invoke("The person is 'Ada', aged 36.")
    assert person == Person(name="Ada", age=36)
    kwargs = getattr(model, role).calls[-1]["kwargs"]
    assert ("response_format" in kwargs) == (role == "strong")
    assert ("tools" in kwargs) == (role == "weak")
    assert "ls_structured_output_format" not in kwargs


def test_structured_output_streams_and_includes_raw():
    model = routed(route="weak")
    chunks = list(model.with_structured_output(Person).stream("'Grace' is 85."))
    assert chunks[-1] == Person(name="Grace", age=85)
    raw = model.with_structured_output(Person, include_raw=True).invoke("'Grace' is 85.")
    assert raw["parsed"] == Person(name="Grace", age=85) and raw["parsing_error"] is None
    assert raw["raw"].response_metadata["routellm"]["model"] == "weak"


# ---- async -------------------------------------------------------------------------------------


async def test_ainvoke_scores_off_the_event_loop():
    router = ScriptedRouter(0.9, delay=0.3)
    model = routed(router=router)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    answer = await model.ainvoke("hello")
    elapsed = time.perf_counter() - started
    task.cancel()
    assert answer.response_metadata["routellm"]["model"] == "strong"
    assert router.threads and router.threads[0] != threading.get_ident()
    assert elapsed >= 0.3 and ticks >= 10  # the loop kept running while the router worked


async def test_astream_and_abatch_route_each_input():
    model = routed()
    chunks = [c async for c in model.astream("a hard one")]
    assert sum(1 for c in chunks if "routellm" in c.response_metadata) == 1
    answers = await model.abatch(["an easy one", "a hard one"])
    assert [a.response_metadata["routellm"]["model"] for a in answers] == ["weak", "strong"]


async def test_async_sticky_and_forced_decisions_do_not_touch_the_router():
    router = ScriptedRouter(0.9)
    model = routed(router=router)
    decision = await model.adecide("hello", model="weak")
    assert decision.reason == "forced" and router.seen == []


class _CountingRateLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True


async def test_the_chosen_model_rate_limiter_is_honoured():
    limiter = _CountingRateLimiter()
    model = routed(strong=FakeToolChatModel(model_name=STRONG, rate_limiter=limiter))
    model.invoke("a hard one")
    list(model.stream("a hard one"))
    await model.ainvoke("a hard one")
    model.invoke("an easy one")  # the weak model has no limiter
    assert limiter.acquired == 3
