"""A small per-model outcome table where the right routing is known, in RouterBench's layout.

Prompts about code (words like python, function, compile) are solved by the `coder` model only;
every other prompt by the `chatter` model only; the `tiny` model solves a third of the chat prompts.
Prices: coder $0.010, chatter $0.002, tiny $0.001 per call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CODE_WORDS = ["python", "function", "compile", "recursion", "loop", "variable", "debug", "syntax"]
CHAT_WORDS = ["hello", "weather", "holiday", "recipe", "garden", "music", "movie", "travel"]
MODELS = ["org/coder", "chatter", "tiny"]
PRICES = {"org/coder": 0.010, "chatter": 0.002, "tiny": 0.001}


def make_prompts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    prompts, code = [], []
    for i in range(n):
        is_code = bool(i % 2)
        words = rng.choice(CODE_WORDS if is_code else CHAT_WORDS, size=5)
        prompts.append(" ".join(words) + f" {i}")
        code.append(is_code)
    return prompts, np.array(code)


def make_table(n: int = 120, seed: int = 0, list_literal: bool = True) -> pd.DataFrame:
    """The table as RouterBench stores it (prompts as list literals, `|total_cost` and `|model_response`)."""
    prompts, code = make_prompts(n, seed)
    frame = pd.DataFrame({
        "sample_id": [f"synthetic.{i}" for i in range(n)],
        "prompt": [repr([p]) if list_literal else p for p in prompts],
        "eval_name": "synthetic",
    })
    frame["org/coder"] = code.astype(float)
    frame["chatter"] = (~code).astype(float)
    frame["tiny"] = ((~code) & (np.arange(n) % 3 == 0)).astype(float)
    for model, usd in PRICES.items():
        frame[f"{model}|model_response"] = "..."
        frame[f"{model}|total_cost"] = usd
    frame["oracle_model_to_route_to"] = np.where(code, "org/coder", "chatter")
    return frame
