"""The downloader of the paper's evaluation files, run offline against local folders laid out the same way."""

import numpy as np
import pytest

from routellm_core.errors import RouteLLMError
from routellm_core.evaluation import download_evals, load_benchmark
from routellm_core.evaluation.download import (
    DEFAULT_BASE_URL,
    MMLU_SUBJECTS,
    benchmark_files,
    default_evals_dir,
    has_benchmark_files,
    resolve_base_url,
)
from tests.helpers import SHARED_DATA, requires_shared_data

from .eval_fixtures import write_paper_layout


@pytest.fixture
def source(tmp_path):
    return write_paper_layout(tmp_path / "mirror")


def test_downloads_every_benchmark_from_a_file_url(source, tmp_path):
    dest = download_evals(dest=tmp_path / "cache", base_url=source.as_uri(), progress=False)
    for name in ("mmlu", "gsm8k", "mt-bench"):
        assert has_benchmark_files(dest, name)
        got, want = load_benchmark(name, dest), load_benchmark(name, source)
        assert got.prompts == want.prompts and np.array_equal(got.strong_scores, want.strong_scores)
    assert (dest / "mt_bench" / "judgements.jsonl").read_bytes() == (source / "mt_bench" / "judgements.jsonl").read_bytes()


def test_a_plain_folder_path_works_as_source(source, tmp_path):
    dest = download_evals(["gsm8k"], tmp_path / "cache", base_url=str(source), progress=False)
    assert has_benchmark_files(dest, "gsm8k") and not has_benchmark_files(dest, "mmlu")


def test_existing_files_are_kept_unless_forced(source, tmp_path):
    dest = tmp_path / "cache"
    download_evals(["gsm8k"], dest, base_url=source, progress=False)
    target = dest / "gsm8k" / "gsm8k_responses.csv"
    target.write_text("prompt,local\n")
    download_evals(["gsm8k"], dest, base_url=source, progress=False)
    assert target.read_text() == "prompt,local\n"
    download_evals(["gsm8k"], dest, base_url=source, force=True, progress=False)
    assert target.read_bytes() == (source / "gsm8k" / "gsm8k_responses.csv").read_bytes()


def test_a_missing_contamination_list_is_skipped(source, tmp_path):
    (source / "gsm8k" / "contaminated_prompts.jsonl").unlink()
    dest = download_evals(["gsm8k"], tmp_path / "cache", base_url=source, progress=False)
    assert not (dest / "gsm8k" / "contaminated_prompts.jsonl").exists()
    assert load_benchmark("gsm8k", dest).dropped_contaminated == 0


def test_a_missing_required_file_is_an_error_naming_it(source, tmp_path):
    (source / "mmlu" / "responses" / "mmlu_virology.csv").unlink()
    with pytest.raises(RouteLLMError, match="mmlu_virology.csv"):
        download_evals(["mmlu"], tmp_path / "cache", base_url=source, progress=False)
    leftovers = [p.name for p in (tmp_path / "cache").rglob(".*")]
    assert leftovers == []  # no half-written temporary files


def test_sources_are_checked(tmp_path, monkeypatch):
    with pytest.raises(RouteLLMError, match="neither a URL nor an existing folder"):
        resolve_base_url(tmp_path / "absent")
    with pytest.raises(RouteLLMError, match="http"):
        resolve_base_url("ftp://example.org/evals/")
    monkeypatch.delenv("ROUTELLM_EVALS_URL", raising=False)
    assert resolve_base_url() == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL.startswith("https://raw.githubusercontent.com/lm-sys/RouteLLM/")
    monkeypatch.setenv("ROUTELLM_EVALS_URL", tmp_path.as_uri())
    assert resolve_base_url() == tmp_path.as_uri() + "/"


def test_file_lists_and_default_location(tmp_path, monkeypatch):
    assert len(MMLU_SUBJECTS) == 57
    assert ("mt_bench/judgements.jsonl", True) in benchmark_files("mt-bench")
    with pytest.raises(RouteLLMError, match="unknown benchmark"):
        benchmark_files("arc")
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path))
    assert default_evals_dir() == tmp_path / "evals"


@requires_shared_data
def test_offline_copy_of_the_real_files_loads_identically(tmp_path):
    real = SHARED_DATA / "routellm_evals"
    dest = download_evals(["mmlu", "gsm8k"], tmp_path / "evals", base_url=real.as_uri(), progress=False)
    assert sorted(p.name[5:-4] for p in (real / "mmlu" / "responses").glob("*.csv")) == sorted(MMLU_SUBJECTS)
    for name in ("mmlu", "gsm8k"):
        got, want = load_benchmark(name, dest), load_benchmark(name, real)
        assert got.prompts == want.prompts and got.dropped_contaminated == want.dropped_contaminated > 0
        assert np.array_equal(got.weak_scores, want.weak_scores)
