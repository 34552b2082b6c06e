"""Turn what a user names as a model or a judge into plain callables.

A model or a judge can be given as

* a LangChain chat model (anything with ``invoke`` returning a message),
* a LlamaIndex LLM (anything with ``complete`` returning an object with ``text``),
* an ``init_chat_model``-style ``provider:model`` string (LangChain builds the model), or
* a Python object named ``module:attribute``: for a model a callable ``(prompt) -> answer``, for a
  judge a callable ``(prompt, answer_a, answer_b) -> verdict``; the attribute may also be one of the
  model objects above.

An answer from a callable may be a string, or a dict with ``text`` and optionally ``usage`` (token
counts) and ``cost`` (US$). A model object's usage is read from its response where it reports it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import RouteLLMError
from .verdicts import DEFAULT_JUDGE_PROMPT


class LabelingError(RouteLLMError):
    """A model, judge or prompt file that cannot be used for labelling."""


@dataclass
class Reply:
    """One call's answer, with what it used and cost (None: not reported)."""

    text: str
    usage: dict[str, Any] = field(default_factory=dict)
    cost: float | None = None


def _import_object(spec: str):
    """`module:attribute` (dots allowed in the attribute), or None where no such module/attribute exists."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        return None
    if "" not in sys.path and os.getcwd() not in sys.path:  # a module of the current folder, as `python -m` finds it
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            return None
        target = getattr(target, part)
    return target


def _from_string(spec: str):
    found = _import_object(spec)
    if found is not None:
        return found
    if ":" not in spec:
        raise LabelingError(f"cannot use {spec!r}: name a model as provider:model or module:attribute")
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        raise LabelingError(f"{spec!r} is not an importable module:attribute, and building a provider:model "
                            "needs the `langchain` package") from None
    try:
        return init_chat_model(spec)
    except Exception as exc:  # provider package missing, unknown provider, no API key
        raise LabelingError(f"cannot build the chat model {spec!r}: {exc}") from None


def _message_reply(message) -> Reply:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    usage = dict(getattr(message, "usage_metadata", None) or {})
    return Reply(str(content), usage)


def _completion_reply(response) -> Reply:
    raw = getattr(response, "raw", None)
    usage = {}
    if isinstance(raw, dict) and isinstance(raw.get("usage"), dict):
        usage = dict(raw["usage"])
    return Reply(str(getattr(response, "text", response)), usage)


def as_reply(value) -> Reply:
    """A callable's return value as a `Reply` (string, dict with text/usage/cost, a message or a completion)."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(value)
    if isinstance(value, dict):
        if "text" not in value:
            raise LabelingError(f"a dict answer needs a 'text' key, got keys {sorted(value)}")
        cost = value.get("cost")
        return Reply(str(value["text"]), dict(value.get("usage") or {}), None if cost is None else float(cost))
    if hasattr(value, "content"):
        return _message_reply(value)
    if hasattr(value, "text"):
        return _completion_reply(value)
    raise LabelingError(f"cannot read an answer from a {type(value).__name__}")


def _text_caller(target) -> Callable[[str], Reply]:
    """(text) -> Reply for a chat model, an LLM or a plain callable."""
    if hasattr(target, "invoke") and hasattr(target, "batch"):  # a LangChain runnable
        return lambda text: _message_reply(target.invoke(text))
    if hasattr(target, "complete"):  # a LlamaIndex LLM
        return lambda text: _completion_reply(target.complete(text))
    if callable(target):
        return lambda text: as_reply(target(text))
    raise LabelingError(f"{type(target).__name__} is neither a chat model, an LLM nor a callable")


def resolve_model(spec) -> Callable[[str], Reply]:
    """(prompt) -> Reply for a model given as an object or a string (see the module docstring)."""
    target = _from_string(spec) if isinstance(spec, str) else spec
    return _text_caller(target)


def is_model_object(target) -> bool:
    return (hasattr(target, "invoke") and hasattr(target, "batch")) or hasattr(target, "complete")


def resolve_judge(spec, template: str = DEFAULT_JUDGE_PROMPT) -> Callable[[str, str, str], Reply]:
    """(prompt, answer_a, answer_b) -> Reply holding the judge's raw verdict text.

    A model object (or provider:model string) is asked with `template`; a plain callable is called as is.
    """
    target = _from_string(spec) if isinstance(spec, str) else spec
    if is_model_object(target):
        ask = _text_caller(target)
        return lambda prompt, a, b: ask(template.format(prompt=prompt, answer_a=a, answer_b=b))
    if callable(target):
        return lambda prompt, a, b: as_reply(target(prompt, a, b))
    raise LabelingError(f"a judge must be a chat model, an LLM or a callable, got {type(target).__name__}")


def resolve_checker(spec) -> Callable[..., bool]:
    """A golden-label checker: `module:function` or a callable (prompt, answer[, reference]) -> bool."""
    target = _import_object(spec) if isinstance(spec, str) else spec
    if not callable(target):
        raise LabelingError(f"checker {spec!r} is not an importable callable module:function")
    return target


def describe(spec) -> str:
    """A short name for a model or judge spec, for the battle rows and the card."""
    if isinstance(spec, str):
        return spec
    for attribute in ("model_name", "model", "metadata"):
        value = getattr(spec, attribute, None)
        if isinstance(value, str):
            return value
    return getattr(spec, "__qualname__", type(spec).__name__)


__all__ = ["LabelingError", "Reply", "as_reply", "describe", "resolve_checker", "resolve_judge", "resolve_model"]
