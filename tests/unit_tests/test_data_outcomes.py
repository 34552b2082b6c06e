"""Per-prompt outcome tables and the battles built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routellm_core.data import DataError, PromptOutcomes, outcomes_to_battles


def judge_outcomes() -> PromptOutcomes:
    table = pd.DataFrame({
        "prompt_id": ["p1", "p2", "p3"],
        "prompt": ["Prove Fermat", "Say hi", "Write a sonnet"],
        "source": "judge_set",
        "licence": "Apache-2.0",
        "strong": [9.0, 8.0, 7.0],
        "mid": [5.0, 8.0, np.nan],
        "weak": [2.0, 8.0, 9.0],
    })
    return PromptOutcomes(table, ["strong", "mid", "weak"], "judge", (1.0, 10.0), name="judge_set")


def correctness_outcomes() -> PromptOutcomes:
    table = pd.DataFrame({
        "prompt_id": ["q1", "q2", "q3", "q4"],
        "prompt": ["2+2?", "Integrate x^2", "Capital of France?", "Prove P != NP"],
        "source": "bench",
        "licence": "MIT",
        "gpt4": [1.0, 1.0, 1.0, 0.0],
        "mixtral": [1.0, 0.0, 1.0, 0.0],
        "llama": [0.0, 0.0, 1.0, 0.0],
    })
    return PromptOutcomes(table, ["gpt4", "mixtral", "llama"], "correctness", name="bench")


def winner_of(battles: pd.DataFrame, prompt: str, first: str, second: str) -> str:
    """Which of two models won on a prompt, whatever side each played ('first', 'second' or 'tie')."""
    rows = battles[(battles["prompt"] == prompt)
                   & (battles[["model_a", "model_b"]].apply(set, axis=1) == {first, second})]
    assert len(rows) == 1, rows
    row = rows.iloc[0]
    if row["winner"] == "tie":
        return "tie"
    winner_model = row["model_a"] if row["winner"] == "a" else row["model_b"]
    return "first" if winner_model == first else "second"


def test_judge_battles_higher_score_wins_equal_ties():
    battles = outcomes_to_battles(judge_outcomes())
    assert winner_of(battles, "Prove Fermat", "strong", "weak") == "first"
    assert winner_of(battles, "Write a sonnet", "strong", "weak") == "second"
    assert winner_of(battles, "Say hi", "strong", "mid") == "tie"
    # "mid" has no score on p3: its pairs there are skipped; 3 pairs x 3 prompts - 2 = 7 battles
    assert len(battles) == 7
    assert set(battles["source"]) == {"judge_set"} and set(battles["licence"]) == {"Apache-2.0"}


def test_correctness_battles_drop_ties_keep_one_right_one_wrong():
    battles = outcomes_to_battles(correctness_outcomes(), ties="drop")
    assert "tie" not in set(battles["winner"])
    # decisive pairs: q1 (gpt4>llama, mixtral>llama), q2 (gpt4>mixtral, gpt4>llama)
    assert len(battles) == 4
    assert winner_of(battles, "Integrate x^2", "gpt4", "mixtral") == "first"
    assert set(battles["prompt"]) == {"2+2?", "Integrate x^2"}


def test_sides_are_shuffled_by_seed_and_kept_without():
    outcomes = judge_outcomes()
    fixed = outcomes_to_battles(outcomes, seed=None)
    pairs = list(zip(fixed["model_a"], fixed["model_b"]))
    order = {"strong": 0, "mid": 1, "weak": 2}
    assert all(order[a] < order[b] for a, b in pairs)  # the pair order of the model list
    big = pd.concat([outcomes.table] * 200, ignore_index=True)
    big["prompt_id"] = range(len(big))
    shuffled = outcomes_to_battles(PromptOutcomes(big, outcomes.models, "judge", (1, 10)), seed=0)
    involves_strong = (shuffled["model_a"] == "strong") | (shuffled["model_b"] == "strong")
    share_strong_first = (shuffled["model_a"] == "strong")[involves_strong].mean()
    assert 0.4 < share_strong_first < 0.6  # about half of strong's battles put it on side a
    assert 0.4 < (shuffled["winner"] == "a").sum() / (shuffled["winner"] != "tie").sum() < 0.6
    again = outcomes_to_battles(PromptOutcomes(big, outcomes.models, "judge", (1, 10)), seed=0)
    pd.testing.assert_frame_equal(shuffled, again)  # reproducible


def test_swapping_sides_keeps_the_true_winner():
    outcomes = judge_outcomes()
    for seed in (0, 1, 2):
        battles = outcomes_to_battles(outcomes, seed=seed)
        assert winner_of(battles, "Prove Fermat", "strong", "weak") == "first"
        assert winner_of(battles, "Write a sonnet", "weak", "strong") == "first"


def test_pairs_and_models_restrict_battles():
    outcomes = judge_outcomes()
    one_pair = outcomes_to_battles(outcomes, pairs=[("strong", "weak")])
    assert len(one_pair) == 3
    assert set(one_pair["model_a"]) | set(one_pair["model_b"]) == {"strong", "weak"}
    two = outcomes_to_battles(outcomes, models=["strong", "mid"])
    assert len(two) == 2  # mid is unscored on p3


def test_tie_margin_turns_close_scores_into_ties():
    wide = outcomes_to_battles(judge_outcomes(), pairs=[("mid", "weak")], tie_margin=3.0)
    assert winner_of(wide, "Prove Fermat", "mid", "weak") == "tie"  # 5 vs 2: within the margin
    narrow = outcomes_to_battles(judge_outcomes(), pairs=[("mid", "weak")], tie_margin=2.5)
    assert winner_of(narrow, "Prove Fermat", "mid", "weak") == "first"


def test_prompt_column_is_categorical_and_validates():
    battles = outcomes_to_battles(judge_outcomes())
    assert isinstance(battles["prompt"].dtype, pd.CategoricalDtype)
    assert battles["prompt_id"].tolist() == sorted(battles["prompt_id"].tolist())


@pytest.mark.parametrize("kwargs, message", [
    ({"ties": "maybe"}, "ties must be"),
    ({"tie_margin": -1.0}, "tie_margin"),
    ({"pairs": []}, "pairs is empty"),
    ({"pairs": [("strong", "strong")]}, "same model twice"),
    ({"models": ["strong"]}, "at least two models"),
    ({"models": ["nobody", "strong"]}, "no model 'nobody'"),
    ({"models": ["strong", "mid"], "pairs": [("strong", "mid")]}, "either models or pairs"),
])
def test_bad_conversion_options_are_named(kwargs, message):
    with pytest.raises(DataError, match=message):
        outcomes_to_battles(judge_outcomes(), **kwargs)


def test_no_decisive_battles_is_an_error():
    table = correctness_outcomes().table.assign(gpt4=1.0, mixtral=1.0, llama=1.0)
    outcomes = PromptOutcomes(table, ["gpt4", "mixtral", "llama"], "correctness")
    with pytest.raises(DataError, match="no battles left"):
        outcomes_to_battles(outcomes, ties="drop")


def test_field_score_and_head_to_head():
    outcomes = correctness_outcomes()
    assert outcomes.field_score().tolist() == pytest.approx([2 / 3, 1 / 3, 1.0, 0.0])
    judge = judge_outcomes()
    assert judge.field_score()[2] == pytest.approx(((7 - 1) / 9 + (9 - 1) / 9) / 2)  # NaN model ignored
    pair = judge.head_to_head("strong", "mid")
    assert pair.columns.tolist() == ["prompt_id", "prompt", "strong", "weak"]
    assert len(pair) == 2  # p3 has no score for mid


def test_model_columns_match_other_spellings():
    table = judge_outcomes().table.rename(columns={"strong": "gpt-4-1106-preview"})
    outcomes = PromptOutcomes(table, ["gpt-4-1106-preview", "mid", "weak"], "judge", (1, 10))
    assert outcomes.model_column("gpt4_1106_preview") == "gpt-4-1106-preview"


def test_subset_keeps_kind_and_models():
    outcomes = correctness_outcomes()
    part = outcomes.subset(outcomes.table["prompt_id"].isin(["q1", "q2"]))
    assert len(part) == 2 and part.models == outcomes.models and part.kind == "correctness"
    with pytest.raises(DataError, match="one value per prompt"):
        outcomes.subset([True])


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns=["licence"]), "licence"),
    (lambda t: t.assign(gpt4=[1.0, 2.0, 0.0, 0.0]), "outside"),
    (lambda t: t.assign(prompt=[None, "a", "b", "c"]), "missing prompt"),
])
def test_invalid_outcome_tables_are_refused(change, message):
    table = change(correctness_outcomes().table)
    with pytest.raises(DataError, match=message):
        PromptOutcomes(table, ["gpt4", "mixtral", "llama"], "correctness")


def test_unknown_kind_and_too_few_models_are_refused():
    table = correctness_outcomes().table
    with pytest.raises(DataError, match="kind"):
        PromptOutcomes(table, ["gpt4", "mixtral"], "elo")
    with pytest.raises(DataError, match="at least two models"):
        PromptOutcomes(table, ["gpt4"], "correctness")
