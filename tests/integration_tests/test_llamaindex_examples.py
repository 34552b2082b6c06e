"""The LlamaIndex examples run offline to the end and show which model answered each step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_query_engine_example():
    out = run_example("llamaindex_query_engine.py")
    assert out.count("question: ") == 3
    assert out.count("routed to strong (gpt-4o (mock))") == 1
    assert out.count("routed to weak (gpt-4o-mini (mock))") == 2
    # each answer comes from the model the decision named, and from the right document
    assert "[gpt-4o (mock)] Sourdough bread" in out
    assert "[gpt-4o-mini (mock)] Green tea is steeped" in out


def test_agent_example():
    out = run_example("llamaindex_agent.py")
    assert "get_temperature({'city': 'Lisbon'}) -> 21.0" in out
    assert "celsius_to_fahrenheit({'celsius': 4.5}) -> 40.1" in out
    assert "answer [llama-8b (mock)] It is 21.0 °C in Lisbon." in out
    assert "answer [claude-sonnet (mock)] It is 40.1 °F in Oslo." in out
    assert out.count("sticky, the model that started this turn") == 3


def test_n_models_example():
    out = run_example("llamaindex_n_models.py")
    assert out.count("question (") == 3
    for name in ("llama-8b (mock)", "llama-70b (mock)", "llama-405b (mock)"):
        assert out.count(f"routed to {name}: score") == 1  # each model answers one question
        assert f"answer: [{name}]" in out
        assert f"  {name}: 1 call(s)" in out  # and the ledger counts it
    assert "[llama-8b (mock)] Green tea is steeped" in out
    assert "[llama-405b (mock)] Sourdough bread" in out
