import numpy as np
import pytest

from routellm_core import CheckpointError, load_router
from routellm_core.routers import BertClassifierRouter
from routellm_core.training.classifier import ClassifierConfig, fine_tune

from tests.helpers import build_tiny_bert

from .synthetic_battles import VOCABULARY, make_prompts


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"), VOCABULARY)


@pytest.fixture(scope="module")
def trained(one_thread, tiny_bert_dir):
    router = BertClassifierRouter(base_model=str(tiny_bert_dir), max_length=32, batch_size=16)
    router.build_model(pretrained=True)
    prompts, hard = make_prompts(96)
    fine_tune(router, prompts, hard.astype(float), config=ClassifierConfig(epochs=10, batch_size=32, lr=1e-2, warmup_share=0.0),
              show_progress=False)
    return router


def test_bert_router_learns_the_label(trained):
    prompts, hard = make_prompts(40, seed=7)
    scores = trained.win_probabilities(prompts)
    assert scores[hard].mean() > scores[~hard].mean() + 0.1
    assert trained.card["training_prompts"] == 96 and trained.card["final_loss"] < 0.69


def test_bert_router_round_trips_without_its_base_weights(trained, tmp_path):
    trained.save(tmp_path / "bert")
    loaded = load_router(tmp_path / "bert")
    prompts, _ = make_prompts(6, seed=8)
    np.testing.assert_allclose(loaded.win_probabilities(prompts), trained.win_probabilities(prompts), rtol=1e-5)


def test_untrained_bert_router_says_so(tiny_bert_dir):
    with pytest.raises(ValueError, match="no weights"):
        BertClassifierRouter(base_model=str(tiny_bert_dir)).win_probability("hello")


def test_bert_checkpoint_missing_a_tensor_is_refused(trained, tmp_path):
    from safetensors.numpy import load_file, save_file

    trained.save(tmp_path / "bert")
    weights = tmp_path / "bert" / "model.safetensors"
    tensors = load_file(str(weights))
    tensors.pop("classifier.weight")
    save_file(tensors, str(weights))
    with pytest.raises(CheckpointError, match="classifier.weight"):
        load_router(tmp_path / "bert")


def test_fine_tune_refuses_bad_targets(trained):
    with pytest.raises(ValueError, match="probabilities"):
        fine_tune(trained, ["a", "b"], np.array([0.5, 2.0]), show_progress=False)
    with pytest.raises(ValueError, match="one target per prompt"):
        fine_tune(trained, ["a"], np.array([0.5, 0.5]), show_progress=False)
