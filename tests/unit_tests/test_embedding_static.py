"""The static embedding: distilled once from a (tiny, in-process) sentence-transformer, cached, used by routers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from routellm_core.embedding import shared_embedder
from routellm_core.embedding_static import (
    StaticEmbedder,
    StaticEmbeddingError,
    StaticTable,
    parse_static_name,
    static_model_name,
    table_folder,
    token_vectors,
    zipf_weights,
)

from .synthetic_battles import VOCABULARY, make_battles

WORDS = VOCABULARY + ["the", "world", "what", "is", "a", "?", ",", "."]
DIM = 8


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny BERT sentence-transformer (mean pooling, normalised) with a whole-word vocabulary."""
    from sentence_transformers import SentenceTransformer, models

    from tests.helpers import build_tiny_bert

    folder = tmp_path_factory.mktemp("static_base")
    bert = build_tiny_bert(folder / "bert", WORDS)
    modules = [models.Transformer(str(bert), max_seq_length=64), models.Pooling(16, pooling_mode="mean"), models.Normalize()]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder / "st"))
    return folder / "st"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))  # the static tables and the embeddings
    return tmp_path / "cache" / "static"


def reference_vector(embedder: StaticEmbedder, text: str) -> np.ndarray:
    """Tokenize without special tokens, average the weighted rows, normalise: written out by hand."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = table_folder(str(embedder.base_model), embedder.static_dimension, embedder.weighting)
    tensors = load_file(str(folder / "table.safetensors"))
    ids = Tokenizer.from_file(str(folder / "tokenizer.json")).encode(text, add_special_tokens=False).ids
    mean = (tensors["table"][ids] * tensors["weights"][ids, None]).mean(0)
    return mean / np.linalg.norm(mean)


def test_texts_are_the_normalised_mean_of_their_weighted_token_rows(base_dir):
    embedder = StaticEmbedder(str(base_dir), dimension=DIM, progress=False)
    texts = ["prove the theorem", "hello world", "what is a compiler?", "Hello World", "", "  "]
    vectors = embedder.encode(texts)
    assert vectors.shape == (6, DIM) and vectors.dtype == np.float32
    for text, vector in zip(texts[:4], vectors):
        np.testing.assert_allclose(vector, reference_vector(embedder, text), atol=1e-6)
    np.testing.assert_allclose(vectors[1], vectors[3])  # the tokenizer lowercases, as the model does
    np.testing.assert_array_equal(vectors[4:], 0.0)  # no tokens: no direction
    one_by_one = np.vstack([embedder.encode_uncached([t]) for t in texts])
    np.testing.assert_allclose(embedder.encode_uncached(texts), one_by_one, atol=1e-6)  # batching changes nothing


def test_the_table_is_a_pca_of_each_token_embedded_alone(base_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(base_dir), device="cpu")
    vectors = token_vectors(model, batch_size=7, progress=False)  # batches that do not divide the vocabulary
    vocab = model.tokenizer.get_vocab()
    np.testing.assert_allclose(vectors[vocab["theorem"]], model.encode("theorem"), atol=1e-5)
    full = StaticEmbedder(str(base_dir), dimension=16, weighting="none", progress=False)  # all 16 axes: a rotation
    table = full.table._rows
    centred = vectors - vectors.mean(0)
    special = model.tokenizer.all_special_ids
    kept = [i for i in range(len(vectors)) if i not in special]
    np.testing.assert_allclose(table[kept] @ table[kept].T, centred[kept] @ centred[kept].T, atol=1e-4)
    np.testing.assert_array_equal(table[special], 0.0)  # special tokens never count
    assert full.table.config["explained_variance"] == pytest.approx(1.0)


def test_zipf_weights_give_frequent_tokens_less_weight():
    weights = zipf_weights(1000)
    assert np.all((weights > 0) & (weights < 1))
    assert np.all(np.diff(weights) > 0)  # rank 1 (most frequent) lowest
    harmonic = sum(1.0 / r for r in range(1, 1001))
    for rank in (1, 10, 1000):  # SIF: a / (a + p), p = 1 / (rank * H_n)
        assert weights[rank - 1] == pytest.approx(1e-3 / (1e-3 + 1.0 / (rank * harmonic)))


def test_distilled_once_then_read_from_the_cache_without_the_model(base_dir, cache):
    first = StaticEmbedder(str(base_dir), dimension=DIM, progress=False)
    expected = first.encode(["prove the integral"])
    assert first._model is not None
    again = StaticEmbedder(str(base_dir), dimension=DIM, progress=False)
    np.testing.assert_array_equal(again.encode(["prove the integral"]), expected)
    assert again._model is None  # the cached table: the base model never loaded
    assert len(list(cache.iterdir())) == 1
    other = StaticEmbedder(str(base_dir), dimension=4, weighting="none", progress=False)
    assert other.encode(["hi"]).shape == (1, 4) and len(list(cache.iterdir())) == 2  # its own table


def test_disk_cached_vectors_are_keyed_by_the_exact_table(base_dir, tmp_path):
    import os
    import shutil

    from routellm_core.data import embed_texts

    base = tmp_path / "base"
    shutil.copytree(base_dir, base)
    embedder = StaticEmbedder(str(base), dimension=DIM, progress=False)
    first = embed_texts(["prove the integral"], embedder, cache_dir=tmp_path / "vectors", progress=False)
    (cached,) = list((tmp_path / "vectors").iterdir())
    # The base model's files change (a new download): same static name, another table, another key.
    weights = next(p for p in base.rglob("*.safetensors"))
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    rebuilt = StaticEmbedder(str(base), dimension=DIM, progress=False)
    assert rebuilt.model_name == embedder.model_name and rebuilt.cache_key != embedder.cache_key
    embed_texts(["prove the integral"], rebuilt, cache_dir=tmp_path / "vectors", progress=False)
    assert len(list((tmp_path / "vectors").iterdir())) == 2
    np.testing.assert_array_equal(np.load(cached), first)


def test_encoding_a_cached_table_does_not_import_torch(base_dir, tmp_path):
    StaticEmbedder(str(base_dir), dimension=DIM, progress=False).encode(["warm up"])
    code = (
        "import sys; from routellm_core.embedding import shared_embedder; "
        f"v = shared_embedder({static_model_name(str(base_dir), DIM)!r}).encode(['prove the theorem']); "
        "print(v.shape[1], 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(DIM), "False", "False"]


def test_a_corrupt_table_is_refused_with_a_clear_error(base_dir):
    embedder = StaticEmbedder(str(base_dir), dimension=DIM, progress=False)
    embedder.encode(["hello"])
    folder = table_folder(str(base_dir), DIM, "zipf")
    table_file = folder / "table.safetensors"
    table_file.write_bytes(table_file.read_bytes()[:100])  # truncated
    with pytest.raises(StaticEmbeddingError, match="cannot be read.*delete that folder"):
        StaticTable(folder)
    from safetensors.numpy import save_file

    save_file({"table": np.zeros((3, DIM), np.float32), "weights": np.ones(3, np.float32)}, str(table_file))
    with pytest.raises(StaticEmbeddingError, match="is corrupt: table"):
        StaticTable(folder)
    config = json.loads((folder / "static.json").read_text())
    rows = config["vocab_size"]
    save_file({"table": np.full((rows, DIM), np.nan, np.float32), "weights": np.ones(rows, np.float32)}, str(table_file))
    with pytest.raises(StaticEmbeddingError, match="non-finite"):
        StaticTable(folder)


def test_names_round_trip_and_bad_settings_are_refused(base_dir):
    assert static_model_name("some/model") == "static:some/model"
    name = static_model_name("some/model", 128, "none")
    assert parse_static_name(name) == ("some/model", 128, "none")
    assert StaticEmbedder.from_name(name).model_name == name
    for bad in ("static:", "static:m?depth=3", "static:m?dim=x", "minilm"):
        with pytest.raises(StaticEmbeddingError):
            parse_static_name(bad)
    with pytest.raises(StaticEmbeddingError, match="weighting 'tfidf'"):
        StaticEmbedder(str(base_dir), weighting="tfidf")
    with pytest.raises(StaticEmbeddingError, match="dimension 64 is out of range"):
        StaticEmbedder(str(base_dir), dimension=64, progress=False).encode(["hi"])
    with pytest.raises(StaticEmbeddingError, match="not a local model folder"):
        StaticEmbedder("no-such-org/no-such-model").encode(["hi"])


@pytest.mark.parametrize("kind", ["difficulty", "mf"])
def test_routers_trained_on_static_vectors_save_load_and_route(kind, base_dir, tmp_path):
    from routellm_core import load_router
    from routellm_core.training.datasets import TrainingData
    from routellm_core.training.pipelines import train_router

    from .test_training_pipelines import judge_outcomes

    if kind == "mf":
        battles, _, _ = make_battles(60, 4)
        data, options = TrainingData(battles=battles), {"dim": 4, "epochs": 2}
    else:
        outcomes, _ = judge_outcomes(60)
        data, options = TrainingData(outcomes={"arena_bench": outcomes}, battles=outcomes.to_battles(ties="keep")), {}
    # as after loading: decontamination's vectors (another model, another size) kept by text
    data.embeddings = {prompt: np.ones(32, np.float32) for prompt in set(data.battles["prompt"])}
    embedder = StaticEmbedder(str(base_dir), dimension=DIM, progress=False)
    router = train_router(kind, data, embedder=embedder, show_progress=False, **options)  # not those vectors
    assert router.embedding_model == embedder.model_name and router.embedding_dim == DIM
    router.save(tmp_path / kind)

    loaded = load_router(tmp_path / kind)  # routes through the shared embedder of its recorded name
    prompts = ["prove the eigenvalue theorem", "hello thanks"]
    scores = loaded.win_probabilities(prompts)
    assert isinstance(loaded._embedder, StaticEmbedder) and loaded._embedder is shared_embedder(embedder.model_name)
    np.testing.assert_allclose(scores, router.score_with_embeddings(prompts, embedder.encode(prompts)), atol=1e-6)
    assert np.all((scores >= 0) & (scores <= 1))


def test_the_speed_benchmark_times_a_static_row(base_dir):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "routing_speed.py"
    spec = importlib.util.spec_from_file_location("routing_speed_static", script)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up there
    try:
        spec.loader.exec_module(bench)
        settings = bench.Settings.quick(embedding_model=str(base_dir), routers=["mf", "length"], imports=False,
                                        single_prompts=3, batch_prompts=8, backends=["torch", "static"], static_dim=DIM)
        result = bench.run_benchmark(settings)
    finally:
        sys.modules.pop(spec.name, None)
    rows = {(row["router"], row["backend"]): row for row in result["routers"]}
    assert set(rows) == {("mf", "torch"), ("mf", "static"), ("length", None)}  # a baseline embeds nothing
    for key in (("mf", "torch"), ("mf", "static")):
        assert rows[key]["single_p50_ms"] > 0 and rows[key]["batch_per_s"] > 0 and rows[key]["cached_p50_ms"] > 0
    assert ("mf", "static", "batch_per_s") in {(c["router"], c["backend"], c["metric"]) for c in result["targets"]}
    assert "| mf | stand-in (untrained) | static |" in bench.markdown(result)
