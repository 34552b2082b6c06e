"""Ray is optional: without it, everything else works and `--ray` says which extra to install."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.errors import RouteLLMError


@pytest.fixture
def no_ray(monkeypatch):
    """Imports of ray fail, as on a machine without the [ray] extra."""
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)


def test_require_ray_names_the_extra(no_ray):
    from routellm_core.distributed import require_ray

    with pytest.raises(RouteLLMError, match=r"pip install 'routellm-integrations\[ray\]'"):
        require_ray()


def test_route_with_ray_flag_without_ray_fails_clearly_and_writes_nothing(no_ray, tmp_path):
    pd.DataFrame({"prompt": ["hello", "prove it"]}).to_parquet(tmp_path / "in.parquet")
    result = CliRunner().invoke(app, ["route", "--input", str(tmp_path / "in.parquet"), "--output",
                                      str(tmp_path / "out"), "--ray"])
    assert result.exit_code == 2
    assert "[ray]" in result.output and not (tmp_path / "out").exists()
    local = CliRunner().invoke(app, ["route", "--input", str(tmp_path / "in.parquet"), "--output",
                                     str(tmp_path / "out")])
    assert local.exit_code == 0, local.output
    assert (tmp_path / "out").is_dir()
