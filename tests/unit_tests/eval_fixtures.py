"""Small evaluation folders in the paper's `routellm/evals/` layout, written by the tests themselves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

STRONG = "gpt-4-1106-preview"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_correctness_csv(path: Path, rows: list[tuple[str, bool, bool]]) -> Path:
    """Rows of (prompt, strong correct, weak correct), with the paper's column order (weak first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt", WEAK, STRONG])
        for prompt, strong_ok, weak_ok in rows:
            writer.writerow([prompt, weak_ok, strong_ok])
    return path


def gsm8k_rows(n: int = 20) -> list[tuple[str, bool, bool]]:
    """Longer prompts are the ones only the strong model solves, so the length router does well."""
    rows = []
    for i in range(n):
        prompt = f"Problem {i}: " + "word " * (i + 1)
        rows.append((prompt, i % 4 != 0, i < n // 2 or i % 3 == 0))
    return rows


def judgment(question_id: int, model: str, turn: int, score: float) -> dict:
    """One FastChat single-answer judgment row."""
    return {
        "question_id": question_id, "model": model, "judge": ["gpt-4", "single-v1" if turn == 1 else "single-v1-multi-turn"],
        "user_prompt": "[Instruction] ...", "judgment": f"Rating: [[{score}]]", "score": score, "turn": turn,
        "tstamp": 1714636116.0 + question_id,
    }


MT_QUESTIONS = [
    {"question_id": 81, "category": "writing", "turns": ["Write a travel blog post about Hawaii.", "Rewrite it with every sentence starting with A."]},
    {"question_id": 82, "category": "math", "turns": ["Prove that the square root of two is irrational, step by step.", "Now for three."]},
    {"question_id": 83, "category": "coding", "turns": ["Hi", "Write a haiku."]},
    {"question_id": 84, "category": "roleplay", "turns": ["Pretend to be a pirate.", "This second turn is contaminated."]},
]
#: (strong turn 1, strong turn 2, weak turn 1, weak turn 2) per question.
MT_SCORES = {81: (9, 8, 7, 6), 82: (10, 9, 4, 5), 83: (8, 8, 8, 9), 84: (9, 9, 1, 1)}


def write_paper_layout(root: Path, mmlu_subjects: list[str] | None = None) -> Path:
    """A tiny copy of the paper's layout: MMLU (given subjects), GSM8K and MT-Bench with judgments."""
    from routellm_core.evaluation.download import MMLU_SUBJECTS

    for k, subject in enumerate(mmlu_subjects if mmlu_subjects is not None else MMLU_SUBJECTS):
        write_correctness_csv(root / "mmlu" / "responses" / f"mmlu_{subject}.csv",
                              [(f"{subject} question {j}" + "?" * (j * k % 7), j % 2 == 0, j % 3 == 0) for j in range(3)])
    first = mmlu_subjects[0] if mmlu_subjects else MMLU_SUBJECTS[0]
    write_jsonl(root / "mmlu" / "contaminated_prompts.jsonl", [{"train_prompt": "x", "eval_prompt": f"{first} question 0"}])
    write_correctness_csv(root / "gsm8k" / "gsm8k_responses.csv", gsm8k_rows())
    write_jsonl(root / "gsm8k" / "contaminated_prompts.jsonl", [{"train_prompt": "y", "eval_prompt": gsm8k_rows()[3][0]}])
    write_jsonl(root / "mt_bench" / "question.jsonl", MT_QUESTIONS)
    judgments = []
    for qid, (s1, s2, w1, w2) in MT_SCORES.items():
        judgments += [judgment(qid, STRONG, 1, s1), judgment(qid, STRONG, 2, s2),
                      judgment(qid, "mixtral-8x7b-instruct-v0.1", 1, w1), judgment(qid, "mixtral-8x7b-instruct-v0.1", 2, w2)]
    judgments.append(judgment(81, "claude-v1", 1, 3))  # another model: ignored
    judgments.append(judgment(83, STRONG, 2, -1))  # the judge gave no score: ignored
    write_jsonl(root / "mt_bench" / "judgements.jsonl", judgments)
    write_jsonl(root / "mt_bench" / "contaminated_prompts.jsonl",
                [{"train_prompt": "z", "eval_prompt": "This second turn is contaminated."}])
    return root
