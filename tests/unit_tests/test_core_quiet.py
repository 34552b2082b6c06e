"""Models load without transformers' "Loading weights" bar, and nothing else is hidden."""

from __future__ import annotations

import logging
import threading

import pytest

from routellm_core.embedding import Embedder
from routellm_core.quiet import quiet_model_loading


def _transformers_major() -> int:
    import transformers

    return int(transformers.__version__.split(".")[0])


def test_loading_without_the_helper_draws_the_bar(tiny_st_dir, capsys):
    """The control: the bar the other tests look for really is drawn by a plain load."""
    if _transformers_major() < 5:
        pytest.skip("transformers 4 draws no bar for a single-file checkpoint")
    from sentence_transformers import SentenceTransformer

    SentenceTransformer(str(tiny_st_dir), device="cpu")
    assert "Loading weights" in capsys.readouterr().err


def test_the_embedder_loads_its_model_without_a_progress_bar(tiny_st_dir, capsys):
    from transformers.utils import logging as transformers_logging

    assert transformers_logging.is_progress_bar_enabled()
    Embedder(str(tiny_st_dir)).model
    err = capsys.readouterr().err
    assert "Loading weights" not in err and "it/s]" not in err, err
    assert transformers_logging.is_progress_bar_enabled()  # put back afterwards


def test_the_block_leaves_warnings_and_download_bars_alone(caplog):
    from huggingface_hub.utils import are_progress_bars_disabled
    from transformers.utils import logging as transformers_logging

    hub_bars_before = are_progress_bars_disabled()
    with caplog.at_level(logging.WARNING, logger="transformers"):
        with quiet_model_loading():
            assert not transformers_logging.is_progress_bar_enabled()
            assert are_progress_bars_disabled() == hub_bars_before
            transformers_logging.get_logger("transformers.test").warning("a real warning")
    assert "a real warning" in caplog.text
    assert transformers_logging.is_progress_bar_enabled()


def test_bars_that_were_off_stay_off_and_nested_blocks_restore_once():
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        with quiet_model_loading():
            pass
        assert not transformers_logging.is_progress_bar_enabled()
    finally:
        transformers_logging.enable_progress_bar()
    with quiet_model_loading():
        with quiet_model_loading():
            pass
        assert not transformers_logging.is_progress_bar_enabled()  # the outer block still runs
    assert transformers_logging.is_progress_bar_enabled()


def test_overlapping_blocks_in_threads_restore_the_bars_when_the_last_ends():
    from transformers.utils import logging as transformers_logging

    inside, release = threading.Event(), threading.Event()

    def load():
        with quiet_model_loading():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=load)
    thread.start()
    inside.wait(5)
    with quiet_model_loading():
        pass
    assert not transformers_logging.is_progress_bar_enabled()  # the other thread is still loading
    release.set()
    thread.join(5)
    assert transformers_logging.is_progress_bar_enabled()
