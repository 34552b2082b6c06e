"""Loading models without transformers' per-load progress bar.

transformers draws a `Loading weights: 100%|...| 103/103` bar (4.x: `Loading checkpoint shards`) each
time a model loads, even from a local folder in a fraction of a second; in a CLI call or a script it
is noise. `quiet_model_loading()` turns off only transformers' own bars while the block runs and then
puts them back as they were: warnings and errors are still logged, and the Hugging Face Hub's download
bars (a first download can take minutes) still show.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # blocks running now, in any thread: the bars come back when the last one ends
_restore = False  # whether the bars were on when the first of them began


def _transformers_logging():
    try:
        from transformers.utils import logging
    except ImportError:  # nothing to silence without transformers
        return None
    return logging


def _set_transformers_bars(logging, enabled: bool) -> None:
    if hasattr(logging, "_tqdm_active"):
        # transformers' own switch: its bars only, not the Hub's (which the public functions also flip)
        logging._tqdm_active = enabled
    elif enabled:
        logging.enable_progress_bar()
    else:
        logging.disable_progress_bar()


@contextmanager
def quiet_model_loading() -> Iterator[None]:
    """Hide transformers' progress bars (the "Loading weights" bar) while the block loads a model."""
    global _depth, _restore
    logging = _transformers_logging()
    if logging is None:
        yield
        return
    with _lock:
        if _depth == 0:
            _restore = logging.is_progress_bar_enabled()
            _set_transformers_bars(logging, False)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                _set_transformers_bars(logging, True)
