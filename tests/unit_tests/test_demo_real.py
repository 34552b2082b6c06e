"""The real offline demo with the real local models (slow: run with `pytest -m slow`)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from routellm_demo import model_requirements

ROOT = Path(__file__).resolve().parents[2]


def _missing_model_packages() -> list[str]:
    missing = []
    for requirement in model_requirements():
        name, version = requirement.split("==")
        try:
            if importlib.metadata.version(name) != version:
                missing.append(requirement)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
    return missing


MISSING = _missing_model_packages()


@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason=f"demo model packages not installed: {', '.join(MISSING)} (scripts/demo.sh installs them)")
def test_real_demo_runs_to_the_end():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    match = re.search(r"Strong calls: (\d+) of (\d+)", out)
    assert match and int(match.group(2)) == 10 and 0 < int(match.group(1)) < 10
    assert "strong" in out and "weak" in out and "always-strong" in out
