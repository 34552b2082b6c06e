"""Matrix factorisation for N models: each model's P(correct) on a prompt.

The paper's MF router scores s(m, q) = w . (v_m * (W x_q)) for every model it knows (one factor vector
v_m per model) and compares two of them. Trained on per-model outcome tables instead of battles, the
same form with a per-model bias b_m predicts each model's quality directly:
P(m correct on q) = sigmoid(s(m, q) + b_m). That is the N-model surface (`models`,
`model_qualities`) the routing engine reads; as a two-model `Router` it still gives
P(strong wins) = sigmoid(logit_strong - logit_weak).

`text_span` chooses what the embedding reads. The sentence encoder keeps only the start of a long
prompt (MiniLM: 256 word pieces, about 1,000 characters), and few-shot prompts put the actual
question at the end, after a preamble shared by every prompt of the task. ``"head_tail"`` embeds the
start and the last `TAIL_CHARS` characters separately and concatenates them (twice the input width);
``"tail"`` embeds the end only; ``"head"`` is what the other routers do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..n_models import NModelRouter
from ..router import register_router
from .features import FEATURE_NAMES, prompt_features
from .mf import MatrixFactorizationRouter, sigmoid

TEXT_SPANS = ("head", "tail", "head_tail")
#: Characters of a prompt's end that the tail embedding reads (about what MiniLM keeps of a text).
TAIL_CHARS = 1000


def span_texts(texts: list[str], text_span: str) -> list[list[str]]:
    """The texts to embed for each span, in input order (one list per span)."""
    if text_span == "head":
        return [list(texts)]
    tails = [t[-TAIL_CHARS:] for t in texts]
    return [tails] if text_span == "tail" else [list(texts), tails]


@register_router
class QualityMFRouter(NModelRouter, MatrixFactorizationRouter):
    """MF with a bias per model, trained to predict each model's P(correct) (see the module doc)."""

    kind = "mf_quality"

    def __init__(
        self,
        models: list[str],
        dim: int = 64,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        embedding_dim: int = 384,
        use_features: bool = False,
        text_span: str = "head",
        name: str | None = None,
    ):
        if text_span not in TEXT_SPANS:
            raise ValueError(f"text_span must be one of {TEXT_SPANS}, got {text_span!r}")
        self.text_span = text_span  # before the parent sizes the projection from `input_dim`
        super().__init__(models, dim=dim, embedding_model=embedding_model, embedding_dim=embedding_dim,
                         use_features=use_features, name=name)
        self.model_bias_ = np.zeros(len(self.models), dtype=np.float32)

    @property
    def spans(self) -> int:
        return 2 if self.text_span == "head_tail" else 1

    @property
    def input_dim(self) -> int:
        return self.spans * self.embedding_dim + (len(FEATURE_NAMES) if self.use_features else 0)

    # ---- inputs ------------------------------------------------------------------------------

    def prompt_inputs(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """The span embeddings side by side (then standardised features if used).

        ``embeddings``, when given, holds the span embeddings already concatenated (as training builds them).
        """
        if embeddings is None:
            vectors = np.hstack([self.embed(part) for part in span_texts(texts, self.text_span)])
        else:
            vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.shape[1] != self.spans * self.embedding_dim:
            raise ValueError(f"router {self.name!r} reads {self.spans} x {self.embedding_dim} embedding "
                             f"columns, got {vectors.shape[1]}")
        if not self.use_features:
            return vectors
        features = (prompt_features(texts) - self.feature_mean_) / self.feature_scale_
        return np.hstack([vectors, features.astype(np.float32)])

    # ---- scoring -----------------------------------------------------------------------------

    def model_scores(self, inputs: np.ndarray) -> np.ndarray:
        """The logit of each model's P(correct): s(m, q) + b_m."""
        return super().model_scores(inputs) + self.model_bias_

    def qualities_from_inputs(self, inputs: np.ndarray) -> np.ndarray:
        return sigmoid(self.model_scores(inputs).astype(np.float64))

    def _qualities(self, texts: list[str]) -> np.ndarray:
        return self.qualities_from_inputs(self.prompt_inputs(texts))

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "text_span": self.text_span}

    def state_tensors(self) -> dict[str, np.ndarray]:
        return {**super().state_tensors(), "model_bias": self.model_bias_}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        shapes = super().expected_shapes(params)
        spans = 2 if params.get("text_span", "head") == "head_tail" else 1
        features = len(FEATURE_NAMES) if params.get("use_features", False) else 0
        shapes["projection"] = (int(params["dim"]), spans * int(params.get("embedding_dim", 384)) + features)
        shapes["model_bias"] = (len(params["models"]),)
        return shapes

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> QualityMFRouter:
        router = super().from_state(params, tensors)
        router.model_bias_ = tensors["model_bias"]
        return router
