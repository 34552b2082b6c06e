"""The paper's BERT classifier router: a fine-tuned encoder predicting whether the strong model wins.

The encoder is the MiniLM `BertModel` the embedder already ships (or any BERT-style model), used
through `AutoModelForSequenceClassification` with two labels: 0 = the weak model holds its own,
1 = the strong model wins. The win probability is the softmax probability of label 1.

A checkpoint holds the architecture config (`hf_config`) and the whole fine-tuned state dict; the
tokenizer comes from `base_model` (the bundled MiniLM by default), since fine-tuning never changes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL, resolve_model_path
from ..router import Router, register_router
from .transformer_state import (
    batched_win_probabilities,
    float_state,
    load_float_state,
    meta_float_shapes,
    transformers_quiet,
)


def _base_config(base_model: str) -> dict[str, Any]:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(resolve_model_path(base_model), num_labels=2)
    return config.to_dict()


@register_router
class BertClassifierRouter(Router):
    kind = "bert"

    def __init__(
        self,
        base_model: str = DEFAULT_EMBEDDING_MODEL,
        hf_config: dict[str, Any] | None = None,
        max_length: int = 256,
        batch_size: int = 32,
        name: str | None = None,
    ):
        super().__init__(name)
        if max_length < 8 or batch_size < 1:
            raise ValueError(f"max_length must be >= 8 and batch_size >= 1, got {max_length}, {batch_size}")
        self.base_model = base_model
        self.hf_config = hf_config if hf_config is not None else _base_config(base_model)
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self._model = None
        self._tokenizer = None

    # ---- model ------------------------------------------------------------------------------

    @staticmethod
    def _config_object(hf_config: dict[str, Any]):
        from transformers import AutoConfig

        config = dict(hf_config)
        model_type = config.pop("model_type", None)
        if model_type is None:
            raise ValueError("hf_config lacks 'model_type'")
        config["num_labels"] = 2
        config.pop("id2label", None)
        config.pop("label2id", None)
        return AutoConfig.for_model(model_type, **config)

    def build_model(self, pretrained: bool = False):
        """The classifier: from the base model's weights (`pretrained`, for training) or the bare architecture."""
        from transformers import AutoModelForSequenceClassification

        with transformers_quiet():
            if pretrained:
                model = AutoModelForSequenceClassification.from_pretrained(
                    resolve_model_path(self.base_model), num_labels=2
                )
            else:
                model = AutoModelForSequenceClassification.from_config(self._config_object(self.hf_config))
        self._model = model.eval()
        return self._model

    @property
    def model(self):
        if self._model is None:
            raise ValueError(f"router {self.name!r} has no weights: train it or load a checkpoint")
        return self._model

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(self.base_model))
        return self._tokenizer

    def encode(self, texts: list[str]):
        return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")

    def trainable_module(self):
        """The torch module a trainer optimises (every parameter of the classifier)."""
        return self.model

    def logits(self, texts: list[str]):
        """Two-class logits (weak holds, strong wins) for a batch of texts, with gradients if enabled."""
        return self.model(**self.encode(texts)).logits

    # ---- scoring -----------------------------------------------------------------------------

    def _score(self, texts: list[str]) -> np.ndarray:
        return batched_win_probabilities(self.model, self.logits, texts, self.batch_size)

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "base_model": self.base_model,
            "hf_config": self.hf_config,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        return float_state(self.model)

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        from transformers import AutoModelForSequenceClassification

        config = cls._config_object(params["hf_config"])
        with transformers_quiet():
            return meta_float_shapes(lambda: AutoModelForSequenceClassification.from_config(config))

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        load_float_state(router.build_model(pretrained=False), tensors)
        return router
