"""Benchmark loaders on fixtures the tests write: the paper's layout, FastChat MT-Bench judgments, user logs."""

import json

import numpy as np
import pytest

from routellm_core.errors import RouteLLMError
from routellm_core.evaluation import load_benchmark, load_user_benchmark
from routellm_core.evaluation.benchmarks import load_mt_bench

from .eval_fixtures import MT_QUESTIONS, STRONG, gsm8k_rows, write_jsonl, write_paper_layout


@pytest.fixture
def evals(tmp_path):
    return write_paper_layout(tmp_path / "evals", mmlu_subjects=["anatomy", "virology"])


def test_mt_bench_routes_on_the_first_turn_and_averages_both_turns(evals):
    b = load_mt_bench(evals)
    # Question 84 is dropped: its second turn is on the contamination list.
    assert b.dropped_contaminated == 1
    assert b.prompts == [q["turns"][0] for q in MT_QUESTIONS[:3]]
    # Question 83's strong turn-2 judgment of -1 (no score) is ignored; another model's rows too.
    assert b.strong_scores.tolist() == pytest.approx([8.5, 9.5, 8.0])
    assert b.weak_scores.tolist() == pytest.approx([6.5, 4.5, 8.5])
    assert b.name == "mt-bench"


def test_mt_bench_needs_judgments_for_both_models(evals):
    with pytest.raises(RouteLLMError, match="no questions judged"):
        load_mt_bench(evals, weak="vicuna-13b")


def test_mt_bench_reports_missing_files(tmp_path):
    write_jsonl(tmp_path / "mt_bench" / "question.jsonl", MT_QUESTIONS)
    with pytest.raises(RouteLLMError, match="judgments"):
        load_mt_bench(tmp_path)


def test_mt_bench_rejects_a_malformed_question(tmp_path):
    write_jsonl(tmp_path / "mt_bench" / "question.jsonl", [{"question_id": 1, "turns": []}])
    write_jsonl(tmp_path / "mt_bench" / "judgements.jsonl", [])
    with pytest.raises(RouteLLMError, match="turns"):
        load_mt_bench(tmp_path)


def test_mt_bench_names_a_bad_json_line(tmp_path):
    (tmp_path / "mt_bench").mkdir()
    (tmp_path / "mt_bench" / "question.jsonl").write_text('{"question_id": 1, "turns": ["a"]}\n{oops\n')
    (tmp_path / "mt_bench" / "judgements.jsonl").write_text("")
    with pytest.raises(RouteLLMError, match="question.jsonl:2"):
        load_mt_bench(tmp_path)


def test_gsm8k_drops_contaminated_prompts(evals):
    b = load_benchmark("gsm8k", evals)
    rows = gsm8k_rows()
    assert len(b) == len(rows) - 1 and b.dropped_contaminated == 1
    assert rows[3][0] not in b.prompts
    kept = [row for i, row in enumerate(rows) if i != 3]
    assert b.strong_scores.tolist() == [float(r[1]) for r in kept]
    assert b.weak_scores.tolist() == [float(r[2]) for r in kept]
    assert b.strong_model == STRONG


def test_mmlu_concatenates_every_subject(evals):
    b = load_benchmark("mmlu", evals)
    assert len(b) == 2 * 3 - 1  # one contaminated prompt dropped
    assert {p.split()[0] for p in b.prompts} == {"anatomy", "virology"}


def test_unknown_benchmark_and_missing_column(evals):
    with pytest.raises(RouteLLMError, match="unknown benchmark"):
        load_benchmark("hellaswag", evals)
    with pytest.raises(RouteLLMError, match="column 'claude-3'"):
        load_benchmark("gsm8k", evals, strong="claude-3")


def test_user_benchmark_from_csv_and_jsonl(tmp_path):
    (tmp_path / "logs.csv").write_text("prompt,strong_score,weak_score\nhi,0.9,0.8\n\"a, b\",1,0\n")
    b = load_user_benchmark(tmp_path / "logs.csv")
    assert b.name == "logs" and b.prompts == ["hi", "a, b"]
    assert b.strong_scores.tolist() == [0.9, 1.0] and b.weak_scores.tolist() == [0.8, 0.0]
    rows = [{"prompt": "x", "strong_score": 7, "weak_score": 5, "extra": 1}, {"prompt": "y", "strong_score": 3, "weak_score": 4}]
    write_jsonl(tmp_path / "logs.jsonl", rows)
    b = load_user_benchmark(tmp_path / "logs.jsonl", name="mine")
    assert b.name == "mine" and np.allclose(b.strong_scores, [7, 3])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("prompt,strong_score\nhi,1\n", "missing column"),
        ("prompt,strong_score,weak_score\nhi,good,0\n", "must be numbers"),
        ("prompt,strong_score,weak_score\nhi,1,\n", "finite"),
        ("prompt,strong_score,weak_score\n", "no prompts"),
        ("prompt,strong_score,weak_score\nhi,1,0\n,1,0\n", r"row\(s\) \[2\] have no prompt"),
    ],
)
def test_user_benchmark_errors_name_the_problem(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(RouteLLMError, match=message):
        load_user_benchmark(tmp_path / "bad.csv")


def test_user_benchmark_missing_file(tmp_path):
    with pytest.raises(RouteLLMError, match="not found"):
        load_user_benchmark(tmp_path / "nope.csv")


def test_user_benchmark_jsonl_must_be_valid(tmp_path):
    (tmp_path / "bad.jsonl").write_text(json.dumps({"prompt": "a", "strong_score": 1, "weak_score": 0}) + "\nnot json\n")
    with pytest.raises(RouteLLMError, match="bad.jsonl:2"):
        load_user_benchmark(tmp_path / "bad.jsonl")
