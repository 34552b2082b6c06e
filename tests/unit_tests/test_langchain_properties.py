"""Property-based tests: any message structure either routes or raises the documented error.

Documented outcomes for a RoutedChatModel call:
- an empty message list raises `ConversationError`;
- a conversation with no text to route goes to the weak model (reason "no_text"), never raises
  `ConversationError` with `on_router_error="raise"`;
- anything else is routed (or sticky inside a tool turn), and the answer carries the decision.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from routellm_core import ConversationError, routed_text
from routellm_core.conversation import content_text
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

STRONG, WEAK = "fake-strong-model", "fake-weak-model"

# Any text, unpaired surrogates and control characters included.
texts = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
text_blocks = texts.map(lambda t: {"type": "text", "text": t})
other_blocks = st.sampled_from(
    [
        {"type": "image", "source_type": "url", "url": "https://example.com/a.png"},
        {"type": "audio", "source_type": "base64", "data": "UklGRg==", "mime_type": "audio/wav"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "file", "source_type": "url", "url": "https://example.com/a.pdf"},
    ]
)
contents = st.one_of(texts, st.lists(st.one_of(text_blocks, other_blocks, texts), max_size=4))


@st.composite
def messages(draw) -> BaseMessage:
    kind = draw(st.sampled_from(["human", "system", "ai", "ai_tool_call", "tool"]))
    content = draw(contents)
    if kind == "human":
        return HumanMessage(content=content)
    if kind == "system":
        return SystemMessage(content=content)
    if kind == "tool":
        return ToolMessage(content=content, tool_call_id=draw(st.sampled_from(["call_1", "missing"])))
    if kind == "ai":
        return AIMessage(content=content)
    role = draw(st.sampled_from(["strong", "weak"]))
    routing = {"model": role, "model_name": STRONG if role == "strong" else WEAK, "win_probability": 0.5, "threshold": 0.5}
    return AIMessage(
        content=content,
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1", "type": "tool_call"}],
        response_metadata={"routellm": routing} if draw(st.booleans()) else {},
    )


conversations = st.lists(messages(), max_size=6)


def _model(**kwargs) -> RoutedChatModel:
    return RoutedChatModel(
        strong=FakeToolChatModel(model_name=STRONG),
        weak=FakeToolChatModel(model_name=WEAK),
        router="length",
        threshold=0.3,
        **kwargs,
    )


DEFAULT, RAISING = _model(), _model(on_router_error="raise")


def _has_text(conversation: list[BaseMessage]) -> bool:
    return any(content_text(m.content).strip() for m in conversation)


def _check_decision(decision: dict | object, conversation: list[BaseMessage]) -> None:
    get = decision.get if isinstance(decision, dict) else lambda key: getattr(decision, key)
    assert get("model") in ("strong", "weak")
    if get("reason") == "routed":
        probability = get("win_probability")
        assert 0.0 <= probability <= 1.0
        assert get("model") == ("strong" if probability >= get("threshold") else "weak")
        expected = routed_text([(m.type, m.content) for m in conversation])  # what the router read
        assert probability == DEFAULT.get_router().win_probability(expected)
    else:
        assert get("reason") in ("sticky", "no_text")
        if get("reason") == "no_text":
            assert not _has_text(conversation) and get("model") == "weak"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations)
def test_any_conversation_routes_or_raises_the_documented_error(conversation):
    try:
        decision = DEFAULT.decide(conversation)
    except ConversationError as error:
        assert conversation == [] and "empty" in str(error)
        return
    _check_decision(decision, conversation)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations)
def test_with_on_router_error_raise_only_empty_conversations_raise(conversation):
    try:
        decision = RAISING.decide(conversation)
    except ConversationError:
        assert conversation == []
        return
    assert decision.reason in ("routed", "sticky", "no_text")
    assert (decision.reason == "no_text") == (decision.reason != "sticky" and not _has_text(conversation))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations.filter(bool))
def test_any_non_empty_conversation_is_answered_with_its_decision(conversation):
    answer = DEFAULT.invoke(conversation)
    decision = answer.response_metadata["routellm"]
    _check_decision(decision, conversation)
    assert decision["model_name"] == (STRONG if decision["model"] == "strong" else WEAK)
