"""`routellm eval` end to end on fixture data: tables, JSON, plots, user logs, downloads, errors."""

import json
import re

import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.evaluation.docs_report import END, START, regenerate, replace_between_markers

from .eval_fixtures import write_paper_layout

runner = CliRunner()


@pytest.fixture
def evals(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    return write_paper_layout(tmp_path / "evals", mmlu_subjects=["anatomy", "virology"])


def run(*args):
    result = runner.invoke(app, ["eval", *map(str, args), "--no-progress"])
    return result


def test_several_routers_give_one_table_and_one_json(evals, tmp_path):
    out = tmp_path / "gsm8k.json"
    result = run("length", "random", "--benchmark", "gsm8k", "--data", evals, "--json", out)
    assert result.exit_code == 0, result.output
    assert "APGR" in result.output and "oracle" in result.output and "random (mean of 10 seeds)" in result.output
    payload = json.loads(out.read_text())
    # The first router's figures sit at the top level ...
    for key in ("benchmark", "router", "n", "apgr", "cpt20", "cpt50", "cpt80", "auc", "curve", "strong_score", "weak_score"):
        assert key in payload
    assert payload["router"] == "length" and payload["benchmark"] == "gsm8k" and payload["n"] == 19
    assert len(payload["curve"]) == 11
    # ... and every router and reference line follows; length is not repeated as a reference.
    assert [r["router"] for r in payload["results"]] == ["length", "random"]
    assert [r["router"] for r in payload["references"]] == ["random (mean of 10 seeds)", "oracle"]
    assert payload["dropped_contaminated"] == 1 and payload["bins"] == 10


def test_mt_bench_with_plot(evals, tmp_path):
    result = run("length", "--benchmark", "mt-bench", "--data", evals, "--plot", tmp_path / "mt", "--json", tmp_path / "mt.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mt.png").stat().st_size > 0 and (tmp_path / "mt.svg").stat().st_size > 0
    payload = json.loads((tmp_path / "mt.json").read_text())
    assert payload["n"] == 3 and payload["strong_score"] == pytest.approx((8.5 + 9.5 + 8.0) / 3)


def test_user_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    logs = tmp_path / "logs.csv"
    logs.write_text("prompt,strong_score,weak_score\n" + "".join(f"q{'x' * i},{i % 2},0\n" for i in range(12)))
    result = run("length", "--benchmark-file", logs, "--json", tmp_path / "out.json", "--references", "oracle")
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "out.json").read_text())
    assert payload["benchmark"] == "logs" and payload["strong_model"] == "strong"
    assert [r["router"] for r in payload["references"]] == ["oracle"]


def test_download_from_a_mirror_into_the_cache(evals, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_EVALS_URL", evals.as_uri())
    result = run("length", "--benchmark", "gsm8k", "--references", "none")
    assert result.exit_code != 0 and "--download" in result.output
    result = run("length", "--benchmark", "gsm8k", "--references", "none", "--download", "--json", tmp_path / "o.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cache" / "evals" / "gsm8k" / "gsm8k_responses.csv").is_file()
    assert json.loads((tmp_path / "o.json").read_text())["references"] == []
    # With --data, the files are fetched into that folder instead.
    result = run("length", "--benchmark", "mt-bench", "--data", tmp_path / "mine", "--download", "--references", "none")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine" / "mt_bench" / "judgements.jsonl").is_file()


def test_scores_land_in_the_cache(evals, tmp_path):
    assert run("length", "--benchmark", "gsm8k", "--data", evals).exit_code == 0
    assert list((tmp_path / "cache" / "scores").glob("length-*/*.npy"))
    assert run("random", "--benchmark", "gsm8k", "--data", evals, "--no-cache").exit_code == 0
    assert not list((tmp_path / "cache" / "scores").glob("random-*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["length"], "exactly one of --benchmark or --benchmark-file"),
        (["length", "--benchmark", "mmlu", "--benchmark-file", "x.csv"], "exactly one of"),
        (["length", "--benchmark", "arc", "--data", "."], "unknown benchmark 'arc'"),
        (["nope", "--benchmark", "gsm8k"], "unknown router 'nope'"),
        (["length", "--benchmark", "gsm8k", "--references", "best"], "unknown reference"),
        (["length", "--benchmark", "gsm8k", "--plot", "x.pdf"], ".png or .svg"),
    ],
)
def test_errors_name_the_problem(evals, args, message):
    if "--data" not in args:
        args = [*args, "--data", str(evals)]
    result = run(*args)
    assert result.exit_code != 0
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # undo rich's boxed wrapping
    assert message in flat, result.output


def test_docs_report_fills_the_marked_section(evals, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "evaluation.md").write_text(f"# Intro\n\n{START}\nold table\n{END}\n\nOutro\n")
    regenerate(evals, docs, ["length"], cache=None, progress=False)
    page = (docs / "evaluation.md").read_text()
    assert "old table" not in page and page.startswith("# Intro") and page.rstrip().endswith("Outro")
    assert "### MMLU" in page and "### GSM8K" in page and "| **length** |" in page and "oracle *(reference)*" in page
    for name in ("mmlu", "gsm8k"):
        assert {p.suffix for p in (docs / "evaluation").glob(f"{name}.*")} == {".json", ".png", ".svg"}
    with pytest.raises(ValueError, match="markers"):
        replace_between_markers("no markers here", "x")


def test_docs_report_evaluates_each_bundled_configuration_once():
    from routellm_core.evaluation.docs_report import bundled_routers
    from routellm_core.routers import LengthRouter, RandomRouter

    routers = bundled_routers()
    fingerprints = [router.config_fingerprint() for router in routers]
    assert len(set(fingerprints)) == len(fingerprints)
    # The baselines are drawn as reference lines, and an alias never repeats the router it names.
    assert LengthRouter().config_fingerprint() not in fingerprints
    assert RandomRouter(seed=0).config_fingerprint() not in fingerprints
    assert "default" not in [router.name for router in routers]
