"""LangChain's standard unit tests for RoutedChatModel (langchain-tests), with offline fake inner models."""

from __future__ import annotations

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from tests.langchain_standard import RoutedChatModelSettings

# The suite passes LangChain's standard settings (temperature, api_key, ...) to every chat model;
# RoutedChatModel leaves them to its inner models and says so with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:RoutedChatModel ignores:UserWarning")


class TestRoutedChatModelUnit(RoutedChatModelSettings, ChatModelUnitTests):
    """Threshold 0.3: short prompts go to the weak model, long ones to the strong one."""
