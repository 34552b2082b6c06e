"""Routing among N models: predicted quality per model, and the choice of a model by quality against price.

An *N-model router* exposes ``models: list[str]`` and ``model_qualities(prompts) -> (n_prompts,
len(models))``: each model's predicted quality (P(correct)) on each prompt. Like
`Router.win_probabilities`, a prompt's row never depends on the other prompts of the batch: rows are
computed one prompt at a time through one code path (bit for bit the same alone or in a batch).

`choose_models` turns qualities into a choice with one knob, the price of quality λ >= 0: each prompt
goes to argmax_m quality(m) - λ * price(m). λ = 0 buys the best predicted model whatever it costs;
λ -> ∞ sends everything to the cheapest model; `lambda_grid` spans the range in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from .router import score_each_prompt


class NModelRouter:
    """Mixin for routers that predict every model's quality. Subclasses implement `_qualities`."""

    models: list[str]
    #: As for `Router`: True only when `_qualities` computes each row from its text alone with the
    #: same arithmetic whatever else is in the batch; otherwise rows are computed one prompt at a time.
    qualities_rows_independent: ClassVar[bool] = False

    def _qualities(self, texts: list[str]) -> np.ndarray:
        """(len(texts), len(models)) predicted qualities in [0, 1] for cleaned, non-empty texts."""
        raise NotImplementedError

    def model_qualities(self, prompts: Sequence[str], *, exact: bool = True) -> np.ndarray:
        """Predicted quality (P(correct)) of every model on every prompt: shape (n_prompts, len(models)).

        `exact=True` (the default): one prompt at a time, so a row is what the prompt alone gives, bit
        for bit. `exact=False` scores the list in batches (bulk jobs such as evaluation; rows may
        differ from single calls in the last bits), as `Router.win_probabilities(exact=False)`.
        """
        if isinstance(prompts, str):
            raise TypeError("model_qualities takes a list of prompts, not a single string")
        rows = score_each_prompt(prompts, self._checked_qualities, exact and not self.qualities_rows_independent)
        return np.clip(rows, 0.0, 1.0)

    def _checked_qualities(self, texts: list[str]) -> np.ndarray:
        rows = np.asarray(self._qualities(texts), dtype=np.float64)
        if rows.shape != (len(texts), len(self.models)):
            raise RuntimeError(f"{type(self).__name__} returned shape {rows.shape} for {len(texts)} prompts "
                               f"and {len(self.models)} models")
        return rows


def is_n_model_router(router) -> bool:
    """True for objects with the N-model surface (`models` and `model_qualities`)."""
    return callable(getattr(router, "model_qualities", None)) and isinstance(getattr(router, "models", None), list)


def price_vector(models: Sequence[str], prices: Mapping[str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
    """Prices in the order of `models` from a mapping (names matched by model key) or a sequence."""
    if isinstance(prices, Mapping):
        from .data.models import find_model

        vector = []
        for model in models:
            key = model if model in prices else find_model(model, list(prices))
            if key is None:
                raise ValueError(f"no price for model {model!r}; prices are given for {sorted(prices)}")
            vector.append(float(prices[key]))
        prices = vector
    vector = np.asarray(prices, dtype=np.float64)
    if vector.shape != (len(models),):
        raise ValueError(f"need one price per model ({len(models)}), got shape {vector.shape}")
    if not np.isfinite(vector).all() or (vector < 0).any():
        raise ValueError("prices must be finite and >= 0")
    return vector


def choose_models(qualities: np.ndarray, prices: np.ndarray, lam: float) -> np.ndarray:
    """Per prompt, the index of argmax_m quality(m) - lam * price(m).

    ``qualities``: (n, m); ``prices``: (m,) per model, or (n, m) per prompt and model; ``lam`` >= 0,
    ``inf`` allowed (the cheapest model). Ties go to the cheaper model, then to the earlier one.
    """
    q = np.asarray(qualities, dtype=np.float64)
    if q.ndim != 2:
        raise ValueError(f"qualities must be (prompts, models), got shape {q.shape}")
    p = np.broadcast_to(np.asarray(prices, dtype=np.float64), q.shape)
    lam = float(lam)
    if not lam >= 0:  # also rejects NaN
        raise ValueError(f"lam must be >= 0, got {lam}")
    if np.isinf(lam):  # the cheapest model; among equally cheap ones, the best
        utility, tie_break = -p, q
    else:
        utility, tie_break = q - lam * p, -p
    best = utility.max(axis=1, keepdims=True)
    masked = np.where(utility >= best, tie_break, -np.inf)
    return masked.argmax(axis=1)


def switch_points(qualities: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Every λ > 0 at which some prompt's choice changes (the slopes of each prompt's upper hull of
    (price, quality) points: above such a slope the cheaper vertex wins)."""
    q = np.asarray(qualities, dtype=np.float64)
    p = np.broadcast_to(np.asarray(prices, dtype=np.float64), q.shape)
    slopes = []
    for row_q, row_p in zip(q, p):
        hull: list[tuple[float, float]] = []
        for price, quality in sorted(zip(row_p, row_q), key=lambda t: (t[0], -t[1])):
            if hull and (price == hull[-1][0] or quality <= hull[-1][1]):
                continue  # as dear and no better: never chosen
            while len(hull) >= 2:
                (x1, y1), (x2, y2) = hull[-2], hull[-1]
                if (x2 - x1) * (quality - y1) - (y2 - y1) * (price - x1) >= 0:
                    hull.pop()
                else:
                    break
            hull.append((price, quality))
        slopes += [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in zip(hull, hull[1:])]
    return np.asarray(slopes, dtype=np.float64)


def lambda_grid(prices: np.ndarray, points: int = 41, qualities: np.ndarray | None = None) -> np.ndarray:
    """``points`` values of λ from 0 to ∞ (both included), increasing.

    With predicted ``qualities`` the values in between are quantiles of the prompts' switch points
    (`switch_points`): about as many decisions change between any two neighbours, so the operating
    points spread evenly from the dearest choice to the cheapest. Without, they are geometric, from
    where a quality difference of 1e-4 outweighs the widest price gap to where a difference of 1 no
    longer pays for the narrowest non-zero gap.
    """
    if points < 3:
        raise ValueError(f"need at least 3 points (0, one finite λ, ∞), got {points}")
    if qualities is not None:
        slopes = switch_points(qualities, prices)
        if slopes.size:
            # at λ equal to a switch point the cheaper model already wins (ties go to the cheaper)
            inner = np.quantile(slopes, np.linspace(0.0, 1.0, points)[1:-1])
            return np.concatenate([[0.0], inner, [np.inf]])
    prices = np.unique(np.asarray(prices, dtype=np.float64).ravel())
    gaps = np.diff(prices)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return np.concatenate([[0.0], np.full(points - 2, 1.0), [np.inf]])
    low = 1e-4 / (prices.max() - prices.min())
    high = 2.0 / gaps.min()
    return np.concatenate([[0.0], np.geomspace(low, high, points - 2), [np.inf]])
