"""What the RoutedLLM unit tests share: two prompts a keyword router tells apart, and a RoutedLLM on mocks."""

from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from routellm_llamaindex import METADATA_KEY, RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import KeywordRouter, NamedMockLLM, signed_echo

EASY = "hi there"
HARD = "a hard question about group theory"


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


def make_llm(router=None, strong=None, weak=None, **kwargs) -> RoutedLLM:
    """Strong and weak mocks that sign their chat answers; a keyword router ("hard" -> 0.9, else 0.1)."""
    strong = strong or NamedMockLLM("strong-model", response_generator=signed_echo("strong-model"))
    weak = weak or NamedMockLLM("weak-model", response_generator=signed_echo("weak-model"))
    kwargs.setdefault("threshold", 0.5)
    return RoutedLLM(strong=strong, weak=weak, router=router or KeywordRouter(), **kwargs)


def meta(response) -> dict:
    """The routing metadata a response carries."""
    return response.additional_kwargs[METADATA_KEY]


def decisions(collected) -> list[RoutingDecisionEvent]:
    return [e for e in collected if isinstance(e, RoutingDecisionEvent)]
