"""Loaders for the paper's evaluation sets and for users' own logged outcomes.

A `Benchmark` is a list of prompts with the quality each of two models achieved on it (accuracy 0/1
for MMLU and GSM8K, a mean judge score for MT-Bench, any grade for a user's logs). The folder layout is
that of the paper's `routellm/evals/` directory:

- `mmlu/responses/*.csv` and `gsm8k/gsm8k_responses.csv`: a `prompt` column and one boolean column per
  model, named by the model;
- `mt_bench/question.jsonl` (FastChat questions) and `mt_bench/judgements.jsonl` (FastChat single-answer
  judgments: `question_id, model, judge, user_prompt, judgment, score, turn, tstamp`);
- `*/contaminated_prompts.jsonl`: prompts (`eval_prompt`) dropped before scoring.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RouteLLMError

BENCHMARKS = ("mt-bench", "mmlu", "gsm8k")
PAPER_STRONG_MODEL = "gpt-4-1106-preview"
PAPER_WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"


@dataclass
class Benchmark:
    """Prompts with the strong and the weak model's quality on each."""

    name: str
    prompts: list[str]
    strong_scores: np.ndarray
    weak_scores: np.ndarray
    strong_model: str = PAPER_STRONG_MODEL
    weak_model: str = PAPER_WEAK_MODEL
    dropped_contaminated: int = 0

    def __post_init__(self) -> None:
        self.strong_scores = np.asarray(self.strong_scores, dtype=np.float64)
        self.weak_scores = np.asarray(self.weak_scores, dtype=np.float64)
        n = len(self.prompts)
        if n == 0:
            raise RouteLLMError(f"benchmark {self.name!r} has no prompts")
        if self.strong_scores.shape != (n,) or self.weak_scores.shape != (n,):
            raise RouteLLMError(f"benchmark {self.name!r}: score columns must have one value per prompt")
        if not (np.isfinite(self.strong_scores).all() and np.isfinite(self.weak_scores).all()):
            raise RouteLLMError(f"benchmark {self.name!r}: scores must be finite numbers")

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def strong_mean(self) -> float:
        return float(self.strong_scores.mean())

    @property
    def weak_mean(self) -> float:
        return float(self.weak_scores.mean())


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise RouteLLMError(f"{path}:{line_no} is not valid JSON ({exc.msg})") from None
    return rows


def contaminated_prompts(folder: Path) -> set[str]:
    """The evaluation prompts listed in `folder/contaminated_prompts.jsonl` (empty if none)."""
    path = folder / "contaminated_prompts.jsonl"
    return {row["eval_prompt"] for row in _read_jsonl(path)} if path.exists() else set()


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise RouteLLMError(f"{what} not found: {path}")
    return path


def _correctness_benchmark(name: str, folder: Path, csv_files: Sequence[Path], strong: str, weak: str) -> Benchmark:
    import pandas as pd

    frames = [pd.read_csv(path) for path in csv_files]
    table = pd.concat(frames, ignore_index=True)
    for column in ("prompt", strong, weak):
        if column not in table.columns:
            raise RouteLLMError(f"{name}: column {column!r} missing (have {list(table.columns)[:6]})")
    drop = contaminated_prompts(folder)
    keep = ~table["prompt"].isin(drop)
    table = table[keep]
    return Benchmark(
        name=name,
        prompts=table["prompt"].astype(str).tolist(),
        strong_scores=table[strong].astype(bool).to_numpy(dtype=np.float64),
        weak_scores=table[weak].astype(bool).to_numpy(dtype=np.float64),
        strong_model=strong,
        weak_model=weak,
        dropped_contaminated=int((~keep).sum()),
    )


def load_mmlu(data_dir: str | Path, strong: str = PAPER_STRONG_MODEL, weak: str = PAPER_WEAK_MODEL) -> Benchmark:
    folder = Path(data_dir) / "mmlu"
    files = sorted(_require(folder / "responses", "MMLU responses folder").glob("*.csv"))
    if not files:
        raise RouteLLMError(f"no MMLU response CSVs in {folder / 'responses'}")
    return _correctness_benchmark("mmlu", folder, files, strong, weak)


def load_gsm8k(data_dir: str | Path, strong: str = PAPER_STRONG_MODEL, weak: str = PAPER_WEAK_MODEL) -> Benchmark:
    folder = Path(data_dir) / "gsm8k"
    path = _require(folder / "gsm8k_responses.csv", "GSM8K responses")
    return _correctness_benchmark("gsm8k", folder, [path], strong, weak)


def _model_key(name: str) -> str:
    return name.rsplit("/", 1)[-1].lower()


def load_mt_bench(data_dir: str | Path, strong: str = PAPER_STRONG_MODEL, weak: str = PAPER_WEAK_MODEL) -> Benchmark:
    """MT-Bench: routed on the first turn; a question's quality is a model's mean judge score over both turns.

    A question is dropped when either of its turns is listed as contaminated.

    Model names match case-insensitively on the part after any organisation prefix
    (`mistralai/Mixtral-8x7B-Instruct-v0.1` matches `mixtral-8x7b-instruct-v0.1`).
    """
    folder = Path(data_dir) / "mt_bench"
    questions = _read_jsonl(_require(folder / "question.jsonl", "MT-Bench questions"))
    judgments = _read_jsonl(_require(folder / "judgements.jsonl", "MT-Bench judgments (FastChat format)"))
    wanted = {_model_key(strong): "strong", _model_key(weak): "weak"}
    totals: dict[tuple[str, object], list[float]] = {}
    for row in judgments:
        side = wanted.get(_model_key(str(row.get("model", ""))))
        score = row.get("score")
        if side is None or score is None or float(score) < 0:  # FastChat writes -1 when the judge gave no score
            continue
        if "question_id" not in row:
            raise RouteLLMError(f"{folder / 'judgements.jsonl'}: a judgment of {row.get('model')!r} has no question_id")
        totals.setdefault((side, row["question_id"]), []).append(float(score))
    drop = contaminated_prompts(folder)
    prompts, strong_scores, weak_scores, dropped = [], [], [], 0
    for line_no, question in enumerate(questions, 1):
        turns = question.get("turns")
        if "question_id" not in question or not isinstance(turns, list) or not turns:
            raise RouteLLMError(f"{folder / 'question.jsonl'}:{line_no} needs question_id and a non-empty turns list")
        first_turn = turns[0]
        if any(turn in drop for turn in turns):  # as the paper: either turn contaminated drops the question
            dropped += 1
            continue
        qid = question["question_id"]
        if ("strong", qid) not in totals or ("weak", qid) not in totals:
            continue
        prompts.append(first_turn)
        strong_scores.append(np.mean(totals[("strong", qid)]))
        weak_scores.append(np.mean(totals[("weak", qid)]))
    if not prompts:
        raise RouteLLMError(f"MT-Bench judgments in {folder} have no questions judged for both {strong!r} and {weak!r}")
    return Benchmark("mt-bench", prompts, np.array(strong_scores), np.array(weak_scores), strong, weak, dropped)


def load_benchmark(name: str, data_dir: str | Path, **models: str) -> Benchmark:
    """One of the paper's benchmarks (`mt-bench`, `mmlu`, `gsm8k`) from a folder in its layout."""
    loaders = {"mt-bench": load_mt_bench, "mmlu": load_mmlu, "gsm8k": load_gsm8k}
    key = name.lower().replace("_", "-")
    if key not in loaders:
        raise RouteLLMError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    return loaders[key](data_dir, **models)


def load_user_benchmark(path: str | Path, name: str | None = None) -> Benchmark:
    """A user's own logs: CSV or JSONL with `prompt, strong_score, weak_score` (graded any way)."""
    import pandas as pd

    path = Path(path)
    _require(path, "benchmark file")
    if path.suffix.lower() in (".jsonl", ".json"):
        table = pd.DataFrame(_read_jsonl(path))
    else:
        table = pd.read_csv(path)
    missing = [c for c in ("prompt", "strong_score", "weak_score") if c not in table.columns]
    if missing:
        raise RouteLLMError(f"{path}: missing column(s) {missing}; need prompt, strong_score, weak_score")
    empty = [int(i) + 1 for i in table.index[table["prompt"].isna()]]
    if empty:
        raise RouteLLMError(f"{path}: row(s) {empty[:5]} have no prompt")
    try:
        strong_scores = pd.to_numeric(table["strong_score"]).to_numpy(dtype=np.float64)
        weak_scores = pd.to_numeric(table["weak_score"]).to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise RouteLLMError(f"{path}: scores must be numbers ({exc})") from None
    return Benchmark(name or path.stem, table["prompt"].astype(str).tolist(), strong_scores, weak_scores,
                     strong_model="strong", weak_model="weak")
