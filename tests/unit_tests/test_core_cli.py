import json

from typer.testing import CliRunner

from routellm_core.cli import app

runner = CliRunner()


def test_route_prints_a_decision_per_prompt():
    result = runner.invoke(app, ["route", "hi", "Explain quantum field theory in depth.", "-r", "length", "-t", "0.1", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["prompt"] for row in rows] == ["hi", "Explain quantum field theory in depth."]
    assert [row["model"] for row in rows] == ["weak", "strong"]
    assert rows[1]["router"] == "length"


def test_route_prints_a_table():
    result = runner.invoke(app, ["route", "hello there"])
    assert result.exit_code == 0, result.output
    assert "win probability" in result.output and "weak" in result.output


def test_route_names_an_unknown_router():
    result = runner.invoke(app, ["route", "hi", "--router", "nope"])
    assert result.exit_code != 0
    assert "unknown router 'nope'" in result.output


def test_route_refuses_a_bad_threshold():
    result = runner.invoke(app, ["route", "hi", "--threshold", "2"])
    assert result.exit_code != 0 and "threshold" in result.output


def test_calibrate_reaches_the_target_share(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(f"prompt {'x' * i}" for i in range(100)))
    result = runner.invoke(app, ["calibrate", "length", "--prompts", str(prompts), "--strong-fraction", "0.3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["n"] == 100 and out["realised_strong_share"] == 0.3


def test_calibrate_reads_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"prompt": "a"}\n{"prompt": "bb"}\n')
    csv = tmp_path / "p.csv"
    csv.write_text("prompt\na\nbb\n")
    for path in (jsonl, csv):
        result = runner.invoke(app, ["calibrate", "length", "-p", str(path), "-f", "0.5", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["n"] == 2


def test_calibrate_names_a_missing_file(tmp_path):
    result = runner.invoke(app, ["calibrate", "length", "-p", str(tmp_path / "none.txt"), "-f", "0.5"])
    assert result.exit_code != 0 and "not found" in result.output
