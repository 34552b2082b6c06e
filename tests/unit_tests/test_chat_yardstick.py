"""The held-out chat yardstick: AlpacaEval's GPT-4-1106 vs Mixtral verdicts as a benchmark."""

import numpy as np
import pandas as pd
import pytest

from routellm_core.routers import LengthRouter
from routellm_core.training.evaluate import ALPACA_CHAT, ALPACA_PAIR_FILE, alpaca_eval_chat, evaluate_chat
from tests.helpers import SHARED_DATA, requires_shared_data

from .synthetic_battles import HashingEmbedder


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))


def write_pairs(root, rows):
    path = root / ALPACA_PAIR_FILE
    path.parent.mkdir(parents=True)
    pd.DataFrame(rows, columns=["instruction_id", "dataset", "instruction", "preference_1gpt4_2mixtral",
                                "mixtral_win"]).to_csv(path, index=False)


def test_verdicts_become_strong_and_weak_quality_and_training_prompts_are_dropped(tmp_path):
    write_pairs(tmp_path, [
        (0, "koala", "Write a haiku about rain.", 1.0, 0.0),
        (1, "oasst", "Explain the proof of the four colour theorem in detail, with its history.", 2.0, 1.0),
        (2, "vicuna", "What is the capital of France?", 1.5, 0.5),
        (3, "koala", "Summarise the plot of Hamlet in three sentences.", 1.0, 0.0),
    ])
    benchmark, report = alpaca_eval_chat(tmp_path, ["  what is the CAPITAL of france?"], embedder=HashingEmbedder())
    assert benchmark.name == ALPACA_CHAT and len(benchmark) == 3 and benchmark.dropped_contaminated == 1
    assert "What is the capital of France?" not in benchmark.prompts
    np.testing.assert_array_equal(benchmark.strong_scores, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(benchmark.weak_scores, [0.0, 1.0, 0.0])
    assert benchmark.strong_model == "gpt-4-1106-preview" and report["dropped"] == 1
    result = evaluate_chat(LengthRouter(), benchmark)
    assert result.n == 3 and result.apgr < 0.5  # the longest instruction is the one Mixtral won


@pytest.mark.shared_data
@requires_shared_data
def test_the_real_yardstick_has_805_instructions_and_the_published_win_rate():
    benchmark, _ = alpaca_eval_chat(SHARED_DATA)
    assert len(benchmark) == 805
    assert benchmark.weak_mean == pytest.approx(0.228, abs=0.002)  # Mixtral wins 22.8 %
