"""An instrumentation event handler that keeps a routing ledger for RoutedLLMs built elsewhere.

```python
from llama_index.core.instrumentation import get_dispatcher
from routellm_core.ledger import Price, RoutingLedger
from routellm_llamaindex import RoutingLedgerEventHandler

handler = RoutingLedgerEventHandler(ledger=RoutingLedger(strong_price=Price(2.5, 10), weak_price=Price(0.15, 0.6)))
get_dispatcher().add_event_handler(handler)
...  # run the app; every RoutedLLM call in it is counted once
print(handler.ledger.snapshot().as_dict())
```

Every RoutedLLM emits one `RoutedUsageEvent` per answered call (after a fallback: the model that
answered; a stream: once, when it ends), holding the same numbers it records in its own `ledger`.
The handler records those events, so it counts exactly what the models' own ledgers count.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation.event_handlers import BaseEventHandler

from routellm_core.ledger import RoutingLedger

from .events import RoutedUsageEvent


class RoutingLedgerEventHandler(BaseEventHandler):
    """Records each `RoutedUsageEvent` into `ledger` (a new, unpriced one unless given)."""

    ledger: RoutingLedger = Field(default_factory=RoutingLedger, description="Where calls are counted.")

    @classmethod
    def class_name(cls) -> str:
        return "RoutingLedgerEventHandler"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, RoutedUsageEvent):
            self.ledger.record(event.model, event.input_tokens, event.output_tokens, event.estimated)
