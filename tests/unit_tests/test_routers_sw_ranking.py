import time

import numpy as np
import pytest

from routellm_core import load_router
from routellm_core.routers import SWRankingRouter
from routellm_core.training.battles import BattleSet

from .synthetic_battles import STRONG, WEAK, HashingEmbedder, make_battles, make_prompts


def build(frame, embedder, **params) -> SWRankingRouter:
    battles = BattleSet.from_frame(frame)
    router = SWRankingRouter(battles.models, embedding_dim=embedder.dim, **params)
    router.set_battles(embedder.encode(battles.prompts), battles.prompt_index, battles.model_a, battles.model_b,
                       battles.target, battles.weight)
    router.set_embedder(embedder)
    return router


@pytest.fixture(scope="module")
def router():
    frame, _, _ = make_battles(200, 6)
    return build(frame, HashingEmbedder())


def test_sw_ranking_prefers_the_strong_model_where_similar_battles_say_so(router):
    prompts, hard = make_prompts(100, seed=3)
    scores = router.win_probabilities(prompts)
    assert scores[hard].mean() > scores[~hard].mean() + 0.05


def test_global_fit_matches_a_plain_bradley_terry_fit():
    # One pair, 30 wins and 10 losses: the strength gap must approach log(3) (ridge is tiny).
    import pandas as pd

    frame = pd.DataFrame({"prompt": ["p"] * 40, "model_a": ["s"] * 40, "model_b": ["w"] * 40,
                          "winner": ["a"] * 30 + ["b"] * 10})
    embedder = HashingEmbedder()
    router = build(frame, embedder, ridge=1e-6)
    router.strong_model, router.weak_model = "s", "w"
    assert router.win_probability("anything at all") == pytest.approx(0.75, abs=1e-3)


def test_ties_count_half_a_win():
    import pandas as pd

    frame = pd.DataFrame({"prompt": ["p"] * 4, "model_a": ["s"] * 4, "model_b": ["w"] * 4,
                          "winner": ["a", "tie", "tie", "b"]})
    router = build(frame, HashingEmbedder(), ridge=1e-6)
    router.strong_model, router.weak_model = "s", "w"
    assert router.win_probability("whatever") == pytest.approx(0.5, abs=1e-6)


def test_weights_sharpen_towards_the_most_similar_battles():
    import pandas as pd

    # The strong model always wins on "prove" prompts and always loses on "hello" prompts.
    frame = pd.DataFrame({
        "prompt": ["prove theorem"] * 10 + ["hello friend"] * 10,
        "model_a": ["s"] * 20, "model_b": ["w"] * 20, "winner": ["a"] * 10 + ["b"] * 10,
    })
    sharp = build(frame, HashingEmbedder(), gamma=1000.0, ridge=0.01)
    flat = build(frame, HashingEmbedder(), gamma=1.0001, ridge=0.01)
    for r in (sharp, flat):
        r.strong_model, r.weak_model = "s", "w"
    assert sharp.win_probability("prove theorem") > 0.8 > flat.win_probability("prove theorem")


def test_batched_scoring_is_fast(router):
    prompts, _ = make_prompts(1000, seed=4)
    vectors = router._embedder.encode(prompts)
    start = time.perf_counter()
    router.scores_from_inputs(vectors)
    assert 1000 / (time.perf_counter() - start) > 50  # the paper's version: 2.9 queries/s


def test_sw_ranking_round_trips(router, tmp_path):
    router.save(tmp_path / "sw")
    loaded = load_router(tmp_path / "sw")
    loaded.set_embedder(router._embedder)
    prompts, _ = make_prompts(8, seed=5)
    np.testing.assert_allclose(loaded.win_probabilities(prompts), router.win_probabilities(prompts), rtol=1e-6)


def test_bad_battles_are_refused():
    router = SWRankingRouter(["a", "b"], embedding_dim=4)
    vectors = np.eye(4, dtype=np.float32)[:2]
    with pytest.raises(ValueError, match="at least one battle"):
        router.set_battles(vectors, [], [], [], [])
    with pytest.raises(ValueError, match="model_b indices"):
        router.set_battles(vectors, [0], [0], [5], [1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        router.set_battles(vectors, [0], [0], [1], [2.0])
    with pytest.raises(ValueError, match="gamma"):
        SWRankingRouter(["a", "b"], gamma=0.5)


def test_untrained_router_says_so():
    router = SWRankingRouter([STRONG, WEAK], embedding_dim=32)
    router.set_embedder(HashingEmbedder())
    with pytest.raises(ValueError, match="no training battles"):
        router.win_probability("hello")
