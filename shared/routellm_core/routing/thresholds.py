"""The threshold a routed call uses (fixed, calibrated, read off the reference quantiles, or live),
and for N models the tiers of a scalar router or the quality-against-price choice of a quality router."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..adaptive import AdaptiveThreshold
from ..calibration import share_threshold
from ..decision import RoutingDecision
from ..errors import RouteLLMError
from ..ledger import Price
from ..model_names import model_key
from ..router import Router
from .settings import RoutingSettings


class ThresholdPolicy:
    """Built once the router has loaded. A fixed threshold is the given one, or the one for a share of
    strong calls (on the calibration texts, else on the router's reference quantiles). A live one
    (adaptive or budget mode) starts there — or at 0.5 where neither is known, as for a budget before
    both models have answered — and learns from every live call."""

    def __init__(self, settings: RoutingSettings, router: Router):
        self.settings = settings
        texts = [text for text in settings.calibration_texts or () if text]
        scores = router.win_probabilities(texts) if texts else None
        self.tracker: AdaptiveThreshold | None = None
        self.fixed: float = math.nan
        if settings.live:
            budget = settings.budget
            fraction = budget.strong_fraction() if budget is not None else settings.strong_fraction
            fraction = 0.5 if fraction is None else fraction
            known = scores is not None or (router.reference is not None and budget is None)
            start = share_threshold(router, fraction, scores) if known else None
            self.tracker = AdaptiveThreshold(fraction, initial_threshold=start)
            for score in [] if scores is None else scores:
                self.tracker.observe(score)
        elif settings.threshold is not None:
            self.fixed = settings.threshold
        else:
            self.fixed = share_threshold(router, settings.strong_fraction, scores)

    @property
    def current(self) -> float:
        """The threshold that applies now (a preview: reading it moves nothing)."""
        return self.tracker.threshold if self.tracker is not None else self.fixed

    def for_call(self, score: float) -> float:
        """The threshold a live call with this score uses; a live threshold then learns from it."""
        if self.tracker is None:
            return self.fixed
        if self.settings.budget is not None:
            self.tracker.set_strong_fraction(self.settings.budget.strong_fraction())
        return self.tracker.observe(score)


class TierPolicy:
    """N models, a scalar router: its score orders prompts by difficulty and N - 1 thresholds split
    them into tiers, the cheapest model for the lowest scores. Each threshold sends the share of
    calls that `shares` gives the dearer models above it — on the calibration texts, else on the
    router's reference quantiles (equal shares by default)."""

    def __init__(self, settings: RoutingSettings, router: Router, models: list[str]):
        shares = settings.shares or tuple(1.0 / len(models) for _ in models)
        if len(shares) != len(models):
            raise RouteLLMError(f"shares gives {len(shares)} values for {len(models)} models")
        texts = [text for text in settings.calibration_texts or () if text]
        scores = router.win_probabilities(texts) if texts else None
        above = [sum(shares[k:]) for k in range(1, len(models))]  # the share each boundary sends higher
        self.models = models
        self.thresholds = [share_threshold(router, min(1.0, share), scores) for share in above]

    def choose(self, router: Router, text: str, per_call: float | None) -> RoutingDecision:
        score = router.win_probability(text)
        if not math.isfinite(score):
            raise RouteLLMError(f"router {router.name!r} returned a win probability of {score!r}")
        tier = sum(score >= t for t in self.thresholds)
        threshold = self.thresholds[tier - 1] if tier else self.thresholds[0]
        return RoutingDecision(model=self.models[tier], win_probability=score, threshold=threshold,
                               router=router.name, reason="routed")


class QualityPolicy:
    """N models, a router that predicts each model's quality (`model_qualities`): each call goes to
    argmax quality - price_weight * price, price per million tokens (input and output averaged)."""

    def __init__(self, settings: RoutingSettings, router: Any, models: list[str], prices: list[Price]):
        known = {model_key(name): i for i, name in enumerate(router.models)}
        missing = [name for name in models if model_key(name) not in known]
        if missing:
            raise RouteLLMError(
                f"router {router.name!r} predicts the quality of {', '.join(router.models)}; it knows nothing of "
                f"{', '.join(missing)}: name the inner models as the router does"
            )
        self.columns = [known[model_key(name)] for name in models]
        self.models = models
        self.prices = np.array([(p.input_per_million + p.output_per_million) / 2 for p in prices])
        self.price_weight = settings.price_weight

    def choose(self, router: Any, text: str, per_call: float | None) -> RoutingDecision:
        qualities = router.model_qualities([text])[0][self.columns]
        if not np.isfinite(qualities).all():
            raise RouteLLMError(f"router {router.name!r} returned a quality that is not a number")
        best = int(np.argmax(qualities - self.price_weight * self.prices))
        return RoutingDecision(model=self.models[best], win_probability=float(qualities[best]),
                               threshold=math.nan, router=router.name, reason="routed")
