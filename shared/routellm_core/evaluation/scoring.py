"""Score a benchmark's prompts with a router: batched, with a progress bar, through the score cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..router import Router
from .cache import ScoreCache

DEFAULT_BATCH_SIZE = 256
#: The progress bar appears only once scoring has run this long (quick routers show nothing).
PROGRESS_DELAY_S = 2.0


def score_prompts(
    router: Router,
    prompts: Sequence[str],
    *,
    cache: ScoreCache | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    scorer: Callable[[Router, list[str]], np.ndarray] | None = None,
) -> np.ndarray:
    """`router.win_probabilities` over all prompts, in batches; reuses and fills `cache` when given.

    `scorer(router, prompts)`: computes the scores elsewhere instead (on Ray:
    `routellm_core.distributed.win_probabilities_on_ray`); the cache works the same.
    """
    from tqdm.auto import tqdm

    prompts = list(prompts)
    if not prompts:
        raise ValueError("no prompts to score")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if cache is not None:
        cached = cache.get(router, prompts)
        if cached is not None:
            return cached
    if scorer is not None:
        scores = np.asarray(scorer(router, prompts), dtype=np.float64)
        if scores.shape != (len(prompts),):
            raise RuntimeError(f"scorer returned shape {scores.shape} for {len(prompts)} prompts")
        if cache is not None:
            cache.put(router, prompts, scores)
        return scores
    scores = np.empty(len(prompts), dtype=np.float64)
    with tqdm(
        total=len(prompts), desc=f"scoring with {router.name}", unit="prompt",
        disable=not progress, delay=PROGRESS_DELAY_S, leave=False,
    ) as bar:
        for start in range(0, len(prompts), batch_size):
            batch = prompts[start : start + batch_size]
            # bulk scoring: padded batches (APGR does not hinge on the last bits of a score)
            scores[start : start + len(batch)] = router.win_probabilities(batch, exact=False)
            bar.update(len(batch))
    if cache is not None:
        cache.put(router, prompts, scores)
    return scores
