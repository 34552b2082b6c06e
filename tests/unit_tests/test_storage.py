"""routellm_core.storage: one cache root for every cache, atomic files, staged folders."""

from __future__ import annotations

import os
import stat
import sys
import warnings

import numpy as np
import pytest

from routellm_core import storage
from routellm_core.storage import CACHE_DIR_ENV, DEPRECATED_CACHE_ENV, atomic_write, cache_dir, staged_folder


@pytest.fixture
def no_cache_env(monkeypatch):
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv(DEPRECATED_CACHE_ENV, raising=False)


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


# ---- the cache root -------------------------------------------------------------------------------


def test_the_cache_root_comes_from_one_variable(tmp_path, monkeypatch, no_cache_env):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "root"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the current variable warns about nothing
        assert cache_dir() == tmp_path / "root"
        assert cache_dir("scores", "x") == tmp_path / "root" / "scores" / "x"
    assert not (tmp_path / "root").exists()  # asking creates nothing


def test_the_root_expands_the_home_folder(monkeypatch, tmp_path, no_cache_env):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(CACHE_DIR_ENV, "~/caches")
    assert cache_dir() == tmp_path / "caches"


def test_the_old_variable_still_works_with_a_deprecation_warning(tmp_path, monkeypatch, no_cache_env):
    monkeypatch.setenv(DEPRECATED_CACHE_ENV, str(tmp_path / "old"))
    with pytest.warns(DeprecationWarning, match=f"set {CACHE_DIR_ENV} instead"):
        assert cache_dir() == tmp_path / "old"


def test_the_new_variable_wins_over_the_old_one(tmp_path, monkeypatch, no_cache_env):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "new"))
    monkeypatch.setenv(DEPRECATED_CACHE_ENV, str(tmp_path / "old"))
    with pytest.warns(DeprecationWarning, match="is ignored"):
        assert cache_dir() == tmp_path / "new"
    monkeypatch.setenv(DEPRECATED_CACHE_ENV, str(tmp_path / "new"))  # the same folder: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache_dir() == tmp_path / "new"


def test_without_a_variable_the_user_cache_folder(tmp_path, monkeypatch, no_cache_env):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "routellm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "routellm"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache_dir() == tmp_path / "home" / "Library" / "Caches" / "routellm"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert cache_dir() == tmp_path / "local" / "routellm"


def test_one_variable_decides_the_root_of_every_cache(tmp_path, monkeypatch, no_cache_env):
    """Scores, downloaded evaluation files, embeddings, onnx exports, static tables, converted and demo
    models: all below `$ROUTELLM_CACHE_DIR`, whatever the router or checkpoint."""
    from routellm_core.data.embedding_cache import default_cache_dir as embeddings_dir
    from routellm_core.embedding_onnx import export_folder
    from routellm_core.embedding_static import table_folder
    from routellm_core.evaluation import ScoreCache, default_cache_dir
    from routellm_core.evaluation.download import default_evals_dir
    from routellm_demo.cache import CACHE_ENV as DEMO_CACHE_ENV
    from routellm_demo.cache import cache_root

    monkeypatch.delenv(DEMO_CACHE_ENV, raising=False)
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    for root in (tmp_path / "one", tmp_path / "two"):
        monkeypatch.setenv(CACHE_DIR_ENV, str(root))
        assert default_cache_dir() == root
        assert ScoreCache().directory == root / "scores"
        assert default_evals_dir() == root / "evals"
        assert embeddings_dir() == root / "embeddings"
        assert export_folder(str(model)).parent == root / "onnx"
        assert table_folder(str(model), 64, "zipf").parent == root / "static"
        assert cache_root() == root / "demo"


def test_caches_write_below_the_root(tmp_path, monkeypatch, no_cache_env):
    """What the caches write lands there too (and nothing half-written beside it)."""
    from routellm_core.data.embedding_cache import embed_texts
    from routellm_core.evaluation import ScoreCache
    from routellm_core.routers import LengthRouter

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "root"))

    class Counting:
        model_name = "counting"

        def encode(self, texts):
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    vectors = embed_texts(["a", "bb"], Counting(), progress=False)
    [saved] = (tmp_path / "root" / "embeddings").iterdir()
    np.testing.assert_array_equal(np.load(saved), vectors)
    path = ScoreCache().put(LengthRouter(), ["a", "bb"], np.array([0.1, 0.2]))
    assert path.is_relative_to(tmp_path / "root" / "scores")
    assert listing(path.parent) == [path.name]


# ---- atomic files ---------------------------------------------------------------------------------


def test_atomic_write_writes_the_whole_file(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    with atomic_write(target) as out:
        out.write(b"new")
        assert not target.exists()  # nothing under the final name until the block ends
    assert target.read_bytes() == b"new"
    with atomic_write(target, "w", encoding="utf-8") as out:
        out.write("é")
    assert target.read_text(encoding="utf-8") == "é"
    assert listing(target.parent) == ["f.bin"]


def test_a_failing_writer_leaves_no_partial_file(tmp_path):
    target = tmp_path / "f.bin"
    with pytest.raises(RuntimeError), atomic_write(target) as out:
        out.write(b"half")
        raise RuntimeError("disk full")
    assert listing(tmp_path) == []
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as out:
        out.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and listing(tmp_path) == ["f.bin"]


def test_atomic_write_refuses_other_modes(tmp_path):
    with pytest.raises(ValueError, match="mode"), atomic_write(tmp_path / "f", "a"):
        pass


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_written_files_and_folders_get_the_usual_permissions(tmp_path):
    """Not the owner-only ones of temporary files: a cache or a checkpoint may be shared."""
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "f") as out:
            out.write(b"x")
        with staged_folder(tmp_path / "d") as staging:
            (staging / "f").write_text("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755


# ---- staged folders -------------------------------------------------------------------------------


def test_staging_swaps_in_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "entry"
    with staged_folder(target) as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".entry.") and listing(staging) == []
        (staging / "v").write_text("1")
        assert not target.exists()
    assert (target / "v").read_text() == "1"
    with staged_folder(target) as staging:
        (staging / "w").write_text("2")
    assert listing(target) == ["w"]  # replaced, not merged
    assert listing(tmp_path) == ["entry"]  # no staging or old folder left behind


def test_a_failing_block_leaves_the_existing_folder(tmp_path):
    target = tmp_path / "entry"
    with staged_folder(target) as staging:
        (staging / "v").write_text("1")
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "v").write_text("half")
        raise RuntimeError("write failed")
    assert (target / "v").read_text() == "1"
    with pytest.raises(RuntimeError), staged_folder(tmp_path / "new") as staging:
        raise RuntimeError("write failed")
    assert listing(tmp_path) == ["entry"]


def test_keep_existing_keeps_a_folder_another_process_finished_first(tmp_path):
    target = tmp_path / "entry"
    with staged_folder(target) as staging:
        (staging / "v").write_text("first")
    with staged_folder(target, keep_existing=True) as staging:  # finished before this one started
        (staging / "v").write_text("second")
    assert (target / "v").read_text() == "first"
    other = tmp_path / "other"
    with staged_folder(other, keep_existing=True) as staging:
        (staging / "v").write_text("mine")
        other.mkdir()  # another process finishes while this one is still writing
        (other / "v").write_text("theirs")
    assert (other / "v").read_text() == "theirs"
    assert listing(tmp_path) == ["entry", "other"]


def test_keep_existing_can_judge_the_existing_folder(tmp_path):
    target = tmp_path / "entry"
    target.mkdir()
    (target / "v").write_text("stale")

    def complete(folder):
        return (folder / "v").read_text() == "good"

    with staged_folder(target, keep_existing=complete) as staging:
        (staging / "v").write_text("good")
    assert (target / "v").read_text() == "good"  # the stale copy was replaced
    with staged_folder(target, keep_existing=complete) as staging:
        (staging / "v").write_text("other")
    assert (target / "v").read_text() == "good"  # a complete one is kept
    assert listing(tmp_path) == ["entry"]


def test_a_folder_renamed_in_during_the_swap_wins_when_it_may(tmp_path, monkeypatch):
    """The race between moving the old folder aside and renaming the new one in."""
    target = tmp_path / "entry"
    target.mkdir()
    (target / "v").write_text("stale")
    real_replace = os.replace

    def racing_replace(src, dst):
        if ".staging-" in str(src) and not target.exists():  # the old folder is aside by now
            target.mkdir()
            (target / "v").write_text("theirs")  # another process got there first
        return real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", racing_replace)
    with staged_folder(target, keep_existing=lambda folder: (folder / "v").read_text() != "stale") as staging:
        (staging / "v").write_text("mine")
    assert (target / "v").read_text() == "theirs"
    assert listing(tmp_path) == ["entry"]


def test_a_failed_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "entry"
    target.mkdir()
    (target / "v").write_text("old")
    real_replace = os.replace

    def failing_replace(src, dst):
        if ".staging-" in str(src):
            raise PermissionError("no")
        return real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", failing_replace)
    with pytest.raises(PermissionError), staged_folder(target) as staging:
        (staging / "v").write_text("new")
    assert (target / "v").read_text() == "old"
    assert listing(tmp_path) == ["entry"]
