"""Cheap prompt features the paper's routers ignore: length, structure and task type.

Each is a number computed from the text alone in microseconds. They complement a sentence
embedding, which is normalised (so it forgets length) and blurs structure such as answer options,
code or arithmetic.
"""

from __future__ import annotations

import re

import numpy as np

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_OPTION_LINE = re.compile(r"^\s*\(?[A-Ja-j][.):]\s+\S", re.MULTILINE)
_CODE = re.compile(r"```|\bdef |\bclass |\bimport |#include|\bfunction\b|;\s*$|\{\s*$|=>|\breturn\b", re.MULTILINE)
_MATH = re.compile(r"[=+\-*/^<>%]|\\frac|\\sqrt|\$")
_WORD = re.compile(r"\w+")

#: Names of the columns `prompt_features` returns, in order.
FEATURE_NAMES = (
    "log_chars",
    "log_words",
    "log_lines",
    "log_numbers",
    "digit_share",
    "math_symbol_share",
    "option_lines",
    "is_multiple_choice",
    "code_markers",
    "question_marks",
    "mean_word_length",
    "upper_share",
)


def prompt_features(texts: list[str]) -> np.ndarray:
    """One row of `FEATURE_NAMES` per text (float64)."""
    rows = np.empty((len(texts), len(FEATURE_NAMES)), dtype=np.float64)
    for i, text in enumerate(texts):
        chars = max(len(text), 1)
        words = _WORD.findall(text)
        options = len(_OPTION_LINE.findall(text))
        rows[i] = (
            np.log1p(len(text)),
            np.log1p(len(words)),
            np.log1p(text.count("\n") + 1),
            np.log1p(len(_NUMBER.findall(text))),
            sum(c.isdigit() for c in text) / chars,
            len(_MATH.findall(text)) / chars,
            np.log1p(options),
            float(options >= 3),
            np.log1p(len(_CODE.findall(text))),
            np.log1p(text.count("?")),
            np.mean([len(w) for w in words]) if words else 0.0,
            sum(c.isupper() for c in text) / chars,
        )
    return rows
