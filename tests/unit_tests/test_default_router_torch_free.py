"""Routing with the `default` router needs numpy and a tokenizer only: no torch, no transformers model."""

import json
import subprocess
import sys

import numpy as np

from routellm_core import load_router

PROMPTS = ["hi", "Prove that the square root of 2 is irrational.", "Write a Python function that parses JSON.",
           "Question: Which gas do plants absorb?\nA. Oxygen\nB. Carbon dioxide\nC. Helium\nD. Neon\nAnswer:"]


def test_routing_with_default_imports_no_torch():
    code = (
        "import json, sys; from routellm_core import load_router; router = load_router('default'); "
        "decision = router.route('Prove that the square root of 2 is irrational.', 0.5); "
        "router.win_probabilities(['hi', 'Write a parser for JSON']); "
        "print(json.dumps({'kind': router.kind, 'embedding': getattr(router, 'embedding_model', None), "
        "'model': decision.model, 'loaded': [m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules]}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == [], f"routing with default imported {result['loaded']}"
    assert result["kind"] == "gated_experts" and result["embedding"].startswith("model2vec:")
    assert result["model"] in ("strong", "weak")


def test_default_scores_a_prompt_the_same_alone_or_in_a_list():
    router = load_router("default")
    together = router.win_probabilities(PROMPTS + PROMPTS[::-1])
    alone = np.array([router.win_probability(p) for p in PROMPTS + PROMPTS[::-1]])
    assert np.array_equal(together, alone)
    assert np.all((together > 0) & (together < 1)) and len(set(together[:4])) == 4
