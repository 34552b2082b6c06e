"""Adapting a bundled router to your labels: the whole loop with fake models, a fake judge, a tiny embedder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from routellm_core import load_router
from routellm_core.cli import app
from routellm_core.data.schema import DataError
from routellm_core.labeling import label
from routellm_core.routers import AdaptedRouter, DifficultyRouter
from routellm_core.training.adapt import adapt_router, apgr, load_battles, pair_targets
from tests.helpers import SHARED_DATA, requires_shared_data
from tests.unit_tests.synthetic_battles import VOCABULARY, HashingEmbedder

STRONG, WEAK = "big-model", "small-model"


KEY_WORDS = ("prove", "theorem")


def traffic(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Prompts of 4 random words; the strong model is better exactly on those holding a key word."""
    rng = np.random.default_rng(seed)
    prompts = [" ".join(rng.choice(VOCABULARY, size=4)) + f" case {seed}-{i}" for i in range(n)]
    return prompts, np.array([any(w in p.split() for w in KEY_WORDS) for p in prompts])


def big(prompt: str) -> str:
    hard = any(word in prompt.split() for word in KEY_WORDS)
    return ("a right and thorough answer " if hard else "fine ") + prompt


def small(prompt: str) -> str:
    return "fine " + prompt


def judge(prompt: str, answer_a: str, answer_b: str) -> str:
    if "right" in answer_a and "right" not in answer_b:
        return "[[A>>B]]"
    if "right" in answer_b and "right" not in answer_a:
        return "[[B>>A]]"
    return "[[A=B]]"


def base_router(seed: int = 0) -> DifficultyRouter:
    """A 'bundled' router that knows nothing about this traffic (weights on the cheap features only)."""
    router = DifficultyRouter(embedding_dim=32, use_features=True, name="default")
    router.coef_ = np.random.default_rng(seed).normal(size=router.input_dim).astype(np.float32)
    router.coef_[:32] = 0.0
    router.set_embedder(HashingEmbedder(32))
    return router


@pytest.fixture(scope="module")
def battles_file(tmp_path_factory):
    prompts, _ = traffic(160, seed=1)
    out = tmp_path_factory.mktemp("labels") / "battles.jsonl"
    summary = label(prompts, {STRONG: big, WEAK: small}, out, judge=judge, progress=False)
    assert summary.written == len(prompts)
    return out


def test_pair_targets_reads_both_directions(battles_file):
    battles = load_battles([battles_file])
    table = pair_targets(battles, STRONG, WEAK)
    flipped = battles.rename(columns={"model_a": "model_b", "model_b": "model_a"}).assign(
        score_a=1 - battles["score_a"], winner=battles["winner"].map({"a": "b", "b": "a", "tie": "tie"}))
    assert np.allclose(pair_targets(flipped, STRONG, WEAK)["y"], table["y"])
    with pytest.raises(DataError, match="no battles between"):
        pair_targets(battles, STRONG, "other")


def test_adapted_router_beats_its_prior_and_round_trips(battles_file, tmp_path):
    battles = load_battles([battles_file])
    base = base_router()
    router = adapt_router(base, battles, STRONG, WEAK, labels="battles.jsonl")
    card = router.card
    assert card["labels"]["prompts"] == 160 and card["labels"]["judges"] and card["labels"]["strong"] == STRONG
    cv = card["cross_validation"]
    assert set(cv["apgr"]) >= {"bundled", "length", card["head"]["chosen"]}
    assert cv["adapting_helped"] and cv["apgr"][card["head"]["chosen"]]["apgr"] > cv["apgr"]["bundled"]["apgr"] + 0.1
    assert router.reference is not None and router.strong_model == STRONG

    held_out, hard = traffic(80, seed=7)
    quality = np.where(hard, 1.0, 0.5)  # the strong model wins the hard prompts, ties the rest
    assert apgr(router.win_probabilities(held_out), quality, 1 - quality) > apgr(
        base.win_probabilities(held_out), quality, 1 - quality) + 0.1

    router.save(tmp_path / "adapted")
    loaded = load_router(tmp_path / "adapted")
    assert isinstance(loaded, AdaptedRouter) and loaded.card["head"] == card["head"]
    loaded.set_embedder(HashingEmbedder(32))
    batch = loaded.win_probabilities(held_out)
    assert np.array_equal(batch, router.win_probabilities(held_out))
    assert all(loaded.win_probability(p) == s for p, s in zip(held_out[:10], batch[:10]))  # alone == in a batch
    assert loaded.reference.threshold_for_share(0.3) == router.reference.threshold_for_share(0.3)
    assert (tmp_path / "adapted" / "model.safetensors").is_file()


def test_too_few_labels_are_refused(battles_file):
    battles = load_battles([battles_file]).head(5)
    with pytest.raises(DataError, match="at least"):
        adapt_router(base_router(), battles, STRONG, WEAK)


def test_cli_train_init_default(battles_file, tmp_path, monkeypatch):
    import routellm_core.registry as registry

    real = registry.load_router
    monkeypatch.setattr(registry, "load_router", lambda name="default": base_router() if name == "default" else real(name))
    out = tmp_path / "mine"
    args = ["train", "difficulty", "--battles", str(battles_file), "--strong", STRONG, "--weak", WEAK,
            "--init", "default", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "adapted" and report["cross_validation"]["adapting_helped"]
    router = real(out)
    assert router.card["labels"]["file"] == "battles.jsonl"
    wrong_kind = CliRunner().invoke(app, [*args[:1], "mf", *args[2:]])
    assert wrong_kind.exit_code != 0 and "difficulty router" in wrong_kind.output
    no_battles = CliRunner().invoke(app, ["train", "difficulty", "--init", "default", "--out", str(tmp_path / "x")])
    assert no_battles.exit_code != 0 and "--battles" in no_battles.output


@requires_shared_data
@pytest.mark.shared_data
def test_arena_hard_replay_reproduces_the_recorded_verdicts(tmp_path):
    """The replay models and judge give, through `label`, the recorded gpt-4-0314 win share per prompt."""
    if not (SHARED_DATA / "arena_hard_v01" / "battles_vs_gpt-4-0314.jsonl").is_file():
        pytest.skip("the arena_hard_v01 folder of the shared data is absent")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from examples import replay_arena_hard as replay

    shares = replay.strong_share()
    prompts = sorted(shares)[:40]
    out = tmp_path / "battles.jsonl"
    summary = label(prompts, {replay.STRONG: replay.gpt4, replay.WEAK: replay.gpt35}, out, judge=replay.judge,
                    progress=False)
    assert summary.written == 40 and summary.garbage_verdicts == 0
    table = pair_targets(load_battles([out]), replay.STRONG, replay.WEAK).set_index("prompt")["y"]
    assert np.allclose([table[p] for p in prompts], [shares[p] for p in prompts])


@requires_shared_data
@pytest.mark.shared_data
def test_mbpp_replay_gives_golden_labels(tmp_path):
    """The MBPP replay models and checker give golden battles that match the recorded correctness."""
    if not (SHARED_DATA / "routerbench_subset" / "mbpp_train.csv.gz").is_file():
        pytest.skip("the routerbench_subset folder of the shared data is absent")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from examples import replay_mbpp as replay

    table = replay.table().head(30)
    out = tmp_path / "battles.jsonl"
    summary = label(table["prompt"].tolist(), {replay.STRONG: replay.gpt4, replay.WEAK: replay.mixtral}, out,
                    checker=replay.checker, progress=False)
    assert summary.written == 30 and summary.judge_calls == 0
    y = pair_targets(load_battles([out]), replay.STRONG, replay.WEAK).set_index("prompt")["y"]
    expected = 0.5 + 0.5 * (table[replay.STRONG] - table[replay.WEAK]).to_numpy()
    assert np.allclose([y[p] for p in table["prompt"]], expected)


class NoiseEmbedder:
    """A vector drawn from a hash of the whole text: the same text the same vector, no word shared."""

    def __init__(self, dim: int = 32):
        self.dim = dim

    def encode(self, texts):
        import hashlib

        seeds = [int.from_bytes(hashlib.md5(t.encode()).digest()[:4], "little") for t in texts]
        return np.stack([np.random.default_rng(s).normal(size=self.dim) for s in seeds]).astype(np.float32)


class RefusingEmbedder:
    def encode(self, texts):
        raise AssertionError("this embedder must not be called")


WORDS_EMBEDDING = "words-test-embedding"


@pytest.fixture
def words_embedding(monkeypatch):
    """`shared_embedder` gives a bag-of-words embedder for WORDS_EMBEDDING and fails to load any other name."""
    import routellm_core.embedding as embedding

    def shared_embedder(name):
        if name == WORDS_EMBEDDING:
            return HashingEmbedder(48)
        raise OSError(f"no model {name!r} here")

    monkeypatch.setattr(embedding, "shared_embedder", shared_embedder)


def blind_base() -> DifficultyRouter:
    """A bundled router whose own embedding says nothing about the words of a prompt."""
    router = base_router()
    router.set_embedder(NoiseEmbedder(32))
    return router


def test_ridge_reads_another_embedding_when_cross_validation_prefers_it(battles_file, tmp_path, words_embedding):
    battles = load_battles([battles_file])
    router = adapt_router(blind_base(), battles, STRONG, WEAK, ridge_embeddings=(WORDS_EMBEDDING, "not-a-model"))
    card = router.card
    cv = card["cross_validation"]
    assert cv["ridge_embeddings"] == [DifficultyRouter().embedding_model, WORDS_EMBEDDING]
    assert "not-a-model" in cv["embeddings_left_out"]  # a model that does not load is left out, not fatal
    assert WORDS_EMBEDDING in card["head"]["chosen"] and card["head"]["ridge_embedding"] == WORDS_EMBEDDING
    own = max(v["apgr"] for k, v in cv["apgr"].items() if "ridge" in k and WORDS_EMBEDDING not in k)
    assert cv["apgr"][card["head"]["chosen"]]["apgr"] > own + 0.1  # the bundled embedding's ridge: chance
    assert router.ridge_embedding == WORDS_EMBEDDING and router.ridge_coef_.shape == (48,)

    held_out, hard = traffic(80, seed=7)
    quality = np.where(hard, 1.0, 0.5)
    own_only = adapt_router(blind_base(), battles, STRONG, WEAK, ridge_embeddings=())
    assert apgr(router.win_probabilities(held_out), quality, 1 - quality) > 0.1 + apgr(
        own_only.win_probabilities(held_out), quality, 1 - quality)

    router.save(tmp_path / "adapted")
    config = json.loads((tmp_path / "adapted" / "config.json").read_text())
    assert WORDS_EMBEDDING in json.dumps(config)
    loaded = load_router(tmp_path / "adapted")  # the ridge's embedder rebuilt by name
    assert loaded.ridge_embedding == WORDS_EMBEDDING
    loaded.set_embedder(NoiseEmbedder(32))
    batch = loaded.win_probabilities(held_out)
    assert np.array_equal(batch, router.win_probabilities(held_out))
    assert all(loaded.win_probability(p) == s for p, s in zip(held_out[:10], batch[:10]))  # alone == in a batch


def test_without_other_embeddings_the_ridge_stays_on_the_bundled_one(battles_file, tmp_path):
    router = adapt_router(base_router(), load_battles([battles_file]), STRONG, WEAK, ridge_embeddings=())
    assert router.ridge_embedding == "" and all(" on " not in name for name in router.card["cross_validation"]["apgr"])
    assert "ridge_embedding" not in router.get_params()  # the config of checkpoints adapted before the option
    router.save(tmp_path / "adapted")
    loaded = load_router(tmp_path / "adapted")
    loaded.set_embedder(HashingEmbedder(32))
    prompts, _ = traffic(10, seed=3)
    assert loaded.ridge_embedding == "" and np.array_equal(loaded.win_probabilities(prompts),
                                                           router.win_probabilities(prompts))


def test_a_head_without_the_ridge_never_embeds_for_it():
    router = AdaptedRouter(base_router(), 48, ridge_embedding=WORDS_EMBEDDING)
    router.set_ridge_embedder(RefusingEmbedder())
    router.stack_coef_ = np.array([1.0, 0.5, 0.0], dtype=np.float32)
    assert router.win_probabilities(["prove it", "hello there"]).shape == (2,)
    router.stack_coef_[2] = 1.0
    with pytest.raises(AssertionError, match="must not be called"):
        router.win_probability("prove it")


def test_a_fold_without_apgr_does_not_decide_the_head(battles_file, monkeypatch):
    """A fold where strong and weak do equally well has no APGR (NaN): the choice rests on the other folds."""
    import routellm_core.training.adapt as adapt

    assert adapt.cv_mean([float("nan"), 0.6, 0.7]) == pytest.approx(0.65) and adapt.cv_mean([float("nan")]) == -np.inf
    battles = load_battles([battles_file])
    clean = adapt_router(base_router(), battles, STRONG, WEAK).card
    calls_per_fold = 2 + len(adapt.candidates([""]))  # bundled, length, every candidate on one embedding
    real_apgr, calls = adapt.apgr, []

    def first_fold_undefined(scores, strong, weak):
        calls.append(1)
        return float("nan") if len(calls) <= calls_per_fold else real_apgr(scores, strong, weak)

    monkeypatch.setattr(adapt, "apgr", first_fold_undefined)
    card = adapt_router(base_router(), battles, STRONG, WEAK, ridge_embeddings=()).card
    figures = card["cross_validation"]["apgr"]
    assert all(f["folds"] == 4 and f["apgr"] is not None for f in figures.values())
    # still adapted (a NaN mean used to make every candidate tie and the first, "bundled", win)
    assert card["cross_validation"]["adapting_helped"] and card["head"]["chosen"] != adapt.candidates([""])[0][0]
    assert clean["cross_validation"]["adapting_helped"]
