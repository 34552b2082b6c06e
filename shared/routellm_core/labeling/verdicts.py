"""Pairwise verdicts: the five-level scale, parsing a judge's reply, and combining both answer orders.

A judge sees the prompt and two answers, A and B, and says which is better on five levels:
``A>>B`` (A much better), ``A>B``, ``A=B``, ``B>A``, ``B>>A``. Judges favour a position, so every pair is
judged twice, once in each order, and the two verdicts are combined. As in Arena-Hard's scoring, a
strong verdict counts three times a plain one; the combined figure is the share of those counts that
model A wins (a tie counts half), in [0, 1].
"""

from __future__ import annotations

import re

VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")

#: Each verdict as (winner, count): who it favours and how many times it counts.
_WEIGHTS = {"A>>B": ("a", 3), "A>B": ("a", 1), "A=B": ("tie", 1), "B>A": ("b", 1), "B>>A": ("b", 3)}
#: Other spellings judges write, mapped onto the five levels.
_ALIASES = {"B<<A": "A>>B", "B<A": "A>B", "B=A": "A=B", "A<B": "B>A", "A<<B": "B>>A"}
_TOKEN = re.compile(r"(A\s*>>\s*B|A\s*<<\s*B|B\s*>>\s*A|B\s*<<\s*A|A\s*>\s*B|A\s*<\s*B|B\s*>\s*A|B\s*<\s*A|A\s*=\s*B|B\s*=\s*A)")
_BRACKETED = re.compile(r"\[\[\s*" + _TOKEN.pattern + r"\s*\]\]")

DEFAULT_JUDGE_PROMPT = """You are comparing two answers to the same user request.

Read the request, then answer A and answer B. Decide which answer serves the user better: is it
correct, does it do what was asked, is it complete without padding, is it clear? Length alone is no
merit. Think it through briefly, then end with exactly one verdict in double square brackets:

[[A>>B]] A is much better
[[A>B]]  A is better
[[A=B]]  they are about as good
[[B>A]]  B is better
[[B>>A]] B is much better

## Request
{prompt}

## Answer A
{answer_a}

## Answer B
{answer_b}
"""


def _canonical(token: str) -> str:
    token = re.sub(r"\s+", "", token)
    return _ALIASES.get(token, token)


def parse_verdict(reply) -> str | None:
    """The five-level verdict in a judge's reply (the last bracketed one, else the last bare one), or None."""
    if not isinstance(reply, str):
        return None
    found = _BRACKETED.findall(reply) or _TOKEN.findall(reply)
    if not found:
        return None
    verdict = _canonical(found[-1])
    return verdict if verdict in _WEIGHTS else None


def swap(verdict: str) -> str:
    """The same verdict seen from the other side (A and B exchanged)."""
    return {"A>>B": "B>>A", "A>B": "B>A", "A=B": "A=B", "B>A": "A>B", "B>>A": "A>>B"}[verdict]


def combine(verdicts: list[str | None]) -> tuple[str, float] | None:
    """(winner, share of A) from verdicts all stated with model A as ``A`` (unparsed ones skipped).

    None when no verdict parsed. The winner is the side with the larger share ("tie" at one half).
    """
    counts = {"a": 0.0, "b": 0.0, "tie": 0.0}
    for verdict in verdicts:
        if verdict is None:
            continue
        side, count = _WEIGHTS[verdict]
        counts[side] += count
    total = sum(counts.values())
    if total == 0:
        return None
    share = (counts["a"] + 0.5 * counts["tie"]) / total
    winner = "a" if share > 0.5 else "b" if share < 0.5 else "tie"
    return winner, share


def golden(correct_a: bool, correct_b: bool) -> tuple[str, float]:
    """(winner, share of A) from golden labels: the right answer beats the wrong one, else a tie."""
    if bool(correct_a) == bool(correct_b):
        return "tie", 0.5
    return ("a", 1.0) if correct_a else ("b", 0.0)


__all__ = ["DEFAULT_JUDGE_PROMPT", "VERDICTS", "combine", "golden", "parse_verdict", "swap"]
