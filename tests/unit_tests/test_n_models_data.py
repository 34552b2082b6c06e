"""Per-model outcome tables (RouterBench layout): columns, empty cells, prices, clear errors."""

import numpy as np
import pytest

from routellm_core.data import DataError, PromptOutcomes, load_per_model_outcomes, parse_prices
from routellm_core.data.per_model_outcomes import unwrap_prompt

from .synthetic_outcomes import MODELS, PRICES, make_table


@pytest.fixture
def table_file(tmp_path):
    path = tmp_path / "synthetic_train.csv.gz"
    make_table(12).to_csv(path, index=False)
    return path


def test_layout_models_costs_and_prompts(table_file):
    outcomes = load_per_model_outcomes(table_file)
    assert outcomes.models == MODELS  # the columns with a `|total_cost` sibling, in table order
    assert len(outcomes) == 12 and isinstance(outcomes.outcomes, PromptOutcomes)
    assert outcomes.outcomes.kind == "correctness"
    assert outcomes.prompts[1] == "python " + outcomes.prompts[1].split(" ", 1)[1]  # list literal unwrapped
    assert not outcomes.prompts[0].startswith("[")
    np.testing.assert_allclose(outcomes.costs, np.tile([PRICES[m] for m in MODELS], (12, 1)))
    assert outcomes.mean_costs() == pytest.approx(PRICES)
    assert outcomes.sources == ["synthetic"] * 12
    assert outcomes.outcomes.table["prompt_id"][0] == "synthetic.0"


def test_an_empty_correctness_cell_counts_as_wrong(tmp_path):
    frame = make_table(6)
    frame.loc[1, "org/coder"] = np.nan  # prompt 1 is a code prompt the coder got right
    frame.loc[0, "chatter"] = None
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    correct = load_per_model_outcomes(path).correct()
    assert correct[1, 0] == 0.0 and correct[0, 1] == 0.0
    assert not np.isnan(correct).any()


def test_several_files_concatenate_in_order(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.jsonl"
    make_table(4).to_csv(first, index=False)
    make_table(6, seed=1).to_json(second, orient="records", lines=True)
    outcomes = load_per_model_outcomes([first, second])
    assert len(outcomes) == 10 and outcomes.files == [str(first), str(second)]
    assert outcomes.file_index.tolist() == [0] * 4 + [1] * 6


def test_prices_replace_cost_columns_and_name_models(tmp_path):
    frame = make_table(4)[["prompt", "org/coder", "chatter", "tiny"]]  # no cost or response columns
    path = tmp_path / "plain.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="cannot tell which columns are models"):
        load_per_model_outcomes(path)
    with pytest.raises(DataError, match=r"no cost for model 'tiny'.*--price tiny=USD"):
        load_per_model_outcomes(path, models=["coder", "chatter", "tiny"], prices={"coder": 0.02, "chatter": 0.001})
    outcomes = load_per_model_outcomes(path, prices={"coder": 0.02, "chatter": 0.001, "tiny": 0.0})
    assert outcomes.models == ["org/coder", "chatter", "tiny"]  # `coder` finds `org/coder`
    assert outcomes.mean_costs() == {"org/coder": 0.02, "chatter": 0.001, "tiny": 0.0}


def test_models_subset_and_select(table_file):
    outcomes = load_per_model_outcomes(table_file, models=["chatter", "tiny"])
    assert outcomes.models == ["chatter", "tiny"] and outcomes.costs.shape == (12, 2)
    full = load_per_model_outcomes(table_file)
    np.testing.assert_array_equal(full.select(["tiny", "coder"]).correct(), full.correct()[:, [2, 0]])


def test_errors_name_the_problem(tmp_path, table_file):
    no_prompt = tmp_path / "no_prompt.csv"
    make_table(3).rename(columns={"prompt": "question"}).to_csv(no_prompt, index=False)
    with pytest.raises(DataError, match=r"no_prompt.csv: no 'prompt' column"):
        load_per_model_outcomes(no_prompt)
    empty = tmp_path / "empty.csv"
    make_table(3).iloc[:0].to_csv(empty, index=False)
    with pytest.raises(DataError, match="empty.csv: the file has no rows"):
        load_per_model_outcomes(empty)
    with pytest.raises(DataError, match=r"unknown model\(s\) \['gpt-7'\]"):
        load_per_model_outcomes(table_file, models=["chatter", "gpt-7"])
    with pytest.raises(DataError, match=r"price\(s\) for unknown model\(s\) \['gpt-7'\]"):
        load_per_model_outcomes(table_file, prices={"gpt-7": 0.1})
    bad = tmp_path / "bad.csv"
    frame = make_table(3)
    frame.loc[0, "tiny"] = 2.0
    frame.to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"'tiny' has values outside \[0, 1\]"):
        load_per_model_outcomes(bad)
    with pytest.raises(DataError, match="file not found"):
        load_per_model_outcomes(tmp_path / "missing.csv")
    other = tmp_path / "other.csv"
    make_table(3).drop(columns=["tiny"]).to_csv(other, index=False)
    with pytest.raises(DataError, match=r"other.csv: unknown model\(s\) \['tiny'\]"):
        load_per_model_outcomes([table_file, other])  # later files must hold the first file's models


def test_parse_prices():
    assert parse_prices(["gpt-4=0.01", "org/m=2e-4"]) == {"gpt-4": 0.01, "org/m": 2e-4}
    for bad, message in (("gpt-4", "MODEL=USD"), ("gpt-4=cheap", "not a number"), ("m=-1", ">= 0")):
        with pytest.raises(DataError, match=message):
            parse_prices([bad])


def test_unwrap_prompt():
    assert unwrap_prompt("['first turn', 'last turn']") == "last turn"
    assert unwrap_prompt("[1, 2]") == "[1, 2]"  # not a list of turns: kept as is
    assert unwrap_prompt("[broken") == "[broken" and unwrap_prompt("plain") == "plain"
    assert unwrap_prompt("[__import__('os')]") == "[__import__('os')]"  # literals only: nothing runs
