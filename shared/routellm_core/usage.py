"""Token usage of one routed call, as the provider reported it or, failing that, estimated.

Both adapters follow one rule: when the answering model reports its token counts, those are used;
when it reports none (fake and many local models), the call is counted with an estimate —
approximate tokens (words and punctuation marks) of the text sent and the text received — and
flagged `estimated`, so a cost budget still sees spend instead of silently seeing zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from .conversation import approx_token_count


@dataclass(frozen=True)
class Usage:
    """Tokens in and out of one call; `estimated` when the provider reported none."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False


def estimated_usage(sent_text: str, received_text: str) -> Usage:
    """The estimate for a call whose provider reported no usage."""
    return Usage(approx_token_count(sent_text), approx_token_count(received_text), estimated=True)
