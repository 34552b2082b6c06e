"""The demo model cache: where it lives, convert-once, atomic folders, stale copies rebuilt."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from routellm_demo import DemoModelError, GgufSource, PackagePart
from routellm_demo import cache
from tests.unit_tests.test_demo_sources import fake_installed_package

WEIGHTS = b"GGUF pretend weights"


@pytest.fixture
def source(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    module = fake_installed_package(site, "fake-cache-weights", "1.0", {"m.gguf": WEIGHTS})
    monkeypatch.syspath_prepend(str(site))
    part = PackagePart("fake-cache-weights", "1.0", module, "m.gguf")
    return GgufSource("fake-model", "Fake/Model", (part,), hashlib.sha256(WEIGHTS).hexdigest())


@pytest.fixture
def conversions(monkeypatch):
    """Replace the (slow, real) GGUF conversion by one that records its input and writes a file."""
    calls: list[Path] = []

    def fake_convert(gguf: Path, out_dir: Path) -> None:
        calls.append(gguf)
        out_dir.mkdir(parents=True)
        (out_dir / "config.json").write_text(json.dumps({"converted_from": gguf.read_bytes().decode()}))

    monkeypatch.setattr(cache, "convert_gguf", fake_convert)
    return calls


def quiet() -> Console:
    return Console(file=io.StringIO())


def test_cache_root_env_var_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_root() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "routellm-demo"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_root() == tmp_path / "home" / ".cache" / "routellm-demo"


def test_prepare_converts_once_and_marks_the_folder(tmp_path, source, conversions):
    root = tmp_path / "cache"
    folder = cache.prepare(source, root, quiet())
    assert folder == root / "fake-model"
    assert json.loads((folder / "config.json").read_text()) == {"converted_from": WEIGHTS.decode()}
    assert json.loads((folder / cache.MARKER).read_text())["sha256"] == source.sha256
    assert cache.is_prepared(source, root)
    assert cache.prepare(source, root, quiet()) == folder
    assert len(conversions) == 1
    assert sorted(p.name for p in root.iterdir()) == ["fake-model"]  # no staging folder left


def test_prepare_uses_the_env_var_cache(tmp_path, monkeypatch, source, conversions):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env-cache"))
    assert cache.prepare(source, console=quiet()) == tmp_path / "env-cache" / "fake-model"


def test_a_copy_from_other_weights_is_rebuilt(tmp_path, source, conversions):
    root = tmp_path / "cache"
    stale = root / "fake-model"
    stale.mkdir(parents=True)
    (stale / cache.MARKER).write_text(json.dumps({"sha256": "0" * 64}))
    (stale / "old.bin").write_text("old")
    assert not cache.is_prepared(source, root)
    cache.prepare(source, root, quiet())
    assert len(conversions) == 1 and not (stale / "old.bin").exists() and cache.is_prepared(source, root)


def test_a_folder_without_marker_counts_as_unprepared(tmp_path, source):
    (tmp_path / "fake-model").mkdir()
    (tmp_path / "fake-model" / "config.json").write_text("{}")
    assert not cache.is_prepared(source, tmp_path)


def test_a_failed_conversion_leaves_nothing(tmp_path, source, monkeypatch):
    def failing_convert(gguf: Path, out_dir: Path) -> None:
        out_dir.mkdir()
        (out_dir / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(cache, "convert_gguf", failing_convert)
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="interrupted"):
        cache.prepare(source, root, quiet())
    assert list(root.iterdir()) == []


def test_wrong_weights_stop_before_converting(tmp_path, source, conversions):
    tampered = GgufSource(source.key, source.name, source.parts, "e" * 64)
    with pytest.raises(DemoModelError, match="sha256 mismatch"):
        cache.prepare(tampered, tmp_path / "cache", quiet())
    assert conversions == [] and list((tmp_path / "cache").iterdir()) == []


def test_preparation_shows_progress(tmp_path, source, conversions):
    out = io.StringIO()
    cache.prepare(source, tmp_path / "cache", Console(file=out, width=120))
    text = out.getvalue()
    assert "checking Fake/Model (sha256)" in text and "converting Fake/Model" in text and "prepared Fake/Model" in text


def test_display_path_shortens_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.display_path(tmp_path / ".cache" / "routellm-demo") == "~/.cache/routellm-demo"
    assert cache.display_path(Path("/elsewhere/cache")) == "/elsewhere/cache"
