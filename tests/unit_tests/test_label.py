"""`routellm label`: fake models and judges, resume after an interruption, garbage verdicts, costs."""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from routellm_core.cli import app
from routellm_core.data.public_formats import load_battle_file
from routellm_core.labeling import LabelingError, combine, label, parse_verdict, read_prompt_table
from routellm_core.labeling.verdicts import golden, swap

PROMPTS = [f"question number {i} " + "detail " * (i % 5) for i in range(12)]


# ---- module:attribute objects the CLI tests name ----------------------------------------------

def strong(prompt: str) -> str:
    return "a long and careful answer to " + prompt


def weak(prompt: str) -> str:
    return "short"


def middle(prompt: str) -> dict:
    return {"text": "a medium answer", "usage": {"input_tokens": 3, "output_tokens": 3}, "cost": 0.5}


def longer_wins(prompt: str, answer_a: str, answer_b: str) -> str:
    """A fake judge: the longer answer is much better; equal lengths tie."""
    if len(answer_a) == len(answer_b):
        return "Both fine. [[A=B]]"
    return "Reasoning... [[A>>B]]" if len(answer_a) > len(answer_b) else "Reasoning... [[B>>A]]"


def garbage_judge(prompt: str, answer_a: str, answer_b: str) -> str:
    return "I would rather not say."


def contains_careful(prompt: str, answer: str) -> bool:
    return "careful" in answer


# ---- verdicts -------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, verdict", [
    ("blah [[A>>B]]", "A>>B"), ("[[A>B]] then [[B>A]]", "B>A"), ("final: A = B", "A=B"),
    ("[[B<<A]]", "A>>B"), ("[[A<B]]", "B>A"), ("no idea", None), (None, None), (42, None),
])
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) == verdict


def test_combine_counts_strong_verdicts_three_times():
    assert combine(["A>>B", swap("B>A")]) == ("a", 1.0)  # order 2 already swapped back
    winner, share = combine(["A>>B", "B>A"])
    assert winner == "a" and share == pytest.approx(0.75)
    assert combine(["A=B", "A=B"]) == ("tie", 0.5)
    assert combine([None, "B>A"]) == ("b", 0.0)
    assert combine([None, None]) is None
    assert golden(True, False) == ("a", 1.0) and golden(False, False) == ("tie", 0.5)


# ---- the loop -------------------------------------------------------------------------------

class Counting:
    def __init__(self, fn):
        self.fn, self.calls, self.lock = fn, 0, threading.Lock()

    def __call__(self, *args):
        with self.lock:
            self.calls += 1
        return self.fn(*args)


def test_label_writes_valid_battles_for_every_pair(tmp_path):
    out = tmp_path / "battles.jsonl"
    judge = Counting(longer_wins)
    summary = label(PROMPTS, {"big": strong, "small": weak, "mid": middle}, out, judge=judge, progress=False,
                    concurrency=3, prices={"big": 0.01, "small": 0.001})
    assert summary.written == len(PROMPTS) * 3 and summary.garbage_verdicts == 0
    assert judge.calls == 2 * len(PROMPTS) * 3  # both orders
    battles = load_battle_file(out)
    assert len(battles) == len(PROMPTS) * 3
    for column in ("judge", "verdict", "answer_a", "answer_b", "usage", "cost", "latency_s", "score_a"):
        assert column in battles.columns
    big_small = battles[(battles.model_a == "big") & (battles.model_b == "small")]
    assert (big_small.winner == "a").all() and (big_small.score_a == 1.0).all()
    assert summary.cost == pytest.approx(len(PROMPTS) * (0.01 + 0.001 + 0.5))


def test_interrupted_run_resumes_without_repeating_work(tmp_path):
    out = tmp_path / "battles.jsonl"
    calls = {"n": 0}

    def flaky_weak(prompt):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return weak(prompt)

    big = Counting(strong)
    with pytest.raises(KeyboardInterrupt):
        label(PROMPTS, {"big": big, "small": flaky_weak}, out, judge=longer_wins, progress=False, concurrency=1)
    first = [json.loads(line) for line in out.read_text().splitlines()]
    assert 0 < len(first) < len(PROMPTS)
    big_calls = big.calls
    summary = label(PROMPTS, {"big": big, "small": weak}, out, judge=longer_wins, progress=False, concurrency=2)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(PROMPTS) and len({r["prompt_id"] for r in rows}) == len(PROMPTS)
    assert summary.skipped_done == len(first)
    assert big.calls - big_calls == len(PROMPTS) - big_calls  # answers received before the stop are reused
    again = label(PROMPTS, {"big": big, "small": weak}, out, judge=longer_wins, progress=False)
    assert again.written == 0 and again.skipped_done == len(PROMPTS)


def test_a_line_cut_short_by_a_crash_is_redone(tmp_path):
    out = tmp_path / "battles.jsonl"
    label(PROMPTS[:3], {"big": strong, "small": weak}, out, judge=longer_wins, progress=False)
    text = out.read_text()
    out.write_text(text[: len(text) - 20])  # the last line half-written
    summary = label(PROMPTS[:3], {"big": strong, "small": weak}, out, judge=longer_wins, progress=False)
    assert summary.written == 1
    assert len(load_battle_file(out)) == 3


def test_garbage_verdicts_are_counted_never_raised(tmp_path):
    out = tmp_path / "battles.jsonl"
    summary = label(PROMPTS[:4], {"big": strong, "small": weak}, out, judge=garbage_judge, progress=False)
    assert summary.garbage_verdicts == 8 and summary.unlabelled_pairs == 4 and summary.written == 0

    def half_garbage(prompt, a, b):  # only the first order parses
        return longer_wins(prompt, a, b) if a.startswith("a long") else "??"

    summary = label(PROMPTS[:4], {"big": strong, "small": weak}, out, judge=half_garbage, progress=False)
    assert summary.garbage_verdicts == 4 and summary.written == 4


def test_transient_errors_are_retried_and_failures_counted(tmp_path):
    failures = {"n": 0}

    def unreliable(prompt):
        failures["n"] += 1
        if failures["n"] % 3:
            raise ConnectionError("try again")
        return weak(prompt)

    summary = label(PROMPTS[:3], {"big": strong, "small": unreliable}, tmp_path / "b.jsonl", judge=longer_wins,
                    progress=False, concurrency=1, retries=3, backoff=0)
    assert summary.written == 3 and summary.retries == 6

    def broken(prompt):
        raise ConnectionError("down")

    summary = label(PROMPTS[:3], {"big": strong, "small": broken}, tmp_path / "c.jsonl", judge=longer_wins,
                    progress=False, retries=1, backoff=0)
    assert summary.written == 0 and summary.failed_calls == 3 and summary.unlabelled_pairs == 3
    assert "ConnectionError" in summary.errors[0]


def test_dry_run_counts_and_estimates_without_calling(tmp_path):
    out = tmp_path / "battles.jsonl"

    def never(prompt):
        raise AssertionError("a dry run calls nothing")

    summary = label(PROMPTS, {"big": never, "small": never}, out, judge=never, dry_run=True,
                    prices={"big": 0.01, "small": 0.001}, judge_price=0.02)
    assert summary.model_calls == 2 * len(PROMPTS) and summary.judge_calls == 2 * len(PROMPTS)
    assert summary.estimated_cost == pytest.approx(len(PROMPTS) * (0.011 + 0.04))
    assert not out.exists()
    assert label(PROMPTS, {"big": never, "small": never}, out, judge=never, dry_run=True).estimated_cost is None


def test_max_cost_stops_cleanly(tmp_path):
    summary = label(PROMPTS, {"big": strong, "small": weak}, tmp_path / "b.jsonl", judge=longer_wins,
                    prices={"big": 1.0, "small": 1.0}, max_cost=4.0, concurrency=1, progress=False)
    assert summary.stopped and "max cost" in summary.stopped
    assert 0 < summary.written < len(PROMPTS)


def test_golden_labels_from_a_checker_or_references(tmp_path):
    summary = label(PROMPTS[:3], {"big": strong, "small": weak}, tmp_path / "g.jsonl", checker=contains_careful,
                    progress=False)
    battles = load_battle_file(tmp_path / "g.jsonl")
    assert summary.written == 3 and (battles.winner == "a").all() and battles.judge.str.startswith("golden").all()
    refs = {p: "short" for p in PROMPTS[:3]}
    label(PROMPTS[:3], {"big": strong, "small": weak}, tmp_path / "r.jsonl", references=refs, progress=False)
    assert (load_battle_file(tmp_path / "r.jsonl").winner == "b").all()


def test_needs_two_models_and_a_labeller(tmp_path):
    with pytest.raises(LabelingError, match="two or more"):
        label(PROMPTS, {"big": strong}, tmp_path / "x.jsonl", judge=longer_wins)
    with pytest.raises(LabelingError, match="judge"):
        label(PROMPTS, {"big": strong, "small": weak}, tmp_path / "x.jsonl")


def test_prompt_files(tmp_path):
    import pandas as pd

    (tmp_path / "p.txt").write_text("one\ntwo\n\none\n")
    assert read_prompt_table(tmp_path / "p.txt") == ["one", "two"]
    pd.DataFrame({"prompt": ["a", "b"]}).to_parquet(tmp_path / "p.parquet")
    assert read_prompt_table(tmp_path / "p.parquet") == ["a", "b"]
    (tmp_path / "p.jsonl").write_text('{"prompt": "x"}\n')
    assert read_prompt_table(tmp_path / "p.jsonl") == ["x"]


def test_framework_models_as_candidates_and_judge(tmp_path):
    fake_chat = pytest.importorskip("langchain_core.language_models.fake_chat_models")
    chat = fake_chat.FakeListChatModel(responses=["an answer from a chat model, quite long"])
    judge = fake_chat.FakeListChatModel(responses=["The first is better. [[A>B]]"])
    summary = label(PROMPTS[:2], {"chat": chat, "small": weak}, tmp_path / "f.jsonl", judge=judge, progress=False)
    assert summary.written == 2  # A>B then (swapped) B>A... both say the first is better: a tie
    assert (load_battle_file(tmp_path / "f.jsonl").winner == "tie").all()
    llms = pytest.importorskip("llama_index.core.llms")
    summary = label(PROMPTS[:2], {"llm": llms.MockLLM(max_tokens=5), "small": weak}, tmp_path / "l.jsonl",
                    judge=longer_wins, progress=False)
    assert summary.written == 2


def test_cli_label_with_module_attribute_objects(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS[:5]) + "\n")
    out = tmp_path / "battles.jsonl"
    mod = "tests.unit_tests.test_label"
    args = ["label", str(prompts), "--model", f"big={mod}:strong", "--model", f"small={mod}:weak",
            "--judge", f"{mod}:longer_wins", "--out", str(out), "--no-progress", "--price", "big=0.01",
            "--price", "small=0.001", "--price", "judge=0.002"]
    dry = CliRunner().invoke(app, args + ["--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["estimated_cost"] == pytest.approx(5 * (0.011 + 0.004))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 5 and len(load_battle_file(out)) == 5
    bad = CliRunner().invoke(app, ["label", str(prompts), "--model", "big", "--judge", "x:y", "--out", str(out)])
    assert bad.exit_code != 0
