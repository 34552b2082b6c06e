"""The routers shipped inside the package: loadable offline by name, small, honest cards."""

import json

import numpy as np
import pytest

from routellm_core import available_routers, load_router
from routellm_core.registry import _ALIASES, bundled_checkpoint_names, bundled_checkpoints_dir
from tests.helpers import SHARED_DATA, requires_shared_data

PERMISSIVE = {"Apache-2.0", "MIT"}
PROMPTS = ["hi", "Prove that the square root of 2 is irrational.", "Write a Python function that parses JSON."]
LEARNED = ["mf", "difficulty", "gated_experts"]
#: The yardsticks every bundled card records: MMLU, GSM8K and the chat yardstick (arena_bench CV).
YARDSTICKS = ("mmlu", "gsm8k", "arena_bench_cv5")


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
    return float(np.mean([figures[y]["apgr"] for y in YARDSTICKS]))


def test_default_card_figures_against_length_and_random():
    """`default` is a learned router whose card beats random on every yardstick and prompt length on the
    chat yardsticks; wherever it does not beat length, the card names that yardstick in `known_limits`
    (docs/routers.md says why), so the card never claims more than its figures show."""
    default = load_router("default")
    target = "default" if "default" in bundled_checkpoint_names() else _ALIASES["default"]
    assert target in bundled_checkpoint_names() and default.kind == "gated_experts"
    card = default.card
    evaluation, length, random = card["evaluation"], card["baselines"]["length"], card["baselines"]["random"]
    assert all(evaluation[y]["apgr"] > random[y]["apgr"] for y in YARDSTICKS)
    assert evaluation["arena_bench_cv5"]["repeats"] == 3  # the chat yardstick: three fold seeds
    chat = [y for y in ("arena_bench_cv5", "alpaca_eval_chat") if y in evaluation]
    assert all(evaluation[y]["apgr"] > length[y]["apgr"] for y in chat)
    behind_length = sorted(y for y in evaluation if y in length and evaluation[y]["apgr"] <= length[y]["apgr"])
    assert card["known_limits"] == behind_length
    for y, row in card["versus_baselines"].items():
        assert row == {"apgr": evaluation[y]["apgr"], "length": length[y]["apgr"], "random": random[y]["apgr"]}


def test_default_routes_on_the_shipped_static_embedding():
    router = load_router("default")
    assert router.embedding_model == "model2vec:minilm-l6-m2v"
    assert router.card["training_time_seconds"] < 600  # training the bundled routers stays under 10 minutes


@pytest.mark.slow
@requires_shared_data
@pytest.mark.parametrize("name", LEARNED)
def test_card_figures_reproduce_on_the_evaluation_sets(name):
    from routellm_core.training.evaluate import evaluate_router

    router = bundled(name)
    results = evaluate_router(router, SHARED_DATA / "routellm_evals")
    for benchmark, result in results.items():
        assert result.apgr == pytest.approx(router.card["evaluation"][benchmark]["apgr"], abs=2e-3)
