"""Shadow sampling: the other model called in the background on a share of calls, the pairs judged later."""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.data.public_formats import load_battle_file
from routellm_core.labeling import ShadowSampler, label
from tests.unit_tests.test_label import PROMPTS, longer_wins, strong, weak


def test_off_by_default_and_rate_checked(tmp_path):
    sampler = ShadowSampler(tmp_path / "s.jsonl", rate=0.0)
    assert not sampler.maybe_explore("p", "small", "a", "big", lambda: pytest.fail("called"))
    sampler.close()
    assert not (tmp_path / "s.jsonl").exists()
    with pytest.raises(ValueError):
        ShadowSampler(tmp_path / "s.jsonl", rate=1.5)


def test_share_of_calls_explored_off_the_critical_path(tmp_path):
    release = threading.Event()

    def slow_other(prompt):
        release.wait(5)
        return {"text": strong(prompt), "cost": 0.25}

    sampler = ShadowSampler(tmp_path / "s.jsonl", rate=0.5, seed=3)
    hits = [sampler.maybe_explore(p, "small", weak(p), "big", lambda p=p: slow_other(p)) for p in PROMPTS * 10]
    assert 0.3 < sum(hits) / len(hits) < 0.7  # returned at once although the shadow calls block
    release.set()
    sampler.wait(5)
    sampler.close()
    stats = sampler.stats()
    assert stats["stored"] == sum(hits) and stats["exploration_cost"] == pytest.approx(0.25 * sum(hits))
    row = json.loads((tmp_path / "s.jsonl").read_text().splitlines()[0])
    assert set(row["answers"]) == {"small", "big"} and row["explored"] == "big"


def test_failing_shadow_calls_are_counted_never_raised(tmp_path):
    def broken():
        raise ConnectionError("down")

    sampler = ShadowSampler(tmp_path / "s.jsonl", rate=1.0)
    assert sampler.maybe_explore("p", "small", "a", "big", broken)
    sampler.wait(5)
    sampler.close()
    assert sampler.stats()["failures"] == 1 and sampler.stats()["stored"] == 0


def test_stored_pairs_are_judged_without_calling_models(tmp_path):
    shadow = tmp_path / "shadow.jsonl"
    sampler = ShadowSampler(shadow, rate=1.0)
    for prompt in PROMPTS[:4]:
        sampler.maybe_explore(prompt, "small", weak(prompt), "big", lambda prompt=prompt: strong(prompt))
    sampler.wait(5)
    sampler.close()
    summary = label(shadow, None, tmp_path / "battles.jsonl", judge=longer_wins, progress=False)
    assert summary.written == 4 and summary.model_calls == 0
    battles = load_battle_file(tmp_path / "battles.jsonl")
    assert set(battles.model_a) | set(battles.model_b) == {"small", "big"}
    result = CliRunner().invoke(app, ["label", str(shadow), "--judge", "tests.unit_tests.test_label:longer_wins",
                                      "--out", str(tmp_path / "cli.jsonl"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 4
