import json
import pickle
from typing import Any

import numpy as np
import pytest

from routellm_core import CheckpointError, Router, load_router
from routellm_core.checkpoint import CONFIG_FILE, WEIGHTS_FILE, load_checkpoint
from routellm_core.router import register_router


@register_router
class LinearTestRouter(Router):
    """A router with learned state, to exercise checkpoints: sigmoid(w . letter-counts + b)."""

    kind = "test-linear"

    def __init__(self, dim: int = 4, name: str | None = None):
        super().__init__(name)
        self.dim = dim
        self.weights_ = np.linspace(-1, 1, dim).astype(np.float32)
        self.bias_ = np.array([0.25], dtype=np.float32)

    def get_params(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def _features(self, texts):
        return np.array([[t.count(c) for c in "aeiou"[: self.dim]] for t in texts], dtype=np.float64)

    def _score(self, texts):
        return 1 / (1 + np.exp(-(self._features(texts) @ self.weights_ + self.bias_[0])))

    def state_tensors(self):
        return {"weights": self.weights_, "bias": self.bias_}

    @classmethod
    def expected_shapes(cls, params):
        return {"weights": (params["dim"],), "bias": (1,)}

    @classmethod
    def from_state(cls, params, tensors):
        router = cls(**params)
        router.weights_, router.bias_ = tensors["weights"], tensors["bias"]
        return router


PROMPTS = ["a quick test", "another eee prompt", "uuu ooo iii"]


@pytest.fixture
def saved(tmp_path):
    router = LinearTestRouter(dim=4, name="my-router")
    router.weights_ = np.array([0.3, -0.2, 0.1, 0.5], dtype=np.float32)
    router.card = {"training_data": ["fixture"], "licence": "MIT"}
    return router, router.save(tmp_path / "my-router")


def test_round_trip_preserves_scores_and_identity(saved):
    router, path = saved
    loaded = load_router(path)
    assert isinstance(loaded, LinearTestRouter)
    assert loaded.name == "my-router" and loaded.card["licence"] == "MIT"
    np.testing.assert_allclose(loaded.win_probabilities(PROMPTS), router.win_probabilities(PROMPTS), rtol=1e-6)
    assert loaded.config_fingerprint() == router.config_fingerprint()


def test_checkpoint_holds_config_weights_and_a_card(saved):
    _, path = saved
    assert sorted(p.name for p in path.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((path / CONFIG_FILE).read_text())
    assert config["kind"] == "test-linear" and config["params"] == {"dim": 4} and config["format_version"] == 1
    assert "my-router" in (path / "README.md").read_text()


def test_a_checkpoint_is_named_after_its_folder(tmp_path):
    router = load_router("length")  # named "length" when loaded
    loaded = load_router(router.save(tmp_path / "my-length-router"))
    assert loaded.name == "my-length-router"
    card = (tmp_path / "my-length-router" / "README.md").read_text()
    assert card.startswith("# Router `my-length-router`") and "`length`" not in card.splitlines()[0]


def test_fingerprint_changes_with_the_weights(saved):
    router, _ = saved
    before = router.config_fingerprint()
    router.weights_ = router.weights_ + 1
    assert router.config_fingerprint() != before


def test_saving_over_an_existing_checkpoint_replaces_it(saved, tmp_path):
    router, path = saved
    router.weights_ = np.zeros(4, dtype=np.float32)
    router.save(path)
    np.testing.assert_array_equal(load_router(path).weights_, np.zeros(4))
    assert [p.name for p in tmp_path.iterdir()] == ["my-router"]  # no staging or backup left behind


def test_a_failed_save_leaves_the_previous_checkpoint_intact(saved, tmp_path, monkeypatch):
    router, path = saved
    before = (path / WEIGHTS_FILE).read_bytes()
    import safetensors.numpy

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.numpy, "save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        router.save(path)
    assert (path / WEIGHTS_FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["my-router"]


def _edit_config(path, **changes):
    config = json.loads((path / CONFIG_FILE).read_text())
    config.update(changes)
    (path / CONFIG_FILE).write_text(json.dumps(config))


def test_missing_files_are_named(saved):
    _, path = saved
    (path / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        load_checkpoint(path)
    (path / CONFIG_FILE).unlink()
    with pytest.raises(CheckpointError, match="no config.json"):
        load_checkpoint(path)


def test_malformed_config_is_named(saved):
    _, path = saved
    (path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(path)
    (path / CONFIG_FILE).write_text("[1, 2]")
    with pytest.raises(CheckpointError, match="JSON object"):
        load_checkpoint(path)


def test_unknown_kind_and_newer_format_are_named(saved):
    _, path = saved
    _edit_config(path, kind="quantum")
    with pytest.raises(CheckpointError, match="unknown router kind 'quantum'"):
        load_checkpoint(path)
    _edit_config(path, kind="test-linear", format_version=99)
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def test_tensors_of_the_wrong_shape_or_dtype_are_refused(saved):
    from safetensors.numpy import save_file

    _, path = saved
    save_file({"weights": np.zeros(3, np.float32), "bias": np.zeros(1, np.float32)}, str(path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="shape"):
        load_checkpoint(path)
    save_file({"weights": np.zeros(4, np.float64), "bias": np.zeros(1, np.float32)}, str(path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="float64"):
        load_checkpoint(path)
    save_file({"bias": np.zeros(1, np.float32)}, str(path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="lacks tensors"):
        load_checkpoint(path)


def test_params_that_do_not_fit_the_kind_are_refused(saved):
    _, path = saved
    _edit_config(path, params={"bogus": 1})
    with pytest.raises(CheckpointError, match="params do not fit"):
        load_checkpoint(path)


class _Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_a_pickle_is_never_unpickled(saved, tmp_path, monkeypatch):
    _, path = saved
    monkeypatch.chdir(tmp_path)
    (path / WEIGHTS_FILE).write_bytes(pickle.dumps({"weights": _Boom()}))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_checkpoint(path)
    assert not (tmp_path / "PWNED").exists()


def test_a_path_that_is_not_a_directory_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="not a directory"):
        load_checkpoint(tmp_path / "nothing")
