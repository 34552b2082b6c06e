"""The LangChain examples run offline with the bundled router and say which model answered and why."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", [name, *args])
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as `python examples/<name>` does, for examples/_common.py
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("langchain_chain.py", ["threshold", "< threshold", ">= threshold", "streamed: fake-gpt-4o heard:"]),
        ("langchain_agent.py", ["get_weather({'city': 'Lisbon'})", "sticky, the model that started this turn", "multiply -> 100.0"]),
        ("langchain_structured_output.py", ["via a tool call to Contact", "via JSON content", "Contact(name='Grace Hopper', age=85)"]),
        ("langchain_n_models.py", ["fake-mini (fake-mini): score", "fake-medium (fake-medium): 0.", "fake-large (fake-large): 0.",
                                   "(tier 3 of 3)", "streamed: fake-large heard:", "forced:   fake-large heard:",
                                   "ledger: 8 calls", "fake-mini    3 calls", "fake-medium  2 calls", "fake-large   3 calls"]),
    ],
)
def test_example_runs_and_shows_both_models_and_why(name, expected, monkeypatch, capsys):
    out = run_example(name, monkeypatch, capsys)
    if name != "langchain_n_models.py":  # three models, named by their own names
        assert "weak (" in out and "strong (" in out
    for text in expected:
        assert text in out


@pytest.mark.parametrize(("name", "prompts", "fraction"), [("langchain_chain.py", 5, 0.4), ("langchain_agent.py", 2, 0.5),
                                                         ("langchain_structured_output.py", 2, 0.5)])
def test_example_sends_the_calibrated_share_of_its_prompts_strong(name, prompts, fraction, monkeypatch, capsys):
    # each prompt is routed once, one at a time, against a threshold calibrated on the same prompts in a
    # batch: the share must be the promised one on any CPU (sticky tool-loop steps are not routing)
    out = run_example(name, monkeypatch, capsys)
    routed = re.findall(r"(strong|weak) \([^)]*\): win probability [0-9.]+ (>=|<) threshold", out)
    assert len(routed) == prompts
    assert sum(model == "strong" for model, _ in routed) == round(fraction * prompts)
    assert all((model == "strong") == (sign == ">=") for model, sign in routed)


def test_budget_example_holds_the_share_and_reports_the_ledgers(monkeypatch, capsys):
    out = run_example("langchain_budget.py", monkeypatch, capsys, "--calls", "400")
    windows = [float(line.split("strong share ")[1].split("%")[0]) for line in out.splitlines() if line.startswith("  calls")]
    assert len(windows) == 8 and all(15 <= share <= 45 for share in windows[:4] + windows[5:])  # 30 % target; the window where prompts get longer catches up
    for title in ("adaptive ledger: 400 calls", "budget ledger: 400 calls", "callback handler: 20 calls"):
        assert title in out
    assert "overall: spent" in out
