"""`routellm data`: list, summary and decontaminate on fixture folders the tests write."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from routellm_core.cli import app
from tests.unit_tests.test_data_loaders import make_arena_bench, make_llmrouter

runner = CliRunner()


def test_data_list_names_every_set():
    result = runner.invoke(app, ["data", "list"])
    assert result.exit_code == 0, result.output
    for name in ("arena_bench", "llmrouter", "mmlu_pro", "alpaca_eval", "arena_hard", "chatbot_arena"):
        assert name in result.output


def test_data_summary(tmp_path):
    make_arena_bench(tmp_path)
    make_llmrouter(tmp_path)
    result = runner.invoke(app, ["data", "summary", "arena_bench", "llmrouter", "--data-dir", str(tmp_path)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "arena_bench_v1" in result.output and "llmrouter" in result.output


def test_data_decontaminate_reports_drops(tmp_path):
    make_arena_bench(tmp_path)
    evals = tmp_path / "routellm_evals" / "mt_bench"
    evals.mkdir(parents=True)
    (evals / "question.jsonl").write_text(json.dumps({"question_id": 1, "turns": ["Say hello in French!", "Again"]}))
    result = runner.invoke(app, ["data", "decontaminate", "arena_bench", "--data-dir", str(tmp_path),
                                 "--no-embeddings", "--examples", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1/2" in result.output and "exact" in result.output and "mt-bench" in result.output
    assert "Say hello in French." in result.output


def test_data_errors_exit_with_a_message(tmp_path):
    result = runner.invoke(app, ["data", "summary", "imagenet", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown training set 'imagenet'" in result.output
