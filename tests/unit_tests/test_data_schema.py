"""The battle schema: validation errors name the problem; licences can be checked per source."""

from __future__ import annotations

import pandas as pd
import pytest

from routellm_core.data import (
    APACHE_2,
    BATTLE_COLUMNS,
    CC_BY_NC_4,
    MIT,
    BattleSchemaError,
    LicenceError,
    battle_summary,
    licences_by_source,
    model_key,
    require_licences,
    same_model,
    validate_battles,
)
from routellm_core.data.models import find_model
from routellm_core.errors import RouteLLMError


def battles(**overrides) -> pd.DataFrame:
    table = pd.DataFrame({
        "prompt": ["Prove it.", "Say hi", "Sort a list"],
        "model_a": ["gpt-4", "mixtral", "gpt-4"],
        "model_b": ["mixtral", "gpt-4", "llama"],
        "winner": ["a", "tie", "b"],
        "source": ["s1", "s1", "s2"],
        "licence": [APACHE_2, APACHE_2, MIT],
    })
    for column, values in overrides.items():
        table[column] = values
    return table


def test_valid_table_passes_and_keeps_extra_columns():
    table = battles(prompt_id=["1", "2", "3"])
    out = validate_battles(table)
    assert list(out.columns[:6]) == list(BATTLE_COLUMNS)
    assert out["prompt_id"].tolist() == ["1", "2", "3"]
    assert out is not table  # a copy: the caller's table is not modified


def test_missing_column_is_named():
    with pytest.raises(BattleSchemaError, match="licence"):
        validate_battles(battles().drop(columns=["licence"]))


def test_errors_are_value_errors_of_the_core():
    with pytest.raises(RouteLLMError):
        validate_battles(battles().drop(columns=["winner"]))
    with pytest.raises(ValueError):
        validate_battles(battles().drop(columns=["winner"]))


def test_not_a_dataframe_is_refused():
    with pytest.raises(BattleSchemaError, match="DataFrame"):
        validate_battles([{"prompt": "x"}])


def test_empty_table_is_refused():
    with pytest.raises(BattleSchemaError, match="no rows"):
        validate_battles(battles().iloc[:0])


def test_unknown_winner_is_named_with_rows():
    with pytest.raises(BattleSchemaError, match=r"'c'.*rows \[1\]"):
        validate_battles(battles(winner=["a", "c", "b"]))


def test_other_winner_spellings_are_mapped():
    out = validate_battles(battles(winner=["model_a", "tie (bothbad)", "MODEL_B"]))
    assert out["winner"].tolist() == ["a", "tie", "b"]


def test_empty_prompt_is_refused():
    with pytest.raises(BattleSchemaError, match="empty prompt"):
        validate_battles(battles(prompt=["ok", "   ", "fine"]))


def test_empty_prompt_in_categorical_column_is_refused():
    table = battles(prompt=pd.Categorical(["ok", " ", "ok"]))
    with pytest.raises(BattleSchemaError, match="empty prompt"):
        validate_battles(table)


def test_missing_values_are_refused():
    with pytest.raises(BattleSchemaError, match="'model_b' has 1 missing"):
        validate_battles(battles(model_b=["mixtral", None, "llama"]))


def test_self_play_is_refused():
    with pytest.raises(BattleSchemaError, match="against itself"):
        validate_battles(battles(model_b=["gpt-4", "gpt-4", "llama"]))


@pytest.mark.parametrize("weight", [[1.0, -0.5, 1.0], [1.0, float("inf"), 1.0], [1.0, "heavy", 1.0]])
def test_bad_weights_are_refused(weight):
    with pytest.raises(BattleSchemaError, match="weight"):
        validate_battles(battles(weight=weight))


def test_licences_by_source_and_require_licences():
    table = battles()
    assert licences_by_source(table) == {"s1": [APACHE_2], "s2": [MIT]}
    require_licences(table)  # Apache + MIT: allowed for a bundled router
    table.loc[2, "licence"] = CC_BY_NC_4
    with pytest.raises(LicenceError, match="s2: CC-BY-NC-4.0"):
        require_licences(table)
    require_licences(table, allowed={APACHE_2, MIT, CC_BY_NC_4})  # a research run may allow it


def test_battle_summary_counts_per_source():
    summary = battle_summary(validate_battles(battles())).set_index("source")
    assert summary.loc["s1", "battles"] == 2
    assert summary.loc["s1", "ties"] == pytest.approx(0.5)
    assert summary.loc["s2", "b_wins"] == pytest.approx(1.0)


def test_model_key_matches_spellings_across_sets():
    assert same_model("gpt4_1106_preview", "gpt-4-1106-preview")
    assert same_model("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b-instruct-v0.1")
    assert not same_model("gpt-4-0314", "gpt-4-0613")
    assert model_key("Org/Model_X") == "modelx"
    assert find_model("gpt4_1106_preview", ["claude-1", "gpt-4-1106-preview"]) == "gpt-4-1106-preview"
    assert find_model("nobody", ["claude-1"]) is None
