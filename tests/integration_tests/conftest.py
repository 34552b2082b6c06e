"""Offline guard for the integration tests that opt in (LangChain's standard suite runs without a network)."""

from __future__ import annotations

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture
def network_disabled():
    """Block every internet socket for one test; Unix sockets stay (asyncio's event loop needs them)."""
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
