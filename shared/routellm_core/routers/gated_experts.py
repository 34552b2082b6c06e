"""The gated-experts router: one difficulty scorer per kind of prompt, mixed by a source gate.

The training sets are different kinds of prompt — judged chat prompts, benchmark tasks, multiple-choice
STEM questions — and what makes a prompt need the strong model differs between them (in chat it is
the content, in benchmark items mostly length). One scorer fitted on all of them at once is mostly a
model of the largest kind. This router keeps one linear *expert* per training set, each fitted only on
that set's prompts, puts the experts on a common scale (`alignment`), and mixes them with a softmax
*gate* that reads which set a prompt resembles: score = sum over sets of P(set | prompt) x the aligned
expert score. A two-parameter logistic maps the mixture to P(strong wins).

Every expert and the gate read the same inputs: the prompt embedding followed by the standardised
cheap features (`features`). Scoring is a few dot products after the embedding; with the shipped
model2vec static embedding (the `default` router) the whole call is numpy and a tokenizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding_model2vec import DEFAULT_STATIC_EMBEDDING
from ..router import Router, register_router
from .embedded import FeaturedEmbeddingInput
from .features import FEATURE_NAMES
from .mf import sigmoid

#: How expert scores are put on one scale: as fitted (each predicts its set's difficulty percentile),
#: standardised by their spread on their own training prompts, or mapped to their percentile there.
ALIGNMENTS = ("none", "zscore", "quantile")
QUANTILE_LEVELS = 101


@register_router
class GatedExpertsRouter(FeaturedEmbeddingInput, Router):
    kind = "gated_experts"

    def __init__(
        self,
        experts: list[str] | tuple[str, ...] = ("expert",),
        embedding_model: str = DEFAULT_STATIC_EMBEDDING,
        embedding_dim: int = 256,
        alignment: str = "zscore",
        gate_temperature: float = 1.0,
        name: str | None = None,
    ):
        super().__init__(name)
        experts = [str(e) for e in experts]
        if not experts or len(set(experts)) != len(experts):
            raise ValueError(f"experts must be distinct names, at least one, got {experts}")
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be positive, got {embedding_dim}")
        if alignment not in ALIGNMENTS:
            raise ValueError(f"unknown alignment {alignment!r}: use one of {', '.join(ALIGNMENTS)}")
        if not (gate_temperature >= 0 and np.isfinite(gate_temperature)):
            raise ValueError(f"gate_temperature must be a finite number >= 0 (0: the most likely expert only), "
                             f"got {gate_temperature}")
        self.experts = experts
        self.embedding_model = embedding_model
        self.embedding_dim = int(embedding_dim)
        self.use_features = True
        self.alignment = alignment
        self.gate_temperature = float(gate_temperature)
        n, d = len(experts), self.input_dim
        self.expert_coef_ = np.zeros((n, d), dtype=np.float32)
        self.expert_intercept_ = np.zeros(n, dtype=np.float32)
        #: alignment "zscore": score -> (score - center) / scale; "quantile": the score's percentile
        #: among the expert's own training scores, read off `expert_quantiles_` (QUANTILE_LEVELS each).
        self.expert_center_ = np.zeros(n, dtype=np.float32)
        self.expert_scale_ = np.ones(n, dtype=np.float32)
        self.expert_quantiles_ = np.tile(np.linspace(0.0, 1.0, QUANTILE_LEVELS, dtype=np.float32), (n, 1))
        self.gate_coef_ = np.zeros((n, d), dtype=np.float32)
        self.gate_intercept_ = np.zeros(n, dtype=np.float32)
        #: P(strong wins) = sigmoid(scale * mixture + offset).
        self.calibration_ = np.array([1.0, 0.0], dtype=np.float32)
        self._init_feature_scaling()

    @property
    def length_column(self) -> int:
        """Where log characters sits in `prompt_inputs`."""
        return self.embedding_dim + FEATURE_NAMES.index("log_chars")

    # ---- scoring -----------------------------------------------------------------------------

    def gate_probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """P(prompt resembles each expert's set), one row per input (rows sum to 1)."""
        logits = np.asarray(inputs, dtype=np.float64) @ self.gate_coef_.T.astype(np.float64) + self.gate_intercept_
        if self.gate_temperature == 0.0:  # a hard switch: the most likely set only
            return np.eye(len(self.experts))[np.argmax(logits, axis=1)]
        logits = logits / self.gate_temperature
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def expert_scores(self, inputs: np.ndarray) -> np.ndarray:
        """Each expert's raw prediction (its set's difficulty percentile), one column per expert."""
        inputs = np.asarray(inputs, dtype=np.float64)
        return inputs @ self.expert_coef_.T.astype(np.float64) + self.expert_intercept_.astype(np.float64)

    def aligned_scores(self, raw: np.ndarray) -> np.ndarray:
        """Expert scores on the common scale (`alignment`)."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.alignment == "zscore":
            return (raw - self.expert_center_.astype(np.float64)) / self.expert_scale_.astype(np.float64)
        if self.alignment == "quantile":
            levels = np.linspace(0.0, 1.0, QUANTILE_LEVELS)
            return np.column_stack([np.interp(raw[:, e], self.expert_quantiles_[e].astype(np.float64), levels)
                                    for e in range(len(self.experts))])
        return raw

    def mixture_scores(self, inputs: np.ndarray) -> np.ndarray:
        """The uncalibrated score: gate-weighted aligned expert scores."""
        return np.sum(self.gate_probabilities(inputs) * self.aligned_scores(self.expert_scores(inputs)), axis=1)

    def scores_from_inputs(self, inputs: np.ndarray) -> np.ndarray:
        scale, offset = (float(v) for v in self.calibration_)
        return sigmoid(scale * self.mixture_scores(inputs) + offset)

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "experts": list(self.experts),
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "alignment": self.alignment,
            "gate_temperature": self.gate_temperature,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        tensors = {
            "expert_coef": self.expert_coef_, "expert_intercept": self.expert_intercept_,
            "gate_coef": self.gate_coef_, "gate_intercept": self.gate_intercept_, "calibration": self.calibration_,
        }
        if self.alignment == "zscore":
            tensors |= {"expert_center": self.expert_center_, "expert_scale": self.expert_scale_}
        elif self.alignment == "quantile":
            tensors["expert_quantiles"] = self.expert_quantiles_
        return tensors | self.feature_state()

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        n = len(params.get("experts", ("expert",)))
        d = int(params.get("embedding_dim", 256)) + len(FEATURE_NAMES)
        shapes = {"expert_coef": (n, d), "expert_intercept": (n,), "gate_coef": (n, d), "gate_intercept": (n,),
                  "calibration": (2,), **cls.feature_shapes(True)}
        alignment = params.get("alignment", "zscore")
        if alignment == "zscore":
            shapes |= {"expert_center": (n,), "expert_scale": (n,)}
        elif alignment == "quantile":
            shapes["expert_quantiles"] = (n, QUANTILE_LEVELS)
        return shapes

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        router.expert_coef_, router.expert_intercept_ = tensors["expert_coef"], tensors["expert_intercept"]
        router.gate_coef_, router.gate_intercept_ = tensors["gate_coef"], tensors["gate_intercept"]
        router.calibration_ = tensors["calibration"]
        if router.alignment == "zscore":
            router.expert_center_, router.expert_scale_ = tensors["expert_center"], tensors["expert_scale"]
        elif router.alignment == "quantile":
            router.expert_quantiles_ = tensors["expert_quantiles"]
        router._load_feature_state(tensors)
        return router
