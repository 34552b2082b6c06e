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

For a RoutedLLM among N models (`models=[...]`) the events name each model by its name: give the
handler a ledger that counts those models, cheapest first,
`RoutingLedger(prices={"mini": Price(0.15, 0.6), "large": Price(2.5, 10)})`. An event for a model
the ledger does not count is skipped, with a warning logged once per model.
"""

from __future__ import annotations

import logging
from typing import Any

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.instrumentation.event_handlers import BaseEventHandler

from routellm_core.ledger import RoutingLedger

from .events import RoutedUsageEvent

logger = logging.getLogger("routellm")


class RoutingLedgerEventHandler(BaseEventHandler):
    """Records each `RoutedUsageEvent` into `ledger` (a new, unpriced one unless given)."""

    ledger: RoutingLedger = Field(default_factory=RoutingLedger, description="Where calls are counted.")
    _skipped: set = PrivateAttr(default_factory=set)

    @classmethod
    def class_name(cls) -> str:
        return "RoutingLedgerEventHandler"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if not isinstance(event, RoutedUsageEvent):
            return
        if event.model not in self.ledger.models:
            # the dispatcher swallows a handler's exceptions: say once why these calls go uncounted
            if event.model not in self._skipped:
                self._skipped.add(event.model)
                logger.warning(
                    "routellm: RoutingLedgerEventHandler skips calls answered by %r: its ledger counts only %s "
                    "(for N models give it RoutingLedger(prices={name: Price(...), ...}), cheapest first)",
                    event.model, ", ".join(map(repr, self.ledger.models)),
                )
            return
        self.ledger.record(event.model, event.input_tokens, event.output_tokens, event.estimated)
