"""Training sets by name, so commands and configs can say ``--data arena_bench,llmrouter``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .outcomes import PromptOutcomes
from .public_formats import load_battle_file, load_chatbot_arena, load_gpt4_judge_battles
from .schema import APACHE_2, CC_BY_NC_4, MIT, DataError
from .training_sets import load_alpaca_eval, load_arena_bench, load_arena_hard, load_llmrouter, load_mmlu_pro


@dataclass(frozen=True)
class TrainingSet:
    """A named training set: how to load it and what it holds."""

    name: str
    loader: Callable[..., Any]
    returns: Literal["outcomes", "battles", "prompts"]
    licence: str
    description: str
    ties: Literal["keep", "drop"] = "keep"  # how its outcomes become battles by default
    online: bool = False  # True: read from a file or a hub dataset (``name=PATH``), not the data folder


TRAINING_SETS: dict[str, TrainingSet] = {
    s.name: s for s in (
        TrainingSet("arena_bench", load_arena_bench, "outcomes", APACHE_2,
                    "300 hard Arena prompts, GPT-4 judge scores 1-10 for 15 models", ties="keep"),
        TrainingSet("llmrouter", load_llmrouter, "outcomes", MIT,
                    "6,108 prompts x 9 open models, correctness over 14 tasks", ties="drop"),
        TrainingSet("mmlu_pro", load_mmlu_pro, "outcomes", APACHE_2,
                    "MMLU-Pro questions (non-MMLU origin by default), correctness of 30 models", ties="drop"),
        TrainingSet("alpaca_eval", load_alpaca_eval, "battles", CC_BY_NC_4,
                    "AlpacaEval judged comparisons over 805 instructions (non-commercial)"),
        TrainingSet("arena_hard", load_arena_hard, "prompts", APACHE_2,
                    "500 Arena-Hard prompts without labels (calibration)"),
        TrainingSet("chatbot_arena", load_chatbot_arena, "battles", APACHE_2,
                    "Chatbot Arena 55k human battles (a local file in that format, or the hub when online)",
                    online=True),
        TrainingSet("gpt4_judge_battles", load_gpt4_judge_battles, "battles", APACHE_2,
                    "RouteLLM's GPT-4-judge battles (a local file in that format, or the hub when online)",
                    online=True),
    )
}
_ALIASES = {"arena_bench_v1": "arena_bench", "arena_hard_v01": "arena_hard", "mmlu-pro": "mmlu_pro",
            "lmsys-arena-human-preference-55k": "chatbot_arena", "arena_55k": "chatbot_arena"}


def split_source(name: str) -> tuple[str, str | None]:
    """``"chatbot_arena=train.csv"`` -> ``("chatbot_arena", "train.csv")``; a bare name -> ``(name, None)``."""
    name = str(name).strip()
    if "=" in name:
        base, location = name.split("=", 1)
        return base.strip(), location.strip() or None
    return name, None


def training_set(name: str) -> TrainingSet:
    """The registered set for a name or alias (``name=PATH`` forms give the set of ``name``)."""
    base, _ = split_source(name)
    key = base.lower().replace("-", "_")
    key = _ALIASES.get(base.lower(), _ALIASES.get(key, key))
    if key not in TRAINING_SETS:
        raise DataError(f"unknown training set {name!r}; choose one of {', '.join(TRAINING_SETS)}"
                        " or give a battle file (CSV/JSONL/Parquet)")
    return TRAINING_SETS[key]


def load_training_set(name: str, root: str | Path | None = None, **options):
    """Load a training set by name: a `PromptOutcomes`, a battle DataFrame or a prompt DataFrame.

    ``root`` is the data folder of the local sets. ``chatbot_arena`` and ``gpt4_judge_battles`` read
    from their public hub dataset (online users), or from a local file or folder in that format named
    as ``"chatbot_arena=PATH"`` or with ``path=PATH``. A path to an existing file loads it as a plain
    battle file. Other ``options`` go to the loader.
    """
    if Path(str(name)).is_file():
        return load_battle_file(name, **options)
    spec = training_set(name)
    _, location = split_source(name)
    location = options.pop("path", None) or location
    if spec.online:
        return spec.loader(location, **options) if location is not None else spec.loader(**options)
    if location is not None:
        raise DataError(f"{spec.name} reads the data folder (root=), not a path: {location!r}")
    return spec.loader(root, **options)


def load_training_battles(
    name: str,
    root: str | Path | None = None,
    *,
    models: Iterable[str] | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
    ties: Literal["keep", "drop"] | None = None,
    seed: int | None = 0,
    **options,
) -> pd.DataFrame:
    """A training set as battles, whatever it holds: outcome tables become pairwise battles.

    By default judge scores keep ties (arena_bench: every pair of models per prompt, higher score
    wins, equal scores tie) and correctness drops them (one model right, the other wrong).
    """
    loaded = load_training_set(name, root, **options)
    if isinstance(loaded, PromptOutcomes):
        spec = training_set(name)
        return loaded.to_battles(models=list(models) if models is not None else None, pairs=pairs,
                                 ties=ties or spec.ties, seed=seed)
    if "model_a" not in loaded.columns:
        raise DataError(f"{name!r} holds prompts without labels; it cannot give battles")
    return loaded


def describe_training_sets() -> pd.DataFrame:
    """Name, what it returns, licence and a one-line description of every registered set."""
    return pd.DataFrame([
        {"name": s.name, "returns": s.returns, "licence": s.licence, "description": s.description}
        for s in TRAINING_SETS.values()
    ])
