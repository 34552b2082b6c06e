"""Scoring a prompt table in this process (no Ray): `score_table`, `plan_for`, `BatchScorer`, the Parquet
output and `routellm route --input ... --output ...`.

Most tests use the `length` baseline or scripted routers (their scores are known in advance); the
bundled `default` router only where per-prompt exactness against batching matters.
"""

from __future__ import annotations

import json
import re
import time
import types
import zlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from routellm_core import batch_scoring
from routellm_core.batch_scoring import (
    ERROR_COLUMN,
    SCORE_COLUMN,
    BatchScorer,
    plan_for,
    score_table,
)
from routellm_core.calibration import share_threshold
from routellm_core.cli import app
from routellm_core.errors import RouteLLMError
from routellm_core.n_models import NModelRouter
from routellm_core.prompt_tables import PromptTableError, iter_prompt_batches, parquet_output, read_parquet_output
from routellm_core.registry import load_router
from routellm_core.router import Router
from routellm_core.testing import FailingRouter, ScriptedRouter

WORDS = "sort a list prove the theorem write a poem explain this code derivative integral story hello".split()
INPUT_COLUMNS = ["id", "prompt", "team"]


def prompt_frame(n: int, seed: int = 0, max_words: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prompts = [" ".join(rng.choice(WORDS, rng.integers(1, max_words))) for _ in range(n)]
    return pd.DataFrame({"id": np.arange(n), "prompt": prompts, "team": rng.choice(["a", "b"], n)})


def tagged_score(text: str) -> float:
    """A score read from the prompt's own tag (`id<k> ...`): each row's expected score is known."""
    return int(text.split()[0][2:]) / 1024.0


def cli_text(result) -> str:
    """The command's output (stdout and stderr) with any box drawing and line wrapping removed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def no_hidden_siblings(folder) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def length_router():
    return load_router("length")


@pytest.fixture(scope="module")
def default_router():
    return load_router("default")


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries without their waits: the waits a `BatchScorer` asks for are recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(batch_scoring, "time", types.SimpleNamespace(perf_counter=time.perf_counter,
                                                                      sleep=waits.append))
    return waits


# ---- 1. output: one Parquet file or a folder of parts -------------------------------------------


def test_file_and_folder_outputs_hold_the_input_rows_in_order_with_scores_and_decisions(tmp_path, length_router):
    frame = prompt_frame(250)
    source = tmp_path / "in.parquet"
    frame.to_parquet(source, index=False)
    plan = plan_for(length_router)

    as_file = score_table(source, tmp_path / "out.parquet", length_router, plan, batch_size=64)
    as_folder = score_table(source, tmp_path / "out", length_router, plan, batch_size=64)

    assert (tmp_path / "out.parquet").is_file() and (tmp_path / "out").is_dir()
    parts = sorted((tmp_path / "out").glob("*.parquet"))
    assert len(parts) == 4  # 250 rows in batches of 64: one part per batch
    assert [len(pd.read_parquet(p)) for p in parts] == [64, 64, 64, 58]
    a, b = pd.read_parquet(tmp_path / "out.parquet"), read_parquet_output(tmp_path / "out")
    for out, summary in ((a, as_file), (b, as_folder)):
        assert summary.rows == len(out) == len(frame) and summary.failed_rows == 0 and summary.errors == []
        assert list(out.columns) == [*INPUT_COLUMNS, SCORE_COLUMN, "model", ERROR_COLUMN]
        pd.testing.assert_frame_equal(out[INPUT_COLUMNS], frame)  # same rows, same order, untouched
        assert out[ERROR_COLUMN].isna().all()
        np.testing.assert_allclose(out[SCORE_COLUMN], length_router.win_probabilities(list(frame["prompt"])),
                                   rtol=0, atol=1e-12)
        # strong exactly where the score reaches the plan's threshold
        expected = np.where(out[SCORE_COLUMN] >= plan.threshold, "strong", "weak")
        assert (out["model"].to_numpy() == expected).all() and set(expected) == {"strong", "weak"}
    pd.testing.assert_frame_equal(a, b)


# ---- 2. exact scores whatever the batch; batched scores close to them -----------------------------


@pytest.fixture(scope="module")
def varied_prompts(tmp_path_factory, default_router):
    frame = prompt_frame(45, seed=3)
    frame.loc[40:, "prompt"] = frame.loc[:4, "prompt"].to_numpy()  # a few repeats
    source = tmp_path_factory.mktemp("varied") / "in.parquet"
    frame.to_parquet(source, index=False)
    single = np.array([default_router.win_probability(p) for p in frame["prompt"]])
    return source, frame, single


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_exact_scores_equal_single_calls_whatever_the_batch_size(tmp_path, default_router, varied_prompts,
                                                                  batch_size):
    source, frame, single = varied_prompts
    plan = plan_for(default_router, exact=True)
    summary = score_table(source, tmp_path / "out.parquet", default_router, plan, batch_size=batch_size)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert summary.rows == len(frame) and (out["id"].to_numpy() == frame["id"].to_numpy()).all()
    np.testing.assert_allclose(out[SCORE_COLUMN].to_numpy(), single, rtol=0, atol=1e-12)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "batched"])
def test_exact_scores_each_prompt_alone_and_batched_scores_each_batch_at_once(tmp_path, exact):
    frame = prompt_frame(45, seed=3)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    router = ScriptedRouter(lambda text: len(text) / (len(text) + 100.0))
    score_table(tmp_path / "in.parquet", tmp_path / "out.parquet", router, plan_for(router, threshold=0.5,
                                                                                    exact=exact), batch_size=20)
    calls = len(router.threads)  # one entry per call of the router's scoring
    batches = [frame["prompt"][i:i + 20] for i in range(0, 45, 20)]
    assert calls == (sum(b.nunique() for b in batches) if exact else len(batches))
    out = pd.read_parquet(tmp_path / "out.parquet")
    np.testing.assert_allclose(out[SCORE_COLUMN], [router.score(p) for p in frame["prompt"]], rtol=0, atol=1e-12)


def test_cli_batched_scores_are_close_to_exact_ones(tmp_path, default_router, varied_prompts):
    source, frame, single = varied_prompts
    runner = CliRunner()
    outputs = {}
    for flag in ("--exact", "--batched"):
        out = tmp_path / f"{flag.strip('-')}.parquet"
        result = runner.invoke(app, ["route", "--input", str(source), "--output", str(out), flag,
                                     "--batch-size", "16"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.strip().splitlines()[-1])["rows"] == len(frame)
        outputs[flag] = pd.read_parquet(out)
    exact, batched = outputs["--exact"], outputs["--batched"]
    np.testing.assert_allclose(exact[SCORE_COLUMN].to_numpy(), single, rtol=0, atol=1e-12)
    np.testing.assert_allclose(batched[SCORE_COLUMN].to_numpy(), single, rtol=0, atol=1e-6)
    threshold = share_threshold(default_router, None)
    for out in (exact, batched):
        assert (out["id"].to_numpy() == frame["id"].to_numpy()).all()
        assert (out["model"].to_numpy() == np.where(out[SCORE_COLUMN] >= threshold, "strong", "weak")).all()


# ---- 3. the length sort inside a batch never moves a row -----------------------------------------


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "batched"])
def test_each_row_keeps_its_own_score_when_a_batch_is_sorted_by_length(exact):
    import pyarrow as pa

    rng = np.random.default_rng(5)
    tags = rng.permutation(200)
    lengths = rng.integers(0, 3000, size=200)  # very different lengths, in no order
    prompts = [f"id{t} " + "x" * n for t, n in zip(tags, lengths)]
    router = ScriptedRouter(tagged_score)
    scorer = BatchScorer(router, plan_for(router, threshold=0.5, exact=exact))
    table = scorer(pa.table({"prompt": prompts, "row": np.arange(200)}))

    assert table.column("prompt").to_pylist() == prompts and table.column("row").to_pylist() == list(range(200))
    np.testing.assert_allclose(table.column(SCORE_COLUMN).to_numpy(), tags / 1024.0, rtol=0, atol=1e-12)
    assert table.column("model").to_pylist() == ["strong" if t / 1024.0 >= 0.5 else "weak" for t in tags]
    # the router really saw the batch shortest first, not in the table's order
    seen = [len(text) for text in router.seen]
    assert seen == sorted(seen) and seen != [len(p) for p in prompts]


# ---- 4. thresholds ------------------------------------------------------------------------------


def test_plan_threshold_defaults_to_the_reference_share_and_takes_a_fraction_or_a_threshold(length_router):
    assert plan_for(length_router).threshold == pytest.approx(share_threshold(length_router, None), abs=1e-12)
    assert plan_for(length_router, strong_fraction=0.2).threshold == pytest.approx(
        share_threshold(length_router, 0.2), abs=1e-12)
    assert share_threshold(length_router, 0.2) != pytest.approx(share_threshold(length_router, None))
    assert plan_for(length_router, threshold=0.3).threshold == 0.3
    with pytest.raises(RouteLLMError, match="not both"):
        plan_for(length_router, threshold=0.3, strong_fraction=0.2)


def test_cli_passes_threshold_and_strong_fraction_through(tmp_path, length_router):
    frame = pd.DataFrame({"id": np.arange(300), "prompt": ["w" * n for n in range(1, 3000, 10)]})
    source = tmp_path / "in.parquet"
    frame.to_parquet(source, index=False)
    runner = CliRunner()
    decisions = {}
    cases = {"default": ([], share_threshold(length_router, None)),
             "threshold": (["--threshold", "0.3"], 0.3),
             "fraction": (["--strong-fraction", "0.2"], share_threshold(length_router, 0.2))}
    for name, (args, threshold) in cases.items():
        out = tmp_path / f"{name}.parquet"
        result = runner.invoke(app, ["route", "-r", "length", "--input", str(source), "--output", str(out), *args])
        assert result.exit_code == 0, result.output
        scored = pd.read_parquet(out)
        assert (scored["model"].to_numpy() == np.where(scored[SCORE_COLUMN] >= threshold, "strong", "weak")).all()
        decisions[name] = tuple(scored["model"])
    assert len(set(decisions.values())) == 3  # the three thresholds route these prompts differently

    both = runner.invoke(app, ["route", "-r", "length", "--input", str(source), "--output", str(tmp_path / "x"),
                               "--threshold", "0.3", "--strong-fraction", "0.2"])
    assert both.exit_code != 0 and "not both" in cli_text(both)
    assert not (tmp_path / "x").exists()


# ---- 5. N-model routers -------------------------------------------------------------------------


class HashQuality(NModelRouter, Router):
    """Three models with qualities drawn from each prompt's hash: the best model varies from prompt to prompt."""

    kind = "test-hash-quality"
    qualities_rows_independent = True

    def __init__(self, name=None):
        super().__init__(name)
        self.models = ["tiny", "org/medium", "large"]

    def _qualities(self, texts):
        return np.array([np.random.default_rng(zlib.crc32(t.encode())).random(3) for t in texts])

    def _score(self, texts):
        return self._qualities(texts)[:, -1]


PRICES = {"tiny": 0.1, "medium": 1.0, "large": 5.0}  # "medium" names "org/medium" by its model key


def test_n_model_plan_adds_quality_and_choice_columns(tmp_path):
    router = HashQuality()
    plan = plan_for(router, prices=PRICES, price_weights=[0, 1e9])
    assert plan.threshold is None and plan.prices == (0.1, 1.0, 5.0)
    frame = prompt_frame(120, seed=6)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    summary = score_table(tmp_path / "in.parquet", tmp_path / "out.parquet", router, plan, batch_size=50)
    out = pd.read_parquet(tmp_path / "out.parquet")

    quality = ["quality:tiny", "quality:org/medium", "quality:large"]
    assert list(out.columns) == [*INPUT_COLUMNS, SCORE_COLUMN, *quality, "model@0", "model@1e+09", ERROR_COLUMN]
    assert summary.rows == len(out) == len(frame) and summary.failed_rows == 0
    pd.testing.assert_frame_equal(out[INPUT_COLUMNS], frame)
    expected = router.model_qualities(list(frame["prompt"]))
    np.testing.assert_allclose(out[quality].to_numpy(), expected, rtol=0, atol=1e-12)
    best = np.array(router.models)[expected.argmax(axis=1)]
    assert (out["model@0"].to_numpy() == best).all() and len(set(best)) == 3  # price ignored: the best quality
    assert (out["model@1e+09"] == "tiny").all()  # price dominates: the cheapest


def test_n_model_plan_errors(length_router):
    router = HashQuality()
    with pytest.raises(RouteLLMError, match="needs a price for each"):
        plan_for(router, price_weights=[1.0])
    with pytest.raises(RouteLLMError, match="no price for model 'large'"):
        plan_for(router, prices={"tiny": 0.1, "medium": 1.0}, price_weights=[1.0])
    for given in ({"threshold": 0.5}, {"strong_fraction": 0.3}):
        with pytest.raises(RouteLLMError, match="not a threshold"):
            plan_for(router, **given)
    with pytest.raises(RouteLLMError, match="not prices"):
        plan_for(length_router, prices={"a": 1.0})
    with pytest.raises(RouteLLMError, match="not prices"):
        plan_for(length_router, price_weights=[1.0])
    # two weights that would name one column: the output could not be read back, so refused up front
    for weights in ([1.0, 1.0], [0.1234567, 0.1234568]):
        with pytest.raises(RouteLLMError, match="same column twice"):
            plan_for(router, prices=PRICES, price_weights=weights)


def test_cli_routes_an_n_model_router_with_prices_and_refuses_it_a_threshold(tmp_path, monkeypatch):
    import routellm_core.registry

    monkeypatch.setattr(routellm_core.registry, "load_router", lambda name: HashQuality())
    prompt_frame(30, seed=7).to_parquet(tmp_path / "in.parquet", index=False)
    runner = CliRunner()
    base = ["route", "--input", str(tmp_path / "in.parquet")]
    prices = [arg for model, usd in PRICES.items() for arg in ("--price", f"{model}={usd}")]
    ok = runner.invoke(app, [*base, "--output", str(tmp_path / "ok.parquet"), *prices, "--price-weight", "0"])
    assert ok.exit_code == 0, ok.output
    assert "model@0" in pd.read_parquet(tmp_path / "ok.parquet").columns

    no_prices = runner.invoke(app, [*base, "--output", str(tmp_path / "a.parquet"), "--price-weight", "1"])
    assert no_prices.exit_code != 0 and "needs a price" in cli_text(no_prices)
    threshold = runner.invoke(app, [*base, "--output", str(tmp_path / "b.parquet"), "--threshold", "0.5"])
    assert threshold.exit_code != 0 and "not a threshold" in cli_text(threshold)
    assert not (tmp_path / "a.parquet").exists() and not (tmp_path / "b.parquet").exists()


# ---- 6. failures: marked rows, retries, the CLI's exit code --------------------------------------


def poisoned_frame(n: int, rows: list[int]) -> pd.DataFrame:
    frame = prompt_frame(n, seed=8)
    frame.loc[rows, "prompt"] = "this prompt is poison"
    return frame


def test_a_failing_batch_keeps_its_rows_with_the_error_and_the_rest_are_scored(tmp_path, no_backoff):
    frame = poisoned_frame(300, [5, 250])
    frame.loc[[120, 130], "prompt"] = "a hard one"
    source = tmp_path / "in.jsonl"
    frame.to_json(source, orient="records", lines=True)
    router = FailingRouter()
    plan = plan_for(router, threshold=0.5, retries=0)
    summary = score_table(source, tmp_path / "out", router, plan, batch_size=100)
    out = read_parquet_output(tmp_path / "out")

    assert summary.rows == len(out) == len(frame)
    pd.testing.assert_frame_equal(out[INPUT_COLUMNS], frame)
    failed = out[ERROR_COLUMN].notna().to_numpy()
    assert (failed == ((out["id"] < 100) | (out["id"] >= 200)).to_numpy()).all()  # the first and last batches
    assert summary.failed_rows == failed.sum() == 200
    assert out.loc[failed, SCORE_COLUMN].isna().all() and out.loc[failed, "model"].isna().all()
    assert out.loc[failed, ERROR_COLUMN].str.contains("RuntimeError: cannot score a text holding 'poison'").all()
    assert summary.errors == ["RuntimeError: cannot score a text holding 'poison'"]
    scored = out.loc[~failed]
    np.testing.assert_array_equal(scored[SCORE_COLUMN], np.where(scored["prompt"] == "a hard one", 0.9, 0.1))
    assert list(scored.loc[scored[SCORE_COLUMN] > 0.5, "id"]) == [120, 130]
    assert (scored["model"] == np.where(scored[SCORE_COLUMN] >= 0.5, "strong", "weak")).all()
    assert no_backoff == []  # retries=0: no second attempt


def test_transient_failures_are_retried_and_leave_no_error(tmp_path, no_backoff):
    frame = prompt_frame(120, seed=9)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    router = FailingRouter(transient=1)
    summary = score_table(tmp_path / "in.parquet", tmp_path / "out.parquet", router,
                          plan_for(router, threshold=0.5, retries=1), batch_size=50)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert summary.failed_rows == 0 and summary.errors == [] and out[ERROR_COLUMN].isna().all()
    assert out[SCORE_COLUMN].notna().all() and router.failures == 1 and len(no_backoff) == 1

    # without a retry the same warm-up failure costs the first batch
    router = FailingRouter(transient=1)
    summary = score_table(tmp_path / "in.parquet", tmp_path / "again.parquet", router,
                          plan_for(router, threshold=0.5, retries=0), batch_size=50)
    out = pd.read_parquet(tmp_path / "again.parquet")
    assert summary.failed_rows == 50 and out[ERROR_COLUMN].notna().to_numpy()[:50].all()
    assert out[ERROR_COLUMN][50:].isna().all() and "transient failure" in summary.errors[0]


def test_a_batch_failing_every_retry_is_tried_retries_plus_one_times(tmp_path, no_backoff):
    poisoned_frame(10, [3]).to_parquet(tmp_path / "in.parquet", index=False)
    router = FailingRouter()
    summary = score_table(tmp_path / "in.parquet", tmp_path / "out.parquet", router,
                          plan_for(router, threshold=0.5, retries=2))
    assert summary.failed_rows == 10
    assert len(no_backoff) == 2 and no_backoff[1] > no_backoff[0]  # two retries, the second after a longer wait


def test_cli_exits_1_and_counts_the_rows_it_could_not_score(tmp_path, monkeypatch, no_backoff):
    import routellm_core.registry

    monkeypatch.setattr(routellm_core.registry, "load_router", lambda name: FailingRouter())
    poisoned_frame(120, [70]).to_parquet(tmp_path / "in.parquet", index=False)
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["route", "--input", str(tmp_path / "in.parquet"), "--output", str(out),
                                      "--threshold", "0.5", "--batch-size", "50"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 120 and summary["failed_rows"] == 50
    assert "50 of 120 rows could not be scored" in cli_text(result)
    scored = pd.read_parquet(out)  # written all the same, the failed rows marked
    assert len(scored) == 120 and scored[ERROR_COLUMN].notna().sum() == 50


# ---- 7. output safety ---------------------------------------------------------------------------


def test_an_existing_output_is_refused_unless_overwritten(tmp_path, length_router):
    frame = prompt_frame(40, seed=10)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    plan = plan_for(length_router)
    old_file = tmp_path / "out.parquet"
    old_file.write_bytes(b"old")
    old_folder = tmp_path / "out"
    old_folder.mkdir()
    (old_folder / "part-00009.parquet").write_bytes(b"stale")

    for target in (old_file, old_folder):
        with pytest.raises(PromptTableError, match="exists"):
            score_table(tmp_path / "in.parquet", target, length_router, plan)
    assert old_file.read_bytes() == b"old" and (old_folder / "part-00009.parquet").read_bytes() == b"stale"

    for target in (old_file, old_folder):
        summary = score_table(tmp_path / "in.parquet", target, length_router, plan, overwrite=True)
        assert summary.rows == len(frame)
        pd.testing.assert_frame_equal(read_parquet_output(target)[INPUT_COLUMNS], frame)
    assert not (old_folder / "part-00009.parquet").exists()  # the old folder replaced, not added to
    assert no_hidden_siblings(tmp_path)

    runner = CliRunner()
    args = ["route", "-r", "length", "--input", str(tmp_path / "in.parquet"), "--output", str(old_file)]
    refused = runner.invoke(app, args)
    assert refused.exit_code != 0 and "exists" in cli_text(refused)
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


@pytest.mark.parametrize("name", ["out.parquet", "out"], ids=["file", "folder"])
def test_scoring_that_fails_midway_leaves_nothing_at_the_output(tmp_path, name):
    prompts = [f"prompt number {i}" for i in range(30)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"prompt": None if i == 15 else p}) + "\n" for i, p in enumerate(prompts)))
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    router = ScriptedRouter(0.7)
    with pytest.raises(PromptTableError, match="row 15 of column 'prompt' holds no value"):
        score_table(source, outputs / name, router, plan_for(router, threshold=0.5), batch_size=10)
    assert set(router.seen) == set(prompts[:10])  # the first batch was scored (and written) before the failure
    assert list(outputs.iterdir()) == []  # no output, no staging file or folder beside it

    # over an existing output, a failed run leaves the old one as it was
    prompt_frame(5).to_parquet(tmp_path / "ok.parquet", index=False)
    score_table(tmp_path / "ok.parquet", outputs / name, router, plan_for(router, threshold=0.5))
    before = read_parquet_output(outputs / name)
    with pytest.raises(PromptTableError):
        score_table(source, outputs / name, router, plan_for(router, threshold=0.5), batch_size=10, overwrite=True)
    pd.testing.assert_frame_equal(read_parquet_output(outputs / name), before)
    assert [p.name for p in outputs.iterdir()] == [name]


def test_parquet_output_publishes_only_a_completed_block(tmp_path):
    import pyarrow as pa

    target = tmp_path / "t.parquet"
    with pytest.raises(RuntimeError, match="stop"):
        with parquet_output(target) as writer:
            writer.write(pa.table({"a": [1, 2]}))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with parquet_output(target) as writer:
        writer.write(pa.table({"a": [1, 2]}))
        writer.write(pa.record_batch({"a": [3]}))
        assert not target.exists()  # not under its name before the block ends
    assert pd.read_parquet(target)["a"].tolist() == [1, 2, 3]
    (tmp_path / "dir.parquet").mkdir()
    with pytest.raises(PromptTableError, match="is a folder"):
        with parquet_output(tmp_path / "dir.parquet", overwrite=True):
            pass


# ---- 8. input columns and folders ---------------------------------------------------------------


def test_cli_column_picks_another_column(tmp_path, length_router):
    frame = pd.DataFrame({"prompt": ["same"] * 20, "text": ["t" * (i * 37 + 1) for i in range(20)]})
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["route", "-r", "length", "--input", str(tmp_path / "in.parquet"),
                                      "--output", str(out), "--column", "text"])
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    pd.testing.assert_frame_equal(scored[["prompt", "text"]], frame)
    np.testing.assert_allclose(scored[SCORE_COLUMN], length_router.win_probabilities(list(frame["text"])),
                               rtol=0, atol=1e-12)
    assert scored[SCORE_COLUMN].nunique() == 20  # scored on `text`, not on the constant `prompt`


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_folder_of_parts_reads_in_file_name_order(tmp_path, suffix, length_router):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = prompt_frame(90, seed=11)
    names = {"c": frame.iloc[60:], "a": frame.iloc[:30], "b": frame.iloc[30:60]}  # written out of name order
    for name, part in names.items():
        if suffix == ".csv":
            part.to_csv(folder / f"{name}{suffix}", index=False)
        else:
            part.to_json(folder / f"{name}{suffix}", orient="records", lines=True)
    (folder / "notes.txt").write_text("not a part")  # other files are ignored

    read = pd.concat([b.to_pandas() for b in iter_prompt_batches(folder, batch_size=25)], ignore_index=True)
    assert read["id"].tolist() == list(range(90)) and read["prompt"].tolist() == frame["prompt"].tolist()

    summary = score_table(folder, tmp_path / "out", length_router, plan_for(length_router), batch_size=25)
    out = read_parquet_output(tmp_path / "out")
    assert summary.rows == 90 and out["id"].tolist() == list(range(90))
    assert out["prompt"].tolist() == frame["prompt"].tolist()


def test_a_folder_mixing_file_types_is_refused(tmp_path, length_router):
    folder = tmp_path / "mixed"
    folder.mkdir()
    frame = prompt_frame(10)
    frame.to_csv(folder / "a.csv", index=False)
    frame.to_parquet(folder / "b.parquet", index=False)
    with pytest.raises(PromptTableError, match="mixes file types"):
        score_table(folder, tmp_path / "out", length_router, plan_for(length_router))
    assert not (tmp_path / "out").exists() and no_hidden_siblings(tmp_path)
    result = CliRunner().invoke(app, ["route", "-r", "length", "--input", str(folder),
                                      "--output", str(tmp_path / "out")])
    assert result.exit_code != 0 and "mixes file types" in cli_text(result)


# ---- 9. CLI argument errors ---------------------------------------------------------------------


def test_cli_argument_errors(tmp_path):
    prompt_frame(5).to_parquet(tmp_path / "in.parquet", index=False)
    source, out = str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet")
    runner = CliRunner()

    both = runner.invoke(app, ["route", "hello", "--input", source, "--output", out])
    assert both.exit_code != 0 and "give prompts or --input, not both" in cli_text(both)
    no_output = runner.invoke(app, ["route", "--input", source])
    assert no_output.exit_code != 0 and "--input and --output go together" in cli_text(no_output)
    no_input = runner.invoke(app, ["route", "--output", out])
    assert no_input.exit_code != 0 and "--input and --output go together" in cli_text(no_input)
    ray = runner.invoke(app, ["route", "hello", "--ray"])
    assert ray.exit_code != 0 and "--ray" in cli_text(ray) and "give --input and --output" in cli_text(ray)
    assert not (tmp_path / "out.parquet").exists()
