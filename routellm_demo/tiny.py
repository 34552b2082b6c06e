"""Tiny in-process chat models with the real models' interface, for tests and `demo.py --fake-models`.

A byte-level tokenizer with a ChatML template and a randomly initialised two-layer Llama: built in
milliseconds, nothing downloaded. Their answers are noise; they exist to exercise the wiring.
"""

from __future__ import annotations

import string

from .frameworks import LocalChatModel

CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_tokenizer():
    """A byte-level tokenizer (256 byte tokens + ChatML specials) with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={char: i for i, char in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_chat_model(name: str, seed: int = 0, layers: int = 1, max_new_tokens: int = 8) -> LocalChatModel:
    """A random tiny Llama chat model called `name` (different seeds give different answers)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    torch.random.set_rng_state(generator_state)  # leave the caller's random stream as it was
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    # Random weights pick random bytes; allowing only printable ASCII keeps the noise readable.
    printable = set(tokenizer(string.printable[:95], add_special_tokens=False)["input_ids"])
    allowed = printable | {tokenizer.eos_token_id}
    model.generation_config.suppress_tokens = [i for i in range(len(tokenizer)) if i not in allowed]
    return LocalChatModel(name=name, model=model, tokenizer=tokenizer, max_new_tokens=max_new_tokens)


def tiny_pair(max_new_tokens: int = 8) -> tuple[LocalChatModel, LocalChatModel]:
    """(strong, weak) tiny models with distinct names and weights."""
    return (
        tiny_chat_model("tiny-strong", seed=1, layers=2, max_new_tokens=max_new_tokens),
        tiny_chat_model("tiny-weak", seed=0, layers=1, max_new_tokens=max_new_tokens),
    )
