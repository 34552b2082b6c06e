"""A LangChain callback handler that feeds a `RoutingLedger` from routed answers.

`RoutedChatModel.ledger` already records every call of that model. The handler is for a model built
elsewhere (inside a library, an agent, a deployed chain): attach it through the run config and it
records each routed call from the answer's `response_metadata["routellm"]` and `usage_metadata`
(or, when the answer reports no usage, the same estimate the model's own ledger makes), whether the
answer was invoked or streamed. Answers of other chat models are ignored.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from routellm_core.ledger import RoutingLedger

from .responses import call_usage
from .structured import ROUTING_KEY

ROLES = ("strong", "weak")


class RoutingLedgerCallbackHandler(BaseCallbackHandler):
    """Records each routed chat-model call in `ledger` when it ends.

    ```python
    ledger = RoutingLedger(strong_price=Price(2.5, 10.0), weak_price=Price(0.15, 0.6))
    chain.invoke(inputs, config={"callbacks": [RoutingLedgerCallbackHandler(ledger)]})
    ledger.snapshot().strong_share
    ```

    A streamed call is recorded once, from the merged answer LangChain passes to `on_llm_end`.
    Calls that raise are not recorded. Attach it to a model whose own `ledger` is the same object
    and each call counts twice.
    """

    #: Recording is a few additions under a lock: run it inline, also for async runs.
    run_inline = True

    def __init__(self, ledger: RoutingLedger):
        if not isinstance(ledger, RoutingLedger):
            raise TypeError(f"ledger must be a routellm_core.ledger.RoutingLedger, got {type(ledger).__name__}")
        self.ledger = ledger
        #: The messages each running chat-model call sent: the usage estimate counts them when the
        #: answer reports no usage (the same rule as the model's own ledger).
        self._sent: dict[UUID, list[BaseMessage]] = {}

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._sent[run_id] = messages[0] if messages else []

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._sent.pop(run_id, None)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID | None = None, **kwargs: Any) -> None:
        sent = self._sent.pop(run_id, [])
        # One list of candidate generations per prompt; a chat-model run has one prompt.
        for candidates in response.generations:
            messages = [getattr(generation, "message", None) for generation in candidates]
            model = next((m for m in map(_routed_model, messages) if m is not None), None)
            if model is None:
                continue  # not answered by a RoutedChatModel
            usage = call_usage(sent, messages)
            self.ledger.record(model, usage.input_tokens, usage.output_tokens, usage.estimated)


def _routed_model(message: Any) -> str | None:
    """"strong" or "weak" for an answer a RoutedChatModel produced, else None."""
    metadata = getattr(message, "response_metadata", None) or {}
    routing = metadata.get(ROUTING_KEY)
    model = routing.get("model") if isinstance(routing, dict) else None
    return model if model in ROLES else None
