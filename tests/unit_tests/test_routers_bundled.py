"""The routers shipped inside the package: loadable offline by name, small, honest cards."""

import json

import numpy as np
import pytest

from routellm_core import available_routers, load_router
from routellm_core.registry import _ALIASES, bundled_checkpoint_names, bundled_checkpoints_dir
from tests.helpers import SHARED_DATA, requires_shared_data

PERMISSIVE = {"Apache-2.0", "MIT"}
PROMPTS = ["hi", "Prove that the square root of 2 is irrational.", "Write a Python function that parses JSON."]
LEARNED = ["mf", "difficulty"]


#: What every shipped checkpoint folder holds.
SHIPPED_FILES = ("config.json", "model.safetensors", "README.md")


def bundled(name):
    """The shipped router `name`. A missing checkpoint file fails: the package is broken, not the test moot."""
    folder = bundled_checkpoints_dir() / name
    missing = [file for file in SHIPPED_FILES if not (folder / file).is_file()]
    if missing:
        pytest.fail(
            f"the shipped {name!r} checkpoint lacks {', '.join(missing)} (looked in {folder}): rebuild it with "
            f"`python -m routellm_core.training.bundled {name}`, or check that the install copied "
            "routellm_core/checkpoints (package-data in pyproject.toml)",
            pytrace=False,
        )
    assert name in bundled_checkpoint_names()
    return load_router(name)


@pytest.mark.parametrize("name", LEARNED)
def test_every_learned_router_ships_its_files(name):
    bundled(name)


def test_a_missing_shipped_file_fails_rather_than_skips(tmp_path, monkeypatch):
    import sys

    (tmp_path / "mf").mkdir()
    (tmp_path / "mf" / "config.json").write_text("{}")
    monkeypatch.setattr(sys.modules[__name__], "bundled_checkpoints_dir", lambda: tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"shipped 'mf' checkpoint lacks model.safetensors, README.md"):
        bundled("mf")


@pytest.mark.parametrize("name", LEARNED)
def test_bundled_router_loads_offline_and_scores(name):
    router = bundled(name)
    scores = router.win_probabilities(PROMPTS)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert router.name == name and name in available_routers()


def test_mf_is_the_papers_matrix_factorisation():
    assert bundled("mf").kind == "mf"


@pytest.mark.parametrize("name", LEARNED)
def test_bundled_router_is_small_and_trained_on_permissive_data_only(name):
    bundled(name)
    folder = bundled_checkpoints_dir() / name
    assert sum(f.stat().st_size for f in folder.iterdir()) < 5_000_000
    card = json.loads((folder / "config.json").read_text())["card"]
    licences = {lic for per_set in card["training_data"]["licences"].values() for lic in per_set}
    assert licences and licences <= PERMISSIVE
    assert {"hyper_parameters", "training_time_seconds", "evaluation", "baselines"} <= set(card)
    assert {"mmlu", "gsm8k", "arena_bench_cv5"} <= set(card["evaluation"])


def _mean_apgr(figures):
    return float(np.mean([figures[y]["apgr"] for y in ("mmlu", "gsm8k", "arena_bench_cv5")]))


def test_default_is_the_best_router_by_the_recorded_yardsticks():
    """`default` resolves to a learned router only if its card beats length on the mean and random on each."""
    default = load_router("default")
    target = "default" if "default" in bundled_checkpoint_names() else _ALIASES["default"]
    if target in bundled_checkpoint_names():
        card = default.card
        assert all(card["evaluation"][y]["apgr"] > card["baselines"]["random"][y]["apgr"]
                   for y in ("mmlu", "gsm8k", "arena_bench_cv5"))
        assert _mean_apgr(card["evaluation"]) > _mean_apgr(card["baselines"]["length"])
    else:  # no learned router clears the bar yet: the default stays the length baseline
        assert default.kind == "length"
        for name in [n for n in LEARNED if n in bundled_checkpoint_names()]:
            card = bundled(name).card
            assert _mean_apgr(card["evaluation"]) <= _mean_apgr(card["baselines"]["length"])


@pytest.mark.slow
@requires_shared_data
@pytest.mark.parametrize("name", LEARNED)
def test_card_figures_reproduce_on_the_evaluation_sets(name):
    from routellm_core.training.evaluate import evaluate_router

    router = bundled(name)
    results = evaluate_router(router, SHARED_DATA / "routellm_evals")
    for benchmark, result in results.items():
        assert result.apgr == pytest.approx(router.card["evaluation"][benchmark]["apgr"], abs=2e-3)
