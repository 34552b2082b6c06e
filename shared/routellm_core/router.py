"""The uniform surface every router shares, and the registry of router kinds.

A router maps prompts to the probability that the strong model beats the weak one. Like a
scikit-learn estimator, hyper-parameters go to the constructor, learned state lives in attributes
with a trailing underscore, and `state_tensors` / `from_state` round-trip it through a checkpoint.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .checkpoint import ROUTER_KINDS, fingerprint, register_router, save_router  # noqa: F401 (kinds re-exported)
from .conversation import MAX_ROUTED_CHARS, clean_text
from .decision import RoutingDecision, validate_threshold
from .reference import ReferenceQuantiles

#: The paper's pair: the identities a router's score refers to (not the models a user routes between).
DEFAULT_STRONG_MODEL = "gpt-4-1106-preview"
DEFAULT_WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"

class Router(ABC):
    """Predicts P(strong model wins) for prompts.

    Subclasses set `kind`, implement `_score(texts) -> np.ndarray` and, when they have learned state,
    `state_tensors()`, `expected_shapes(params)` and `from_state(params, tensors)`.
    """

    kind: ClassVar[str]
    #: True when `_score` computes each text's score from that text alone, with the same arithmetic
    #: whatever else is in the batch (the baselines). Other routers score one prompt at a time: a
    #: batched matrix product or a padded transformer batch rounds differently from a single row.
    scores_rows_independently: ClassVar[bool] = False

    def __init__(self, name: str | None = None):
        self.name = name or self.kind
        #: Free-form metadata recorded in a checkpoint's config (training data, licences, figures).
        self.card: dict[str, Any] = {}
        self.strong_model = DEFAULT_STRONG_MODEL
        self.weak_model = DEFAULT_WEAK_MODEL
        #: How this router scores typical traffic, so a share of strong calls needs no calibration set.
        self.reference: ReferenceQuantiles | None = None

    # ---- scoring -----------------------------------------------------------------------------

    @abstractmethod
    def _score(self, texts: list[str]) -> np.ndarray:
        """Win probabilities in [0, 1] for non-empty, cleaned texts (float64, one per text)."""

    def win_probabilities(self, prompts: Sequence[str], *, exact: bool = True) -> np.ndarray:
        """P(strong wins) for each prompt.

        `exact=True` (the default): each prompt is scored on its own, so its score is the one
        `win_probability` gives, bit for bit, whatever else is in the list — thresholds calibrated on
        a list hold for single calls. `exact=False` scores the list in padded batches: about 3× the
        throughput with MiniLM, for bulk jobs (evaluation) where scores may differ from single calls in
        the last bits.
        """
        if isinstance(prompts, str):
            raise TypeError("win_probabilities takes a list of prompts; use win_probability for one")
        scores = score_each_prompt(prompts, self._checked_scores, exact and not self.scores_rows_independently)
        return np.clip(scores, 0.0, 1.0)

    def _checked_scores(self, texts: list[str]) -> np.ndarray:
        scores = np.asarray(self._score(texts), dtype=np.float64)
        if scores.shape != (len(texts),):
            raise RuntimeError(f"router {self.name!r} returned shape {scores.shape} for {len(texts)} prompts")
        return scores

    def win_probability(self, prompt: str) -> float:
        """P(strong wins) for one prompt."""
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string, got {type(prompt).__name__}")
        return float(self.win_probabilities([prompt])[0])

    def route(self, prompt: str, threshold: float) -> RoutingDecision:
        """Decide strong (win probability >= threshold) or weak for one prompt."""
        threshold = validate_threshold(threshold)
        return RoutingDecision.from_score(self.win_probability(prompt), threshold, self.name)

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """Constructor hyper-parameters (JSON-serialisable), saved in `config.json`."""
        return {}

    def state_tensors(self) -> dict[str, np.ndarray]:
        """Learned state, saved in `model.safetensors`."""
        return {}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        """Shape of each tensor a checkpoint must hold for these params (None: any size)."""
        return {}

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        """Rebuild a router from its params and validated tensors."""
        return cls(**params)

    def config_fingerprint(self) -> str:
        """A digest of params and state: equal fingerprints score identically (used by score caches)."""
        return fingerprint(self)

    def save(self, directory: str | Path) -> Path:
        """Write the router as a checkpoint directory (atomically); returns its path."""
        return save_router(self, directory)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def score_each_prompt(prompts: Sequence[str], score: Callable[[list[str]], np.ndarray], one_at_a_time: bool) -> np.ndarray:
    """`score` applied to cleaned, bounded prompts (each distinct text once), rows back in order.

    `one_at_a_time`: one code path — each prompt is scored alone, so its row is the same, bit for bit,
    alone or in any list (a padded transformer batch or a batched matrix product rounds differently
    from a single row, and which BLAS kernel runs depends on the CPU); a threshold calibrated on a
    list then means the same for single calls. Otherwise the list is scored in one batch (bulk jobs).
    """
    texts = list(prompts)
    if not texts:
        raise ValueError("scoring needs at least one prompt, got an empty list")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"prompt {i} must be a string, got {type(text).__name__}")
    # bounded, clean text: routing time stays bounded and every tokenizer accepts it
    texts = [clean_text(t[:MAX_ROUTED_CHARS]) for t in texts]
    unique = list(dict.fromkeys(texts))
    if one_at_a_time:
        rows = np.concatenate([score([text]) for text in unique])
    else:
        rows = score(unique)
    by_text = dict(zip(unique, rows))
    return np.stack([by_text[t] for t in texts]).astype(np.float64)
