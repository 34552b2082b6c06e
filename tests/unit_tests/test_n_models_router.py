"""The N-model MF router on per-model outcomes: it learns a known routing, round-trips, scores rows alone."""

import numpy as np
import pytest

from routellm_core import CheckpointError, load_router
from routellm_core.data import load_per_model_outcomes
from routellm_core.n_models import (
    NModelRouter,
    choose_models,
    is_n_model_router,
    lambda_grid,
    price_vector,
    switch_points,
)
from routellm_core.routers import QualityMFRouter
from routellm_core.routers.mf_quality import TAIL_CHARS, span_texts
from routellm_core.training.mf_quality import QualityMFConfig, train_on_outcomes, train_quality_mf

from .synthetic_battles import HashingEmbedder
from .synthetic_outcomes import MODELS, PRICES, make_prompts, make_table

OPTIONS = dict(dim=8, epochs=40, batch_size=32, input_dropout=0.0, weight_decay=0.0, lr=1e-2, text_span="head")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("outcomes")
    make_table(160).to_csv(folder / "train.csv", index=False)
    outcomes = load_per_model_outcomes(folder / "train.csv")
    with pytest.MonkeyPatch.context() as patch:  # training embeddings go to a disk cache: keep it here
        patch.setenv("ROUTELLM_CACHE_DIR", str(folder / "cache"))
        return train_on_outcomes(outcomes, embedder=HashingEmbedder(), show_progress=False, **OPTIONS)


def test_the_router_learns_which_model_solves_which_prompt(trained):
    prompts, code = make_prompts(60, seed=7)  # unseen prompts
    qualities = trained.model_qualities(prompts)
    assert qualities.shape == (60, 3) and trained.models == MODELS
    coder, chatter = qualities[:, 0], qualities[:, 1]
    assert (coder[code] > 0.8).all() and (coder[~code] < 0.2).all()
    assert (chatter[~code] > 0.8).all() and (chatter[code] < 0.2).all()
    # routed at a moderate price of quality: code prompts to the coder, the rest to the chatter
    choice = choose_models(qualities, price_vector(trained.models, PRICES), lam=10.0)
    assert (choice == np.where(code, 0, 1)).all()
    # and at a prohibitive one: everything to the cheapest
    assert (choose_models(qualities, price_vector(trained.models, PRICES), lam=np.inf) == 2).all()


def test_card_pair_and_surface(trained):
    assert is_n_model_router(trained) and isinstance(trained, NModelRouter) and trained.kind == "mf_quality"
    assert trained.strong_model == "org/coder" or trained.strong_model == "chatter"  # most accurate (a tie here)
    assert trained.weak_model == "tiny"  # the cheapest
    assert trained.card["prices"] == pytest.approx(PRICES)
    assert trained.card["training_data"]["files"] == ["train.csv"] and trained.card["training_data"]["prompts"] == 160
    # still a two-model Router: P(strong wins) = sigmoid(logit strong - logit weak)
    p = trained.win_probabilities(["python function debug"])
    assert p.shape == (1,) and 0 <= p[0] <= 1


def test_a_prompt_scores_the_same_alone_and_in_any_batch(trained):
    prompts, _ = make_prompts(25, seed=3)
    batch = trained.model_qualities(prompts)
    for i in (0, 7, 24):
        assert np.array_equal(trained.model_qualities([prompts[i]])[0], batch[i])  # bit for bit
    shuffled = trained.model_qualities(prompts[::-1] + prompts[:3])
    assert np.array_equal(shuffled[:25], batch[::-1]) and np.array_equal(shuffled[25:], batch[:3])


def test_scoring_runs_one_prompt_at_a_time(trained, monkeypatch):
    sizes = []
    original = trained._qualities
    monkeypatch.setattr(trained, "_qualities", lambda texts: sizes.append(len(texts)) or original(texts))
    trained.model_qualities(["a", "b", "a", "c"])
    assert sizes == [1, 1, 1]  # duplicates scored once
    sizes.clear()
    bulk = trained.model_qualities(["a", "b", "a", "c"], exact=False)  # bulk jobs: one batch
    assert sizes == [3] and bulk.shape == (4, 3)
    np.testing.assert_allclose(bulk, trained.model_qualities(["a", "b", "a", "c"]), rtol=1e-5)


def test_bad_input(trained):
    with pytest.raises(TypeError, match="list of prompts"):
        trained.model_qualities("one prompt")
    with pytest.raises(ValueError, match="at least one prompt"):
        trained.model_qualities([])
    with pytest.raises(TypeError, match="prompt 1 must be a string"):
        trained.model_qualities(["ok", 3])


def test_checkpoint_round_trip(trained, tmp_path):
    trained.save(tmp_path / "nm")
    loaded = load_router(tmp_path / "nm")
    assert isinstance(loaded, QualityMFRouter) and loaded.models == trained.models
    assert loaded.strong_model == trained.strong_model and loaded.card["prices"] == pytest.approx(PRICES)
    loaded.set_embedder(trained._embedder)
    prompts, _ = make_prompts(10, seed=5)
    assert np.array_equal(loaded.model_qualities(prompts), trained.model_qualities(prompts))
    assert not list(tmp_path.glob("nm/*.pkl")) and (tmp_path / "nm" / "model.safetensors").exists()


def test_checkpoint_shapes_are_checked(trained, tmp_path):
    import json

    trained.save(tmp_path / "nm")
    config = json.loads((tmp_path / "nm" / "config.json").read_text())
    config["params"]["models"] = config["params"]["models"][:2]
    (tmp_path / "nm" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="shape"):
        load_router(tmp_path / "nm")


def test_head_tail_spans_read_both_ends(one_thread):
    long_prompt = "shared few-shot preamble " * 100 + "python function debug"
    assert span_texts([long_prompt], "head_tail") == [[long_prompt], [long_prompt[-TAIL_CHARS:]]]
    prompts, code = make_prompts(80)
    embedder = HashingEmbedder()
    parts = span_texts(prompts, "head_tail")
    embeddings = np.hstack([embedder.encode(part) for part in parts])
    correct = np.column_stack([code, ~code]).astype(float)
    router = train_quality_mf(prompts, correct, embeddings, ["coder", "chatter"],
                              QualityMFConfig(**{**OPTIONS, "text_span": "head_tail"}), show_progress=False)
    router.set_embedder(embedder)
    assert router.projection_.shape == (8, 2 * embedder.dim)
    qualities = router.model_qualities(prompts[:10])
    assert (np.argmax(qualities, axis=1) == np.where(code[:10], 0, 1)).all()


def test_unknown_option_and_text_span():
    with pytest.raises(ValueError, match="text_span"):
        QualityMFRouter(["a", "b"], text_span="middle")
    with pytest.raises(ValueError, match=r"unknown mf_quality option\(s\) \['depth'\]"):
        train_on_outcomes(None, depth=3)


def test_choose_models_by_quality_against_price():
    qualities = np.array([[0.9, 0.85, 0.2], [0.5, 0.5, 0.5], [0.3, 0.9, 0.1]])
    prices = np.array([10.0, 1.0, 0.0])
    assert choose_models(qualities, prices, 0.0).tolist() == [0, 2, 1]  # ties go to the cheaper
    # λ = 0.01: 0.9 - 0.1 = 0.8 < 0.85 - 0.01 = 0.84
    assert choose_models(qualities, prices, 0.01).tolist() == [1, 2, 1]
    assert choose_models(qualities, prices, 0.004).tolist() == [0, 2, 1]  # 0.86 > 0.846
    assert choose_models(qualities, prices, np.inf).tolist() == [2, 2, 2]
    per_prompt = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 5.0, 0.0]])  # (n, m) prices
    assert choose_models(qualities, per_prompt, 0.2).tolist() == [0, 0, 2]
    with pytest.raises(ValueError, match="lam"):
        choose_models(qualities, prices, -1.0)


def test_lambda_grid_spans_dearest_to_cheapest():
    prices = np.array([0.01, 0.002, 0.001])
    grid = lambda_grid(prices, 9)
    assert len(grid) == 9 and grid[0] == 0 and np.isinf(grid[-1]) and (np.diff(grid[:-1]) > 0).all()
    assert grid[-2] * 0.001 >= 1.0  # a quality difference of 1 no longer pays for the narrowest price gap
    assert grid[1] * (0.01 - 0.001) <= 1e-4
    with pytest.raises(ValueError, match="at least 3"):
        lambda_grid(prices, 2)


def test_switch_points_and_a_grid_spread_by_predictions():
    qualities = np.array([[0.9, 0.85, 0.2], [0.5, 0.5, 0.5]])
    prices = np.array([10.0, 1.0, 0.0])
    # prompt 0: from the cheapest up, 0.2 -> 0.85 at slope 0.65, 0.85 -> 0.9 at slope 0.05 / 9; prompt 1: none
    np.testing.assert_allclose(switch_points(qualities, prices), [0.65, 0.05 / 9])
    slope = 0.05 / 9
    assert choose_models(qualities[:1], prices, slope * 0.999).tolist() == [0]
    assert choose_models(qualities[:1], prices, slope).tolist() == [1]  # at the switch point: the cheaper
    grid = lambda_grid(prices, 4, qualities)
    np.testing.assert_allclose(grid[1:3], np.quantile([0.65, slope], [1 / 3, 2 / 3]))
    assert grid[0] == 0 and np.isinf(grid[-1])
    # no switch anywhere: the geometric grid
    assert len(lambda_grid(prices, 5, qualities[1:])) == 5


def test_price_vector():
    assert price_vector(["org/coder", "tiny"], {"coder": 1.0, "tiny": 0.5}).tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match="no price for model 'tiny'"):
        price_vector(["tiny"], {"coder": 1.0})
