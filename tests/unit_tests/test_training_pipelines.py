import json

import numpy as np
import pandas as pd
import pytest

from routellm_core import load_router
from routellm_core.data import PromptOutcomes
from routellm_core.training.cross_validation import cross_validate, fold_ids, without_prompts
from routellm_core.training.datasets import TrainingData
from routellm_core.training.pipelines import fit_and_score, train_router
from routellm_core.training.targets import (
    battle_tier_targets,
    field_difficulty,
    model_tiers,
    prompt_targets,
    tier_gain,
    tier_win_rate,
)

from .synthetic_battles import STRONG, WEAK, HashingEmbedder, make_battles, make_prompts

MODELS = [STRONG, "claude-2.1", "vicuna-33b", WEAK]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))


def judge_outcomes(n: int = 120, seed: int = 0, name: str = "arena_bench") -> PromptOutcomes:
    """Judge scores 1-10: on hard prompts the stronger models score much higher; easy prompts tie-ish."""
    rng = np.random.default_rng(seed)
    prompts, hard = make_prompts(n, seed)
    prompts = [f"{p} case{i}" for i, p in enumerate(prompts)]
    skill = np.array([3.0, 2.0, 1.0, 0.0])
    scores = 6 + np.where(hard[:, None], skill - 1.5, 0.0) * 1.2 + rng.normal(0, 0.7, (n, 4))
    table = pd.DataFrame(np.clip(np.round(scores), 1, 10), columns=MODELS)
    table.insert(0, "prompt_id", [str(i) for i in range(n)])
    table.insert(1, "prompt", prompts)
    table.insert(2, "source", "arena_bench_v1")
    table.insert(3, "licence", "Apache-2.0")
    return PromptOutcomes(table, MODELS, "judge", (1.0, 10.0), name=name), hard


@pytest.fixture(scope="module")
def data():
    outcomes, _ = judge_outcomes()
    return TrainingData(outcomes={"arena_bench": outcomes}, battles=outcomes.to_battles(ties="keep"))


def test_tiers_targets_follow_the_scores():
    table = pd.DataFrame({"prompt_id": ["1", "2"], "prompt": ["p", "q"], "source": "s", "licence": "MIT",
                          "a": [1.0, 1.0], "b": [1.0, 0.0], "c": [0.0, 1.0], "d": [0.0, 1.0]})
    outcomes = PromptOutcomes(table, ["a", "b", "c", "d"], "correctness")
    strong, weak = model_tiers(outcomes)
    assert [outcomes.models[i] for i in strong] == ["a", "b"] or [outcomes.models[i] for i in strong] == ["a", "c"]
    np.testing.assert_allclose(field_difficulty(outcomes), [0.5, 0.25])
    gain, rate = tier_gain(outcomes), tier_win_rate(outcomes)
    assert gain[0] == pytest.approx(1.0) and rate[0] == pytest.approx(1.0)
    assert 0 <= rate[1] <= 1 and gain[1] < gain[0]


def test_prompt_targets_rank_within_each_set():
    outcomes, hard = judge_outcomes()
    table = prompt_targets({"arena_bench": outcomes}, "tier_gain")
    assert table["rank"].between(0, 1).all() and len(table) == len(outcomes)
    assert table["target"][hard].mean() > table["target"][~hard].mean()
    with pytest.raises(ValueError, match="unknown target"):
        prompt_targets({"arena_bench": outcomes}, "vibes")


def test_battle_tier_targets_label_cross_tier_battles():
    frame, prompts, hard = make_battles(60, 6)
    table = battle_tier_targets(frame).set_index("prompt")
    hard_prompts = [p for p, h in zip(prompts, hard) if h and p in table.index]
    easy_prompts = [p for p, h in zip(prompts, hard) if not h and p in table.index]
    assert table.loc[hard_prompts, "target"].mean() > table.loc[easy_prompts, "target"].mean() + 0.2


@pytest.mark.parametrize("kind,options", [
    ("mf", {"dim": 8, "epochs": 15, "batch_size": 256, "input_dropout": 0.0}),
    ("sw_ranking", {}),
    ("difficulty", {"alpha": 1.0, "use_rank": False}),
])
def test_each_embedding_router_trains_and_ranks_hard_prompts_higher(data, kind, options, tmp_path):
    embedder = HashingEmbedder()
    router = train_router(kind, data, embedder=embedder, show_progress=False, **options)
    router.set_embedder(embedder)
    prompts, hard = make_prompts(80, seed=11)
    scores = router.win_probabilities(prompts)
    assert scores[hard].mean() > scores[~hard].mean()
    assert router.strong_model == STRONG and "training_data" in router.card
    router.save(tmp_path / kind)
    loaded = load_router(tmp_path / kind)
    loaded.set_embedder(embedder)
    np.testing.assert_allclose(loaded.win_probabilities(prompts), scores, rtol=1e-5)


def test_difficulty_router_calibration_is_monotone_and_centred_on_the_base_rate(data):
    embedder = HashingEmbedder()
    router = train_router("difficulty", data, embedder=embedder, show_progress=False, alpha=1.0)
    assert router.calibration_[0] > 0  # higher predicted gain -> higher P(strong wins)
    prompts = data.outcomes["arena_bench"].prompts
    scores = router.score_with_embeddings(prompts, embedder.encode(prompts))
    pair = data.outcomes["arena_bench"].head_to_head(STRONG, WEAK)
    base_rate = ((pair["strong"] > pair["weak"]) + 0.5 * (pair["strong"] == pair["weak"])).mean()
    assert np.median(scores) == pytest.approx(base_rate, abs=0.05)


def test_unknown_options_and_kinds_are_named(data):
    with pytest.raises(ValueError, match="unknown MF option"):
        train_router("mf", data, embedder=HashingEmbedder(), show_progress=False, wings=2)
    with pytest.raises(ValueError, match="unknown router kind"):
        train_router("oracle", data)


def test_folds_are_balanced_and_seeded():
    ids = fold_ids(23, 5, seed=1)
    assert sorted(np.bincount(ids)) == [4, 4, 5, 5, 5]
    np.testing.assert_array_equal(ids, fold_ids(23, 5, seed=1))
    with pytest.raises(ValueError, match="folds"):
        fold_ids(3, 5)


def test_without_prompts_drops_them_from_outcomes_and_battles(data):
    drop = set(data.outcomes["arena_bench"].prompts[:10])
    smaller = without_prompts(data, "arena_bench", drop)
    assert len(smaller.outcomes["arena_bench"]) == len(data.outcomes["arena_bench"]) - 10
    assert not set(smaller.battles["prompt"]) & drop
    assert len(data.outcomes["arena_bench"]) == 120  # the original is untouched


def test_stored_vectors_serve_only_the_embedder_that_made_them(data):
    prompts = data.outcomes["arena_bench"].prompts[:5]
    stored = {p: np.full(4, 7.0, dtype=np.float32) for p in prompts}
    loaded = TrainingData(outcomes=data.outcomes, embeddings=dict(stored), embeddings_from=HashingEmbedder.model_name)
    np.testing.assert_array_equal(loaded.embed(prompts, HashingEmbedder(dim=4), progress=False), np.full((5, 4), 7.0))

    class OtherModel(HashingEmbedder):
        model_name = "another-model"

    other = loaded.embed(prompts, OtherModel(dim=4), progress=False)
    np.testing.assert_allclose(other, OtherModel(dim=4).encode(prompts))  # its own vectors, not the stored ones
    assert loaded.embeddings.keys() == stored.keys() and all((v == 7.0).all() for v in loaded.embeddings.values())
    # A fold's copy keeps knowing whose vectors it holds.
    fold = without_prompts(loaded, "arena_bench", {prompts[0]})
    assert fold.embeddings_from == HashingEmbedder.model_name


def test_cross_validation_never_trains_on_the_held_out_fold(data):
    seen = []

    def spy(train, held_out):
        assert not set(train.outcomes["arena_bench"].prompts) & set(held_out)
        assert not set(train.battles["prompt"]) & set(held_out)
        seen.extend(held_out)
        return np.array([len(p) for p in held_out], dtype=float)

    result = cross_validate(spy, data, folds=5)
    assert sorted(seen) == sorted(data.outcomes["arena_bench"].prompts)
    assert result.n == 120 and 0 <= result.cpt50 <= 1


def test_cross_validated_difficulty_router_beats_random_on_synthetic_data(data):
    result = cross_validate(fit_and_score("difficulty", embedder=HashingEmbedder(), alpha=1.0), data)
    assert result.apgr > 0.55


def test_train_command_writes_a_checkpoint_with_a_card(tmp_path):
    from typer.testing import CliRunner

    from routellm_core.cli import app

    frame, _, _ = make_battles(40, 4)
    path = tmp_path / "battles.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "my-mf"
    result = CliRunner().invoke(app, ["train", "mf", "--data", str(path), "--out", str(out), "--no-decontaminate",
                                      "--no-eval", "-p", "epochs=1", "-p", "dim=4"])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "mf" and config["params"]["dim"] == 4
    assert config["card"]["training_data"]["licences"] == {"synthetic": ["MIT"]}
    assert "training_time_seconds" in config["card"]
    assert load_router(out).win_probability("prove the theorem") >= 0.0


def test_train_command_refuses_unknown_kinds(tmp_path):
    from typer.testing import CliRunner

    from routellm_core.cli import app

    result = CliRunner().invoke(app, ["train", "oracle", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "unknown router kind" in result.output


def test_chatbot_arena_55k_file_trains_an_mf_router(tmp_path):
    """Online users' Chatbot Arena battles (the 55k format), here from a local file in that format."""
    from routellm_core.training.datasets import load_training_data

    frame, _, _ = make_battles(40, 4)
    arena = pd.DataFrame({
        "id": range(len(frame)),
        "model_a": frame["model_a"], "model_b": frame["model_b"],
        "prompt": [json.dumps([p]) for p in frame["prompt"]],
        "response_a": "[\"...\"]", "response_b": "[\"...\"]",
        "winner_model_a": (frame["winner"] == "a").astype(int),
        "winner_model_b": (frame["winner"] == "b").astype(int),
        "winner_tie": (frame["winner"] == "tie").astype(int),
    })
    path = tmp_path / "arena_55k.csv"
    arena.to_csv(path, index=False)
    data = load_training_data([f"chatbot_arena={path}"], clean=False, progress=False, log=lambda *_: None)
    assert set(data.battles["source"]) == {"chatbot_arena"} and len(data.battles) == len(frame)
    router = train_router("mf", data, embedder=HashingEmbedder(), show_progress=False, dim=4, epochs=1)
    assert router.card["training_data"]["licences"] == {"chatbot_arena": ["Apache-2.0"]}


def test_repeated_cross_validation_averages_fold_seeds(data):
    from routellm_core.training.cross_validation import cross_validation_summary

    fit = fit_and_score("difficulty", embedder=HashingEmbedder(), alpha=1.0)
    summary = cross_validation_summary(fit, data, repeats=2)
    single = [cross_validate(fit, data, seed=s).apgr for s in (0, 1)]
    assert summary["apgr"] == pytest.approx(np.mean(single), abs=1e-4)
    assert summary["repeats"] == 2 and summary["n"] == 120


def test_subsample_is_seeded_and_keeps_rows_aligned():
    from routellm_core.evaluation import Benchmark
    from routellm_core.training.evaluate import subsample

    bench = Benchmark("b", [f"p{i}" for i in range(50)], np.arange(50) % 2, np.zeros(50))
    small = subsample(bench, 10, seed=3)
    assert len(small) == 10 and small.prompts == subsample(bench, 10, seed=3).prompts
    assert all(small.strong_scores[i] == int(p[1:]) % 2 for i, p in enumerate(small.prompts))
    assert subsample(bench, None) is bench and subsample(bench, 500) is bench
