"""One entry point per router kind: training data in, fitted router out.

`train_router(kind, data, **options)` is what `routellm train` and the cross-validation call, so the
router the command ships is exactly the one the yardsticks measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..router import Router
from .battles import BattleSet
from .datasets import TrainingData
from .embeddings import embed_prompts

TRAINABLE_KINDS = ("mf", "sw_ranking", "bert", "causal_llm", "difficulty")


def _split_options(config_cls, options: dict) -> tuple[object, dict]:
    names = {f.name for f in fields(config_cls)}
    config = config_cls(**{k: v for k, v in options.items() if k in names})
    return config, {k: v for k, v in options.items() if k not in names}


def battle_set(data: TrainingData, balance: str = "equal") -> BattleSet:
    """The battles as index arrays; `balance="equal"` gives every source the same total weight."""
    if data.battles is None or len(data.battles) == 0:
        raise ValueError("no battles to train on: load at least one labelled training set")
    weight_column = "weight" if "weight" in data.battles.columns else None
    battles = BattleSet.from_frame(data.battles, weight_column=weight_column)
    if balance == "equal":
        battles = battles.with_source_balance()
    elif balance != "none":
        raise ValueError(f"balance must be 'equal' or 'none', got {balance!r}")
    return battles


def _train_mf(data: TrainingData, embedder=None, show_progress=True, balance="equal", **options):
    from .mf import MFConfig, train_mf

    config, rest = _split_options(MFConfig, options)
    if rest:
        raise ValueError(f"unknown MF option(s) {sorted(rest)}")
    battles = battle_set(data, balance)
    embeddings = embed_prompts(battles.prompts, embedder, progress=show_progress, description="embedding battles")
    router = train_mf(battles, embeddings, config, show_progress=show_progress)
    router.card["battles"] = battles.summary()
    return router


def _train_sw(data: TrainingData, embedder=None, show_progress=True, balance="equal", gamma=10.0, ridge=1.0, **rest):
    from ..routers.sw_ranking import SWRankingRouter

    if rest:
        raise ValueError(f"unknown SW ranking option(s) {sorted(rest)}")
    battles = battle_set(data, balance)
    embeddings = embed_prompts(battles.prompts, embedder, progress=show_progress, description="embedding battles")
    router = SWRankingRouter(battles.models, embedding_dim=embeddings.shape[1], gamma=gamma, ridge=ridge)
    router.set_battles(embeddings, battles.prompt_index, battles.model_a, battles.model_b, battles.target,
                       battles.weight)
    router.card["battles"] = battles.summary()
    return router


def train_router(
    kind: str,
    data: TrainingData,
    strong: str = PAPER_STRONG_MODEL,
    weak: str = PAPER_WEAK_MODEL,
    embedder=None,
    show_progress: bool = True,
    **options,
) -> Router:
    """Train a router of `kind` on `data`; `options` are the kind's hyper-parameters."""
    trainers: dict[str, Callable] = {
        "mf": _train_mf,
        "sw_ranking": _train_sw,
        "bert": _train_bert,
        "causal_llm": _train_causal_llm,
        "difficulty": _train_difficulty,
    }
    if kind not in trainers:
        raise ValueError(f"unknown router kind {kind!r} to train; choose one of {', '.join(TRAINABLE_KINDS)}")
    router = trainers[kind](data, embedder=embedder, show_progress=show_progress, **options)
    router.strong_model, router.weak_model = strong, weak
    router.card = {"training_data": data.card(), **router.card}
    return router


def fit_and_score(kind: str, embedder=None, **options) -> Callable[[TrainingData, list[str]], np.ndarray]:
    """A `cross_validate` callback: train `kind` on the fold's data, score the held-out prompts."""

    def run(train: TrainingData, held_out: list[str]) -> np.ndarray:
        router = train_router(kind, train, embedder=embedder, show_progress=False, **options)
        if hasattr(router, "score_with_embeddings"):
            return router.score_with_embeddings(held_out, embed_prompts(held_out, embedder, progress=False))
        return router.win_probabilities(held_out)

    return run
