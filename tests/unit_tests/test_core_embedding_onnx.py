"""The ONNX Runtime embedding backend: same vectors as torch, exported once, refused when it differs."""

from __future__ import annotations

import os

import numpy as np
import pytest

from routellm_core.embedding import BACKEND_ENV, Embedder

TEXTS = [
    "prove the theorem about code and math, then explain what is the answer " * 6,  # truncated at 64 tokens
    "hi",
    "  Hello WORLD, write code  ",
    "what is a math proof?",
    "x",
]


@pytest.fixture
def onnx_cache(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime", reason="the onnx extra (onnxruntime) is not installed")
    pytest.importorskip("onnx", reason="the onnx extra (onnx, for the export) is not installed")
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


def test_onnx_backend_gives_the_torch_vectors(tiny_st_dir, onnx_cache):
    torch_vectors = Embedder(str(tiny_st_dir), backend="torch", cache_size=0).encode(TEXTS)
    onnx_embedder = Embedder(str(tiny_st_dir), backend="onnx", cache_size=0, batch_size=2)  # padded batches
    onnx_vectors = onnx_embedder.encode(TEXTS)
    assert onnx_vectors.shape == torch_vectors.shape and onnx_vectors.dtype == np.float32
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-5)
    assert onnx_embedder.dimension == 16
    assert len(list(onnx_cache.glob("*/model.onnx"))) == 1


def test_the_export_is_reused_without_loading_torch_weights(tiny_st_dir, onnx_cache):
    first = Embedder(str(tiny_st_dir), backend="onnx", cache_size=0)
    expected = first.encode(TEXTS)
    assert first._model is not None  # the first use exported from the torch model
    again = Embedder(str(tiny_st_dir), backend="onnx", cache_size=0)
    np.testing.assert_array_equal(again.encode(TEXTS), expected)
    assert again._model is None  # read from the cache: the torch model never loaded
    assert len(list(onnx_cache.iterdir())) == 1


def test_a_changed_model_folder_is_exported_again(tiny_st_dir, tmp_path, onnx_cache):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_st_dir, copy)
    Embedder(str(copy), backend="onnx").encode(["hello"])
    weights = next(copy.rglob("*.safetensors"))
    os.utime(weights, ns=(0, weights.stat().st_mtime_ns + 10**9))
    Embedder(str(copy), backend="onnx").encode(["hello"])
    assert len(list(onnx_cache.iterdir())) == 2


def test_an_export_that_differs_from_torch_is_refused_and_not_kept(tiny_st_dir, onnx_cache, monkeypatch):
    embedder = Embedder(str(tiny_st_dir), backend="onnx")
    original = embedder._encode_torch
    monkeypatch.setattr(embedder, "_encode_torch", lambda texts: original(texts) + 0.01)
    with pytest.raises(ValueError, match="differs from the torch model"):
        embedder.encode(["hello"])
    assert not onnx_cache.exists() or not any(onnx_cache.iterdir())


def test_backend_comes_from_the_environment_and_is_validated(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert Embedder("any").backend == "torch"
    monkeypatch.setenv(BACKEND_ENV, "tensorflow")
    with pytest.raises(ValueError, match="unknown embedding backend 'tensorflow'"):
        Embedder("any")
    with pytest.raises(ValueError, match="unknown embedding backend 'jax'"):
        Embedder("any", backend="jax")


def test_missing_onnxruntime_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(ImportError, match=r"routellm-integrations\[onnx\]"):
        Embedder("any", backend="onnx")
