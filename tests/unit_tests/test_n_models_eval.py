"""Evaluating N-model routing on quality vs dollars: envelopes, areas, baselines, decisions and the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.data import load_per_model_outcomes
from routellm_core.evaluation.n_models import envelope_area, evaluate_n_models, upper_envelope
from routellm_core.routers import LengthRouter

from .synthetic_outcomes import make_table

runner = CliRunner()


def hand_table(tmp_path):
    """4 prompts, A ($4) right on 3, B ($2) on 2, C ($1) on 1; prompt 3 nobody gets right."""
    frame = pd.DataFrame({
        "prompt": ["easy", "medium", "hard", "impossible"],
        "A": [1, 1, 1, 0], "B": [1, 1, 0, 0], "C": [1, 0, 0, 0],
        "A|total_cost": 4.0, "B|total_cost": 2.0, "C|total_cost": 1.0,
    })
    path = tmp_path / "hand.csv"
    frame.to_csv(path, index=False)
    return path


def test_upper_envelope_and_area_by_hand():
    xs, ys = upper_envelope([1, 2, 4, 3, 2], [0.25, 0.5, 0.75, 0.5, 0.3])
    assert xs.tolist() == [1, 2, 4] and ys.tolist() == [0.25, 0.5, 0.75]  # (3, .5) and (2, .3) lie below
    # (1→2: mean .375) + (2→4: mean .625 over 2) = 1.625 over a range of 3
    assert envelope_area([1, 2, 4], [0.25, 0.5, 0.75], 1, 4) == pytest.approx(1.625 / 3)
    # a point under the chord is not a vertex; a dearer, worse point never lowers the envelope
    assert upper_envelope([0, 1, 2, 3], [0, 0.4, 1.0, 0.2])[0].tolist() == [0, 2]
    # flat beyond the dearest vertex
    assert envelope_area([0, 1], [0.5, 1.0], 0, 2) == pytest.approx((0.75 + 1.0) / 2)
    with pytest.raises(ValueError, match="above the range"):
        envelope_area([2, 3], [0.1, 0.2], 1, 3)


def test_best_mix_and_oracle_by_hand(tmp_path):
    evaluation = evaluate_n_models(load_per_model_outcomes(hand_table(tmp_path)))
    singles = {s["model"]: (s["cost"], s["quality"]) for s in evaluation.single_models}
    assert singles == {"A": (4.0, 0.75), "B": (2.0, 0.5), "C": (1.0, 0.25)}
    assert evaluation.cost_range == (1.0, 4.0)
    mix = evaluation.best_mix
    assert [p["model"] for p in mix.points] == ["C", "B", "A"] and mix.area == pytest.approx(1.625 / 3)
    oracle = evaluation.curve("oracle")
    # easy -> C ($1), medium -> B ($2), hard -> A ($4), impossible -> the cheapest, C ($1)
    assert oracle.points[0]["cost"] == pytest.approx(2.0) and oracle.points[0]["quality"] == pytest.approx(0.75)
    assert evaluation.decisions.query("curve == 'oracle' and point == 0")["model"].tolist() == ["C", "B", "A", "C"]
    # cheaper oracle points: hard -> C (-1 right for -$3: λ = 1/3), then medium -> C (λ = 1)
    assert [(p["cost"], p["quality"]) for p in oracle.points if p["point"] in (0, len(oracle.points) - 1)] == [
        (2.0, 0.75), (1.0, 0.25)]
    assert [[x, y] for x, y in oracle.envelope] == [[1.0, 0.25], [1.25, 0.5], [2.0, 0.75]]
    assert oracle.area == pytest.approx((0.375 * 0.25 + 0.625 * 0.75 + 0.75 * 2) / 3)
    # each single model mixed with the cheapest
    area = {s["model"]: s["area"] for s in evaluation.single_models}
    assert area["C"] == pytest.approx(0.25) and area["A"] == pytest.approx((0.25 + 0.75) / 2)


def test_oracle_uses_per_prompt_costs(tmp_path):
    frame = pd.read_csv(hand_table(tmp_path))
    frame.loc[0, "B|total_cost"] = 0.5  # on the easy prompt B is cheaper than C
    frame.to_csv(tmp_path / "varied.csv", index=False)
    evaluation = evaluate_n_models(load_per_model_outcomes(tmp_path / "varied.csv"))
    assert evaluation.decisions.query("curve == 'oracle' and point == 0")["model"].tolist() == ["B", "B", "A", "C"]


class PerfectRouter:
    """An N-model router that knows the hand table's answers (quality 1 where right)."""

    name = "perfect"
    models = ["C", "B", "A"]  # another order than the table's: columns are matched by name
    answers = {"easy": [1, 1, 1], "medium": [0, 1, 1], "hard": [0, 0, 1], "impossible": [0, 0, 0]}

    def model_qualities(self, prompts):
        return np.array([self.answers[p] for p in prompts], dtype=float)


def test_an_n_model_router_sweeps_lambda(tmp_path):
    evaluation = evaluate_n_models(load_per_model_outcomes(hand_table(tmp_path)), [PerfectRouter()], points=21)
    curve = evaluation.curve("perfect")
    assert curve.kind == "n_model_router" and len(curve.points) == 21
    first, last = curve.points[0], curve.points[-1]
    assert first["lambda"] == 0 and first["quality"] == pytest.approx(0.75)
    assert first["cost"] == pytest.approx(2.0)  # the cheapest right model, and C where none is right
    assert np.isinf(last["lambda"]) and last["shares"] == {"C": 1.0} and last["cost"] == pytest.approx(1.0)
    assert curve.area == pytest.approx(evaluation.curve("oracle").area)
    assert len(evaluation.decisions.query("curve == 'perfect'")) == 4 * 21


def test_router_missing_a_model_is_named(tmp_path):
    class Partial(PerfectRouter):
        models = ["C", "B", "Z"]

    with pytest.raises(ValueError, match="does not know model 'A'"):
        evaluate_n_models(load_per_model_outcomes(hand_table(tmp_path)), [Partial()])


def test_scalar_router_tiers_and_two_model_baseline(tmp_path):
    outcomes = load_per_model_outcomes(hand_table(tmp_path))
    evaluation = evaluate_n_models(outcomes, [LengthRouter()], two_model_router=LengthRouter(), bins=4)
    tiers = evaluation.curve("length (tiers)")
    assert tiers.details["tiers"] == ["C", "B", "A"] and len(tiers.points) == 1 + 2 * 4
    assert tiers.points[0]["shares"] == {"C": 1.0} and tiers.points[-1]["shares"] == {"A": 1.0}
    two = evaluation.curve("length (two models)")
    assert (two.details["strong"], two.details["weak"]) == ("A", "B")  # below the strongest on the envelope
    assert two.points[0]["shares"] == {"B": 1.0} and two.points[-1]["shares"] == {"A": 1.0}
    oracle = evaluation.curve("oracle")
    assert len(evaluation.decisions) == 4 * (len(tiers.points) + len(two.points) + len(oracle.points))
    calls = []

    class Counting(LengthRouter):
        def win_probabilities(self, prompts, **options):
            calls.append(len(prompts))
            return super().win_probabilities(prompts, **options)

    evaluate_n_models(outcomes, [Counting()], two_model_router=Counting())
    assert calls == [4]  # one configuration is scored once for both curves
    cheap = evaluate_n_models(outcomes, two_model_router=LengthRouter(), cheap_model="C")
    assert cheap.curve("length (two models)").details["weak"] == "C"


def test_json_round_trip(tmp_path):
    evaluation = evaluate_n_models(load_per_model_outcomes(hand_table(tmp_path)), [PerfectRouter()], points=21)
    payload = json.loads(evaluation.write_json(tmp_path / "out.json").read_text())
    assert payload["n"] == 4 and payload["models"] == ["A", "B", "C"] and payload["files"] == ["hand.csv"]
    assert payload["cost_range"] == {"low": 1.0, "high": 4.0, "cheapest": "C", "dearest": "A"}
    assert payload["curves"][0]["points"][-1]["lambda"] is None  # ∞ is not JSON: null
    summary = {row["curve"]: row for row in payload["summary"]}
    assert summary["best mix of single models"]["over_best_mix"] == 0
    assert summary["perfect"]["over_best_mix"] == pytest.approx(2.0625 / 3 - 1.625 / 3)


# ---- the command -----------------------------------------------------------------------------


def test_train_command_rejects_unknown_options(tmp_path):
    make_table(10).to_csv(tmp_path / "train.csv", index=False)
    result = runner.invoke(app, ["train", "mf", "--outcomes", str(tmp_path / "train.csv"), "--out",
                                 str(tmp_path / "router"), "--param", "depth=3"])
    assert result.exit_code != 0 and "unknown mf_quality option(s) ['depth']" in result.output
    stray = runner.invoke(app, ["train", "mf", "--outcomes", str(tmp_path / "train.csv"), "extra", "--out",
                                str(tmp_path / "router")])
    assert stray.exit_code != 0 and "unexpected extra argument(s) ['extra']" in stray.output


@pytest.fixture(scope="module")
def router_dir(tmp_path_factory, tiny_st_dir, one_thread):
    """A checkpoint trained through the Python API with the tiny sentence encoder (loads back by path)."""
    from routellm_core.embedding import Embedder
    from routellm_core.training.mf_quality import train_on_outcomes

    folder = tmp_path_factory.mktemp("nm_router")
    make_table(80).to_csv(folder / "train.csv", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROUTELLM_CACHE_DIR", str(folder / "cache"))
        router = train_on_outcomes(load_per_model_outcomes(folder / "train.csv"), embedder=Embedder(str(tiny_st_dir)),
                                   show_progress=False, dim=4, epochs=5, text_span="head")
    router.save(folder / "router")
    return folder


@pytest.fixture(autouse=True)
def cache_here(tmp_path, monkeypatch):
    """Embeddings and score caches of these tests stay in the test's folder."""
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))


def test_train_command_writes_a_checkpoint(tmp_path, monkeypatch):
    import routellm_core.training.mf_quality as training
    from tests.unit_tests.synthetic_battles import HashingEmbedder

    original = training.train_on_outcomes
    monkeypatch.setattr(training, "train_on_outcomes",
                        lambda table, **kw: original(table, embedder=HashingEmbedder(), show_progress=False, **kw))
    for name in ("a.csv", "b.csv"):
        make_table(20, seed=len(name)).to_csv(tmp_path / name, index=False)
    # a shell glob after --outcomes: the second file arrives as an extra argument
    result = runner.invoke(app, ["train", "mf", "--outcomes", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"),
                                 "--out", str(tmp_path / "out"), "--param", "epochs=2", "--param", "dim=4"])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["kind"] == "mf_quality" and config["params"]["models"] == ["org/coder", "chatter", "tiny"]
    assert config["card"]["training_data"]["prompts"] == 40
    bad = runner.invoke(app, ["train", "bert", "--outcomes", str(tmp_path / "a.csv"), "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "only the mf kind" in bad.output


def test_eval_command_on_a_tiny_table(router_dir, tmp_path):
    make_table(30, seed=9).to_csv(tmp_path / "test_a.csv", index=False)
    make_table(20, seed=10).to_csv(tmp_path / "test_b.csv", index=False)
    out, decisions, plot = tmp_path / "nm.json", tmp_path / "decisions.csv", tmp_path / "nm.png"
    result = runner.invoke(app, [
        "eval", str(router_dir / "router"), "length", "--outcomes", str(tmp_path / "test_a.csv"),
        str(tmp_path / "test_b.csv"), "--models", "coder,chatter,tiny", "--json", str(out),
        "--decisions", str(decisions), "--plot", str(plot), "--points", "7", "--two-model-router", "length",
        "--price", "tiny=0.0005", "--no-progress",
    ])
    assert result.exit_code == 0, result.output
    assert "best mix of single models" in result.output and "oracle" in result.output
    payload = json.loads(out.read_text())
    assert payload["n"] == 50 and payload["files"] == ["test_a.csv", "test_b.csv"]
    assert payload["prices"]["tiny"] == pytest.approx(0.0005) and payload["cost_range"]["cheapest"] == "tiny"
    for key in ("single_models", "summary", "curves", "area_definition", "models"):
        assert key in payload
    kinds = [c["kind"] for c in payload["curves"]]
    assert kinds == ["n_model_router", "scalar_tiers", "two_model", "oracle", "best_mix"]
    for curve in payload["curves"]:
        assert 0 <= curve["area"] <= 1
        for point in curve["points"]:
            assert {"point", "cost", "quality"} <= set(point)
    rows = pd.read_csv(decisions)
    assert list(rows.columns) == ["curve", "point", "row", "model"]
    routed = sum(len(c["points"]) for c in payload["curves"] if c["kind"] != "best_mix")
    assert len(rows) == 50 * routed
    assert sorted(rows["row"].unique()) == list(range(50))
    # anyone can recompute a point from the decisions and the tables
    frame = pd.concat([pd.read_csv(tmp_path / "test_a.csv"), pd.read_csv(tmp_path / "test_b.csv")], ignore_index=True)
    router_curve = payload["curves"][0]
    point = router_curve["points"][3]
    chosen = rows[(rows["curve"] == router_curve["name"]) & (rows["point"] == 3)].sort_values("row")
    quality = np.mean([frame.loc[r, m] for r, m in zip(chosen["row"], chosen["model"])])
    assert quality == pytest.approx(point["quality"])
    assert plot.stat().st_size > 0


def test_eval_command_errors(router_dir, tmp_path):
    make_table(10).to_csv(tmp_path / "t.csv", index=False)
    bad_model = runner.invoke(app, ["eval", str(router_dir / "router"), "--outcomes", str(tmp_path / "t.csv"),
                                    "--models", "coder,gpt-7", "--no-progress"])
    assert bad_model.exit_code != 0 and "gpt-7" in bad_model.output
    both = runner.invoke(app, ["eval", "length", "--outcomes", str(tmp_path / "t.csv"), "--benchmark", "mmlu"])
    assert both.exit_code != 0 and "not both" in both.output
    no_router = runner.invoke(app, ["eval", str(tmp_path / "t.csv"), "--outcomes", str(tmp_path / "t.csv")])
    assert no_router.exit_code != 0 and "at least one ROUTER" in no_router.output
