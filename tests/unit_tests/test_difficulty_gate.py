"""The difficulty router's source gate: a length prior that applies where a prompt resembles its set.

Two synthetic sets: chat prompts whose difficulty lies in their words (their length is noise), and
quiz items that get harder the longer they are. A router with a length prior for the quiz set only
must lean on length for quiz-like prompts and leave chat prompts ranked as without the prior.
"""

import numpy as np
import pandas as pd
import pytest

from routellm_core import load_router
from routellm_core.data import PromptOutcomes
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
    hard = np.arange(n) % 2 == 1
    prompts = [" ".join(rng.choice(HARD_WORDS if h else EASY_WORDS, size=4)) + " please" * int(rng.integers(0, 25))
               for h in hard]
    return prompts, hard


def quiz_prompts(n, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 40, size=n)
    return ["quiz: " + " ".join(rng.choice(QUIZ_WORDS, size=k)) + " Answer:" for k in lengths], lengths


def two_sets(n=160, seed=0) -> TrainingData:
    rng = np.random.default_rng(seed)
    chat, hard = chat_prompts(n, seed)
    skill = np.array([3.0, 2.0, 1.0, 0.0])
    judge = np.clip(np.round(6 + np.where(hard[:, None], skill - 1.5, 0.0) * 1.2 + rng.normal(0, 0.7, (n, 4))), 1, 10)
    quiz, lengths = quiz_prompts(n, seed + 1)
    # Longer quiz items defeat the weaker models first.
    correct = (rng.random((n, 4)) < 1 / (1 + np.exp((lengths[:, None] - 8 - 10 * skill) / 4))).astype(float)
    outcomes = {
        "arena_bench": PromptOutcomes(_table(chat, judge, "chat"), MODELS, "judge", (1.0, 10.0), name="arena_bench"),
        "quiz": PromptOutcomes(_table(quiz, correct, "quiz"), MODELS, "correctness", name="quiz"),
    }
    battles = pd.concat([table.to_battles(ties="keep") for table in outcomes.values()], ignore_index=True)
    return TrainingData(outcomes=outcomes, battles=battles)


def train(data, **options):
    embedder = HashingEmbedder()
    router = train_router("difficulty", data, embedder=embedder, show_progress=False, target="field_difficulty",
                          alpha=1.0, **options)
    router.set_embedder(embedder)
    return router


def inputs(router, prompts):
    return router.prompt_inputs(prompts)


def test_the_gate_recognises_which_set_a_new_prompt_resembles():
    router = train(two_sets(), source_length_priors={"quiz": 3.0, "arena_bench": 0.0})
    assert router.gate_sources == ["arena_bench", "quiz"]
    chat, _ = chat_prompts(40, seed=7)
    quiz, _ = quiz_prompts(40, seed=8)
    assert router.source_probabilities(inputs(router, chat))[:, 0].mean() > 0.9
    assert router.source_probabilities(inputs(router, quiz))[:, 1].mean() > 0.9
    np.testing.assert_allclose(router.source_probabilities(inputs(router, chat + quiz)).sum(axis=1), 1.0)


def test_the_length_prior_applies_where_the_gate_points():
    data = two_sets()
    plain = train(data)
    gated = train(data, source_length_priors={"quiz": 3.0, "arena_bench": 0.0})
    chat, _ = chat_prompts(60, seed=3)
    quiz, lengths = quiz_prompts(60, seed=4)
    # The ridge part is shared; the gate only adds the prior.
    np.testing.assert_allclose(gated.coef_, plain.coef_)
    added_quiz = gated.linear_scores(inputs(gated, quiz)) - plain.linear_scores(inputs(plain, quiz))
    added_chat = gated.linear_scores(inputs(gated, chat)) - plain.linear_scores(inputs(plain, chat))
    assert np.corrcoef(added_quiz, np.log(lengths))[0, 1] > 0.95
    assert added_chat.std() < 0.1 * added_quiz.std()
    # Chat prompts keep their order; quiz prompts follow length more closely than before.
    chat_plain, chat_gated = plain.win_probabilities(chat), gated.win_probabilities(chat)
    assert np.corrcoef(np.argsort(np.argsort(chat_plain)), np.argsort(np.argsort(chat_gated)))[0, 1] > 0.98
    quiz_plain, quiz_gated = plain.win_probabilities(quiz), gated.win_probabilities(quiz)
    assert np.corrcoef(quiz_gated, lengths)[0, 1] > np.corrcoef(quiz_plain, lengths)[0, 1]


def test_a_gated_router_round_trips_through_its_checkpoint(tmp_path):
    router = train(two_sets(), source_length_priors={"quiz": 2.0})
    prompts = chat_prompts(10, seed=5)[0] + quiz_prompts(10, seed=6)[0]
    router.save(tmp_path / "gated")
    loaded = load_router(tmp_path / "gated")
    loaded.set_embedder(HashingEmbedder())
    assert loaded.gate_sources == ["arena_bench", "quiz"]
    np.testing.assert_allclose(loaded.win_probabilities(prompts), router.win_probabilities(prompts), rtol=1e-5)
    assert router.card["hyper_parameters"]["source_length_priors"] == {"quiz": 2.0}


def test_one_set_needs_no_gate_and_gets_its_own_prior():
    data = two_sets()
    quiz_only = TrainingData(outcomes={"quiz": data.outcomes["quiz"]},
                             battles=data.battles[data.battles["prompt"].str.startswith("quiz:")])
    gated = train(quiz_only, source_length_priors={"quiz": 2.0})
    uniform = train(quiz_only, length_prior=2.0)
    assert gated.gate_sources == []
    np.testing.assert_allclose(gated.coef_, uniform.coef_)


def test_a_gate_needs_the_length_feature():
    with pytest.raises(ValueError, match="use_features"):
        train(two_sets(), use_features=False, source_length_priors={"quiz": 2.0})
