import pytest

from routellm_core import ConversationError, routed_text
from routellm_core.conversation import MAX_ROUTED_CHARS, content_text


def test_plain_string_is_routed_as_is():
    assert routed_text("What is 2 + 2?") == "What is 2 + 2?"


def test_last_user_turn_is_the_default():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second question"},
    ]
    assert routed_text(messages) == "second question"


def test_role_content_pairs_are_accepted():
    assert routed_text([("system", "x"), ("user", "hello")]) == "hello"


def test_conversation_scope_keeps_recent_turns_within_budget():
    messages = [("user", "one two three four five"), ("assistant", "six seven"), ("user", "eight nine")]
    full = routed_text(messages, scope="conversation", token_budget=100)
    assert full == "user: one two three four five\nassistant: six seven\nuser: eight nine"
    short = routed_text(messages, scope="conversation", token_budget=6)
    assert short == "assistant: six seven\nuser: eight nine"


def test_conversation_scope_always_keeps_the_newest_turn():
    long_turn = "word " * 1000
    assert routed_text([("user", long_turn)], scope="conversation", token_budget=5).startswith("user: word")


def test_image_and_audio_blocks_are_ignored():
    content = [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "text", "text": "this picture"},
    ]
    assert routed_text([{"role": "user", "content": content}]) == "Describe\nthis picture"


def test_only_a_system_message_routes_on_its_text():
    assert routed_text([{"role": "system", "content": "You are a poet."}]) == "You are a poet."


def test_empty_conversation_is_a_clear_error():
    with pytest.raises(ConversationError, match="empty conversation"):
        routed_text([])


@pytest.mark.parametrize("content", [[{"type": "image", "url": "x"}], "", "   \n\t "])
def test_a_conversation_without_text_routes_as_empty_text_not_an_error(content):
    # the adapters send such a turn to the weak model without asking the router (reason "no_text")
    assert routed_text([{"role": "user", "content": content}]) == ""


def test_none_content_counts_as_empty_text():
    assert content_text(None) == ""
    assert routed_text([("user", None), ("user", "hi")]) == "hi"


def test_non_string_content_is_a_clear_error():
    with pytest.raises(ConversationError, match="content must be a string"):
        routed_text([{"role": "user", "content": 42}])


def test_messages_of_the_wrong_type_are_a_clear_error():
    with pytest.raises(ConversationError, match="message 0"):
        routed_text([object()])
    with pytest.raises(ConversationError, match="must be a string or a list"):
        routed_text(123)


def test_control_characters_and_lone_surrogates_are_cleaned():
    text = routed_text("bad\x00text \ud800 here\x07")
    assert "\x00" not in text and "\x07" not in text
    text.encode("utf-8")  # no lone surrogate survives


def test_huge_prompt_is_truncated():
    assert len(routed_text("a" * 1_000_000)) == MAX_ROUTED_CHARS
