"""One entry point per router kind: training data in, fitted router out.

`train_router(kind, data, **options)` is what `routellm train` and the cross-validation call, so the
router the command ships is exactly the one the yardsticks measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

import numpy as np

from ..data import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL
from ..embedding import Embedder
from ..router import Router
from .battles import BattleSet
from .datasets import TrainingData

TRAINABLE_KINDS = ("mf", "sw_ranking", "bert", "causal_llm", "difficulty", "gated_experts")


def _split_options(config_cls, options: dict) -> tuple[object, dict]:
    names = {f.name for f in fields(config_cls)}
    config = config_cls(**{k: v for k, v in options.items() if k in names})
    return config, {k: v for k, v in options.items() if k not in names}


def battle_set(data: TrainingData, balance: str = "equal", max_per_source: int | None = None, seed: int = 0) -> BattleSet:
    """The battles as index arrays; `balance="equal"` gives every source the same total weight.

    `max_per_source` keeps a seeded sample of at most that many battles per source: MMLU-Pro alone
    yields ~720k golden-label battles, and once sources are balanced each carries little weight.
    """
    if data.battles is None or len(data.battles) == 0:
        raise ValueError("no battles to train on: load at least one labelled training set")
    frame = data.battles
    if max_per_source is not None:
        frame = frame.groupby("source", group_keys=False, sort=False).apply(
            lambda part: part.sample(n=min(len(part), max_per_source), random_state=seed))
    weight_column = "weight" if "weight" in frame.columns else None
    battles = BattleSet.from_frame(frame, weight_column=weight_column)
    if balance == "equal":
        battles = battles.with_source_balance()
    elif balance != "none":
        raise ValueError(f"balance must be 'equal' or 'none', got {balance!r}")
    return battles


def _train_mf(data: TrainingData, embedder=None, show_progress=True, balance="equal", max_per_source=200_000,
              **options):
    from .mf import MFConfig, train_mf

    config, rest = _split_options(MFConfig, options)
    if rest:
        raise ValueError(f"unknown MF option(s) {sorted(rest)}")
    battles = battle_set(data, balance, max_per_source, config.seed)
    embeddings = data.embed(battles.prompts, embedder, progress=show_progress)
    router = train_mf(battles, embeddings, config, show_progress=show_progress)
    router.card["battles"] = battles.summary()
    return router


def _train_sw(data: TrainingData, embedder=None, show_progress=True, balance="equal", gamma=10.0, ridge=1.0,
              max_per_source=None, **rest):
    from ..routers.sw_ranking import SWRankingRouter

    if rest:
        raise ValueError(f"unknown SW ranking option(s) {sorted(rest)}")
    battles = battle_set(data, balance, max_per_source)
    embeddings = data.embed(battles.prompts, embedder, progress=show_progress)
    router = SWRankingRouter(battles.models, embedding_dim=embeddings.shape[1], gamma=gamma, ridge=ridge)
    router.set_battles(embeddings, battles.prompt_index, battles.model_a, battles.model_b, battles.target,
                       battles.weight)
    router.card["battles"] = battles.summary()
    return router


def _classifier_data(data: TrainingData, target: str, seed: int):
    from .targets import pooled_targets

    table = pooled_targets(data, target)
    weights = 1.0 / table["set"].map(table["set"].value_counts()).to_numpy(dtype=np.float64)  # sets weigh alike
    # Within-set percentiles: one scale for judge scores and correctness, as for the difficulty router.
    return table["prompt"].tolist(), table["rank"].to_numpy(dtype=np.float64), weights * len(table)


def _train_bert(data: TrainingData, embedder=None, show_progress=True, target="tier_win_rate",
                base_model=None, max_length=128, **options):
    from ..routers.bert import BertClassifierRouter
    from .classifier import ClassifierConfig, fine_tune

    config, rest = _split_options(ClassifierConfig, options)
    if rest:
        raise ValueError(f"unknown BERT option(s) {sorted(rest)}")
    router = BertClassifierRouter(**({"base_model": base_model} if base_model else {}), max_length=max_length)
    router.build_model(pretrained=True)
    prompts, targets, weights = _classifier_data(data, target, config.seed)
    fine_tune(router, prompts, targets, weights, config, show_progress=show_progress)
    router.card["target"] = target
    return router


def _train_causal_llm(data: TrainingData, embedder=None, show_progress=True, target="tier_win_rate",
                      base_model=None, trained_layers=2, max_length=128, **options):
    from ..routers.causal_llm import CausalLLMRouter
    from .classifier import ClassifierConfig, fine_tune

    options = {"max_prompts": 2000, "epochs": 1, "lr": 1e-4, "batch_size": 8, **options}
    config, rest = _split_options(ClassifierConfig, options)
    if rest:
        raise ValueError(f"unknown causal-LLM option(s) {sorted(rest)}")
    router = CausalLLMRouter(**({"base_model": base_model} if base_model else {}), trained_layers=trained_layers,
                             max_length=max_length)
    prompts, targets, weights = _classifier_data(data, target, config.seed)
    fine_tune(router, prompts, targets, weights, config, show_progress=show_progress)
    router.card["target"] = target
    return router


def _train_difficulty(data: TrainingData, embedder=None, show_progress=True, strong=PAPER_STRONG_MODEL,
                      weak=PAPER_WEAK_MODEL, **options):
    from .difficulty import DifficultyConfig, train_difficulty

    config, rest = _split_options(DifficultyConfig, options)
    if rest:
        raise ValueError(f"unknown difficulty option(s) {sorted(rest)}")
    return train_difficulty(data, config, strong, weak, embedder, show_progress)


def _train_gated_experts(data: TrainingData, embedder=None, show_progress=True, strong=PAPER_STRONG_MODEL,
                         weak=PAPER_WEAK_MODEL, embedding_model=None, **options):
    from ..embedding import shared_embedder
    from ..embedding_model2vec import DEFAULT_STATIC_EMBEDDING
    from .gated_experts import GatedExpertsConfig, train_gated_experts

    config, rest = _split_options(GatedExpertsConfig, options)
    if rest:
        raise ValueError(f"unknown gated_experts option(s) {sorted(rest)}")
    if embedder is None:  # the shipped static embedding unless another is named
        embedder = shared_embedder(embedding_model or DEFAULT_STATIC_EMBEDDING)
    name = getattr(embedder, "model_name", None) or embedding_model or DEFAULT_STATIC_EMBEDDING
    return train_gated_experts(data, config, strong, weak, embedder, show_progress, embedding_model=name)


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
        "gated_experts": _train_gated_experts,
    }
    if kind not in trainers:
        raise ValueError(f"unknown router kind {kind!r} to train; choose one of {', '.join(TRAINABLE_KINDS)}")
    if kind in ("difficulty", "gated_experts"):
        options = {"strong": strong, "weak": weak, **options}
    router = trainers[kind](data, embedder=embedder, show_progress=show_progress, **options)
    router.strong_model, router.weak_model = strong, weak
    if isinstance(embedder, Embedder) and hasattr(router, "embedding_model"):
        router.embedding_model = embedder.model_name  # a core embedder loads back by name (e.g. `static:...`)
    router.card = {"training_data": data.card(), **router.card}
    return router


def fit_and_score(kind: str, embedder=None, **options) -> Callable[[TrainingData, list[str]], np.ndarray]:
    """A `cross_validate` callback: train `kind` on the fold's data, score the held-out prompts."""

    def run(train: TrainingData, held_out: list[str]) -> np.ndarray:
        from .embeddings import router_embedder

        router = train_router(kind, train, embedder=embedder, show_progress=False, **options)
        if hasattr(router, "score_with_embeddings"):
            vectors = train.embed(held_out, router_embedder(router, embedder), progress=False)
            return router.score_with_embeddings(held_out, vectors)
        return router.win_probabilities(held_out)

    return run
