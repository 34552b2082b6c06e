"""The loaders and decontamination on the real data beside the checkout: the data README's figures.

Fast checks (text rules only) run by default; the full pass with embeddings is marked slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from routellm_core.data import (
    APACHE_2,
    CC_BY_NC_4,
    MIT,
    decontaminate,
    evaluation_prompts,
    load_alpaca_eval,
    load_arena_bench,
    load_arena_hard_prompts,
    load_llmrouter,
    load_mmlu_pro,
    load_training_battles,
    require_licences,
)
from tests.helpers import SHARED_DATA, requires_shared_data

pytestmark = [requires_shared_data, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def eval_prompts():
    return evaluation_prompts(SHARED_DATA / "routellm_evals")


def test_arena_bench_figures():
    outcomes = load_arena_bench(SHARED_DATA)
    assert len(outcomes) == 300 and len(outcomes.models) == 15
    means = outcomes.table[outcomes.models].mean()  # each model over the prompts it was judged on
    assert means["gpt-4-1106-preview"] == pytest.approx(8.87, abs=0.005)
    assert means["mistralai/Mixtral-8x7B-Instruct-v0.1"] == pytest.approx(6.54, abs=0.005)
    assert len(outcomes.head_to_head("gpt4_1106_preview", "mixtral-8x7b-instruct-v0.1")) == 293
    assert set(outcomes.table["licence"]) == {APACHE_2}


def test_llmrouter_figures():
    outcomes = load_llmrouter(SHARED_DATA)
    assert len(outcomes) == 6108 and len(outcomes.models) == 9
    assert outcomes.table["category"].nunique() == 14
    assert set(outcomes.table["licence"]) == {MIT}
    assert np.nanmin(outcomes.scores()) >= 0 and np.nanmax(outcomes.scores()) <= 1


def test_mmlu_pro_figures():
    clean = load_mmlu_pro(SHARED_DATA)
    assert len(clean) == 5222 and len(clean.models) == 30
    assert not clean.table["origin"].str.startswith("ori_mmlu").any()
    everything = load_mmlu_pro(SHARED_DATA, exclude_mmlu_origin=False)
    assert len(everything) == 12032
    head = everything.head_to_head("gpt-4o-2024-05-13", "Mixtral-8x7B-Instruct-v0.1")
    assert head["strong"].mean() == pytest.approx(0.721, abs=0.001)
    assert head["weak"].mean() == pytest.approx(0.419, abs=0.001)
    assert ((head["strong"] == 1) & (head["weak"] == 0)).sum() == 4219  # gpt-4o alone right
    assert ((head["strong"] == 0) & (head["weak"] == 1)).sum() == 588  # Mixtral alone right


def test_alpaca_eval_figures():
    battles = load_alpaca_eval(SHARED_DATA)
    assert battles["prompt"].nunique() == 805
    assert set(battles["licence"]) == {CC_BY_NC_4}
    with pytest.raises(ValueError, match="CC-BY-NC-4.0"):
        require_licences(battles)  # a bundled router must refuse it
    pair = battles[(battles["model_a"] == "gpt4_1106_preview") & (battles["model_b"] == "Mixtral-8x7B-Instruct-v0.1")
                   & (battles["annotator"] == "alpaca_eval_gpt4_turbo_fn")]
    mixtral_share = ((pair["winner"] == "b").sum() + 0.5 * (pair["winner"] == "tie").sum()) / len(pair)
    assert mixtral_share == pytest.approx(0.228, abs=0.001)  # the README's 22.8 %


def test_arena_hard_prompts():
    prompts = load_arena_hard_prompts(SHARED_DATA)
    assert len(prompts) == 500 and all(p.strip() for p in prompts)


def test_battles_from_every_labelled_set():
    for name, ties in (("arena_bench", True), ("llmrouter", False)):
        battles = load_training_battles(name, SHARED_DATA)
        assert ("tie" in set(battles["winner"])) == ties, name


def test_evaluation_prompt_counts(eval_prompts):
    assert len(eval_prompts["mmlu"]) > 13_900  # 14,042 rows, a few duplicate prompts
    assert len(eval_prompts["gsm8k"]) == 1319
    assert len(eval_prompts["mt-bench"]) == 160  # 80 questions x 2 turns


def test_text_rules_reproduce_the_measured_contamination(eval_prompts):
    _, llmrouter = decontaminate(load_llmrouter(SHARED_DATA), eval_prompts, use_embeddings=False, progress=False)
    by_rule = llmrouter.prompts_by_rule()
    assert llmrouter.dropped_prompts["exact"] == {"gsm8k": 50}  # README: 50 exact after normalising
    assert 330 <= by_rule["exact"] + by_rule["span"] <= 350  # README: 340 rows by exact + spans + prefix
    assert set(llmrouter.prompts_by_set()) == {"mmlu", "gsm8k"}

    _, alpaca = decontaminate(load_alpaca_eval(SHARED_DATA), eval_prompts, use_embeddings=False, progress=False)
    assert alpaca.prompts_dropped == 2 and alpaca.prompts_by_set() == {"mt-bench": 2}

    _, arena = decontaminate(load_arena_bench(SHARED_DATA), eval_prompts, use_embeddings=False, progress=False)
    assert arena.prompts_dropped == 1

    _, mmlu_pro = decontaminate(load_mmlu_pro(SHARED_DATA), eval_prompts, use_embeddings=False, progress=False)
    assert mmlu_pro.prompts_dropped == 0  # the non-MMLU questions are clean


def test_mmlu_origin_questions_match_mmlu(eval_prompts):
    outcomes = load_mmlu_pro(SHARED_DATA, exclude_mmlu_origin=False)
    origin = outcomes.subset(outcomes.table["origin"].str.startswith("ori_mmlu"))
    _, report = decontaminate(origin, eval_prompts, use_embeddings=False, progress=False)
    assert report.prompts_by_set() == {"mmlu": report.prompts_dropped}
    assert report.prompts_dropped / report.prompts_before > 0.9


@pytest.mark.slow
def test_full_decontamination_with_embeddings(eval_prompts):
    """All four rules, MiniLM embeddings (minutes on two cores the first time; cached on disk after)."""
    for loader in (load_arena_bench, load_llmrouter, load_alpaca_eval, load_mmlu_pro):
        table = loader(SHARED_DATA)
        _, text = decontaminate(table, eval_prompts, use_embeddings=False, progress=False)
        clean, full = decontaminate(table, eval_prompts)
        assert full.prompts_dropped >= text.prompts_dropped
        assert full.prompts_by_rule()["exact"] == text.prompts_by_rule()["exact"]
        print(full)
