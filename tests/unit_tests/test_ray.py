"""Routing, evaluation, calibration and labelling on Ray: the same results as the local run.

One local Ray (`ray_cluster`: 2 CPUs, no network beyond this machine) serves every test of the run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("ray", reason="Ray is not installed (the [ray] extra); the local path is tested elsewhere")

from routellm_core.batch_scoring import ERROR_COLUMN, SCORE_COLUMN, plan_for, score_table  # noqa: E402
from routellm_core.cli import app  # noqa: E402
from routellm_core.distributed import (  # noqa: E402
    score_dataset,
    score_table_on_ray,
    table_scores_on_ray,
    win_probabilities_on_ray,
)
from routellm_core.errors import RouteLLMError  # noqa: E402
from routellm_core.prompt_tables import PromptTableError, read_parquet_output  # noqa: E402
from routellm_core.registry import load_router  # noqa: E402
from routellm_core.n_models import NModelRouter  # noqa: E402
from routellm_core.router import Router  # noqa: E402
from routellm_core.testing import FailingRouter, KeywordRouter  # noqa: E402

from .synthetic_outcomes import CODE_WORDS, MODELS, make_table  # noqa: E402

pytestmark = pytest.mark.ray

WORDS = "sort a list prove the theorem write a poem explain this code derivative integral story hello".split()


def prompt_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prompts = [" ".join(rng.choice(WORDS, rng.integers(1, 60))) for _ in range(n)]
    return pd.DataFrame({"id": np.arange(n), "prompt": prompts, "team": rng.choice(["a", "b"], n)})


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """3,000 prompts in three Parquet parts (a folder, as Spark or Ray write tables)."""
    folder = tmp_path_factory.mktemp("prompts") / "parts"
    folder.mkdir()
    frame = prompt_frame(3000)
    for k in range(3):
        frame.iloc[k * 1000:(k + 1) * 1000].to_parquet(folder / f"part-{k}.parquet", index=False)
    return folder, frame


def test_route_on_ray_gives_the_local_output_row_for_row(ray_cluster, parts, tmp_path):
    folder, frame = parts
    router = load_router("default")
    plan = plan_for(router)
    local = score_table(folder, tmp_path / "local", router, plan, batch_size=700)
    on_ray = score_table_on_ray(folder, tmp_path / "ray", "default", plan, workers=2, batch_size=700)
    assert local.rows == on_ray.rows == len(frame) and local.failed_rows == on_ray.failed_rows == 0
    a, b = read_parquet_output(tmp_path / "local"), read_parquet_output(tmp_path / "ray")
    assert list(a.columns) == list(b.columns) == ["id", "prompt", "team", SCORE_COLUMN, "model", ERROR_COLUMN]
    # the input's rows, in the input's order, each with its own columns untouched
    pd.testing.assert_frame_equal(b[["id", "prompt", "team"]], frame.reset_index(drop=True))
    pd.testing.assert_frame_equal(a[["id", "prompt", "team"]], b[["id", "prompt", "team"]])
    assert (a["model"] == b["model"]).all() and set(a["model"]) == {"strong", "weak"}
    # each prompt is scored alone on both paths (exact): the same arithmetic, whichever batch or actor
    np.testing.assert_allclose(b[SCORE_COLUMN], a[SCORE_COLUMN], rtol=0, atol=1e-12)
    single = [router.win_probability(p) for p in frame["prompt"][:20]]
    np.testing.assert_allclose(b[SCORE_COLUMN][:20], single, rtol=0, atol=1e-12)


def test_cli_route_on_ray_writes_one_file_and_matches_the_local_cli(ray_cluster, parts, tmp_path):
    folder, frame = parts
    runner = CliRunner()
    local = runner.invoke(app, ["route", "--input", str(folder), "--output", str(tmp_path / "local.parquet"),
                                "--strong-fraction", "0.3"])
    assert local.exit_code == 0, local.output
    on_ray = runner.invoke(app, ["route", "--input", str(folder), "--output", str(tmp_path / "ray.parquet"),
                                 "--strong-fraction", "0.3", "--ray", "--workers", "1"])
    assert on_ray.exit_code == 0, on_ray.output
    assert json.loads(on_ray.stdout.strip().splitlines()[-1])["rows"] == len(frame)
    a, b = pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "ray.parquet")
    assert (a["id"] == b["id"]).all() and (a["model"] == b["model"]).all()
    assert 0.1 < (a["model"] == "strong").mean() < 0.6  # a share near the asked 30 % on chat-like prompts


def test_score_dataset_inside_a_users_pipeline(ray_cluster):
    import ray

    frame = prompt_frame(400, seed=1)
    dataset = ray.data.from_pandas(frame)  # pandas blocks: text is typed `object`, checked batch by batch
    router = KeywordRouter(["poem"])
    out = score_dataset(dataset, router, threshold=0.5, workers=2, batch_size=64).to_pandas()
    assert len(out) == len(frame) and (out["id"].to_numpy() == frame["id"].to_numpy()).all()
    expected = np.where(frame["prompt"].str.contains("poem"), 0.9, 0.1)
    np.testing.assert_array_equal(out[SCORE_COLUMN], expected)
    assert (out["model"] == np.where(expected >= 0.5, "strong", "weak")).all()
    # a missing prompt is named: in a user's pipeline inside Ray's error (Ray runs it), in ours as itself
    holes = ray.data.from_pandas(pd.DataFrame({"prompt": ["fine", None, "also fine"]}))
    with pytest.raises(Exception, match=r"PromptTableError: .*row 1 of column 'prompt' holds no value"):
        score_dataset(holes, router, threshold=0.5, workers=1).take_all()
    with pytest.raises(PromptTableError, match="no value"):
        win_probabilities_on_ray(router, ["a", None], workers=1)


def test_big_csv_with_newlines_in_values_and_parquet_cut_into_slices(ray_cluster, tmp_path, monkeypatch):
    import routellm_core.prompt_tables as tables

    frame = prompt_frame(1500, seed=6)
    frame["prompt"] = [f"para {i}\n{p}\n" + "word " * 150 + "\nend, \"quoted\"" for i, p in enumerate(frame["prompt"])]
    frame.to_csv(tmp_path / "big.csv", index=False)  # over 1 MB: the reader sees quoted newlines across blocks
    assert (tmp_path / "big.csv").stat().st_size > 1_000_000
    frame.to_parquet(tmp_path / "one_group.parquet", index=False)  # one row group ...
    monkeypatch.setattr(tables, "SLICE_ROWS", 400)  # ... cut into 4 slices for the workers
    router = load_router("length")
    plan = plan_for(router)
    for name in ("big.csv", "one_group.parquet"):
        local = score_table(tmp_path / name, tmp_path / f"{name}.local", router, plan)
        on_ray = score_table_on_ray(tmp_path / name, tmp_path / f"{name}.ray", router, plan, workers=2)
        a, b = read_parquet_output(tmp_path / f"{name}.local"), read_parquet_output(tmp_path / f"{name}.ray")
        assert local.rows == on_ray.rows == len(frame)
        assert (a["prompt"] == frame["prompt"]).all() and (b["prompt"] == frame["prompt"]).all()
        pd.testing.assert_frame_equal(a, b)
    assert len(list((tmp_path / "one_group.parquet.ray").glob("*.parquet"))) == 4


def test_a_folder_of_csv_parts_is_read_with_one_schema_on_both_paths(ray_cluster, tmp_path):
    folder = tmp_path / "csvs"
    folder.mkdir()
    pd.DataFrame({"prompt": ["hello there", "prove it"], "x": [1, 2]}).to_csv(folder / "a.csv", index=False)
    pd.DataFrame({"prompt": [12, 34], "x": [3, 4]}).to_csv(folder / "b.csv", index=False)  # digits: text here
    router = load_router("length")
    plan = plan_for(router)
    score_table(folder, tmp_path / "local", router, plan)
    score_table_on_ray(folder, tmp_path / "ray", router, plan, workers=2)
    a, b = read_parquet_output(tmp_path / "local"), read_parquet_output(tmp_path / "ray")
    assert list(b["prompt"]) == ["hello there", "prove it", "12", "34"]
    pd.testing.assert_frame_equal(a, b)


def test_an_address_nothing_answers_on_fails_at_once():
    import time

    from routellm_core.distributed.cluster import _check_reachable

    start = time.perf_counter()
    with pytest.raises(RouteLLMError, match="cannot reach Ray at 127.0.0.1:1"):
        _check_reachable("127.0.0.1:1")
    assert time.perf_counter() - start < 10


def test_a_failing_batch_is_retried_then_reported_and_no_row_is_dropped(ray_cluster, tmp_path):
    frame = prompt_frame(600, seed=2)
    frame.loc[[5, 450], "prompt"] = "this prompt is poison"
    source = tmp_path / "parts"  # two files of two row groups: four slices, the poison in the first and last
    source.mkdir()
    for k in range(2):
        frame.iloc[k * 300:(k + 1) * 300].to_parquet(source / f"part-{k}.parquet", index=False, row_group_size=150)
    # every actor fails its first call (retried, then fine); the two poisoned batches fail every time
    router = FailingRouter(transient=1)
    plan = plan_for(router, threshold=0.5, retries=1)
    summary = score_table_on_ray(source, tmp_path / "out", router, plan, workers=2, batch_size=100)
    out = read_parquet_output(tmp_path / "out")
    assert summary.rows == len(out) == len(frame)
    assert (out["id"].to_numpy() == frame["id"].to_numpy()).all()
    failed = out[ERROR_COLUMN].notna()
    # two batches of 100, the rows of the poisoned ones kept with empty scores and the reason
    assert summary.failed_rows == failed.sum() == 200
    assert failed[5] and failed[450] and out.loc[failed, SCORE_COLUMN].isna().all()
    assert out.loc[failed, ERROR_COLUMN].str.contains("poison").all()
    assert out.loc[~failed, SCORE_COLUMN].notna().all()
    assert any("poison" in e for e in summary.errors)


@pytest.mark.parametrize("on_ray", [False, True], ids=["local", "ray"])
def test_bad_input_gets_a_clear_error_and_writes_nothing(ray_cluster, tmp_path, on_ray):
    router = load_router("length")
    plan = plan_for(router)

    def run(source, column="prompt"):
        out = tmp_path / f"out-{source.name}"
        the_plan = plan if column == "prompt" else plan_for(router, column=column)
        with pytest.raises(PromptTableError) as caught:
            if on_ray:
                score_table_on_ray(source, out, router, the_plan, workers=1)
            else:
                score_table(source, out, router, the_plan)
        assert not out.exists()
        return str(caught.value)

    pd.DataFrame({"text": ["a", "b"]}).to_parquet(tmp_path / "other.parquet")
    assert "no column 'prompt'" in run(tmp_path / "other.parquet") and "text" in run(tmp_path / "other.parquet")
    (tmp_path / "empty.jsonl").write_text("")
    assert "empty" in run(tmp_path / "empty.jsonl")
    (tmp_path / "header.csv").write_text("prompt,id\n")
    assert "no rows" in run(tmp_path / "header.csv")
    pd.DataFrame({"prompt": [1, 2, 3]}).to_parquet(tmp_path / "numbers.parquet")
    assert "not text" in run(tmp_path / "numbers.parquet")
    (tmp_path / "null.jsonl").write_text('{"prompt": "fine"}\n{"prompt": null}\n{"prompt": "also fine"}\n')
    assert "null" in run(tmp_path / "null.jsonl")
    assert "not found" in run(tmp_path / "missing.parquet")
    pd.DataFrame({"prompt": ["a"], "win_probability": [0.3]}).to_parquet(tmp_path / "scored.parquet")
    assert "already has column" in run(tmp_path / "scored.parquet")


def test_eval_on_ray_gives_the_local_figures(ray_cluster, tmp_path):
    frame = prompt_frame(300, seed=4)
    rng = np.random.default_rng(4)
    frame["strong_score"] = rng.random(len(frame)) < 0.8
    frame["weak_score"] = rng.random(len(frame)) < 0.5
    logs = tmp_path / "logs.csv"
    frame[["prompt", "strong_score", "weak_score"]].to_csv(logs, index=False)
    runner = CliRunner()
    figures = []
    for extra in ([], ["--ray"]):
        out = tmp_path / f"eval{len(extra)}.json"
        result = runner.invoke(app, ["eval", "default", "length", "--benchmark-file", str(logs), "--json", str(out),
                                     "--no-cache", "--no-progress", "--references", "random", *extra])
        assert result.exit_code == 0, result.output
        figures.append(json.loads(out.read_text()))
    local, on_ray = figures
    assert [r["router"] for r in local["results"]] == [r["router"] for r in on_ray["results"]] == ["default", "length"]
    for a, b in zip(local["results"], on_ray["results"]):
        assert b["apgr"] == pytest.approx(a["apgr"], abs=1e-9)
        assert b["cpt50"] == pytest.approx(a["cpt50"], abs=1e-9)


def test_win_probabilities_on_ray_keep_the_prompts_order(ray_cluster):
    prompts = list(prompt_frame(500, seed=5)["prompt"])
    router = load_router("default")
    np.testing.assert_allclose(win_probabilities_on_ray(router, prompts, exact=True, workers=2),
                               router.win_probabilities(prompts), rtol=0, atol=1e-12)
    with pytest.raises(RouteLLMError, match="could not be scored"):
        win_probabilities_on_ray(FailingRouter(), ["fine", "poison"], workers=1)


def test_calibrate_on_ray_finds_the_local_threshold(ray_cluster, parts):
    folder, frame = parts
    runner = CliRunner()
    results = []
    for extra in ([], ["--ray"]):
        result = runner.invoke(app, ["calibrate", "default", "--prompts", str(folder), "--strong-fraction", "0.25",
                                     "--json", *extra])
        assert result.exit_code == 0, result.output
        results.append(json.loads(result.stdout.strip().splitlines()[-1]))
    local, on_ray = results
    assert local["n"] == on_ray["n"] == len(frame)
    assert on_ray["threshold"] == pytest.approx(local["threshold"], abs=1e-9)
    assert on_ray["realised_strong_share"] == local["realised_strong_share"]
    scores = table_scores_on_ray(folder, "default", workers=2)
    assert scores.shape == (len(frame),)


def test_label_on_ray_writes_the_local_battles_and_resumes(ray_cluster, tmp_path):
    from routellm_core.labeling import label

    mod = "tests.unit_tests.test_label"
    prompts = [f"question {i} " + "detail " * (i % 4) for i in range(8)]
    models = {"big": f"{mod}:strong", "small": f"{mod}:weak"}
    local = label(prompts, models, tmp_path / "local.jsonl", judge=f"{mod}:longer_wins", progress=False)
    first = label(prompts[:5], models, tmp_path / "ray.jsonl", judge=f"{mod}:longer_wins", progress=False, ray=True)
    (tmp_path / "prompts.txt").write_text("\n".join(prompts) + "\n")
    result = CliRunner().invoke(app, [  # the rest through the command, resuming the same file
        "label", str(tmp_path / "prompts.txt"), "--model", f"big={mod}:strong", "--model", f"small={mod}:weak",
        "--judge", f"{mod}:longer_wins", "--out", str(tmp_path / "ray.jsonl"), "--no-progress", "--concurrency", "2",
        "--ray"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)
    assert local.written == 8 and first.written == 5
    assert again["skipped_done"] == 5 and again["written"] == 3
    assert again["model_calls"] == 6 and again["judge_calls"] == 6

    def battles(path):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return sorted((r["prompt"], r["winner"], r["answer_a"], r["answer_b"]) for r in rows)

    assert battles(tmp_path / "ray.jsonl") == battles(tmp_path / "local.jsonl")
    garbage = label(prompts[:2], models, tmp_path / "garbage.jsonl", judge=f"{mod}:garbage_judge", progress=False,
                    ray=True)
    assert garbage.garbage_verdicts == 4 and garbage.written == 0


class CodeWordQuality(NModelRouter, Router):
    """An N-model router for the synthetic outcome table: the coder is good on code words, the chatter
    elsewhere (importable by the Ray workers, as this module is)."""

    kind = "test-code-word-quality"
    qualities_rows_independent = True

    def __init__(self):
        super().__init__("code-words")
        self.models = list(MODELS)

    def _qualities(self, texts):
        code = np.array([any(w in t for w in CODE_WORDS) for t in texts])
        return np.where(code[:, None], [0.9, 0.2, 0.1], [0.1, 0.9, 0.4])

    def _score(self, texts):
        return self._qualities(texts)[:, 0]


def test_n_model_eval_on_ray_gives_the_local_curves(ray_cluster, tmp_path):
    from routellm_core.data import load_per_model_outcomes
    from routellm_core.distributed import model_qualities_on_ray
    from routellm_core.evaluation.n_models import evaluate_n_models
    from routellm_core.routers import LengthRouter

    make_table(200, seed=11).to_csv(tmp_path / "outcomes.csv", index=False)
    outcomes = load_per_model_outcomes(tmp_path / "outcomes.csv")
    runs = [evaluate_n_models(outcomes, [CodeWordQuality(), LengthRouter()], two_model_router=LengthRouter(),
                              points=7, **options)
            for options in ({}, {"scorer": win_probabilities_on_ray, "quality_scorer": model_qualities_on_ray})]
    local, on_ray = (run.as_dict()["curves"] for run in runs)
    assert [c["name"] for c in local] == [c["name"] for c in on_ray]
    for a, b in zip(local, on_ray):
        assert b["area"] == pytest.approx(a["area"], abs=1e-9)
        assert [p["quality"] for p in b["points"]] == pytest.approx([p["quality"] for p in a["points"]], abs=1e-9)
    result = CliRunner().invoke(app, ["eval", "length", "--outcomes", str(tmp_path / "outcomes.csv"), "--points", "5",
                                      "--two-model-router", "length", "--no-progress", "--ray",
                                      "--json", str(tmp_path / "nm.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "nm.json").read_text())["n"] == 200
