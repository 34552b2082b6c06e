"""N-model routing on the real RouterBench subset beside the checkout (skipped where the data is absent).

The figures of docs/n_models.md that need no sentence encoder: the tables, the single models, the best
mix and the oracle; and a router trained on the train split with a bag-of-words embedder (instant,
no model) that must already clear the acceptance bar on the test split.
"""

from __future__ import annotations

import numpy as np
import pytest

from routellm_core.data import load_per_model_outcomes
from routellm_core.evaluation.n_models import evaluate_n_models
from tests.helpers import SHARED_DATA, requires_shared_data

from .synthetic_battles import HashingEmbedder

pytestmark = [requires_shared_data, pytest.mark.shared_data]

FOLDER = SHARED_DATA / "routerbench_subset"
TASKS = ("arc_challenge", "mbpp", "winograde")


def split(name: str):
    return load_per_model_outcomes([FOLDER / f"{task}_{name}.csv.gz" for task in TASKS])


@pytest.fixture(scope="module")
def test_split():
    return split("test")


def test_tables(test_split):
    train = split("train")
    assert len(train) == 1039 + 299 + 887 and len(test_split) == 445 + 128 + 380
    assert len(test_split.models) == 11 and "gpt-4-1106-preview" in test_split.models
    assert np.bincount(test_split.file_index).tolist() == [445, 128, 380]
    arc = test_split.subset(test_split.file_index == 0)
    quality = arc.mean_quality()  # the empty cells of 8 ARC rows count as wrong
    assert quality["gpt-4-1106-preview"] == pytest.approx(420 / 445)
    assert quality["mistralai/mixtral-8x7b-chat"] == pytest.approx(0.8517, abs=1e-4)
    assert test_split.mean_costs()["gpt-4-1106-preview"] == pytest.approx(0.005033, abs=1e-6)
    assert not any(p.startswith("['") for p in test_split.prompts)  # list literals unwrapped


def test_baselines_and_a_bag_of_words_router(test_split, tmp_path, monkeypatch, one_thread):
    from routellm_core.training.mf_quality import train_on_outcomes

    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    router = train_on_outcomes(split("train"), embedder=HashingEmbedder(64), show_progress=False, epochs=10)
    evaluation = evaluate_n_models(test_split, [router])
    assert evaluation.cost_range == pytest.approx((0.0000818, 0.0050330), abs=1e-7)
    assert evaluation.best_mix.area == pytest.approx(0.8178, abs=1e-4)
    assert [p["model"] for p in evaluation.best_mix.points] == [
        "mistralai/mistral-7b-chat", "mistralai/mixtral-8x7b-chat", "zero-one-ai/Yi-34B-Chat", "gpt-4-1106-preview"]
    assert evaluation.curve("oracle").points[0]["quality"] == pytest.approx(0.9738, abs=1e-4)
    margin = evaluation.curve(router.name).area - evaluation.best_mix.area
    assert margin > 0.01, f"a router trained on the train split lies only {margin:+.4f} above the best mix"
