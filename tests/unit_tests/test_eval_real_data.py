"""The paper's evaluation files beside the checkout: the baselines must come out as measured."""

import json

import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.evaluation import compare_routers, load_benchmark, random_reference
from tests.helpers import SHARED_DATA, requires_shared_data

pytestmark = [requires_shared_data, pytest.mark.shared_data]
EVALS = SHARED_DATA / "routellm_evals"


@pytest.fixture(scope="module")
def mmlu():
    return load_benchmark("mmlu", EVALS)


@pytest.fixture(scope="module")
def gsm8k():
    return load_benchmark("gsm8k", EVALS)


def test_model_accuracies_after_decontamination(mmlu, gsm8k):
    assert (len(mmlu), mmlu.dropped_contaminated) == (14037, 5)
    assert (len(gsm8k), gsm8k.dropped_contaminated) == (1307, 12)
    assert mmlu.strong_mean == pytest.approx(0.806, abs=0.0005) and mmlu.weak_mean == pytest.approx(0.681, abs=0.0005)
    assert gsm8k.strong_mean == pytest.approx(0.858, abs=0.0005) and gsm8k.weak_mean == pytest.approx(0.637, abs=0.0005)


@pytest.mark.parametrize(("name", "expected"), [("mmlu", 0.584), ("gsm8k", 0.599)])
def test_prompt_length_apgr(name, expected, mmlu, gsm8k):
    benchmark = {"mmlu": mmlu, "gsm8k": gsm8k}[name]
    result = compare_routers(benchmark, ["length"], [], progress=False).results[0]
    assert result.apgr == pytest.approx(expected, abs=0.005)
    assert result.cpt20 < result.cpt50 < result.cpt80 < 0.8  # beats random at every level


@pytest.mark.parametrize("name", ["mmlu", "gsm8k"])
def test_random_averaged_over_seeds_is_one_half(name, mmlu, gsm8k):
    result = random_reference({"mmlu": mmlu, "gsm8k": gsm8k}[name], seeds=10)
    assert result.apgr == pytest.approx(0.50, abs=0.02)


def test_oracle_is_above_every_baseline(gsm8k):
    comparison = compare_routers(gsm8k, ["length"], ["random", "oracle"], progress=False)
    oracle = comparison.references[-1]
    assert oracle.router == "oracle" and oracle.apgr > 1.0 > comparison.results[0].apgr


def test_cli_reproduces_the_length_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "gsm8k.json"
    result = CliRunner().invoke(app, ["eval", "length", "--benchmark", "gsm8k", "--data", str(EVALS),
                                      "--json", str(out), "--plot", str(tmp_path / "gsm8k.png"), "--no-progress"])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["apgr"] == pytest.approx(0.599, abs=0.005)
    assert payload["references"][0]["apgr"] == pytest.approx(0.50, abs=0.02)
    assert (tmp_path / "gsm8k.png").stat().st_size > 10_000
