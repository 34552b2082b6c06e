"""Replay models and a replay judge for Arena-Hard v0.1: a user's traffic, labelled offline.

`gpt4` and `gpt35` return the answers gpt-4-0314 and gpt-3.5-turbo-0125 gave to each Arena-Hard
prompt; `judge` returns the verdict gpt-4-1106-preview recorded for that pair, in the order asked
(the data holds both orders: a strong verdict is three identical rows, a plain one or a tie one row).
Use them as `module:attribute` objects with `routellm label` (run from the repository root):

    routellm label prompts.jsonl --model gpt-4-0314=examples.replay_arena_hard:gpt4 \\
        --model gpt-3.5-turbo-0125=examples.replay_arena_hard:gpt35 \\
        --judge examples.replay_arena_hard:judge --out battles.jsonl

The data is read by path from the data folder beside the checkout (`default_data_root()`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

STRONG, WEAK = "gpt-4-0314", "gpt-3.5-turbo-0125"


def folder() -> Path:
    from routellm_core.data import default_data_root

    return Path(default_data_root()) / "arena_hard_v01"


def _rows(name: str) -> list[dict]:
    with (folder() / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@lru_cache(maxsize=None)
def questions() -> dict[str, str]:
    """uid -> prompt for the 500 prompts."""
    return {row["uid"]: row["prompt"] for row in _rows("question.jsonl")}


@lru_cache(maxsize=None)
def answers(model: str) -> dict[str, str]:
    """prompt -> the model's recorded answer."""
    prompts = questions()
    out = {}
    for row in _rows(f"{model}.jsonl"):
        content = row["messages"][-1]["content"]
        out[prompts[row["uid"]]] = content["answer"] if isinstance(content, dict) else str(content)
    return out


def _games(winners: list[str]) -> list[str]:
    """Split a question's rows (model_a/model_b/tie, in file order) into games of 1 or 3 rows, as verdicts."""
    games, i = [], 0
    while i < len(winners):
        w = winners[i]
        strong = winners[i:i + 3] == [w] * 3 and w != "tie" and len(winners) - i - 3 != 2  # leave a whole game
        size = 3 if strong else 1
        level = {"model_a": "A>B", "model_b": "B>A", "tie": "A=B"}[w]
        games.append(level.replace(">", ">>") if size == 3 else level)
        i += size
    return games


@lru_cache(maxsize=None)
def recorded_verdicts(model_b: str = WEAK) -> dict[str, list[str]]:
    """prompt -> the judge's verdicts with gpt-4-0314 as A (game 1: gpt-4-0314 shown first; game 2: second)."""
    prompts = questions()
    by_uid: dict[str, list[str]] = {}
    for row in _rows("battles_vs_gpt-4-0314.jsonl"):
        if row["model_b"] == model_b:
            by_uid.setdefault(row["question_id"], []).append(row["winner"])
    return {prompts[uid]: _games(winners) for uid, winners in by_uid.items() if uid in prompts}


@lru_cache(maxsize=None)
def strong_share(model_b: str = WEAK) -> dict[str, float]:
    """prompt -> share of the recorded verdict rows gpt-4-0314 wins (ties count half): the strong quality."""
    prompts = questions()
    counts: dict[str, list[float]] = {}
    for row in _rows("battles_vs_gpt-4-0314.jsonl"):
        if row["model_b"] == model_b:
            counts.setdefault(prompts[row["question_id"]], []).append(
                {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[row["winner"]])
    return {prompt: sum(v) / len(v) for prompt, v in counts.items()}


def gpt4(prompt: str) -> str:
    return answers(STRONG)[prompt]


def gpt35(prompt: str) -> str:
    return answers(WEAK)[prompt]


def _swap(verdict: str) -> str:
    return {"A>>B": "B>>A", "A>B": "B>A", "A=B": "A=B", "B>A": "A>B", "B>>A": "A>>B"}[verdict]


def judge(prompt: str, answer_a: str, answer_b: str) -> str:
    """The recorded verdict for this order; no verdict (garbage) where the data lacks that game."""
    games = recorded_verdicts().get(prompt, [])
    strong_first = answer_a == answers(STRONG).get(prompt)
    game = 0 if strong_first else 1
    if game >= len(games):
        return "no verdict recorded"
    verdict = games[game]
    return f"[[{verdict if strong_first else _swap(verdict)}]]"
