"""Loaders for the training sets, on miniature copies of each folder's format that the tests write."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routellm_core.data import (
    APACHE_2,
    CC_BY_NC_4,
    MIT,
    DataError,
    PromptOutcomes,
    describe_training_sets,
    load_alpaca_eval,
    load_arena_bench,
    load_arena_hard,
    load_arena_hard_prompts,
    load_llmrouter,
    load_mmlu_pro,
    load_training_battles,
    load_training_set,
)
from routellm_core.data.files import DATA_DIR_ENV, default_data_root, read_table


def write_jsonl(path: Path, rows: list[dict], gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def make_arena_bench(root: Path) -> None:
    folder = root / "arena_bench_v1"
    write_jsonl(folder / "question.jsonl", [
        {"question_id": "q1", "category": "arena-bench-v1", "turns": ["Prove that sqrt 2 is irrational."]},
        {"question_id": "q2", "category": "arena-bench-v1", "turns": ["Say hello in French."]},
    ])
    pd.DataFrame({
        "question_id": ["q2", "q1"],  # another order than the questions: matched by id
        "gpt-4-1106-preview": [9.0, 10.0],
        "mistralai/Mixtral-8x7B-Instruct-v0.1": [9.0, 4.0],
        "llama-13b": [np.nan, 1.0],
    }).to_csv(folder / "arena_bench_v1_scores_wide.csv", index=False)


def make_llmrouter(root: Path) -> None:
    folder = root / "llmrouter"
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "split": ["train", "train", "test"],
        "question": ["Q: 2+2?", "Q: integrate x", "Write a poem with the words cat, hat"],
        "task_name": ["gsm8k", "math", "commongen"],
        "cluster_id": [0.0, 1.0, np.nan],
        "model-big": [1.0, 1.0, 0.8],
        "model-small": [1.0, 0.0, 0.3],
    }).to_parquet(folder / "dcrouter_scores_compact.parquet")


def make_mmlu_pro(root: Path) -> None:
    folder = root / "mmlu_pro"
    write_jsonl(folder / "questions.jsonl.gz", [
        {"question_id": 1, "category": "math", "src": "stemez-Math", "question": "What is 2+3?",
         "options": ["4", "5", "6"], "answer": "B"},
        {"question_id": 2, "category": "law", "src": "ori_mmlu-law", "question": "Is a tort a crime?",
         "options": ["yes", "no"], "answer": "B"},
        {"question_id": 3, "category": "physics", "src": "scibench", "question": "Speed of light?",
         "options": ["3e8 m/s", "1 m/s"], "answer": "A"},
    ], gz=True)
    rows = [
        (1, "gpt-4o", "B", 1), (1, "mixtral", "", 0), (1, "llama", "A", 0),
        (2, "gpt-4o", "B", 1), (2, "mixtral", "A", 0), (2, "llama", "B", 1),
        (3, "gpt-4o", "A", 1), (3, "mixtral", "A", 1),  # llama was not run on question 3
    ]
    long = pd.DataFrame(rows, columns=["question_id", "model", "pred", "correct"])
    with gzip.open(folder / "correctness_long.csv.gz", "wt", encoding="utf-8") as handle:
        long.to_csv(handle, index=False)


def make_alpaca_eval(root: Path) -> None:
    folder = root / "alpaca_eval"
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "instruction_id": [0, 1],
        "instruction": ["How do I bake bread?", "Name three colours."],
        "dataset": ["helpful_base", "koala"],
    }).to_parquet(folder / "alpaca_eval_instructions.parquet")
    pd.DataFrame({
        "instruction_id": [0, 1, 0, 1, 0, 1, 0],
        "generator_1": ["gpt4_1106_preview"] * 6 + [None],
        "generator_2": ["m1", "m1", "m2", "m2", "m3", "gpt4_1106_preview", "m1"],
        "preference": [1.0, 2.0, 1.5, 1.25, 0.0, 2.0, 2.0],
        "annotator": ["a1", "a1", "a2", "a2", "claude", "a1", "a1"],
    }).to_parquet(folder / "alpaca_eval_annotations.parquet")


def make_arena_hard(root: Path) -> None:
    write_jsonl(root / "arena_hard_v01" / "question.jsonl", [
        {"uid": "u1", "category": "arena-hard-v0.1", "cluster": "Python", "prompt": "Write a JSON parser in Python."},
        {"uid": "u2", "category": "arena-hard-v0.1", "cluster": "Math", "prompt": "Prove Fermat's little theorem."},
    ])


@pytest.fixture
def data_root(tmp_path) -> Path:
    for make in (make_arena_bench, make_llmrouter, make_mmlu_pro, make_alpaca_eval, make_arena_hard):
        make(tmp_path)
    return tmp_path


def test_arena_bench_judge_scores(data_root):
    outcomes = load_arena_bench(data_root)
    assert isinstance(outcomes, PromptOutcomes) and outcomes.kind == "judge"
    assert outcomes.score_range == (1.0, 10.0)
    assert len(outcomes) == 2 and len(outcomes.models) == 3
    row = outcomes.table.set_index("prompt_id").loc["q1"]
    assert row["prompt"] == "Prove that sqrt 2 is irrational."
    assert row["mistralai/Mixtral-8x7B-Instruct-v0.1"] == 4.0  # scores follow the id, not the row order
    assert set(outcomes.table["licence"]) == {APACHE_2}


def test_arena_bench_accepts_its_own_folder(data_root):
    assert len(load_arena_bench(data_root / "arena_bench_v1")) == 2


def test_arena_bench_battles_every_pair_higher_wins(data_root):
    battles = load_training_battles("arena_bench", data_root, seed=None)
    # q1: 3 pairs; q2: llama unscored -> 1 pair (a tie: 9 vs 9)
    assert len(battles) == 4
    q2 = battles[battles["prompt"] == "Say hello in French."]
    assert q2["winner"].tolist() == ["tie"]
    q1 = battles[(battles["prompt_id"] == "q1") & (battles["model_b"] == "llama-13b")]
    assert set(q1["winner"]) == {"a"}


def test_llmrouter_correctness_and_battles(data_root):
    outcomes = load_llmrouter(data_root)
    assert outcomes.kind == "correctness" and outcomes.models == ["model-big", "model-small"]
    assert outcomes.table["category"].tolist() == ["gsm8k", "math", "commongen"]
    assert set(outcomes.table["licence"]) == {MIT}
    assert len(load_llmrouter(data_root, splits=("train",))) == 2
    battles = load_training_battles("llmrouter", data_root)
    assert "tie" not in set(battles["winner"])  # correctness: one right, one wrong
    assert set(battles["prompt"]) == {"Q: integrate x", "Write a poem with the words cat, hat"}  # graded 0.8 > 0.3


def test_llmrouter_unknown_split_is_named(data_root):
    with pytest.raises(DataError, match="validation"):
        load_llmrouter(data_root, splits=("validation",))


def test_mmlu_pro_excludes_mmlu_origin_and_counts_empty_pred_as_wrong(data_root):
    outcomes = load_mmlu_pro(data_root)
    assert outcomes.table["prompt_id"].tolist() == ["1", "3"]  # question 2 comes from MMLU
    scores = outcomes.table.set_index("prompt_id")
    assert scores.loc["1", "mixtral"] == 0.0  # empty prediction: wrong
    assert np.isnan(scores.loc["3", "llama"])  # not run: missing, not wrong
    assert outcomes.prompts[0] == "What is 2+3?\nA. 4\nB. 5\nC. 6\nAnswer:"
    everything = load_mmlu_pro(data_root, exclude_mmlu_origin=False)
    assert len(everything) == 3
    assert load_mmlu_pro(data_root, prompt_format="question").prompts == ["What is 2+3?", "Speed of light?"]
    with pytest.raises(DataError, match="prompt_format"):
        load_mmlu_pro(data_root, prompt_format="chat")


def test_alpaca_eval_hard_preferences(data_root):
    battles = load_alpaca_eval(data_root)
    # dropped: the row without generator_1 and gpt4_1106_preview vs itself
    assert len(battles) == 5
    assert battles["winner"].tolist() == ["a", "b", "tie", "a", "tie"]  # 1, 2, 1.5, 1.25, 0
    assert set(battles["licence"]) == {CC_BY_NC_4}
    assert battles["model_a"].eq("gpt4_1106_preview").all()
    assert battles.loc[0, "prompt"] == "How do I bake bread?"


def test_alpaca_eval_soft_preferences_split_fractional_rows(data_root):
    battles = load_alpaca_eval(data_root, preferences="soft")
    fractional = battles[(battles["prompt"] == "Name three colours.") & (battles["model_b"] == "m2")]
    assert sorted(zip(fractional["winner"], fractional["weight"])) == [("a", 0.75), ("b", 0.25)]
    assert len(battles) == 6


def test_alpaca_eval_annotator_filter(data_root):
    assert set(load_alpaca_eval(data_root, annotators=["a1"])["annotator"]) == {"a1"}
    with pytest.raises(DataError, match="nobody"):
        load_alpaca_eval(data_root, annotators=["nobody"])


def test_arena_hard_prompts(data_root):
    table = load_arena_hard(data_root)
    assert table.columns.tolist() == ["prompt_id", "prompt", "category", "source", "licence"]
    assert load_arena_hard_prompts(data_root) == ["Write a JSON parser in Python.", "Prove Fermat's little theorem."]
    with pytest.raises(DataError, match="without labels"):
        load_training_battles("arena_hard", data_root)


def test_registry_by_name_and_alias(data_root):
    assert isinstance(load_training_set("arena_bench_v1", data_root), PromptOutcomes)
    assert isinstance(load_training_set("MMLU-Pro", data_root), PromptOutcomes)
    assert len(load_training_set("alpaca_eval", data_root, preferences="soft")) == 6
    with pytest.raises(DataError, match="unknown training set 'imagenet'.*arena_bench"):
        load_training_set("imagenet", data_root)
    described = describe_training_sets().set_index("name")
    assert described.loc["alpaca_eval", "licence"] == CC_BY_NC_4


def test_missing_folder_names_the_expected_path(tmp_path):
    with pytest.raises(DataError, match="arena_bench_v1_scores_wide.csv"):
        load_arena_bench(tmp_path)


def test_default_data_root_follows_environment(monkeypatch, data_root):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_root))
    assert default_data_root() == data_root
    assert len(load_arena_hard()) == 2  # root=None: the configured folder


def test_read_table_formats_and_errors(tmp_path):
    frame = pd.DataFrame({"prompt": ["a", "b"], "n": [1, 2]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "t.parquet")
    write_jsonl(tmp_path / "t.jsonl.gz", frame.to_dict("records"), gz=True)
    for name in ("t.csv", "t.tsv", "t.parquet", "t.jsonl.gz"):
        assert read_table(tmp_path / name)["prompt"].tolist() == ["a", "b"], name
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{oops\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2 is not valid JSON"):
        read_table(tmp_path / "bad.jsonl")
