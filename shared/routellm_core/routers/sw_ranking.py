"""The paper's similarity-weighted (SW) ranking router, vectorised.

For a query, every training battle gets a weight that grows exponentially with the cosine
similarity of its prompt to the query, relative to the most similar training prompt:
w_i = gamma ** (1 + sim_i / max_j sim_j) (the paper's choice, gamma = 10). A Bradley-Terry model is
then fitted to the weighted battles (ties count half a win for each side) and
P(strong wins) = sigmoid(theta_strong - theta_weak).

The paper re-fits a logistic regression per query (2.9 queries/s). Here a query's fit only depends
on per-model-pair sums of weights and wins, so battles are first aggregated per (prompt, pair) into
sparse matrices; a batch of queries is then a dense similarity product, two sparse products and a
few batched Newton steps warm-started from the unweighted (global) fit, with a ridge pulling towards
that global fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..router import Router, register_router
from .embedded import EmbeddingInput, model_index
from .mf import sigmoid


def _as_index(values: np.ndarray, upper: int, what: str) -> np.ndarray:
    index = np.asarray(values).astype(np.int64)
    if not np.array_equal(index, values) or (index < 0).any() or (index >= upper).any():
        raise ValueError(f"{what} must hold whole numbers in [0, {upper})")
    return index


@register_router
class SWRankingRouter(EmbeddingInput, Router):
    kind = "sw_ranking"

    def __init__(
        self,
        models: list[str],
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
        embedding_dim: int = 384,
        gamma: float = 10.0,
        ridge: float = 1.0,
        newton_steps: int = 8,
        batch_size: int = 128,
        name: str | None = None,
    ):
        super().__init__(name)
        if len(models) < 2 or len(set(models)) != len(models):
            raise ValueError(f"an SW ranking router needs at least two distinct models, got {models!r}")
        if not gamma > 1.0:
            raise ValueError(f"gamma must be > 1 (weights grow with similarity), got {gamma!r}")
        if not ridge > 0:
            raise ValueError(f"ridge must be positive, got {ridge!r}")
        self.models = list(models)
        self.embedding_model = embedding_model
        self.embedding_dim = int(embedding_dim)
        self.gamma = float(gamma)
        self.ridge = float(ridge)
        self.newton_steps = int(newton_steps)
        self.batch_size = int(batch_size)
        self.prompt_embeddings_ = np.zeros((0, self.embedding_dim), dtype=np.float32)
        self.battles_ = np.zeros((0, 5), dtype=np.float32)  # prompt, model_a, model_b, P(a wins), weight

    # ---- battles ------------------------------------------------------------------------------

    def set_battles(
        self,
        prompt_embeddings: np.ndarray,
        prompt_index: np.ndarray,
        model_a: np.ndarray,
        model_b: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None = None,
    ) -> SWRankingRouter:
        """Store the training battles (indices into the prompt embeddings and `models`)."""
        prompt_embeddings = np.asarray(prompt_embeddings, dtype=np.float32)
        if prompt_embeddings.ndim != 2 or prompt_embeddings.shape[1] != self.embedding_dim:
            raise ValueError(f"prompt embeddings must have shape (n, {self.embedding_dim}), got {prompt_embeddings.shape}")
        n = len(prompt_index)
        if n == 0:
            raise ValueError("an SW ranking router needs at least one battle")
        weight = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
        battles = np.column_stack([prompt_index, model_a, model_b, target, weight]).astype(np.float32)
        self._load(prompt_embeddings, battles)
        return self

    def _load(self, prompt_embeddings: np.ndarray, battles: np.ndarray) -> None:
        from scipy import sparse

        n_prompts, n_models = len(prompt_embeddings), len(self.models)
        prompt = _as_index(battles[:, 0], n_prompts, "battle prompt indices")
        a = _as_index(battles[:, 1], n_models, "battle model_a indices")
        b = _as_index(battles[:, 2], n_models, "battle model_b indices")
        target, weight = battles[:, 3].astype(np.float64), battles[:, 4].astype(np.float64)
        if (a == b).any():
            raise ValueError("a battle pits a model against itself")
        if ((target < 0) | (target > 1)).any() or (weight < 0).any():
            raise ValueError("battle targets must lie in [0, 1] and weights be non-negative")
        self.prompt_embeddings_, self.battles_ = prompt_embeddings, battles
        # Canonical pair order (low index first); the target becomes P(low-index model wins).
        low, high = np.minimum(a, b), np.maximum(a, b)
        target = np.where(a < b, target, 1.0 - target)
        pairs, pair_index = np.unique(low * n_models + high, return_inverse=True)
        self._pair_models = np.column_stack([pairs // n_models, pairs % n_models])
        shape = (n_prompts, len(pairs))
        self._totals = sparse.csr_matrix((weight, (prompt, pair_index)), shape=shape)
        self._wins = sparse.csr_matrix((weight * target, (prompt, pair_index)), shape=shape)
        incidence = np.zeros((len(pairs), n_models))
        incidence[np.arange(len(pairs)), self._pair_models[:, 0]] = 1.0
        incidence[np.arange(len(pairs)), self._pair_models[:, 1]] = -1.0
        self._incidence = incidence
        self._global = np.zeros(n_models)
        uniform = np.ones((1, n_prompts))
        self._global = self._fit(uniform @ self._totals, uniform @ self._wins)[0]

    # ---- Bradley-Terry fits ----------------------------------------------------------------------

    def _fit(self, totals: np.ndarray, wins: np.ndarray) -> np.ndarray:
        """Batched Newton steps: strengths (rows: queries) from per-pair weight and win sums."""
        totals, wins = np.asarray(totals, dtype=np.float64), np.asarray(wins, dtype=np.float64)
        # Scale each query's weights to the number of battles, so `ridge` means the same for every query.
        scale = len(self.battles_) / np.maximum(totals.sum(1, keepdims=True), 1e-12)
        totals, wins = totals * scale, wins * scale
        theta = np.repeat(self._global[None, :], len(totals), axis=0)
        eye = np.eye(len(self.models))
        for _ in range(self.newton_steps):
            p = sigmoid(theta @ self._incidence.T)
            residual = wins - totals * p
            grad = residual @ self._incidence - self.ridge * (theta - self._global)
            curvature = totals * p * (1.0 - p)
            # Hessian of a Bradley-Terry fit: the weighted graph Laplacian of the model pairs.
            hessian = np.zeros((len(totals), len(self.models), len(self.models)))
            i, j = self._pair_models[:, 0], self._pair_models[:, 1]
            hessian[:, i, j] = -curvature
            hessian[:, j, i] = -curvature
            hessian[:, np.arange(len(self.models)), np.arange(len(self.models))] = curvature @ np.abs(self._incidence)
            theta = theta + np.linalg.solve(hessian + self.ridge * eye, grad[:, :, None])[:, :, 0]
        return theta

    def strengths(self, query_embeddings: np.ndarray) -> np.ndarray:
        """Fitted Bradley-Terry strength of every model (columns) for every query (rows)."""
        if len(self.battles_) == 0:
            raise ValueError(f"router {self.name!r} has no training battles; call set_battles first")
        # In the stored embeddings' dtype: a float64 query would copy the whole matrix to float64 per batch.
        queries = np.asarray(query_embeddings, dtype=self.prompt_embeddings_.dtype)
        log_gamma = np.log(self.gamma).astype(queries.dtype)
        out = []
        for start in range(0, len(queries), self.batch_size):
            sims = queries[start : start + self.batch_size] @ self.prompt_embeddings_.T
            top = np.maximum(sims.max(axis=1, keepdims=True), 1e-6)
            # gamma ** (1 + sims / top) up to the constant factor gamma, which `_fit`'s per-query rescaling cancels
            weights = np.exp(sims / top * log_gamma)
            out.append(self._fit(self._totals.T.dot(weights.T).T, self._wins.T.dot(weights.T).T))
        return np.vstack(out)

    def scores_from_inputs(self, query_embeddings: np.ndarray) -> np.ndarray:
        strong = model_index(self.models, self.strong_model, "strong")
        weak = model_index(self.models, self.weak_model, "weak")
        theta = self.strengths(query_embeddings)
        return sigmoid(theta[:, strong] - theta[:, weak])

    # ---- persistence -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "models": self.models,
            "embedding_model": self.embedding_model,
            "embedding_dim": self.embedding_dim,
            "gamma": self.gamma,
            "ridge": self.ridge,
            "newton_steps": self.newton_steps,
            "batch_size": self.batch_size,
        }

    def state_tensors(self) -> dict[str, np.ndarray]:
        return {"prompt_embeddings": self.prompt_embeddings_, "battles": self.battles_}

    @classmethod
    def expected_shapes(cls, params: dict[str, Any]) -> dict[str, tuple[int | None, ...]]:
        return {"prompt_embeddings": (None, int(params.get("embedding_dim", 384))), "battles": (None, 5)}

    @classmethod
    def from_state(cls, params: dict[str, Any], tensors: dict[str, np.ndarray]) -> Router:
        router = cls(**params)
        router._load(tensors["prompt_embeddings"], tensors["battles"])
        return router
