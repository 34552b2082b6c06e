"""Reference lines: the oracle computed by hand, random averaged over seeds, prompt length."""

import numpy as np
import pytest

from routellm_core.errors import RouteLLMError
from routellm_core.evaluation import Benchmark, evaluate_scores
from routellm_core.evaluation.reference import (
    length_reference,
    oracle_curve,
    oracle_reference,
    random_reference,
    reference_results,
)
from routellm_core.routers import LengthRouter, RandomRouter


def bench(strong, weak, prompts=None):
    prompts = prompts or [f"prompt number {i}" for i in range(len(strong))]
    return Benchmark("toy", prompts, np.asarray(strong, float), np.asarray(weak, float))


def test_oracle_sends_the_strong_only_wins_first_and_stops_there():
    # 10 prompts: 3 strong-only wins (+1), 1 weak-only win (-1), 6 ties. weak 0.5, strong 0.7.
    strong = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    weak = [0, 0, 0, 1, 1, 1, 1, 1, 0, 0]
    shares, qualities = oracle_curve(np.array(strong, float), np.array(weak, float))
    # Corners: (0, 0.5) -> (0.3, 0.8), then flat: the -1 prompt never goes strong.
    assert shares.tolist() == pytest.approx([0.0, 0.3, 1.0])
    assert qualities.tolist() == pytest.approx([0.5, 0.8, 0.8])
    result = oracle_reference(bench(strong, weak))
    # AUC = 0.3 * 0.65 + 0.7 * 0.8 = 0.755; APGR = (0.755 - 0.5) / 0.2 = 1.275 (above 1: beats the strong model).
    assert result.apgr == pytest.approx(1.275)
    assert result.cpt50 == pytest.approx(0.1)


def test_oracle_with_graded_scores_keeps_every_corner():
    # Gains 3, 1, 1, 0 over 4 prompts (weak mean 4.75): corners at 0, 1/4 (slope 3 -> 1) and 3/4 (last
    # positive gain), then flat; the point at 2/4 lies on a straight stretch and is dropped.
    shares, qualities = oracle_curve(np.array([9.0, 5.0, 6.0, 4.0]), np.array([6.0, 4.0, 5.0, 4.0]))
    assert shares.tolist() == pytest.approx([0.0, 0.25, 0.75, 1.0])
    assert qualities.tolist() == pytest.approx([4.75, 5.5, 6.0, 6.0])


def test_oracle_is_never_below_any_router():
    rng = np.random.default_rng(0)
    strong, weak = rng.integers(0, 2, 300).astype(float), rng.integers(0, 2, 300).astype(float)
    b = bench(strong, weak)
    oracle = oracle_reference(b)
    for seed in range(5):
        assert evaluate_scores(b, rng.random(300)).apgr <= oracle.apgr
    assert evaluate_scores(b, strong - weak + 1e-9 * rng.random(300)).apgr <= oracle.apgr + 1e-9


def test_oracle_without_any_strong_gain_is_flat():
    result = oracle_reference(bench([0, 1], [1, 1]))
    assert [p["quality"] for p in result.curve] == pytest.approx([1.0, 1.0])


def test_random_reference_is_the_mean_over_seeds():
    rng = np.random.default_rng(1)
    b = bench(rng.integers(0, 2, 200), rng.integers(0, 2, 200))
    runs = [evaluate_scores(b, RandomRouter(seed=s).win_probabilities(b.prompts)) for s in range(4)]
    result = random_reference(b, seeds=4)
    assert result.apgr == pytest.approx(np.mean([r.apgr for r in runs]))
    assert result.cpt50 == pytest.approx(np.mean([r.cpt50 for r in runs]))
    assert result.curve[5]["quality"] == pytest.approx(np.mean([r.curve[5]["quality"] for r in runs]))
    assert "4 seeds" in result.router
    with pytest.raises(ValueError, match="seeds"):
        random_reference(b, seeds=0)


def test_length_reference_matches_the_length_router():
    b = bench([1, 0, 1, 1], [0, 0, 1, 0], ["a", "bb" * 10, "ccc" * 30, "d" * 200])
    expected = evaluate_scores(b, LengthRouter().win_probabilities(b.prompts), "length")
    assert length_reference(b).apgr == pytest.approx(expected.apgr)


def test_reference_results_keeps_order_and_refuses_unknown_names():
    b = bench([1, 0, 1], [0, 0, 1])
    assert [r.router for r in reference_results(b, ["oracle", "length"])] == ["oracle", "length"]
    with pytest.raises(RouteLLMError, match="unknown reference"):
        reference_results(b, ["best"])
