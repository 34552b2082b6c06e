"""LangChain's standard integration tests for RoutedChatModel (langchain-tests), run offline.

The inner models are tool-capable fakes (`routellm_langchain.testing.FakeToolChatModel`): they call
tools when tools are bound, stream tool-call chunks, and report usage and their model name. Two
configurations run the whole suite: one routes every call to the strong model, the other to the
weak one, and each checks a per-call override to the other model. Sockets are disabled throughout.
"""

from __future__ import annotations

import socket

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from pytest_socket import SocketBlockedError

from tests.langchain_standard import RoutedChatModelSettings

pytestmark = pytest.mark.usefixtures("network_disabled")


class TestRoutedChatModelRoutingStrong(RoutedChatModelSettings, ChatModelIntegrationTests):
    """Threshold 0: the length router sends every prompt to the strong model."""

    threshold = 0.0


class TestRoutedChatModelRoutingWeak(RoutedChatModelSettings, ChatModelIntegrationTests):
    """Threshold 1: no prompt reaches a win probability of 1, so every call goes to the weak model."""

    threshold = 1.0


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_internet_sockets_are_blocked_here():
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
