"""The demo model cache: where it lives, convert-once, atomic folders, stale copies rebuilt."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

from routellm_demo import DemoModelError, GgufSource, PackagePart
from routellm_demo import cache
from tests.unit_tests.test_demo_sources import fake_installed_package

WEIGHTS = b"GGUF pretend weights"


@pytest.fixture
def source(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    module = fake_installed_package(site, "fake-cache-weights", "1.0", {"m.gguf": WEIGHTS})
    monkeypatch.syspath_prepend(str(site))
    part = PackagePart("fake-cache-weights", "1.0", module, "m.gguf")
    return GgufSource("fake-model", "Fake/Model", (part,), hashlib.sha256(WEIGHTS).hexdigest())


@pytest.fixture
def conversions(monkeypatch):
    """Replace the (slow, real) GGUF conversion by one that records its input and writes a file."""
    calls: list[Path] = []

    def fake_convert(gguf: Path, out_dir: Path) -> None:
        calls.append(gguf)
        out_dir.mkdir(parents=True, exist_ok=True)  # the staging folder exists already
        (out_dir / "config.json").write_text(json.dumps({"converted_from": gguf.read_bytes().decode()}))

    monkeypatch.setattr(cache, "convert_gguf", fake_convert)
    return calls


def quiet() -> Console:
    return Console(file=io.StringIO())


def test_cache_root_env_var_then_the_routellm_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "all"))
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_root() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_root() == tmp_path / "all" / "demo"  # beside routellm's other caches
    monkeypatch.delenv("ROUTELLM_CACHE_DIR")
    monkeypatch.delenv("ROUTELLM_CACHE", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "routellm" / "demo"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_root() == tmp_path / "home" / ".cache" / "routellm" / "demo"


def test_prepare_converts_once_and_marks_the_folder(tmp_path, source, conversions):
    root = tmp_path / "cache"
    folder = cache.prepare(source, root, quiet())
    assert folder == root / "fake-model"
    assert json.loads((folder / "config.json").read_text()) == {"converted_from": WEIGHTS.decode()}
    assert json.loads((folder / cache.MARKER).read_text())["sha256"] == source.sha256
    assert cache.is_prepared(source, root)
    assert cache.prepare(source, root, quiet()) == folder
    assert len(conversions) == 1
    assert sorted(p.name for p in root.iterdir()) == ["fake-model"]  # no staging folder left


def test_prepare_uses_the_env_var_cache(tmp_path, monkeypatch, source, conversions):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env-cache"))
    assert cache.prepare(source, console=quiet()) == tmp_path / "env-cache" / "fake-model"


def test_a_copy_from_other_weights_is_rebuilt(tmp_path, source, conversions):
    root = tmp_path / "cache"
    stale = root / "fake-model"
    stale.mkdir(parents=True)
    (stale / cache.MARKER).write_text(json.dumps({"sha256": "0" * 64}))
    (stale / "old.bin").write_text("old")
    assert not cache.is_prepared(source, root)
    cache.prepare(source, root, quiet())
    assert len(conversions) == 1 and not (stale / "old.bin").exists() and cache.is_prepared(source, root)


def test_a_folder_without_marker_counts_as_unprepared(tmp_path, source):
    (tmp_path / "fake-model").mkdir()
    (tmp_path / "fake-model" / "config.json").write_text("{}")
    assert not cache.is_prepared(source, tmp_path)


def test_a_failed_conversion_leaves_nothing(tmp_path, source, monkeypatch):
    def failing_convert(gguf: Path, out_dir: Path) -> None:
        out_dir.mkdir(exist_ok=True)
        (out_dir / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(cache, "convert_gguf", failing_convert)
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="interrupted"):
        cache.prepare(source, root, quiet())
    assert list(root.iterdir()) == []


def test_wrong_weights_stop_before_converting(tmp_path, source, conversions):
    tampered = GgufSource(source.key, source.name, source.parts, "e" * 64)
    with pytest.raises(DemoModelError, match="sha256 mismatch"):
        cache.prepare(tampered, tmp_path / "cache", quiet())
    assert conversions == [] and list((tmp_path / "cache").iterdir()) == []


def test_preparation_shows_progress(tmp_path, source, conversions):
    out = io.StringIO()
    cache.prepare(source, tmp_path / "cache", Console(file=out, width=120))
    text = out.getvalue()
    assert "checking Fake/Model (sha256)" in text and "converting Fake/Model" in text and "prepared Fake/Model" in text


def test_display_path_shortens_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.display_path(tmp_path / ".cache" / "routellm-demo") == "~/.cache/routellm-demo"
    assert cache.display_path(Path("/elsewhere/cache")) == "/elsewhere/cache"


def write_tiny_gguf(path: Path) -> bytes:
    """A tiny random Llama chat model as a GGUF file (byte-level BPE tokenizer, ChatML template)."""
    gguf = pytest.importorskip("gguf")
    import numpy as np
    from tokenizers import pre_tokenizers

    from routellm_demo.tiny import CHATML_TEMPLATE

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = alphabet + ["Ġt", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.NORMAL] * (len(alphabet) + 1) + [gguf.TokenType.CONTROL] * 3
    vocab, hidden, ffn, heads, kv_heads = len(tokens), 32, 64, 4, 2
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(256)
    writer.add_embedding_length(hidden)
    writer.add_block_count(1)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(["Ġ t"])
    writer.add_bos_token_id(vocab - 2)
    writer.add_eos_token_id(vocab - 1)
    writer.add_pad_token_id(vocab - 3)
    writer.add_chat_template(CHATML_TEMPLATE)
    rng = np.random.default_rng(0)

    def weight(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    kv_size = kv_heads * hidden // heads
    weight("token_embd.weight", vocab, hidden)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(hidden, np.float32))
    weight("blk.0.attn_q.weight", hidden, hidden)
    weight("blk.0.attn_k.weight", kv_size, hidden)
    weight("blk.0.attn_v.weight", kv_size, hidden)
    weight("blk.0.attn_output.weight", hidden, hidden)
    writer.add_tensor("blk.0.ffn_norm.weight", np.ones(hidden, np.float32))
    weight("blk.0.ffn_gate.weight", ffn, hidden)
    weight("blk.0.ffn_up.weight", ffn, hidden)
    weight("blk.0.ffn_down.weight", hidden, ffn)
    writer.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    weight("output.weight", vocab, hidden)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def test_a_chunked_gguf_is_joined_converted_cached_and_chats(tmp_path, monkeypatch):
    """The real path on a tiny GGUF: chunks in three packages -> verified file -> transformers folder -> chat."""
    from routellm_demo.frameworks import LocalChatModel

    data = write_tiny_gguf(tmp_path / "tiny.gguf")
    site = tmp_path / "site"
    site.mkdir()
    cut = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    parts = []
    for i in range(3):
        name = f"fake-tiny-gguf-part{i + 1}"
        module = fake_installed_package(site, name, "0.1", {"data/chunk.bin": data[cut[i] : cut[i + 1]]})
        parts.append(PackagePart(name, "0.1", module, "data/chunk.bin"))
    monkeypatch.syspath_prepend(str(site))
    source = GgufSource("tiny-chat", "Tiny/Chat", tuple(parts), hashlib.sha256(data).hexdigest())
    root = tmp_path / "cache"

    model, tokenizer = cache.load(source, root, quiet())
    folder = root / "tiny-chat"
    assert (folder / "config.json").exists() and (folder / "model.safetensors").exists()
    assert not list(folder.glob("*.gguf")) and sorted(p.name for p in root.iterdir()) == ["tiny-chat"]
    assert model.config.model_type == "llama" and model.config.hidden_size == 32
    assert tokenizer.decode(tokenizer("the cat", add_special_tokens=False)["input_ids"]) == "the cat"
    assert "<|im_start|>assistant" in tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )

    monkeypatch.setattr(cache, "convert_gguf", lambda *a: pytest.fail("a prepared model was converted again"))
    model2, _ = cache.load(source, root, quiet())
    assert all((a == b).all() for a, b in zip(model.state_dict().values(), model2.state_dict().values()))
    answer = LocalChatModel("Tiny/Chat", model2, tokenizer, max_new_tokens=3).as_langchain().invoke("hello")
    assert isinstance(answer.content, str)
