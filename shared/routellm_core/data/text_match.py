"""Text matching for decontamination: normalised text, shared long word spans, shared long prefixes.

The same question often appears with other formatting (options on one line or several, "Q:" in
front, extra spaces, other quotes), so exact string comparison misses most overlaps. Text is
normalised (Unicode NFKC, lower case, punctuation dropped, whitespace collapsed) and then compared as
a whole, by any shared run of ``span_words`` consecutive words (13, as in GPT-3's contamination
study), and by a shared long prefix: the same first ``prefix_chars`` characters, or one text being
the start of the other (a question without its answer options) when that start is at least
``min_prefix_chars`` long.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Lower-case words separated by single spaces: punctuation, case and whitespace do not matter."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return _NON_WORD.sub(" ", text).strip()


def word_spans(normalised: str, span_words: int) -> Iterator[str]:
    """Every run of `span_words` consecutive words of an already normalised text."""
    words = normalised.split(" ")
    for start in range(len(words) - span_words + 1):
        yield " ".join(words[start:start + span_words])


def common_prefix_length(first: str, second: str) -> int:
    limit = min(len(first), len(second))
    for i in range(limit):
        if first[i] != second[i]:
            return i
    return limit


@dataclass
class TextIndex:
    """Evaluation prompts indexed for the three text rules; each hit names the evaluation prompt and set.

    - ``exact``: normalised text -> entry;
    - ``spans``: hash of every ``span_words``-word run -> entry (hashes keep ~1M spans small);
    - ``sorted_texts``: the normalised texts in order, so the longest shared prefix with any of them
      is found by bisection (it lies with a neighbour of the insertion point).

    An entry is ``(evaluation set, original evaluation prompt)``.
    """

    span_words: int = 13
    prefix_chars: int = 60
    min_prefix_chars: int = 25
    entries: list[tuple[str, str]] = field(default_factory=list)
    exact: dict[str, int] = field(default_factory=dict)
    spans: dict[int, int] = field(default_factory=dict)
    sorted_texts: list[str] = field(default_factory=list)

    def add(self, prompts: Iterable[str], set_name: str) -> None:
        for prompt in prompts:
            norm = normalise_text(prompt)
            if not norm or norm in self.exact:
                continue
            entry = len(self.entries)
            self.entries.append((set_name, str(prompt)))
            self.exact[norm] = entry
            for span in word_spans(norm, self.span_words):
                self.spans.setdefault(hash(span), entry)
        self.sorted_texts = sorted(self.exact)

    def _prefix_hit(self, norm: str) -> int | None:
        position = bisect.bisect_left(self.sorted_texts, norm)
        for neighbour in self.sorted_texts[max(0, position - 1): position + 1]:
            shared = common_prefix_length(norm, neighbour)
            whole = shared == min(len(norm), len(neighbour)) and shared >= self.min_prefix_chars
            if shared >= self.prefix_chars or whole:
                return self.exact[neighbour]
        return None

    def match(self, prompt: str) -> tuple[str, str, str] | None:
        """``(rule, evaluation set, evaluation prompt)`` of the first rule matching `prompt`, or None.

        Rules in order: ``"exact"`` (same normalised text), ``"span"`` (a shared run of
        ``span_words`` words), ``"prefix"`` (the same first ``prefix_chars`` characters, or one text
        starting with the whole other, at least ``min_prefix_chars`` long).
        """
        norm = normalise_text(prompt)
        if not norm:
            return None
        entry = self.exact.get(norm)
        if entry is not None:
            return ("exact", *self.entries[entry])
        for span in word_spans(norm, self.span_words):
            entry = self.spans.get(hash(span))
            if entry is not None:
                return ("span", *self.entries[entry])
        entry = self._prefix_hit(norm)
        if entry is not None:
            return ("prefix", *self.entries[entry])
        return None
