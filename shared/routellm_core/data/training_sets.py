"""Loaders for the training sets in the data folder (``../shared/data``; see its README).

Each takes ``root`` — the data folder, or the set's own folder — and returns either a
`PromptOutcomes` table (judge scores or correctness per model) or a battle table:

=================  ============================  ================  ==================================
loader             folder                        licence           returns
=================  ============================  ================  ==================================
load_arena_bench   arena_bench_v1/               Apache-2.0        judge scores 1-10, 15 models
load_llmrouter     llmrouter/                    MIT               correctness 0-1, 9 models, 14 tasks
load_mmlu_pro      mmlu_pro/                     Apache-2.0        correctness 0/1, 30 models
load_alpaca_eval   alpaca_eval/                  CC-BY-NC-4.0      battles (non-commercial only)
load_arena_hard    arena_hard_v01/               Apache-2.0        prompts without labels
=================  ============================  ================  ==================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .files import read_jsonl, set_folder
from .outcomes import PromptOutcomes
from .schema import APACHE_2, CC_BY_NC_4, MIT, DataError, validate_battles

ARENA_BENCH = "arena_bench_v1"
LLMROUTER = "llmrouter"
MMLU_PRO = "mmlu_pro"
ALPACA_EVAL = "alpaca_eval"
ARENA_HARD = "arena_hard_v01"

_OPTION_LETTERS = "ABCDEFGHIJKLMNOP"


def load_arena_bench(root: str | Path | None = None) -> PromptOutcomes:
    """arena_bench_v1: 300 hard Chatbot Arena prompts, GPT-4 judge scores 1-10 for 15 models.

    ``category`` holds the question category; a model missing a judgment has NaN.
    """
    folder = set_folder(root, ARENA_BENCH, "arena_bench_v1_scores_wide.csv")
    questions = read_jsonl(folder / "question.jsonl")
    prompts = pd.DataFrame({
        "prompt_id": [str(q["question_id"]) for q in questions],
        "prompt": [str(q["turns"][0]) for q in questions],
        "category": [str(q.get("category", "")) for q in questions],
    })
    scores = pd.read_csv(folder / "arena_bench_v1_scores_wide.csv", dtype={"question_id": str})
    models = [c for c in scores.columns if c != "question_id"]
    table = prompts.merge(scores.rename(columns={"question_id": "prompt_id"}), on="prompt_id", how="inner",
                          validate="one_to_one")
    if len(table) != len(prompts):
        raise DataError(f"{folder}: {len(prompts) - len(table)} question(s) have no scores")
    table.insert(2, "source", ARENA_BENCH)
    table.insert(3, "licence", APACHE_2)
    table[models] = table[models].astype(float)
    return PromptOutcomes(table, models, "judge", (1.0, 10.0), name=ARENA_BENCH)


def load_llmrouter(root: str | Path | None = None, splits: Sequence[str] = ("train", "test")) -> PromptOutcomes:
    """llmrouter: 6,108 prompts x 9 open models (7B-70B), correctness in [0, 1] over 14 tasks.

    Most tasks score 0/1; ``commongen`` is graded. ``category`` holds the task name, ``split`` the
    original train/test split (both kept by default: our evaluation sets are separate).
    """
    folder = set_folder(root, LLMROUTER, "dcrouter_scores_compact.parquet")
    raw = pd.read_parquet(folder / "dcrouter_scores_compact.parquet")
    meta = {"split", "question", "task_name", "cluster_id"}
    models = [c for c in raw.columns if c not in meta]
    unknown = sorted(set(splits) - set(raw["split"].unique()))
    if unknown:
        raise DataError(f"llmrouter has no split(s) {unknown}; it has {sorted(raw['split'].unique())}")
    raw = raw[raw["split"].isin(list(splits))].reset_index(drop=True)
    table = pd.DataFrame({
        "prompt_id": [f"{split}-{i}" for i, split in enumerate(raw["split"])],
        "prompt": raw["question"].astype(str),
        "source": LLMROUTER,
        "licence": MIT,
        "category": raw["task_name"].astype(str),
        "split": raw["split"].astype(str),
    })
    table = pd.concat([table, raw[models].astype(float)], axis=1)
    return PromptOutcomes(table, models, "correctness", (0.0, 1.0), name=LLMROUTER)


def format_multiple_choice(question: str, options: Iterable[str]) -> str:
    """A question with lettered options and an ``Answer:`` cue: the layout of the MMLU evaluation prompts."""
    lines = [str(question).strip()]
    for letter, option in zip(_OPTION_LETTERS, options):
        lines.append(f"{letter}. {option}")
    lines.append("Answer:")
    return "\n".join(lines)


def load_mmlu_pro(
    root: str | Path | None = None,
    exclude_mmlu_origin: bool = True,
    prompt_format: Literal["multiple_choice", "question"] = "multiple_choice",
) -> PromptOutcomes:
    """MMLU-Pro: 12,032 ten-option questions, 5-shot chain-of-thought correctness of 30 models.

    - ``exclude_mmlu_origin`` (default): drop the 6,810 questions whose ``src`` starts with ``ori_mmlu``
      — they are MMLU questions and would leak the MMLU evaluation set; 5,222 remain;
    - an empty ``pred`` (no answer letter found) counts as wrong; a model that was not run on a
      question has NaN;
    - ``prompt_format``: ``"multiple_choice"`` (question, lettered options, ``Answer:`` — like the MMLU
      evaluation prompts) or ``"question"`` (the question text alone).
    """
    if prompt_format not in ("multiple_choice", "question"):
        raise DataError(f"prompt_format must be 'multiple_choice' or 'question', got {prompt_format!r}")
    folder = set_folder(root, MMLU_PRO, "questions.jsonl.gz")
    questions = pd.DataFrame(read_jsonl(folder / "questions.jsonl.gz"))
    questions["question_id"] = questions["question_id"].astype(str)
    if exclude_mmlu_origin:
        questions = questions[~questions["src"].astype(str).str.startswith("ori_mmlu")]
    long = pd.read_csv(folder / "correctness_long.csv.gz", dtype={"question_id": str, "model": str, "pred": str},
                       keep_default_na=False)
    answered = long["pred"].str.strip() != ""
    long["correct"] = np.where(answered, pd.to_numeric(long["correct"], errors="coerce"), 0.0)
    if long["correct"].isna().any() or not long["correct"].isin([0.0, 1.0]).all():
        raise DataError(f"{folder}: 'correct' must be 0 or 1")
    wide = long.pivot_table(index="question_id", columns="model", values="correct", aggfunc="first")
    models = sorted(wide.columns, key=str.lower)
    if prompt_format == "multiple_choice":
        prompts = [format_multiple_choice(q, o) for q, o in zip(questions["question"], questions["options"])]
    else:
        prompts = questions["question"].astype(str).tolist()
    table = pd.DataFrame({
        "prompt_id": questions["question_id"].to_numpy(),
        "prompt": prompts,
        "source": MMLU_PRO,
        "licence": APACHE_2,
        "category": questions["category"].astype(str).to_numpy(),
        "origin": questions["src"].astype(str).to_numpy(),
    })
    scores = wide.reindex(table["prompt_id"])[models].reset_index(drop=True).astype(float)
    table = pd.concat([table, scores], axis=1)
    return PromptOutcomes(table, models, "correctness", (0.0, 1.0), name=MMLU_PRO)


def load_alpaca_eval(
    root: str | Path | None = None,
    preferences: Literal["hard", "soft"] = "hard",
    annotators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """AlpacaEval: GPT-4-Turbo-judged pairwise comparisons over 805 instructions — licence CC BY-NC 4.0.

    ``model_a`` is ``generator_1`` (the baseline), ``model_b`` is ``generator_2``. The ``preference``
    column reads: 1 = baseline better, 2 = other better, 0 or 1.5 = tie, and anything in between is
    the judge's probability that the other answer is better, plus one (weighted annotators).

    - ``preferences="hard"``: one battle per comparison; ``b`` wins above 1.5, ``a`` below, tie at
      1.5 or 0 (weight 1);
    - ``preferences="soft"``: fractional preferences become two battles, ``b`` winning with weight
      ``p - 1`` and ``a`` with weight ``2 - p`` (so a weighted loss sees the judge's probability);
      ties and whole preferences stay one battle with weight 1;
    - ``annotators``: keep only these annotator configurations (default: all).

    Rows without a preference or a generator, and comparisons of a model with itself, are dropped.
    Every row carries licence ``CC-BY-NC-4.0``: a router shipped in the package must not train on it.
    """
    if preferences not in ("hard", "soft"):
        raise DataError(f"preferences must be 'hard' or 'soft', got {preferences!r}")
    folder = set_folder(root, ALPACA_EVAL, "alpaca_eval_annotations.parquet")
    annotations = pd.read_parquet(folder / "alpaca_eval_annotations.parquet")
    instructions = pd.read_parquet(folder / "alpaca_eval_instructions.parquet")
    if annotators is not None:
        known = set(annotations["annotator"])
        unknown = sorted(set(annotators) - known)
        if unknown:
            raise DataError(f"alpaca_eval has no annotator(s) {unknown}; it has {sorted(known)}")
        annotations = annotations[annotations["annotator"].isin(list(annotators))]
    annotations = annotations.dropna(subset=["generator_1", "generator_2", "preference"])
    annotations = annotations[annotations["generator_1"] != annotations["generator_2"]]
    table = annotations.merge(instructions[["instruction_id", "instruction", "dataset"]], on="instruction_id",
                              how="inner", validate="many_to_one")
    p = table["preference"].to_numpy(dtype=float)
    if ((p != 0) & ((p < 1) | (p > 2))).any():
        raise DataError(f"{folder}: preference values must be 0 or within [1, 2]")
    tie = (p == 0) | (p == 1.5)
    winner = np.where(tie, "tie", np.where(p > 1.5, "b", "a"))
    battles = pd.DataFrame({
        "prompt_id": table["instruction_id"].astype(str).to_numpy(),
        "prompt": table["instruction"].astype(str).to_numpy(),
        "model_a": table["generator_1"].astype(str).to_numpy(),
        "model_b": table["generator_2"].astype(str).to_numpy(),
        "winner": winner,
        "source": ALPACA_EVAL,
        "licence": CC_BY_NC_4,
        "weight": 1.0,
        "annotator": table["annotator"].astype(str).to_numpy(),
        "category": table["dataset"].astype(str).to_numpy(),
    })
    if preferences == "soft":
        fractional = ~tie & (p != 1.0) & (p != 2.0)
        b_side = battles[fractional].assign(winner="b", weight=p[fractional] - 1.0)
        a_side = battles[fractional].assign(winner="a", weight=2.0 - p[fractional])
        battles = pd.concat([battles[~fractional], b_side, a_side], ignore_index=True)
        battles = battles[battles["weight"] > 0].reset_index(drop=True)
    return validate_battles(battles, name="alpaca_eval battles")


def load_arena_hard(root: str | Path | None = None) -> pd.DataFrame:
    """Arena-Hard v0.1: 500 real hard chat prompts without labels (for calibration, demos, unlabelled data).

    Columns: ``prompt_id, prompt, category`` (the topic cluster), ``source, licence``.
    """
    folder = set_folder(root, ARENA_HARD, "question.jsonl")
    rows = read_jsonl(folder / "question.jsonl")
    table = pd.DataFrame({
        "prompt_id": [str(r["uid"]) for r in rows],
        "prompt": [str(r["prompt"]) for r in rows],
        "category": [str(r.get("cluster", "")) for r in rows],
        "source": ARENA_HARD,
        "licence": APACHE_2,
    })
    if table.empty:
        raise DataError(f"{folder / 'question.jsonl'} holds no prompts")
    return table


def load_arena_hard_prompts(root: str | Path | None = None) -> list[str]:
    """The 500 Arena-Hard prompts as a list (the calibration set)."""
    return load_arena_hard(root)["prompt"].tolist()

