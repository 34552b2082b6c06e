"""A bundled router adapted to your own labels: the bundled model as the prior, a small head on top.

The head is a logistic stacker on three inputs per prompt: the base router's score (as a logit), the
prompt's log length, and a ridge regression on a prompt embedding fitted on your labels: the base
router's own embedding, or another sentence embedding named by `ridge_embedding` (e.g. the MiniLM one
shipped with the package, read offline). Which inputs the stacker uses, the ridge penalty and the
ridge's embedding are chosen by cross-validation on your labels, so a head that does not help falls
back to the base ranking (`training/adapt.py`).

The base router's state is saved inside this checkpoint (tensors prefixed ``base.``), so the
directory loads on its own with `load_router(DIR)`. Scoring reads only the prompt itself: a prompt
scores the same alone or in a batch (the one-at-a-time path of `Router.win_probabilities`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checkpoint import ROUTER_KINDS
from ..router import Router, register_router
from .mf import sigmoid

#: The stacker's inputs, in order.
STACK_INPUTS = ("base_logit", "log_length", "ridge")


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def log_length(texts: list[str]) -> np.ndarray:
    return np.log1p(np.array([len(t) for t in texts], dtype=np.float64))


@register_router
class AdaptedRouter(Router):
    kind = "adapted"

    def __init__(self, base: Router, embedding_dim: int, name: str | None = None, ridge_embedding: str = ""):
        super().__init__(name)
        if not hasattr(base, "embed") or not hasattr(base, "score_with_embeddings"):
            raise ValueError(f"only routers that score prompt embeddings can be adapted, not {base.kind!r}")
        self.base = base
        #: The ridge's input: dimension, and the embedding model it reads ("": the base router's own).
        self.embedding_dim = int(embedding_dim)
        self.ridge_embedding = str(ridge_embedding or "")
        self._ridge_embedder = None
        self.ridge_coef_ = np.zeros(self.embedding_dim, dtype=np.float32)
        self.ridge_intercept_ = np.zeros(1, dtype=np.float32)
        #: Stacker weights on `STACK_INPUTS` and its intercept (P = sigmoid(inputs @ coef + intercept)).
        self.stack_coef_ = np.array([1.0, 0.0, 0.0], dtype=np.float32)
        self.stack_intercept_ = np.zeros(1, dtype=np.float32)

    @property
    def embedding_model(self) -> str:
        return getattr(self.base, "embedding_model", "")

    def set_embedder(self, embedder) -> None:
        self.base.set_embedder(embedder)

    def set_ridge_embedder(self, embedder) -> None:
        """Inject the embedder of `ridge_embedding` (anything with `encode(list[str]) -> ndarray`)."""
        self._ridge_embedder = embedder

    @property
    def uses_ridge(self) -> bool:
        return float(self.stack_coef_[STACK_INPUTS.index("ridge")]) != 0.0

    def ridge_inputs(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """What the ridge reads: the base router's `embeddings` of `texts`, or those of `ridge_embedding`."""
        if not self.ridge_embedding:
            return np.asarray(embeddings, dtype=np.float64)
        if self._ridge_embedder is None:
            from ..embedding import shared_embedder

            self._ridge_embedder = shared_embedder(self.ridge_embedding)
        vectors = np.asarray(self._ridge_embedder.encode(list(texts)), dtype=np.float64)
        if vectors.shape != (len(texts), self.embedding_dim):
            raise ValueError(f"router {self.name!r} expects {self.embedding_dim}-dimensional embeddings from "
                             f"{self.ridge_embedding!r}, the embedder gave shape {vectors.shape}")
        return vectors

    def stack_inputs(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """The stacker's inputs per prompt: base logit, log length, ridge prediction.

        `embeddings` are the base router's; a head that gives the ridge no weight embeds nothing more.
        """
        embeddings = np.asarray(embeddings, dtype=np.float64)
        base = logit(self.base.score_with_embeddings(texts, embeddings.astype(np.float32)))
        if self.uses_ridge:
            ridge = self.ridge_inputs(texts, embeddings) @ self.ridge_coef_.astype(np.float64)
            ridge = ridge + float(self.ridge_intercept_[0])
        else:
            ridge = np.zeros(len(texts))
        return np.column_stack([base, log_length(texts), ridge])

    def score_with_embeddings(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        z = self.stack_inputs(texts, embeddings) @ self.stack_coef_.astype(np.float64) + float(self.stack_intercept_[0])
        return sigmoid(z)

    def _score(self, texts: list[str]) -> np.ndarray:
        return self.score_with_embeddings(texts, self.base.embed(texts))

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        params = {"base_kind": self.base.kind, "base_params": self.base.get_params(),
                  "embedding_dim": self.embedding_dim}
        return params | ({"ridge_embedding": self.ridge_embedding} if self.ridge_embedding else {})

    def state_tensors(self) -> dict[str, np.ndarray]:
        tensors = {f"base.{key}": value for key, value in self.base.state_tensors().items()}
        return tensors | {"ridge_coef": self.ridge_coef_, "ridge_intercept": self.ridge_intercept_,
                          "stack_coef": self.stack_coef_, "stack_intercept": self.stack_intercept_}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        base_cls = ROUTER_KINDS[params["base_kind"]]
        shapes = {f"base.{key}": shape for key, shape in base_cls.expected_shapes(params["base_params"]).items()}
        dim = int(params["embedding_dim"])
        return shapes | {"ridge_coef": (dim,), "ridge_intercept": (1,), "stack_coef": (len(STACK_INPUTS),),
                         "stack_intercept": (1,)}

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        base_cls = ROUTER_KINDS[params["base_kind"]]
        base = base_cls.from_state(params["base_params"],
                                   {k[5:]: v for k, v in tensors.items() if k.startswith("base.")})
        router = cls(base, params["embedding_dim"], ridge_embedding=params.get("ridge_embedding", ""))
        router.ridge_coef_, router.ridge_intercept_ = tensors["ridge_coef"], tensors["ridge_intercept"]
        router.stack_coef_, router.stack_intercept_ = tensors["stack_coef"], tensors["stack_intercept"]
        return router
