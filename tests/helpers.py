"""Shared test helpers: tiny in-process models and paths to the real data."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

#: The real training and evaluation data lies beside the checkout (read-only).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

requires_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "README.md").exists(),
    reason=f"the real data folder is absent ({SHARED_DATA.name} beside the checkout)",
)


def build_tiny_sentence_transformer(folder: Path, hidden_size: int = 16) -> Path:
    """A tiny BERT sentence-transformer saved in the standard folder format (no download)."""
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words += list(string.ascii_lowercase + string.digits + string.punctuation)
    words += ["##" + c for c in string.ascii_lowercase + string.digits]
    words += ["the", "prove", "hello", "code", "math", "write", "explain", "what", "is", "a"]
    base = folder / "bert"
    base.mkdir(exist_ok=True)
    (base / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(base / "vocab.txt"), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(words), hidden_size=hidden_size, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128,
    )
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(base)
    tokenizer.save_pretrained(base)
    transformer = models.Transformer(str(base), max_seq_length=64)
    pooling = models.Pooling(hidden_size, pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")
    out = folder / "st"
    model.save(str(out))
    return out


def build_tiny_bert(folder: Path, words: list[str], hidden_size: int = 16) -> Path:
    """A tiny BertModel with a whole-word vocabulary (`words` plus specials), saved as a transformers folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(w.lower() for w in words))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    # transformers 5 takes the vocabulary file as `vocab` (`vocab_file` is silently ignored: every token [UNK]).
    BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden_size, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=128)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


def build_tiny_llama(folder: Path, hidden_size: int = 16, layers: int = 2, extra_words: tuple[str, ...] = ()) -> Path:
    """A tiny Llama causal LM with a word-level tokenizer (`extra_words` added to a small base vocabulary)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    words = ["<unk>", "<s>", "</s>", "<pad>", "Yes", "No", "Prompt", "Answer", ":", "?", ".", ","]
    words += list(string.ascii_lowercase) + ["the", "prove", "hello", "code", "math", "write", "what", "is"]
    words += sorted(set(extra_words) - set(words))
    vocab = {word: i for i, word in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(words), hidden_size=hidden_size, intermediate_size=32, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True,
        pad_token_id=vocab["<pad>"], bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"],
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
