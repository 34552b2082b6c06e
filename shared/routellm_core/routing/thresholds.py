"""The threshold a routed call uses: fixed, calibrated, read off the reference quantiles, or live."""

from __future__ import annotations

import math

from ..adaptive import AdaptiveThreshold
from ..calibration import share_threshold
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
