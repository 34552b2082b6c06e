"""Quality against dollars when routing among N models, on per-model outcome tables.

Every method gives *operating points*: a model per prompt, hence a mean cost per prompt (the real
per-call costs of the chosen models, or the given prices) and a mean quality (the chosen models'
correctness). The figure of merit of a method is the mean quality it reaches over the cost range from
the cheapest to the dearest single model:

    area = 1 / (c_max - c_min) * integral over [c_min, c_max] of f(c) dc

where f is the upper envelope of the method's points together with the cheapest model's point
(anyone can send everything to the cheapest model): concave, because choosing between two operating
points at random reaches every point on the segment between them in expectation, and non-decreasing,
because spending less than a budget is allowed. The same rule applied to the single models alone
gives the *best mix of single models*.

Methods:

- an N-model router (`model_qualities`): one point per λ of `lambda_grid` (geometric, set by the
  prices alone), each prompt going to
  argmax_m quality - λ * price (`n_models.choose_models`); prices are each model's mean cost per call
  over the evaluated tables unless given;
- two-model routing between the strongest model and one cheap model with a scalar router
  (`win_probabilities`, e.g. the bundled `default`): thresholds at the quantile edges of its scores;
- a scalar router on N models (tiers): prompts ranked by its score; walking up the single-model
  envelope, the hardest share of prompts goes to the next dearer model on it, the rest stay below;
- the oracle: the true outcomes swept like a router's predictions (with each call's true cost; λ at
  quantiles of its switch points); its dearest point sends each prompt to the cheapest model with the
  best outcome (the cheapest correct one).

`decisions` holds the model chosen for every prompt at every point of the routed methods
(``curve, point, row, model``, ``row`` counting from 0 over the concatenated tables), so every figure
can be recomputed from the tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.models import find_model
from ..data.per_model_outcomes import PerModelOutcomes
from ..n_models import NModelRouter, choose_models, is_n_model_router, lambda_grid
from .metrics import finite_or_none

DEFAULT_POINTS = 41
#: Quantile bins of a scalar router's scores in the two-model and tier curves.
DEFAULT_BINS = 10


# ---- envelopes and areas ----------------------------------------------------------------------


def upper_envelope(costs: Sequence[float], qualities: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the concave, non-decreasing upper envelope of (cost, quality) points, by cost."""
    points = sorted(zip(map(float, costs), map(float, qualities)), key=lambda p: (p[0], -p[1]))
    if not points:
        raise ValueError("no points")
    hull: list[tuple[float, float]] = []
    for x, y in points:
        if hull and x == hull[-1][0]:
            continue  # same cost, lower quality (sorted): dominated
        if hull and y <= hull[-1][1]:
            continue  # dearer and no better: dominated (the envelope never falls)
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) >= 0:  # hull[-1] lies on or below the chord
                hull.pop()
            else:
                break
        hull.append((x, y))
    xs, ys = zip(*hull)
    return np.array(xs), np.array(ys)


def envelope_value(xs: np.ndarray, ys: np.ndarray, cost: float) -> float:
    """f(cost) on an envelope (flat beyond its dearest vertex; undefined, NaN, below its cheapest)."""
    if cost < xs[0]:
        return float("nan")
    return float(np.interp(cost, xs, ys))


def envelope_area(costs: Sequence[float], qualities: Sequence[float], low: float, high: float) -> float:
    """Mean of the upper envelope of the points over [low, high] (exact: trapezoids between vertices)."""
    if not high > low:
        raise ValueError(f"the cost range must have high > low, got [{low}, {high}]")
    xs, ys = upper_envelope(costs, qualities)
    if xs[0] > low:
        raise ValueError(f"the points start at cost {xs[0]}, above the range's low end {low}")
    cuts = np.concatenate([[low], xs[(xs > low) & (xs < high)], [high]])
    values = np.interp(cuts, xs, ys)  # np.interp is flat beyond the last vertex
    return float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(cuts)) / (high - low))


# ---- results ----------------------------------------------------------------------------------


@dataclass
class Curve:
    """One method: its operating points, the envelope's area and the envelope's vertices."""

    name: str
    kind: str  # "n_model_router", "scalar_tiers", "two_model", "oracle", "best_mix", "single_model"
    points: list[dict] = field(default_factory=list)
    area: float = float("nan")
    envelope: list[list[float]] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return finite_or_none({"name": self.name, "kind": self.kind, "area": self.area, **self.details,
                                "envelope": self.envelope, "points": self.points})


@dataclass
class NModelEvaluation:
    """Every curve on one set of outcome tables, and the decisions behind the routed ones."""

    outcomes: PerModelOutcomes
    prices: np.ndarray
    single_models: list[dict]
    curves: list[Curve]
    decisions: pd.DataFrame
    cost_range: tuple[float, float]

    @property
    def models(self) -> list[str]:
        return self.outcomes.models

    def curve(self, name: str) -> Curve:
        for curve in self.curves:
            if curve.name == name:
                return curve
        raise KeyError(f"no curve {name!r}; curves: {[c.name for c in self.curves]}")

    @property
    def best_mix(self) -> Curve:
        return next(c for c in self.curves if c.kind == "best_mix")

    def summary(self) -> list[dict]:
        """Per curve: area, and its margin over the best mix of single models."""
        base = self.best_mix.area
        return [{"curve": c.name, "kind": c.kind, "area": c.area, "over_best_mix": c.area - base,
                 "points": len(c.points)} for c in self.curves]

    def as_dict(self) -> dict:
        low, high = self.cost_range
        return finite_or_none({
            "n": len(self.outcomes),
            "files": [Path(f).name for f in self.outcomes.files],
            "models": self.models,
            "prices": dict(zip(self.models, self.prices.tolist())),
            "cost_range": {"low": low, "high": high,
                           "cheapest": self.single_models[int(np.argmin([s["cost"] for s in self.single_models]))]["model"],
                           "dearest": self.single_models[int(np.argmax([s["cost"] for s in self.single_models]))]["model"]},
            "area_definition": "mean over [low, high] of the concave non-decreasing upper envelope of the curve's "
                               "(cost, quality) points and the cheapest model's point",
            "single_models": self.single_models,
            "summary": self.summary(),
            "curves": [c.as_dict() for c in self.curves],
        })

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        return path

    def write_decisions(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.decisions.to_csv(path, index=False)
        return path


# ---- the evaluation ---------------------------------------------------------------------------


class _Table:
    """Outcomes as arrays, and the bookkeeping of routed points."""

    def __init__(self, outcomes: PerModelOutcomes):
        self.models = outcomes.models
        self.correct = outcomes.correct()
        self.costs = outcomes.costs
        self.rows = np.arange(len(outcomes))
        self.decisions: list[pd.DataFrame] = []

    def point(self, curve: str, index: int, choice: np.ndarray, **extra) -> dict:
        choice = np.asarray(choice, dtype=np.int64)
        counts = np.bincount(choice, minlength=len(self.models))
        self.decisions.append(pd.DataFrame({
            "curve": curve, "point": index, "row": self.rows, "model": np.asarray(self.models, dtype=object)[choice],
        }))
        return {
            "point": index, **extra,
            "cost": float(self.costs[self.rows, choice].mean()),
            "quality": float(self.correct[self.rows, choice].mean()),
            "shares": {m: float(c / len(choice)) for m, c in zip(self.models, counts) if c},
        }


def _model_columns(router, models: Sequence[str]) -> list[int]:
    index = []
    for model in models:
        found = model if model in router.models else find_model(model, router.models)
        if found is None:
            raise ValueError(f"router {getattr(router, 'name', router)!r} does not know model {model!r}; "
                             f"it knows {router.models}")
        index.append(router.models.index(found))
    return index


def _finish(curve: Curve, floor: tuple[float, float], low: float, high: float) -> Curve:
    costs = [p["cost"] for p in curve.points] + [floor[0]]
    qualities = [p["quality"] for p in curve.points] + [floor[1]]
    curve.area = envelope_area(costs, qualities, low, high)
    xs, ys = upper_envelope(costs, qualities)
    curve.envelope = [[float(x), float(y)] for x, y in zip(xs, ys)]
    return curve


def _quantile_edges(scores: np.ndarray, bins: int) -> np.ndarray:
    return np.quantile(scores, np.linspace(0.0, 1.0, bins + 1))


def _score_scalar(router, prompts: list[str], progress: bool, cache, scorer=None) -> np.ndarray:
    from .scoring import score_prompts

    return score_prompts(router, prompts, progress=progress, cache=cache, scorer=scorer)


class _MemoCache:
    """Scores kept for the run (by router configuration), in front of an optional disk `ScoreCache`."""

    def __init__(self, disk=None):
        self.disk = disk
        self.scores: dict[str, np.ndarray] = {}

    @staticmethod
    def key(router) -> str:
        return f"{router.kind}-{router.config_fingerprint()}"

    def get(self, router, prompts):
        kept = self.scores.get(self.key(router))
        if kept is not None:
            return kept
        return self.disk.get(router, prompts) if self.disk is not None else None

    def put(self, router, prompts, scores):
        self.scores[self.key(router)] = scores
        if self.disk is not None:
            self.disk.put(router, prompts, scores)


def evaluate_n_models(
    outcomes: PerModelOutcomes,
    routers: Sequence = (),
    *,
    points: int = DEFAULT_POINTS,
    two_model_router=None,
    cheap_model: str | None = None,
    bins: int = DEFAULT_BINS,
    progress: bool = False,
    cache=None,
    scorer=None,
    quality_scorer=None,
) -> NModelEvaluation:
    """Every curve for `routers` (N-model routers and scalar routers) and the baselines on `outcomes`.

    ``two_model_router``: a scalar router (or name) for the two-model baseline between the strongest
    model and ``cheap_model`` (default: the model below the strongest on the single-model envelope);
    None leaves that baseline out. Router names go through `load_router`. ``cache``: a `ScoreCache`
    for the scalar routers' scores (a router scored twice, for tiers and two models, is scored once).
    ``scorer(router, prompts)`` and ``quality_scorer(router, prompts)``: compute win probabilities and
    model qualities elsewhere (on Ray: `routellm_core.distributed`); the curves are computed here.
    """
    from ..registry import load_router

    if len(outcomes) == 0:
        raise ValueError("no prompts to evaluate")
    table = _Table(outcomes)
    models = table.models
    prompts = outcomes.prompts
    prices = outcomes.costs.mean(axis=0)  # the price list the routers choose by: mean cost per call
    single = [{"model": m, "cost": float(c), "quality": float(q)}
              for m, c, q in zip(models, outcomes.costs.mean(axis=0), table.correct.mean(axis=0))]
    single_costs = np.array([s["cost"] for s in single])
    single_quality = np.array([s["quality"] for s in single])
    low, high = float(single_costs.min()), float(single_costs.max())
    if not high > low:
        raise ValueError("every model costs the same: there is no cost range to route over")
    cheapest = int(np.argmin(single_costs))
    floor = (float(single_costs[cheapest]), float(single_quality[cheapest]))
    env_x, _ = upper_envelope(single_costs, single_quality)
    envelope_models = [int(np.flatnonzero((single_costs == x))[np.argmax(single_quality[single_costs == x])])
                       for x in env_x]

    memo = _MemoCache(cache)
    curves: list[Curve] = []
    for router in routers:
        router = load_router(router) if isinstance(router, (str, Path)) else router
        name = getattr(router, "name", type(router).__name__)
        if is_n_model_router(router):
            # bulk scoring (padded batches) where the router offers it, as the scalar routers' evaluation does
            options = {"exact": False} if isinstance(router, NModelRouter) else {}
            qualities = (quality_scorer(router, prompts) if quality_scorer is not None
                         else router.model_qualities(prompts, **options))[:, _model_columns(router, models)]
            curve = Curve(name, "n_model_router", details={"router_kind": getattr(router, "kind", None)})
            for i, lam in enumerate(lambda_grid(prices, points)):
                curve.points.append(table.point(name, i, choose_models(qualities, prices, lam), **{"lambda": float(lam)}))
        else:
            scores = _score_scalar(router, prompts, progress, memo, scorer)
            curve = Curve(f"{name} (tiers)", "scalar_tiers", details={"router_kind": getattr(router, "kind", None),
                                                                      "tiers": [models[i] for i in envelope_models]})
            edges = _quantile_edges(scores, bins)[::-1][1:]  # from the top: the hardest prompts move up first
            curve.points.append(table.point(curve.name, 0, np.full(len(prompts), envelope_models[0])))
            for lower, upper in zip(envelope_models[:-1], envelope_models[1:]):
                for edge in edges:
                    curve.points.append(table.point(curve.name, len(curve.points),
                                                    np.where(scores >= edge, upper, lower),
                                                    step=f"{models[lower]} -> {models[upper]}", threshold=float(edge)))
        curves.append(_finish(curve, floor, low, high))

    if two_model_router is not None:
        router = load_router(two_model_router) if isinstance(two_model_router, (str, Path)) else two_model_router
        strong = int(np.argmax(single_quality))
        if cheap_model is not None:
            found = cheap_model if cheap_model in models else find_model(cheap_model, models)
            if found is None:
                raise ValueError(f"cheap model {cheap_model!r} is not among the models {models}")
            weak = models.index(found)
        else:
            below = [m for m in envelope_models if single_costs[m] < single_costs[strong]]
            weak = below[-1] if below else cheapest
        scores = _score_scalar(router, prompts, progress, memo, scorer)
        name = f"{router.name} (two models)"
        curve = Curve(name, "two_model", details={"strong": models[strong], "weak": models[weak],
                                                  "router_kind": getattr(router, "kind", None)})
        edges = _quantile_edges(scores, bins)
        for i, edge in enumerate(edges[::-1]):
            to_strong = scores > edge if i == 0 else scores >= edge  # the top edge: no prompt strong
            curve.points.append(table.point(name, i, np.where(to_strong, strong, weak), threshold=float(edge)))
        curves.append(_finish(curve, floor, low, high))

    # the oracle: the true outcomes and per-call costs as an N-model router's predictions and prices;
    # its first point (λ = 0) sends each prompt to the cheapest model with the best outcome
    oracle = Curve("oracle", "oracle")
    for i, lam in enumerate(lambda_grid(table.costs, points, table.correct)):
        oracle.points.append(table.point("oracle", i, choose_models(table.correct, table.costs, lam),
                                         **{"lambda": float(lam)}))
    curves.append(_finish(oracle, floor, low, high))

    mix = Curve("best mix of single models", "best_mix",
                points=[{"point": i, "model": models[m], "cost": float(single_costs[m]),
                         "quality": float(single_quality[m])} for i, m in enumerate(envelope_models)])
    curves.append(_finish(mix, floor, low, high))
    for entry in single:
        entry["area"] = envelope_area([entry["cost"], floor[0]], [entry["quality"], floor[1]], low, high)

    decisions = (pd.concat(table.decisions, ignore_index=True) if table.decisions
                 else pd.DataFrame(columns=["curve", "point", "row", "model"]))
    return NModelEvaluation(outcomes, prices, single, curves, decisions, (low, high))
