"""The RoutedChatModel that LangChain's standard suites (unit and integration) test."""

from __future__ import annotations

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel


class RoutedChatModelSettings:
    """Mix in before a langchain-tests suite: two tool-capable fakes, routed by the length router at `threshold`."""

    threshold = 0.3

    @property
    def chat_model_class(self) -> type[RoutedChatModel]:
        return RoutedChatModel

    @property
    def chat_model_params(self) -> dict:
        return {
            "strong": FakeToolChatModel(model_name="fake-strong-model"),
            "weak": FakeToolChatModel(model_name="fake-weak-model"),
            "router": "length",
            "threshold": self.threshold,
        }

    @property
    def model_override_value(self) -> str:
        """The per-call model override the suite checks: the model the threshold does not pick."""
        return "fake-strong-model" if self.threshold >= 1.0 else "fake-weak-model"
