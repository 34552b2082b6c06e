"""RouteLLM routers as a drop-in LangChain chat model.

`RoutedChatModel` holds a strong and a weak chat model and sends each call to one of them, as a
RouteLLM router decides. `RoutingLedgerCallbackHandler` records routed calls in a
`routellm_core.ledger.RoutingLedger` for models built elsewhere. `routellm_langchain.testing.FakeToolChatModel`
is an offline, tool-capable fake chat model for tests and examples.
"""

from .callbacks import RoutingLedgerCallbackHandler
from .chat_models import RoutedChatModel

__all__ = ["RoutedChatModel", "RoutingLedgerCallbackHandler"]
