"""The demo's LlamaIndex LLM answers completions through the chat template, as it does chats."""

from __future__ import annotations

import asyncio

import pytest

from routellm_demo.tiny import tiny_chat_model

PROMPT = "What is 17 * 23?"


@pytest.fixture(scope="module")
def llm():
    return tiny_chat_model("tiny-x", max_new_tokens=6).as_llamaindex()


def chat_answer(llm, prompt: str) -> str:
    from llama_index.core.llms import ChatMessage

    return llm.chat([ChatMessage(role="user", content=prompt)]).message.content


def test_a_completion_is_one_user_turn_of_the_chat_template(llm):
    assert llm.completion_to_prompt(PROMPT) == f"<|im_start|>user\n{PROMPT}<|im_end|>\n<|im_start|>assistant\n"


def test_complete_answers_like_chat(llm):
    # Same weights, same templated prompt, greedy: the same answer (before, complete saw the bare text).
    expected = chat_answer(llm, PROMPT)
    assert expected
    assert llm.complete(PROMPT).text == expected
    assert asyncio.run(llm.acomplete(PROMPT)).text == expected


def test_stream_complete_answers_like_chat(llm):
    expected = chat_answer(llm, PROMPT)
    assert [chunk.text for chunk in llm.stream_complete(PROMPT)][-1] == expected


def test_a_formatted_prompt_is_sent_as_given(llm):
    templated = llm.completion_to_prompt(PROMPT)
    assert llm.complete(templated, formatted=True).text == llm.complete(PROMPT).text
    assert [chunk.text for chunk in llm.stream_complete(templated, formatted=True)][-1] == llm.complete(PROMPT).text
