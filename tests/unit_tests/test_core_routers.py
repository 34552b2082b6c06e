import math
import subprocess
import sys

import numpy as np
import pytest

from routellm_core import (
    RoutingDecision,
    UnknownRouterError,
    available_routers,
    calibrate_threshold,
    load_router,
    strong_share,
)
from routellm_core.calibration import threshold_for_share


def test_baselines_are_loadable_by_name():
    assert {"random", "length", "default"} <= set(available_routers())
    for name in ("random", "length"):
        router = load_router(name)
        assert router.name == name
        p = router.win_probability("Prove that there are infinitely many primes.")
        assert 0.0 <= p <= 1.0


def test_length_router_prefers_longer_prompts():
    router = load_router("length")
    short, long = router.win_probabilities(["hi", "Explain in detail how a compiler turns source into machine code."])
    assert long > short


def test_random_router_is_reproducible_and_spread():
    router = load_router("random")
    prompts = [f"prompt number {i}" for i in range(2000)]
    first, second = router.win_probabilities(prompts), router.win_probabilities(prompts)
    np.testing.assert_array_equal(first, second)
    assert 0.45 < first.mean() < 0.55
    assert np.histogram(first, bins=10, range=(0, 1))[0].min() > 150  # roughly uniform


def test_route_returns_a_decision():
    decision = load_router("length").route("hello", threshold=0.0)
    assert isinstance(decision, RoutingDecision)
    assert decision.model == "strong" and decision.threshold == 0.0 and decision.router == "length"
    assert load_router("length").route("hello", threshold=1.0).model == "weak"


def test_decision_metadata_has_the_public_fields():
    meta = RoutingDecision.from_score(0.7, 0.5, "mf").as_metadata("gpt-4o")
    assert meta["model"] == "strong" and meta["model_name"] == "gpt-4o"
    assert {"model", "model_name", "win_probability", "threshold", "router"} <= set(meta)


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, "0.5", None, True])
def test_thresholds_outside_the_unit_interval_are_refused(bad):
    with pytest.raises(ValueError, match="threshold"):
        load_router("length").route("hello", threshold=bad)


def test_unknown_router_lists_known_names():
    with pytest.raises(UnknownRouterError, match="random"):
        load_router("no-such-router")


def test_load_router_rejects_wrong_types():
    with pytest.raises(TypeError, match="router must be"):
        load_router(42)


def test_empty_and_wrongly_typed_prompt_lists_are_refused():
    router = load_router("length")
    with pytest.raises(ValueError, match="empty"):
        router.win_probabilities([])
    with pytest.raises(TypeError, match="list of prompts"):
        router.win_probabilities("a string")
    with pytest.raises(TypeError, match="prompt 1"):
        router.win_probabilities(["ok", None])


def test_calibration_hits_the_target_share():
    router = load_router("random")
    prompts = [f"calibration prompt {i}" for i in range(1000)]
    for fraction in (0.0, 0.1, 0.3, 0.5, 1.0):
        threshold = calibrate_threshold(router, prompts, fraction)
        assert strong_share(router, prompts, threshold) == pytest.approx(fraction, abs=0.002)


def test_threshold_for_share_with_ties_never_goes_below_the_target():
    scores = np.array([0.5] * 10 + [0.9] * 2)
    threshold = threshold_for_share(scores, 0.25)
    assert np.mean(scores >= threshold) >= 0.25


def test_calibration_refuses_bad_input():
    router = load_router("length")
    with pytest.raises(ValueError, match="at least one prompt"):
        calibrate_threshold(router, [], 0.3)
    with pytest.raises(ValueError, match="strong_fraction"):
        calibrate_threshold(router, ["a"], 1.2)
    with pytest.raises(TypeError):
        calibrate_threshold(router, "one string", 0.3)


def test_importing_the_core_does_not_import_torch():
    code = "import sys, routellm_core; routellm_core.load_router('length').win_probability('x'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
