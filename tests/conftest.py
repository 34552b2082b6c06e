from __future__ import annotations

import os

import pytest

# Tests never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_st_dir(tmp_path_factory):
    """A tiny sentence-transformers model directory, built in-process once per session."""
    from tests.helpers import build_tiny_sentence_transformer

    return build_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny_st"))


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module's tests: tiny models train faster so than on contended cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def events():
    """Every LlamaIndex instrumentation event dispatched during the test, in order."""
    from llama_index.core.instrumentation import get_dispatcher

    from routellm_llamaindex.testing import EventCollector

    handler = EventCollector()
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler.events
    root.event_handlers.remove(handler)


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray for the whole test run: started once (2 CPUs, this machine only), shut down at the end."""
    from routellm_core.distributed import connect

    ray = connect(num_cpus=2)
    yield ray
    ray.shutdown()
