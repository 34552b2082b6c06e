"""Without a data folder, the CLI names its own option (not the Python API's `root=`)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.data import DataError, default_data_root
from routellm_core.data import files

runner = CliRunner()


@pytest.fixture
def no_data_folder(tmp_path, monkeypatch):
    """No $ROUTELLM_DATA_DIR and no shared/data beside the (pretended) checkout."""
    monkeypatch.delenv(files.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(files, "__file__", str(tmp_path / "checkout" / "shared" / "routellm_core" / "data" / "files.py"))
    with pytest.raises(DataError):
        default_data_root()


def flat(result) -> str:
    return " ".join(result.output.replace("│", " ").split())


def test_python_api_names_root(no_data_folder):
    with pytest.raises(DataError, match="ROUTELLM_DATA_DIR or pass root="):
        default_data_root()


def test_data_summary_names_the_data_dir_option(no_data_folder):
    result = runner.invoke(app, ["data", "summary", "arena_bench"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    text = flat(result)
    assert "no data folder: set ROUTELLM_DATA_DIR or pass --data-dir DIR" in text, text
    assert "root=" not in text


def test_data_decontaminate_names_the_data_dir_option(no_data_folder):
    result = runner.invoke(app, ["data", "decontaminate", "arena_bench", "--no-embeddings"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "pass --data-dir DIR" in flat(result) and "root=" not in flat(result)


def test_train_names_the_data_root_option(no_data_folder, tmp_path):
    result = runner.invoke(app, ["train", "mf", "--data", "arena_bench", "--out", str(tmp_path / "out")],
                           env={"COLUMNS": "200"})
    assert result.exit_code != 0
    text = flat(result)
    assert "ROUTELLM_DATA_DIR or pass --data-root DIR" in text, text
    assert "root=" not in text
