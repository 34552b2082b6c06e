import threading

import numpy as np
import pytest

from routellm_core.adaptive import AdaptiveThreshold, CostBudget
from routellm_core.calibration import threshold_for_share
from routellm_core.ledger import Price, RoutingLedger


def _shifting_scores(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # a stream of 10,000 prompts whose score distribution shifts halfway (mean 0.29 -> 0.71)
    return np.concatenate([rng.beta(2, 5, 5000), rng.beta(5, 2, 5000)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adaptive_threshold_holds_the_share_through_a_shift_while_a_fixed_one_drifts(seed):
    scores = _shifting_scores(seed)
    target = 0.3
    adaptive = AdaptiveThreshold(target, window=1000, warmup=100)
    adaptive_strong = np.array([score >= adaptive.observe(score) for score in scores])
    fixed = threshold_for_share(scores[:1000], target)  # calibrated once, on the first traffic
    fixed_strong = scores >= fixed
    for start in range(1000, 10_000, 1000):  # every 1,000-call window after warm-up
        assert abs(adaptive_strong[start:start + 1000].mean() - target) <= 0.03, start
    assert fixed_strong[5000:].mean() > target + 0.5  # the fixed threshold drifts far off


def test_adaptive_threshold_returns_the_threshold_it_used():
    adaptive = AdaptiveThreshold(0.5, warmup=10, window=100, initial_threshold=0.7)
    assert adaptive.observe(0.9) == 0.7  # before warm-up: the initial threshold
    for score in np.linspace(0, 1, 20):
        used = adaptive.observe(score)
    assert 0.0 <= used <= 1.0 and adaptive.threshold != 0.7


def test_adaptive_threshold_validates_its_settings():
    with pytest.raises(ValueError, match="strong_fraction"):
        AdaptiveThreshold(1.5)
    with pytest.raises(ValueError, match="window"):
        AdaptiveThreshold(0.3, window=10, warmup=20)
    with pytest.raises(ValueError, match="threshold"):
        AdaptiveThreshold(0.3, initial_threshold=float("nan"))


def test_ledger_counts_and_prices_calls():
    ledger = RoutingLedger(strong_price=Price(10.0, 30.0), weak_price=Price(0.5, 1.5))
    ledger.record("strong", input_tokens=1000, output_tokens=500)
    ledger.record("weak", input_tokens=2000, output_tokens=1000)
    ledger.record("weak", input_tokens=0, output_tokens=0)
    snap = ledger.snapshot()
    assert (snap.strong.calls, snap.weak.calls, snap.calls) == (1, 2, 3)
    assert snap.strong_share == pytest.approx(1 / 3)
    assert snap.cost == pytest.approx((1000 * 10 + 500 * 30 + 2000 * 0.5 + 1000 * 1.5) / 1e6)
    assert snap.always_strong_cost == pytest.approx((3000 * 10 + 1500 * 30) / 1e6)
    assert snap.saving == pytest.approx(snap.always_strong_cost - snap.cost)
    assert snap.as_dict()["weak_input_tokens"] == 2000
    ledger.reset()
    assert ledger.snapshot().calls == 0


def test_ledger_refuses_bad_records():
    ledger = RoutingLedger()
    with pytest.raises(ValueError, match="'strong' or 'weak'"):
        ledger.record("medium")
    with pytest.raises(ValueError, match="negative"):
        ledger.record("weak", input_tokens=-1)
    with pytest.raises(ValueError, match="non-negative"):
        Price(-1.0, 0.0)


def test_ledger_totals_are_exact_under_concurrency():
    ledger = RoutingLedger()
    rng = np.random.default_rng(0)
    plan = [("strong" if rng.random() < 0.3 else "weak", int(rng.integers(0, 500)), int(rng.integers(0, 200)))
            for _ in range(8000)]

    def work(chunk):
        for model, tokens_in, tokens_out in chunk:
            ledger.record(model, tokens_in, tokens_out)

    threads = [threading.Thread(target=work, args=(plan[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snap = ledger.snapshot()
    for model, usage in (("strong", snap.strong), ("weak", snap.weak)):
        rows = [p for p in plan if p[0] == model]
        assert usage.calls == len(rows)
        assert usage.input_tokens == sum(r[1] for r in rows)
        assert usage.output_tokens == sum(r[2] for r in rows)


def test_cost_budget_turns_a_spend_target_into_a_strong_share():
    ledger = RoutingLedger(strong_price=Price(10.0, 10.0), weak_price=Price(1.0, 1.0))
    budget = CostBudget(ledger, cost_per_call=0.004, fallback_fraction=0.2)
    assert budget.strong_fraction() == 0.2  # nothing seen yet
    ledger.record("strong", 500, 500)  # 0.01 per strong call
    ledger.record("weak", 500, 500)  # 0.001 per weak call
    assert budget.strong_fraction() == pytest.approx((0.004 - 0.001) / (0.01 - 0.001))
    per_token = CostBudget(ledger, cost_per_million_tokens=5.5)
    assert per_token.strong_fraction() == pytest.approx(0.5)
    assert CostBudget(ledger, cost_per_call=1.0).strong_fraction() == 1.0
    assert CostBudget(ledger, cost_per_call=0.0).strong_fraction() == 0.0


def test_cost_budget_needs_exactly_one_target():
    with pytest.raises(ValueError, match="exactly one"):
        CostBudget(RoutingLedger())
    with pytest.raises(ValueError, match="exactly one"):
        CostBudget(RoutingLedger(), cost_per_call=1, cost_per_million_tokens=1)
