"""The gated-experts router: one expert per training set, each fitted on its own set, mixed by the gate.

Two synthetic sets: chat prompts whose difficulty lies in their words (length is noise), and quiz
items that get harder the longer they are (words are noise). A pooled scorer must trade the two off;
the experts need not.
"""

import sys

import numpy as np
import pandas as pd
import pytest

from routellm_core.checkpoint import load_checkpoint
from routellm_core.data import PromptOutcomes
from routellm_core.routers.gated_experts import GatedExpertsRouter
from routellm_core.training.datasets import TrainingData
from routellm_core.training.pipelines import train_router

from .synthetic_battles import EASY_WORDS, HARD_WORDS, STRONG, WEAK, HashingEmbedder

MODELS = [STRONG, "claude-2.1", "vicuna-33b", WEAK]
QUIZ_WORDS = ["atom", "river", "empire", "verb", "planet", "enzyme"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))


def _table(prompts, scores, source):
    table = pd.DataFrame(scores, columns=MODELS)
    table.insert(0, "prompt_id", [str(i) for i in range(len(prompts))])
    table.insert(1, "prompt", prompts)
    table.insert(2, "source", source)
    table.insert(3, "licence", "MIT")
    return table


def chat_prompts(n, seed):
    rng = np.random.default_rng(seed)
    hard = rng.random(n) < 0.5
    prompts = [" ".join(rng.choice(HARD_WORDS if h else EASY_WORDS, size=4)) + " please" * int(rng.integers(0, 25))
               for h in hard]
    return prompts, hard


def quiz_prompts(n, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 40, size=n)
    return ["quiz: " + " ".join(rng.choice(QUIZ_WORDS, size=k)) + " Answer:" for k in lengths], lengths


def chat_set(n=160, seed=0):
    rng = np.random.default_rng(seed)
    prompts, hard = chat_prompts(n, seed)
    skill = np.array([3.0, 2.0, 1.0, 0.0])
    # hard prompts: every model scores lower, the weaker ones most
    judge = np.clip(np.round(8 - hard[:, None] * (4 - skill) + rng.normal(0, 0.7, (n, 4))), 1, 10)
    return PromptOutcomes(_table(prompts, judge, "chat"), MODELS, "judge", (1.0, 10.0), name="arena_bench")


def quiz_set(n=160, seed=1, flip=False):
    rng = np.random.default_rng(seed)
    prompts, lengths = quiz_prompts(n, seed)
    skill = np.array([3.0, 2.0, 1.0, 0.0])
    effect = -lengths if flip else lengths  # flip: shorter items are the hard ones
    correct = (rng.random((n, 4)) < 1 / (1 + np.exp((effect[:, None] + 8 - 10 * skill) / 4))).astype(float)
    return PromptOutcomes(_table(prompts, correct, "quiz"), MODELS, "correctness", name="quiz")


def data_of(*tables) -> TrainingData:
    outcomes = {t.name: t for t in tables}
    battles = pd.concat([t.to_battles(ties="keep") for t in outcomes.values()], ignore_index=True)
    return TrainingData(outcomes=outcomes, battles=battles)


def train(data, **options):
    embedder = HashingEmbedder()
    options = {"alpha": 1.0, **options}
    router = train_router("gated_experts", data, embedder=embedder, show_progress=False, **options)
    router.set_embedder(embedder)
    return router


def test_each_expert_is_fitted_on_its_own_set_only():
    chat = chat_set()
    router = train(data_of(chat, quiz_set()))
    other = train(data_of(chat, quiz_set(seed=7, flip=True)))  # a different quiz set, the same chat set
    assert router.experts == other.experts == ["arena_bench", "quiz"]
    probe = router.prompt_inputs(chat_prompts(40, 9)[0] + quiz_prompts(40, 9)[0])
    chat_column, quiz_column = (router.expert_scores(probe)[:, i] for i in range(2))
    other_chat, other_quiz = (other.expert_scores(other.prompt_inputs(
        chat_prompts(40, 9)[0] + quiz_prompts(40, 9)[0]))[:, i] for i in range(2))
    # the chat expert does not move when the quiz set changes; the quiz expert does
    np.testing.assert_allclose(chat_column, other_chat, atol=1e-4)
    assert np.corrcoef(quiz_column, other_quiz)[0, 1] < 0
    assert router.card["training_prompts_per_set"] == {"arena_bench": 160, "quiz": 160}


def test_each_expert_learns_its_own_kind_of_difficulty():
    router = train(data_of(chat_set(), quiz_set()))
    chat, hard = chat_prompts(60, 5)
    quiz, lengths = quiz_prompts(60, 6)
    chat_expert, quiz_expert = router.experts.index("arena_bench"), router.experts.index("quiz")
    scores = router.expert_scores(router.prompt_inputs(chat + quiz))
    assert scores[:60, chat_expert][hard].mean() > scores[:60, chat_expert][~hard].mean()
    assert np.corrcoef(scores[60:, quiz_expert], lengths)[0, 1] > 0.8
    # and the routed scores keep both orders
    routed_chat, routed_quiz = router.win_probabilities(chat), router.win_probabilities(quiz)
    assert routed_chat[hard].mean() > routed_chat[~hard].mean()
    assert np.corrcoef(routed_quiz, lengths)[0, 1] > 0.8


def test_the_mixture_follows_the_gate():
    router = train(data_of(chat_set(), quiz_set()), alignment="zscore", gate_temperature=1.0)
    prompts = chat_prompts(30, 11)[0] + quiz_prompts(30, 12)[0]
    inputs = router.prompt_inputs(prompts)
    gate = router.gate_probabilities(inputs)
    np.testing.assert_allclose(gate.sum(axis=1), 1.0)
    assert (gate > 0).all() and (gate < 1).all()  # a soft mixture, not a switch
    assert gate[:30, router.experts.index("arena_bench")].mean() > 0.8
    assert gate[30:, router.experts.index("quiz")].mean() > 0.8
    aligned = (router.expert_scores(inputs) - router.expert_center_) / router.expert_scale_
    mixture = (gate * aligned).sum(axis=1)
    np.testing.assert_allclose(router.mixture_scores(inputs), mixture, rtol=1e-6, atol=1e-9)
    scale, offset = router.calibration_
    np.testing.assert_allclose(router.win_probabilities(prompts), 1 / (1 + np.exp(-(scale * mixture + offset))),
                               rtol=1e-5)
    # moving the gate moves the score: all weight on one expert gives that expert's aligned score
    router.gate_temperature = 0.0
    hard_gate = router.gate_probabilities(inputs)
    assert set(np.unique(hard_gate)) == {0.0, 1.0}
    np.testing.assert_allclose(router.mixture_scores(inputs), aligned[np.arange(60), hard_gate.argmax(axis=1)])


@pytest.mark.parametrize("alignment", ["none", "zscore", "quantile"])
def test_checkpoint_round_trip_and_one_scoring_path(tmp_path, alignment):
    router = train(data_of(chat_set(), quiz_set()), alignment=alignment, expert_inputs={"quiz": "length"},
                   length_priors={"quiz": 1.0})
    prompts = chat_prompts(10, 3)[0] + quiz_prompts(10, 4)[0]
    scores = router.win_probabilities(prompts)
    assert np.isfinite(scores).all() and scores.std() > 0
    singles = np.array([router.win_probability(p) for p in prompts])
    assert np.array_equal(scores, singles)  # bit for bit, alone or in a list
    router.save(tmp_path / "ge")
    loaded = load_checkpoint(tmp_path / "ge")
    assert isinstance(loaded, GatedExpertsRouter)
    assert loaded.get_params() == router.get_params()
    loaded.set_embedder(HashingEmbedder())
    assert np.array_equal(loaded.win_probabilities(prompts), scores)


def test_expert_inputs_restrict_what_an_expert_reads():
    router = train(data_of(chat_set(), quiz_set()), expert_inputs={"quiz": "length"})
    quiz_row = router.expert_coef_[router.experts.index("quiz")]
    assert np.count_nonzero(quiz_row) == 1 and quiz_row[router.length_column] != 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="alignment"):
        GatedExpertsRouter(["a", "b"], alignment="rank")
    with pytest.raises(ValueError, match="gate_temperature"):
        GatedExpertsRouter(["a", "b"], gate_temperature=-1.0)
    with pytest.raises(ValueError, match="distinct"):
        GatedExpertsRouter(["a", "a"])
    with pytest.raises(ValueError, match="expert inputs"):
        train(data_of(chat_set(), quiz_set()), expert_inputs={"quiz": "everything"})
    with pytest.raises(ValueError, match="unknown gated_experts option"):
        train(data_of(chat_set(), quiz_set()), colour="blue")


def test_the_design_scan_reproduces_the_trainers_cross_validation(monkeypatch):
    """`expert_design` combines per-fold predictions; its figures must be the real trainer's, calibration included."""
    from routellm_core.training import expert_design
    from routellm_core.training.design_selection import Yardstick, design_report, yardstick_benchmark
    from routellm_core.training.pipelines import fit_and_score

    data = data_of(chat_set(), quiz_set())
    sets = ["arena_bench", "quiz"]
    variants = {"arena_bench": expert_design.Variant("all", 1.0), "quiz": expert_design.Variant("length", 1.0, 2.0)}
    monkeypatch.setattr(expert_design, "VARIANTS", {s: [v] for s, v in variants.items()})
    monkeypatch.setattr(expert_design, "GATE_CS", (0.1,))
    embedder = HashingEmbedder()
    prompts = sorted({p for table in data.outcomes.values() for p in table.prompts})
    lookup = dict(zip(prompts, embedder.encode(prompts)))
    yardsticks = [Yardstick("chat", "arena_bench", STRONG, WEAK), Yardstick("quiz", "quiz", STRONG, WEAK)]
    benchmarks = {y.name: yardstick_benchmark(data, y) for y in yardsticks}
    predictions = expert_design.fold_predictions(data, lookup, seed=1, sets=sets)
    for alignment, folds, temperature in [("none", 0, 0.5), ("zscore", 5, 1.0), ("quantile", 5, 2.0)]:
        design = expert_design.Design(tuple(variants.items()), alignment, folds, 0.1, temperature)
        scan = expert_design.judge(dict(zip(predictions.prompts, expert_design.mixture(predictions, design, sets))),
                                   benchmarks)
        options = {k: v for k, v in design.options().items() if k != "length_priors" or v}
        real = design_report(fit_and_score("gated_experts", embedder=embedder, **options), data, yardsticks, seed=1)
        assert scan == pytest.approx({name: result.apgr for name, result in real.items()}, abs=1e-9)
