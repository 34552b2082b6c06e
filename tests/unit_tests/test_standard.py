"""LangChain's standard unit tests for RoutedChatModel (langchain-tests), with offline fake inner models."""

from __future__ import annotations

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

# The suite passes LangChain's standard settings (temperature, api_key, ...) to every chat model;
# RoutedChatModel leaves them to its inner models and says so with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:RoutedChatModel ignores:UserWarning")


class TestRoutedChatModelUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[RoutedChatModel]:
        return RoutedChatModel

    @property
    def chat_model_params(self) -> dict:
        return {
            "strong": FakeToolChatModel(model_name="fake-strong-model"),
            "weak": FakeToolChatModel(model_name="fake-weak-model"),
            "router": "length",
            "threshold": 0.3,
        }

    @property
    def model_override_value(self) -> str:
        return "fake-weak-model"
