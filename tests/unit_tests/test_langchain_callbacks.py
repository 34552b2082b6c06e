"""One user call is one chat-model run: one start, one token stream, one usage count.

Delegating through the inner model's public `invoke`/`stream` would start a second, nested
chat-model run (two starts, usage counted twice, tokens streamed twice); `_PublicDelegation` below
does exactly that and shows these counters catch it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, UsageMetadataCallbackHandler
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel, ScriptedRouter

STRONG, WEAK = "fake-strong-model", "fake-weak-model"
QUESTION = "Explain why the sky is blue"


class Recorder(BaseCallbackHandler):
    """Counts chat-model starts and records streamed tokens and the options each start saw."""

    def __init__(self) -> None:
        self.options: list[dict | None] = []
        self.tokens: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, options: dict | None = None, **kwargs: Any):
        self.options.append(options)

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def routed(**kwargs) -> RoutedChatModel:
    params = {
        "strong": FakeToolChatModel(model_name=STRONG),
        "weak": FakeToolChatModel(model_name=WEAK),
        "router": ScriptedRouter(0.9),
        "threshold": 0.5,
    }
    return RoutedChatModel(**{**params, **kwargs})


def expected_answer(text: str = QUESTION) -> Any:
    return FakeToolChatModel(model_name=STRONG).invoke(text)


def test_invoke_is_one_run_with_one_usage_count():
    recorder, usage = Recorder(), UsageMetadataCallbackHandler()
    answer = routed().invoke(QUESTION, config={"callbacks": [recorder, usage]})
    assert len(recorder.options) == 1
    assert usage.usage_metadata == {STRONG: answer.usage_metadata}
    assert answer.usage_metadata == expected_answer().usage_metadata


class _PublicDelegation(RoutedChatModel):
    """The mistake the adapter avoids: delegating through the inner model's public invoke."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        message = self.strong.invoke(messages, config={"callbacks": run_manager.handlers})
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_the_counters_catch_public_delegation():
    recorder, usage = Recorder(), UsageMetadataCallbackHandler()
    answer = _PublicDelegation(strong=FakeToolChatModel(model_name=STRONG), weak=FakeToolChatModel(), router="length", threshold=0.5).invoke(
        QUESTION, config={"callbacks": [recorder, usage]}
    )
    assert len(recorder.options) == 2
    assert usage.usage_metadata[STRONG]["total_tokens"] == 2 * answer.usage_metadata["total_tokens"]


def test_prompt_model_parser_streams_each_token_once():
    recorder, usage = Recorder(), UsageMetadataCallbackHandler()
    chain = ChatPromptTemplate.from_messages([("human", "Explain {topic}")]) | routed() | StrOutputParser()
    pieces = list(chain.stream({"topic": "why the sky is blue"}, config={"callbacks": [recorder, usage]}))
    expected = expected_answer()
    assert "".join(pieces) == expected.content
    assert "".join(recorder.tokens) == expected.content
    assert len(recorder.options) == 1
    assert usage.usage_metadata == {STRONG: expected.usage_metadata}


async def test_async_prompt_model_parser_streams_each_token_once():
    recorder, usage = Recorder(), UsageMetadataCallbackHandler()
    chain = ChatPromptTemplate.from_messages([("human", "Explain {topic}")]) | routed() | StrOutputParser()
    pieces = [p async for p in chain.astream({"topic": "why the sky is blue"}, config={"callbacks": [recorder, usage]})]
    expected = expected_answer()
    assert "".join(pieces) == expected.content == "".join(recorder.tokens)
    assert len(recorder.options) == 1
    assert usage.usage_metadata == {STRONG: expected.usage_metadata}


def test_an_inner_model_that_streams_when_invoked_reports_its_tokens_once():
    recorder = Recorder()
    model = routed(strong=FakeToolChatModel(model_name=STRONG, streaming=True))
    answer = model.invoke(QUESTION, config={"callbacks": [recorder]})
    assert "".join(recorder.tokens) == answer.content == expected_answer().content
    assert len(recorder.options) == 1


def test_structured_output_reports_its_format_to_callbacks_exactly_once():
    for method in (None, "json_schema", "function_calling"):
        recorder = Recorder()
        structured = routed().with_structured_output(Person, **({"method": method} if method else {}))
        result = structured.invoke("'Ada' is 36", config={"callbacks": [recorder]})
        assert result == Person(name="Ada", age=36)
        assert len(recorder.options) == 1
        trace = recorder.options[0]["ls_structured_output_format"]
        assert trace["schema"] == convert_to_json_schema(Person)
        assert trace["kwargs"]["method"] == (method or "function_calling")


def test_structured_output_stream_is_one_run():
    recorder = Recorder()
    chunks = list(routed().with_structured_output(Person).stream("'Ada' is 36", config={"callbacks": [recorder]}))
    assert chunks[-1] == Person(name="Ada", age=36)
    assert len(recorder.options) == 1
    assert "ls_structured_output_format" in recorder.options[0]
