"""Scores are cached per router configuration (never per name) and scored in batches."""

from typing import Any

import numpy as np
import pytest

from routellm_core import load_router
from routellm_core.evaluation import Benchmark, ScoreCache, compare_routers, default_cache_dir, score_prompts
from routellm_core.evaluation.cache import prompts_digest
from routellm_core.router import Router, register_router
from routellm_core.routers import LengthRouter

PROMPTS = [f"prompt {'x' * i}" for i in range(30)]


@register_router
class CountingRouter(Router):
    """Scores by length times a learned weight, counting its calls (a stand-in for a trained router)."""

    kind = "test-counting"
    scores_rows_independently = True  # each score is its own row's length times the weight

    def __init__(self, weight: float = 1.0, name: str | None = None):
        super().__init__(name)
        self.weight = float(weight)
        self.batches: list[int] = []

    def state_tensors(self) -> dict[str, np.ndarray]:
        return {"weight": np.array([self.weight], dtype=np.float32)}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]):
        return {"weight": (1,)}

    @classmethod
    def from_state(cls, params, tensors):
        return cls(weight=float(tensors["weight"][0]))

    def _score(self, texts):
        self.batches.append(len(texts))
        return np.array([(len(t) * self.weight) % 1.0 for t in texts])


@pytest.fixture
def cache(tmp_path):
    return ScoreCache(tmp_path / "scores")


def test_second_run_reads_the_cache(cache):
    router = CountingRouter(0.37)
    first = score_prompts(router, PROMPTS, cache=cache, progress=False)
    calls = len(router.batches)
    second = score_prompts(router, PROMPTS, cache=cache, progress=False)
    assert len(router.batches) == calls  # nothing re-scored
    assert np.array_equal(first, second)


def test_the_name_does_not_matter_the_configuration_does(cache):
    score_prompts(CountingRouter(0.37, name="a"), PROMPTS, cache=cache, progress=False)
    renamed = CountingRouter(0.37, name="b")
    score_prompts(renamed, PROMPTS, cache=cache, progress=False)
    assert renamed.batches == []  # same configuration under another name: cache hit
    retrained = CountingRouter(0.11, name="a")
    scores = score_prompts(retrained, PROMPTS, cache=cache, progress=False)
    assert retrained.batches  # same name, new weights: scored afresh
    assert np.allclose(scores, [(len(p) * np.float32(0.11)) % 1.0 for p in PROMPTS], atol=1e-6)


def test_a_replaced_checkpoint_never_reuses_stale_scores(tmp_path, cache):
    rows = Benchmark("toy", PROMPTS, np.arange(30) % 2, np.zeros(30))
    path = tmp_path / "ckpt"
    CountingRouter(0.37).save(path)
    before = compare_routers(rows, [str(path)], [], cache=cache, progress=False).results[0]
    CountingRouter(0.11).save(path)  # retrained, saved under the same path and name
    after = compare_routers(rows, [str(path)], [], cache=cache, progress=False).results[0]
    fresh = compare_routers(rows, [str(path)], [], cache=None, progress=False).results[0]
    assert after.curve == fresh.curve
    assert after.curve != before.curve


def test_other_prompts_are_another_entry(cache):
    router = CountingRouter(0.37)
    score_prompts(router, PROMPTS, cache=cache, progress=False)
    router.batches.clear()
    score_prompts(router, PROMPTS[::-1], cache=cache, progress=False)
    assert router.batches
    assert prompts_digest(["ab", "c"]) != prompts_digest(["a", "bc"])


def test_a_damaged_cache_file_is_rescored(cache):
    router = CountingRouter(0.37)
    expected = score_prompts(router, PROMPTS, cache=cache, progress=False)
    cache.path_for(router, PROMPTS).write_bytes(b"not a numpy file")
    router.batches.clear()
    assert np.array_equal(score_prompts(router, PROMPTS, cache=cache, progress=False), expected)
    assert router.batches


def test_scoring_runs_in_batches_and_matches_one_call():
    router = CountingRouter(0.37)
    scores = score_prompts(router, PROMPTS, batch_size=8, progress=False)
    assert router.batches == [8, 8, 8, 6]
    assert np.array_equal(scores, CountingRouter(0.37).win_probabilities(PROMPTS))
    with pytest.raises(ValueError, match="batch_size"):
        score_prompts(router, PROMPTS, batch_size=0)
    with pytest.raises(ValueError, match="no prompts"):
        score_prompts(router, [])


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    assert ScoreCache().directory == tmp_path / "elsewhere" / "scores"
    monkeypatch.delenv("ROUTELLM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if default_cache_dir().parent == tmp_path / "xdg":  # Linux layout
        assert default_cache_dir() == tmp_path / "xdg" / "routellm"


def test_bundled_routers_cache_under_their_kind(cache):
    assert cache.path_for(load_router("length"), PROMPTS).parent.name.startswith("length-")
    assert cache.path_for(LengthRouter(scale=10), PROMPTS) != cache.path_for(LengthRouter(), PROMPTS)
