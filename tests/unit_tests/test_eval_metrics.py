"""The paper's metric on small cases computed by hand."""

import json
import math

import numpy as np
import pytest

from routellm_core.evaluation import Benchmark, evaluate_scores
from routellm_core.evaluation.metrics import cost_to_reach, quality_curve

# Ten prompts: 0-4 both models right, 5-7 only the strong model right, 8-9 both wrong.
# strong mean 0.8, weak mean 0.5, gap 0.3.
STRONG = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], dtype=float)
WEAK = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=float)


def bench(strong=STRONG, weak=WEAK):
    return Benchmark("toy", [f"p{i}" for i in range(len(strong))], strong, weak)


def curve_of(result):
    return [(round(p["strong_share"], 10), round(p["quality"], 10)) for p in result.curve]


def test_perfect_router():
    # Prompts 5-7 get the three highest scores: each 10 % of strong calls adds 0.1 until 30 %.
    scores = np.array([0, 1, 2, 3, 4, 9, 8, 7, 5, 6], dtype=float)
    result = evaluate_scores(bench(), scores, "perfect")
    assert [s for s, _ in curve_of(result)] == pytest.approx([i / 10 for i in range(11)])
    assert [q for _, q in curve_of(result)][:4] == pytest.approx([0.5, 0.6, 0.7, 0.8])
    assert [q for _, q in curve_of(result)][4:] == pytest.approx([0.8] * 7)
    # AUC = 0.3 * (0.5 + 0.8) / 2 + 0.7 * 0.8 = 0.755; APGR = (0.755 - 0.5) / 0.3 = 0.85.
    assert result.auc == pytest.approx(0.755)
    assert result.apgr == pytest.approx(0.85)
    # CPT: targets 0.56, 0.65, 0.74 reached at 6 %, 15 %, 24 % strong calls.
    assert (result.cpt20, result.cpt50, result.cpt80) == pytest.approx((0.06, 0.15, 0.24))
    assert (result.strong_score, result.weak_score, result.n) == (pytest.approx(0.8), pytest.approx(0.5), 10)


def test_reversed_router():
    # Prompts 5-7 get the lowest scores: quality stays at 0.5 until 70 % strong calls.
    scores = np.array([3, 4, 5, 6, 7, 0, 1, 2, 8, 9], dtype=float)
    result = evaluate_scores(bench(), scores, "reversed")
    # AUC = 0.7 * 0.5 + 0.3 * (0.5 + 0.8) / 2 = 0.545; APGR = 0.045 / 0.3 = 0.15.
    assert result.auc == pytest.approx(0.545)
    assert result.apgr == pytest.approx(0.15)
    assert (result.cpt20, result.cpt50, result.cpt80) == pytest.approx((0.76, 0.85, 0.94))


def test_all_tied_scores_give_the_random_diagonal():
    # All edges coincide: every prompt strong (>=) except at the top edge (>): points (0, weak), (1, strong).
    result = evaluate_scores(bench(), np.full(10, 0.42), "tied")
    assert set(curve_of(result)) == {(0.0, 0.5), (1.0, 0.8)}
    assert result.apgr == pytest.approx(0.5)
    assert (result.cpt20, result.cpt50, result.cpt80) == pytest.approx((0.2, 0.5, 0.8))


def test_heavily_tied_scores_do_not_crash():
    # Three distinct values over ten prompts: the reference implementation's qcut fails here.
    scores = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0, 0], dtype=float)
    result = evaluate_scores(bench(), scores, "ties")
    # Only 0 % (top edge, strict), 30 % (score 1) and 100 % strong are reachable.
    assert set(curve_of(result)) == {(0.0, 0.5), (0.3, 0.8), (1.0, 0.8)}
    assert result.apgr == pytest.approx(0.85)


def test_one_item():
    result = evaluate_scores(bench(np.array([1.0]), np.array([0.0])), np.array([0.7]), "one")
    assert set(curve_of(result)) == {(0.0, 0.0), (1.0, 1.0)}
    assert result.apgr == pytest.approx(0.5)
    assert result.cpt50 == pytest.approx(0.5)


def test_equal_models_leave_apgr_undefined_and_json_strict():
    result = evaluate_scores(bench(np.array([1.0, 0.0]), np.array([1.0, 0.0])), np.array([0.2, 0.9]))
    assert math.isnan(result.apgr)
    payload = result.as_dict()
    assert payload["apgr"] is None
    json.dumps(payload, allow_nan=False)  # raises if any NaN slipped through


def test_result_fields_and_thresholds():
    result = evaluate_scores(bench(), np.arange(10, dtype=float), "r")
    payload = result.as_dict()
    for key in ("benchmark", "router", "n", "apgr", "cpt20", "cpt50", "cpt80", "auc", "curve", "strong_score", "weak_score"):
        assert key in payload
    thresholds = [p["threshold"] for p in payload["curve"]]
    assert thresholds[0] == 9.0 and thresholds[-1] == 0.0  # top edge first (0 %), bottom edge last (100 %)


def test_more_bins_give_more_points():
    shares, qualities, _ = quality_curve(np.arange(20, dtype=float), np.ones(20), np.zeros(20), bins=20)
    assert len(shares) == 21 and shares[0] == 0.0 and shares[-1] == 1.0
    assert qualities == pytest.approx(shares)


@pytest.mark.parametrize("bins", [0, -1, 2.5, True])
def test_bad_bins_are_refused(bins):
    with pytest.raises(ValueError, match="bins"):
        quality_curve(np.arange(3.0), np.ones(3), np.zeros(3), bins=bins)


def test_scores_must_match_the_prompts():
    with pytest.raises(ValueError, match="one score per prompt"):
        evaluate_scores(bench(), np.arange(3.0))
    with pytest.raises(ValueError, match="finite"):
        evaluate_scores(bench(), np.array([np.nan] * 10))


def test_cost_to_reach_takes_the_first_crossing_of_a_dipping_curve():
    shares = np.array([0.0, 0.5, 0.6, 1.0])
    qualities = np.array([0.0, 1.0, 0.2, 1.0])
    assert cost_to_reach(shares, qualities, 0.5) == pytest.approx(0.25)
    assert cost_to_reach(shares, qualities, 0.0) == 0.0
