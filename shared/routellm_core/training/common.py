"""Small helpers the trainers share: seeding, progress bars and timing."""

from __future__ import annotations

import random
import time
from contextlib import contextmanager

import numpy as np


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def progress(iterable=None, total=None, desc: str = "", enabled: bool = True):
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)


@contextmanager
def timed(record: dict, key: str = "training_seconds"):
    start = time.perf_counter()
    yield
    record[key] = round(time.perf_counter() - start, 1)
