import numpy as np
import pytest

from routellm_core import CheckpointError, load_router
from routellm_core.routers import MatrixFactorizationRouter
from routellm_core.training.battles import BattleSet
from routellm_core.training.mf import MFConfig, train_mf

from .synthetic_battles import STRONG, WEAK, HashingEmbedder, make_battles, make_prompts


@pytest.fixture(scope="module")
def trained():
    frame, _, _ = make_battles(200, 6)
    battles = BattleSet.from_frame(frame)
    embedder = HashingEmbedder()
    router = train_mf(battles, embedder.encode(battles.prompts),
                      MFConfig(dim=8, epochs=30, batch_size=256, input_dropout=0.0), show_progress=False)
    router.set_embedder(embedder)
    return router


def test_mf_learns_that_hard_prompts_need_the_strong_model(trained):
    prompts, hard = make_prompts(100, seed=1)  # unseen prompts
    scores = trained.win_probabilities(prompts)
    assert scores[hard].mean() > scores[~hard].mean() + 0.1
    assert ((scores >= 0) & (scores <= 1)).all()


def test_mf_win_probability_is_sigmoid_of_the_score_difference(trained):
    inputs = trained.prompt_inputs(["prove the theorem"])
    s = trained.model_scores(inputs)[0]
    strong, weak = trained.models.index(STRONG), trained.models.index(WEAK)
    assert trained.win_probability("prove the theorem") == pytest.approx(1 / (1 + np.exp(-(s[strong] - s[weak]))), rel=1e-5)


def test_swapping_the_pair_mirrors_the_probability(trained):
    p = trained.win_probability("derive the eigenvalue")
    trained.strong_model, trained.weak_model = WEAK, STRONG
    try:
        assert trained.win_probability("derive the eigenvalue") == pytest.approx(1 - p, abs=1e-6)
    finally:
        trained.strong_model, trained.weak_model = STRONG, WEAK


def test_unknown_scoring_model_is_named(trained):
    trained.strong_model = "gpt-7"
    try:
        with pytest.raises(ValueError, match="gpt-7"):
            trained.win_probability("hello")
    finally:
        trained.strong_model = STRONG


def test_mf_round_trips_through_a_checkpoint(trained, tmp_path):
    trained.save(tmp_path / "mf")
    loaded = load_router(tmp_path / "mf")
    loaded.set_embedder(trained._embedder)
    prompts, _ = make_prompts(10, seed=2)
    np.testing.assert_allclose(loaded.win_probabilities(prompts), trained.win_probabilities(prompts), rtol=1e-6)
    assert loaded.kind == "mf" and loaded.models == trained.models


def test_mf_with_features_round_trips(tmp_path):
    frame, _, _ = make_battles(40, 3)
    battles = BattleSet.from_frame(frame)
    embedder = HashingEmbedder()
    router = train_mf(battles, embedder.encode(battles.prompts),
                      MFConfig(dim=4, epochs=2, use_features=True), show_progress=False)
    router.set_embedder(embedder)
    router.save(tmp_path / "mf")
    loaded = load_router(tmp_path / "mf")
    loaded.set_embedder(embedder)
    assert loaded.use_features and loaded.win_probability("hello there") == pytest.approx(router.win_probability("hello there"))


def test_checkpoint_with_wrong_shapes_is_refused(trained, tmp_path):
    import json

    trained.save(tmp_path / "mf")
    config = json.loads((tmp_path / "mf" / "config.json").read_text())
    config["params"]["dim"] = 5
    (tmp_path / "mf" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="shape"):
        load_router(tmp_path / "mf")


def test_bad_hyper_parameters_are_refused():
    with pytest.raises(ValueError, match="two distinct"):
        MatrixFactorizationRouter(["only-one"])
    with pytest.raises(ValueError, match="positive"):
        MatrixFactorizationRouter(["a", "b"], dim=0)


def test_embedding_size_mismatch_is_named(trained):
    router = MatrixFactorizationRouter(trained.models, dim=4, embedding_dim=7)
    router.set_embedder(HashingEmbedder(dim=32))
    with pytest.raises(ValueError, match="7-dimensional"):
        router.win_probability("hello")
