"""The declared Python floor is the one the code needs (BaseException.add_note: 3.11) and the docs state."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def requires_python() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]


def test_requires_python_is_3_11():
    # the code calls BaseException.add_note (new in 3.11); 3.10 would fail at the first refused call
    assert requires_python() == ">=3.11"
    assert sys.version_info >= (3, 11)


def test_the_docs_state_the_same_floor():
    floor = requires_python().removeprefix(">=")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for claim in re.findall(r"Python (3\.\d+)\+", path.read_text()):
            assert claim == floor, f"{path.name} says Python {claim}+, pyproject.toml says >={floor}"
