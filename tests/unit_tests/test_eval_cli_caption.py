"""`routellm eval`'s table caption names each model once, with its mean score."""

from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.evaluation.benchmarks import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL

from .eval_fixtures import write_paper_layout

runner = CliRunner()


def caption(result) -> str:
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the caption may wrap


def test_user_logs_label_each_mean_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    logs = tmp_path / "logs.csv"
    logs.write_text("prompt,strong_score,weak_score\n" + "".join(f"q{'x' * i},{i % 2},0.25\n" for i in range(12)))
    text = caption(runner.invoke(app, ["eval", "length", "--benchmark-file", str(logs), "--no-progress"]))
    assert "strong 0.5000 | weak 0.2500 |" in text
    assert "strong strong" not in text and "weak weak" not in text


def test_paper_benchmarks_name_their_models(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    evals = write_paper_layout(tmp_path / "evals", mmlu_subjects=["anatomy"])
    text = caption(runner.invoke(app, ["eval", "length", "--benchmark", "gsm8k", "--data", str(evals), "--no-progress"]))
    assert f"strong {PAPER_STRONG_MODEL} 0." in text and f"weak {PAPER_WEAK_MODEL} 0." in text
