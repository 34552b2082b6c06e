"""Past one machine: routing, evaluation, calibration and labelling on Ray (the optional `[ray]` extra).

Nothing here schedules work itself: scoring is a Ray Data pipeline (`score_dataset`,
`score_table_on_ray`, `win_probabilities_on_ray`) whose actors each load the router once and run the
same `BatchScorer` as the local run; labelling sends each model and judge call to a Ray task
(`label(..., ray=True)`). `connect` joins a cluster (`RAY_ADDRESS`, `ray start --head`) or starts a
local Ray. See docs/ray.md.
"""

from .cluster import connect, require_ray
from .router_source import RouterSource
from .scoring import (
    model_qualities_on_ray,
    score_dataset,
    score_table_on_ray,
    table_scores_on_ray,
    win_probabilities_on_ray,
)

__all__ = ["RouterSource", "connect", "model_qualities_on_ray", "require_ray", "score_dataset", "score_table_on_ray", "table_scores_on_ray",
           "win_probabilities_on_ray"]
