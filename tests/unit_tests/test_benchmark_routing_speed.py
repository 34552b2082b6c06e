"""The speed benchmark runs end to end in its quick mode (no timing is asserted: only that it measures)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "routing_speed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("routing_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_prompts_are_distinct_deterministic_and_about_the_asked_length(bench):
    prompts = bench.make_prompts(200, words=30, seed=3)
    assert len(set(prompts)) == 200
    assert prompts == bench.make_prompts(200, words=30, seed=3)
    assert prompts != bench.make_prompts(200, words=30, seed=4)
    assert all(25 <= len(p.split()) <= 35 for p in prompts)


def test_quick_run_measures_every_row_and_renders_tables(bench, tiny_st_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))  # where an onnx export would go
    settings = bench.Settings.quick(
        embedding_model=str(tiny_st_dir), routers=["mf", "sw_ranking", "length"], imports=False,
        single_prompts=3, batch_prompts=8,
    )
    result = bench.run_benchmark(settings)

    backends = bench.default_backends()  # torch, and onnx where onnxruntime is installed
    expected = [("mf", b) for b in backends] + [("sw_ranking", b) for b in backends] + [("length", None)]
    assert [(row["router"], row["backend"]) for row in result["routers"]] == expected
    for row in result["routers"]:
        assert row["single_p50_ms"] > 0 and row["single_p99_ms"] >= row["single_p50_ms"]
        assert row["batch_per_s"] > 0 and math.isfinite(row["batch_per_s"])
    mf, sw, length = result["routers"][0], result["routers"][len(backends)], result["routers"][-1]
    # embedding routers are compared with the bare encoder and time their cache hits; a baseline is not
    assert mf["ratio_to_encoder"] > 0 and math.isfinite(mf["ratio_to_encoder"])
    assert mf["cached_p50_ms"] > 0 and sw["cached_p50_ms"] > 0
    assert length["ratio_to_encoder"] is None and length["cached_p50_ms"] is None
    assert set(result["adapters"]) == {"RoutedChatModel.invoke", "RoutedLLM.chat"}
    assert {(c["router"], c["backend"], c["metric"]) for c in result["targets"]} == {
        (router, backend, metric)
        for backend in backends
        for router, metric in [("mf", "single_p50_ms"), ("mf", "batch_per_s"), ("mf", "ratio_to_encoder"), ("sw_ranking", "batch_per_s")]
    }
    json.dumps(result)  # JSON-ready for --json

    text = bench.markdown(result)
    assert "| mf | stand-in (untrained) | torch |" in text
    assert "RoutedChatModel.invoke" in text and "bare sentence-transformers encode" in text


def test_repeated_prompts_hit_the_embedding_cache(bench, tiny_st_dir):
    from routellm_core.embedding import shared_embedder

    (entry,) = bench.build_routers(["mf"], str(tiny_st_dir), sw_battles=10)
    router = entry.router
    embedder = shared_embedder(str(tiny_st_dir))
    assert entry.embedder is embedder  # the cache the benchmark clears is the one the router reads
    embedder.clear_cache()
    prompts = bench.make_prompts(5)
    router.win_probabilities(prompts)
    hits, misses = embedder.cache_hits, embedder.cache_misses
    for prompt in prompts:
        router.win_probability(prompt)
    assert (embedder.cache_hits - hits, embedder.cache_misses - misses) == (5, 0)


def test_unknown_router_names_are_refused(bench, tiny_st_dir):
    with pytest.raises(Exception, match="unknown router 'nope'"):
        bench.build_routers(["nope"], str(tiny_st_dir), sw_battles=10)


def test_importing_the_langchain_adapter_does_not_import_torch(bench):
    result = bench.check_imports(("routellm_langchain",))["routellm_langchain"]
    assert result["torch"] is False and result["sentence_transformers"] is False


def test_first_decision_runs_fresh_processes_and_reports_torch(bench):
    result = bench.first_decision("length", runs=2)
    assert result["runs"] == 2 and len(result["all_wall_seconds"]) == 2
    assert 0 < result["in_process_seconds"] <= result["wall_seconds"]
    assert result["torch"] is False  # the length baseline needs no model
