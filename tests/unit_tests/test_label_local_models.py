"""`routellm label` with the demo's real local models, one of them as the judge (slow: `pytest -m slow`)."""

from __future__ import annotations

import json

import pytest

from tests.unit_tests.test_demo_real import MISSING

PROMPTS = ["What is 17 * 23?", "Name a prime number larger than 10.", "Say hello in French."]


@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason=f"demo model packages not installed: {', '.join(MISSING)} (scripts/demo.sh installs them)")
def test_the_local_models_label_battles_judged_by_one_of_them(tmp_path):
    from routellm_core.labeling import label
    from routellm_demo import STRONG, WEAK
    from routellm_demo.cache import load
    from routellm_demo.frameworks import LocalChatModel

    chat = {source.name: LocalChatModel(source.name, *load(source), max_new_tokens=48).as_langchain()
            for source in (WEAK, STRONG)}
    out = tmp_path / "battles.jsonl"
    summary = label(PROMPTS, chat, out, judge=chat[STRONG.name], concurrency=1, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    # a small local judge may answer off-format: such pairs are counted, never a crash
    assert summary.written == len(rows) and summary.written + summary.unlabelled_pairs == len(PROMPTS)
    assert summary.model_calls == 2 * len(PROMPTS) and summary.judge_calls >= len(PROMPTS)
    assert all(row["winner"] in ("a", "b", "tie") and row["answer_a"] and row["answer_b"] for row in rows)
