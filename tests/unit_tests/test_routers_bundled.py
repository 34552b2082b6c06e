"""The routers shipped inside the package: loadable offline by name, small, honest cards."""

import json

import numpy as np
import pytest

from routellm_core import available_routers, load_router
from routellm_core.registry import bundled_checkpoint_names, bundled_checkpoints_dir
from tests.helpers import SHARED_DATA, requires_shared_data

PERMISSIVE = {"Apache-2.0", "MIT"}
PROMPTS = ["hi", "Prove that the square root of 2 is irrational.", "Write a Python function that parses JSON."]


def bundled(name):
    if name not in bundled_checkpoint_names():
        pytest.fail(f"the package ships no {name!r} router (expected in {bundled_checkpoints_dir()})")
    return load_router(name)


@pytest.mark.parametrize("name", ["mf", "default"])
def test_bundled_router_loads_offline_and_scores(name):
    router = bundled(name)
    scores = router.win_probabilities(PROMPTS)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert router.name == name and name in available_routers()


def test_mf_is_the_papers_matrix_factorisation():
    assert bundled("mf").kind == "mf"


@pytest.mark.parametrize("name", ["mf", "default"])
def test_bundled_router_is_small_and_trained_on_permissive_data_only(name):
    folder = bundled_checkpoints_dir() / name
    assert sum(f.stat().st_size for f in folder.iterdir()) < 5_000_000
    card = json.loads((folder / "config.json").read_text())["card"]
    licences = {lic for per_set in card["training_data"]["licences"].values() for lic in per_set}
    assert licences and licences <= PERMISSIVE
    assert {"hyper_parameters", "training_time_seconds", "evaluation"} <= set(card)


def test_default_card_meets_the_quality_bar():
    """Beat random on each yardstick and prompt length on their mean (figures as recorded)."""
    card = bundled("default").card
    figures, length = card["evaluation"], card["baselines"]["length"]
    yardsticks = ("mmlu", "gsm8k", "arena_bench_cv5")
    assert all(figures[y]["apgr"] > 0.5 for y in yardsticks)
    mean = np.mean([figures[y]["apgr"] for y in yardsticks])
    assert mean > np.mean([length[y]["apgr"] for y in yardsticks])


@pytest.mark.slow
@requires_shared_data
@pytest.mark.parametrize("name", ["mf", "default"])
def test_card_figures_reproduce_on_the_evaluation_sets(name):
    from routellm_core.training.evaluate import evaluate_router

    router = bundled(name)
    results = evaluate_router(router, SHARED_DATA / "routellm_evals")
    for benchmark, result in results.items():
        assert result.apgr == pytest.approx(router.card["evaluation"][benchmark]["apgr"], abs=2e-3)
