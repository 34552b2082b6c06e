"""Real training runs on ../shared/data (slow: run with `-m slow`)."""

import pytest

from tests.helpers import SHARED_DATA, requires_shared_data

pytestmark = [pytest.mark.slow, requires_shared_data]


@pytest.fixture(scope="module")
def permissive():
    from routellm_core.training.datasets import load_training_data

    return load_training_data(["arena_bench", "llmrouter", "mmlu_pro"], SHARED_DATA, progress=False,
                              log=lambda *_: None)


def test_decontamination_drops_the_known_overlaps(permissive):
    report = permissive.decontamination
    assert report["arena_bench"]["prompts_before"] - report["arena_bench"]["prompts_after"] >= 1
    assert report["llmrouter"]["prompts_before"] - report["llmrouter"]["prompts_after"] >= 300
    assert not any(p.startswith("Janet’s ducks lay 16 eggs") for p in permissive.outcomes["llmrouter"].prompts)
    permissive.require_permissive()


def test_difficulty_router_beats_random_on_every_yardstick(permissive):
    from routellm_core.training.cross_validation import cross_validation_summary
    from routellm_core.training.evaluate import evaluate_router
    from routellm_core.training.pipelines import fit_and_score, train_router

    options = {"target": "field_difficulty", "length_prior": 0.5}
    router = train_router("difficulty", permissive, show_progress=False, **options)
    results = evaluate_router(router, SHARED_DATA / "routellm_evals")
    assert results["mmlu"].apgr > 0.5 and results["gsm8k"].apgr > 0.5
    assert cross_validation_summary(fit_and_score("difficulty", **options), permissive)["apgr"] > 0.5


def test_smollm2_causal_router_scores_real_prompts():
    from routellm_core.routers import CausalLLMRouter

    router = CausalLLMRouter(trained_layers=1, max_length=64)
    scores = router.win_probabilities(["hi", "Prove that there are infinitely many primes."])
    assert ((scores > 0) & (scores < 1)).all()
    assert len(router.state_tensors()) > 3
