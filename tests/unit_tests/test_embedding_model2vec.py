"""The model2vec static model shipped in the package: it loads offline, embeds with numpy, and imports no torch."""

import json
import subprocess
import sys

import numpy as np
import pytest

from routellm_core.embedding import shared_embedder
from routellm_core.embedding_model2vec import (
    BUNDLED_STATIC_MODEL,
    DEFAULT_STATIC_EMBEDDING,
    Model2VecEmbedder,
    Model2VecError,
    model2vec_folder,
    static_models_dir,
)

MAX_SHIPPED_BYTES = 20_000_000


def test_the_shipped_model_is_in_the_package_and_small():
    folder = static_models_dir() / BUNDLED_STATIC_MODEL
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(files)
    assert sum(files.values()) <= MAX_SHIPPED_BYTES
    config = json.loads((folder / "config.json").read_text())
    assert config["embedding_dtype"] == "float16" and config["normalize"] is True
    assert not config["tokenizer_name"].startswith("/")  # no machine path in what ships


def test_embeddings_are_normalised_and_the_same_alone_or_in_a_batch():
    embedder = Model2VecEmbedder()
    texts = ["Prove that the square root of 2 is irrational.", "hi", "Write a JSON parser in Rust, with tests."]
    batch = embedder.encode_uncached(texts)
    assert batch.shape == (3, embedder.dimension) == (3, 256) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, rtol=1e-5)
    singles = np.vstack([embedder.encode_uncached([t]) for t in texts])
    assert np.array_equal(batch, singles)
    # similar texts are closer than unrelated ones
    near = embedder.encode_uncached(["Prove that sqrt(2) is irrational."])[0]
    assert near @ batch[0] > near @ batch[1]


def test_shared_embedder_resolves_model2vec_names(tmp_path):
    assert isinstance(shared_embedder(DEFAULT_STATIC_EMBEDDING), Model2VecEmbedder)
    assert model2vec_folder(f"model2vec:{static_models_dir() / BUNDLED_STATIC_MODEL}").is_dir()  # a folder path
    with pytest.raises(Model2VecError, match="no model2vec model"):
        model2vec_folder("model2vec:not-shipped")
    with pytest.raises(Model2VecError, match="starts with"):
        model2vec_folder("minilm")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
    with pytest.raises(Model2VecError, match="cannot be read"):
        Model2VecEmbedder(f"model2vec:{tmp_path / 'broken'}").encode(["hi"])


def test_the_cache_key_names_the_exact_vectors():
    key = Model2VecEmbedder().cache_key
    assert key.startswith(DEFAULT_STATIC_EMBEDDING + "|") and len(key.split("|")[1]) == 16


def test_embedding_imports_no_torch():
    code = ("import sys, json; from routellm_core.embedding import shared_embedder; "
            "shared_embedder('model2vec:minilm-l6-m2v').encode(['hello there']); "
            "print(json.dumps([m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
