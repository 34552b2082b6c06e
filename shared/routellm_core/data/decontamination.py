"""Decontamination: drop training rows whose prompt is (nearly) an evaluation prompt.

A router trained on the questions it is scored on looks better than it is. Every training table is
checked against every evaluation set (MMLU, GSM8K, MT-Bench — all turns) by four rules, in order:

1. ``exact``: the same text after normalising case, whitespace and punctuation;
2. ``span``: a shared run of 13 consecutive (normalised) words;
3. ``prefix``: a shared long start (the same first 60 characters, or one text being the start of the other);
4. ``embedding``: cosine similarity >= 0.95 of MiniLM embeddings (the evaluation sets' embeddings are
   cached on disk, see `embedding_cache`).

Each dropped row is counted under the first rule that caught it and the evaluation set it matched;
`DecontaminationReport` prints the counts and keeps examples for inspection.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .embedding_cache import content_key, embed_texts
from .files import read_jsonl, read_table
from .outcomes import PromptOutcomes
from .schema import DataError
from .text_match import TextIndex

RULES = ("exact", "span", "prefix", "embedding")
EVALUATION_SETS = ("mmlu", "gsm8k", "mt-bench")


def evaluation_prompts(evals_dir: str | Path | None = None) -> dict[str, list[str]]:
    """Every prompt of the paper's evaluation sets: ``{"mmlu": [...], "gsm8k": [...], "mt-bench": [...]}``.

    ``evals_dir`` is the folder in the layout of RouteLLM's ``evals/`` (default:
    ``routellm_evals`` in the data folder). MMLU comes from ``mmlu/mmlu_all_compact.parquet`` or the
    per-domain CSVs, GSM8K from ``gsm8k/gsm8k_responses.csv``, MT-Bench from ``mt_bench/question.jsonl``
    (both turns). Prompts the evaluation itself drops as contaminated are included: a training row
    matching them is still too close. Duplicates are removed, order kept.
    """
    if evals_dir is None:
        from .files import default_data_root

        evals_dir = default_data_root() / "routellm_evals"
    folder = Path(evals_dir)
    out: dict[str, list[str]] = {}
    compact = folder / "mmlu" / "mmlu_all_compact.parquet"
    csvs = sorted((folder / "mmlu" / "responses").glob("*.csv"))
    if compact.exists():
        out["mmlu"] = pd.read_parquet(compact, columns=["prompt"])["prompt"].astype(str).tolist()
    elif csvs:
        out["mmlu"] = [p for path in csvs for p in pd.read_csv(path, usecols=["prompt"])["prompt"].astype(str)]
    gsm8k = folder / "gsm8k" / "gsm8k_responses.csv"
    if gsm8k.exists():
        out["gsm8k"] = read_table(gsm8k)["prompt"].astype(str).tolist()
    questions = folder / "mt_bench" / "question.jsonl"
    if questions.exists():
        out["mt-bench"] = [str(turn) for row in read_jsonl(questions) for turn in row.get("turns", [])]
    if not out:
        raise DataError(f"no evaluation sets found in {folder} (expected mmlu/, gsm8k/, mt_bench/)")
    return {name: list(dict.fromkeys(prompts)) for name, prompts in out.items()}


@dataclass
class DecontaminationReport:
    """What decontamination dropped: rows and distinct prompts per rule and evaluation set."""

    name: str
    rows_before: int
    rows_after: int
    prompts_before: int
    prompts_after: int
    dropped_rows: dict[str, dict[str, int]] = field(default_factory=dict)     # rule -> eval set -> rows
    dropped_prompts: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> eval set -> prompts
    examples: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_dropped(self) -> int:
        return self.rows_before - self.rows_after

    @property
    def prompts_dropped(self) -> int:
        return self.prompts_before - self.prompts_after

    def prompts_by_rule(self) -> dict[str, int]:
        return {rule: sum(self.dropped_prompts.get(rule, {}).values()) for rule in RULES}

    def prompts_by_set(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for per_set in self.dropped_prompts.values():
            for name, count in per_set.items():
                totals[name] = totals.get(name, 0) + count
        return dict(sorted(totals.items()))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready figures (for a checkpoint card)."""
        return {
            "name": self.name, "rows_before": self.rows_before, "rows_after": self.rows_after,
            "prompts_before": self.prompts_before, "prompts_after": self.prompts_after,
            "dropped_rows": self.dropped_rows, "dropped_prompts": self.dropped_prompts, "settings": self.settings,
        }

    def table(self) -> pd.DataFrame:
        """Dropped prompts (rows) per rule and evaluation set, as a DataFrame."""
        records = []
        for rule in RULES:
            for name in sorted(self.dropped_prompts.get(rule, {})):
                records.append({"rule": rule, "evaluation set": name,
                                "prompts": self.dropped_prompts[rule][name],
                                "rows": self.dropped_rows.get(rule, {}).get(name, 0)})
        return pd.DataFrame(records, columns=["rule", "evaluation set", "prompts", "rows"])

    def __str__(self) -> str:
        lines = [
            f"decontamination of {self.name}: dropped {self.prompts_dropped} of {self.prompts_before} prompts"
            f" ({self.rows_dropped} of {self.rows_before} rows); {self.prompts_after} prompts remain",
        ]
        table = self.table()
        if not table.empty:
            width = max(len(s) for s in table["evaluation set"]) + 2
            lines.append(f"  {'rule':<10}{'evaluation set':<{max(width, 16)}}{'prompts':>8}{'rows':>9}")
            for row in table.itertuples(index=False):
                lines.append(f"  {row[0]:<10}{row[1]:<{max(width, 16)}}{row[2]:>8}{row[3]:>9}")
        skipped = [rule for rule in RULES if rule not in self.settings.get("rules", RULES)]
        if skipped:
            lines.append(f"  (rules not run: {', '.join(skipped)})")
        return "\n".join(lines)

    def __rich__(self):
        from rich.table import Table

        table = Table(title=f"decontamination of {self.name}: {self.prompts_dropped}/{self.prompts_before} prompts,"
                            f" {self.rows_dropped}/{self.rows_before} rows dropped")
        for column in ("rule", "evaluation set", "prompts", "rows"):
            table.add_column(column, justify="right" if column in ("prompts", "rows") else "left")
        for row in self.table().itertuples(index=False):
            table.add_row(row[0], row[1], str(row[2]), str(row[3]))
        return table


def _prompt_column(table) -> tuple[pd.DataFrame, str]:
    frame = table.table if isinstance(table, PromptOutcomes) else table
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"decontaminate needs a DataFrame or PromptOutcomes, got {type(table).__name__}")
    if "prompt" not in frame.columns:
        raise DataError(f"the table has no 'prompt' column (has {list(frame.columns)[:10]})")
    name = table.name if isinstance(table, PromptOutcomes) else ""
    if not name and "source" in frame.columns and len(frame):
        name = ", ".join(sorted(set(frame["source"].astype(str))))
    return frame, name or "table"


_INDEX_CACHE: OrderedDict[str, TextIndex] = OrderedDict()


def _text_index(eval_prompts: Mapping[str, Sequence[str]], span_words: int, prefix_chars: int,
                min_prefix_chars: int) -> TextIndex:
    """The text index of these evaluation prompts; the last few are kept, as training checks set after set."""
    parts = [f"{span_words}/{prefix_chars}/{min_prefix_chars}"]
    for set_name, set_prompts in sorted(eval_prompts.items()):
        parts.append(f"\0set\0{set_name}")
        parts.extend(map(str, set_prompts))
    key = content_key("text-index", parts)
    if key in _INDEX_CACHE:
        _INDEX_CACHE.move_to_end(key)
        return _INDEX_CACHE[key]
    index = TextIndex(span_words=span_words, prefix_chars=prefix_chars, min_prefix_chars=min_prefix_chars)
    for set_name, set_prompts in eval_prompts.items():
        index.add(set_prompts, set_name)
    _INDEX_CACHE[key] = index
    while len(_INDEX_CACHE) > 2:
        _INDEX_CACHE.popitem(last=False)
    return index


def decontaminate(
    table,
    eval_prompts: Mapping[str, Sequence[str]],
    embedder=None,
    cosine_threshold: float = 0.95,
    span_words: int = 13,
    *,
    prefix_chars: int = 60,
    min_prefix_chars: int = 25,
    use_embeddings: bool = True,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = True,
    max_examples: int = 20,
):
    """Drop the rows of `table` whose prompt matches an evaluation prompt; return ``(clean, report)``.

    ``table`` is any DataFrame with a ``prompt`` column (battles, prompts) or a `PromptOutcomes`
    (returned as the same type). ``eval_prompts`` maps evaluation-set names to prompts (see
    `evaluation_prompts`). ``embedder`` defaults to the core's shared MiniLM embedder;
    ``use_embeddings=False`` runs the text rules only (fast, no model). Embeddings are cached on disk
    under ``cache_dir`` (default: the user cache folder) unless ``use_cache=False``. Each distinct
    prompt is checked once however many rows share it.
    """
    if not eval_prompts or not any(len(v) for v in eval_prompts.values()):
        raise DataError("eval_prompts is empty: give at least one evaluation set with prompts")
    if not 0.0 < cosine_threshold <= 1.0:
        raise DataError(f"cosine_threshold must be in (0, 1], got {cosine_threshold}")
    if span_words < 1:
        raise DataError(f"span_words must be at least 1, got {span_words}")
    frame, name = _prompt_column(table)
    prompts = frame["prompt"].astype(str)
    unique = list(dict.fromkeys(prompts.tolist()))

    index = _text_index(eval_prompts, span_words, prefix_chars, min_prefix_chars)

    from tqdm.auto import tqdm

    verdicts: dict[str, tuple[str, str, str]] = {}
    for prompt in tqdm(unique, desc=f"text rules ({name})", unit="prompt",
                       disable=not progress or len(unique) < 2000):
        hit = index.match(prompt)
        if hit is not None:
            verdicts[prompt] = hit

    if use_embeddings:
        remaining = [p for p in unique if p not in verdicts and p.strip()]
        if remaining:
            for prompt, hit in _embedding_matches(remaining, eval_prompts, embedder, cosine_threshold,
                                                  cache_dir if use_cache else None, use_cache, progress,
                                                  name).items():
                verdicts[prompt] = hit

    dropped = prompts.isin(list(verdicts))
    report = DecontaminationReport(
        name=name,
        rows_before=len(frame), rows_after=int((~dropped).sum()),
        prompts_before=len(unique), prompts_after=len(unique) - len(verdicts),
        settings={"rules": list(RULES if use_embeddings else RULES[:3]), "span_words": span_words,
                  "prefix_chars": prefix_chars, "min_prefix_chars": min_prefix_chars,
                  "cosine_threshold": cosine_threshold,
                  "evaluation_sets": {k: len(v) for k, v in eval_prompts.items()}},
    )
    row_counts = prompts[dropped].value_counts()
    for prompt, (rule, set_name, eval_prompt) in verdicts.items():
        report.dropped_prompts.setdefault(rule, {}).setdefault(set_name, 0)
        report.dropped_prompts[rule][set_name] += 1
        report.dropped_rows.setdefault(rule, {}).setdefault(set_name, 0)
        report.dropped_rows[rule][set_name] += int(row_counts.get(prompt, 0))
        if len(report.examples) < max_examples:
            report.examples.append({"rule": rule, "evaluation_set": set_name, "train_prompt": prompt,
                                    "eval_prompt": eval_prompt})
    clean = frame[~dropped.to_numpy()].reset_index(drop=True)
    if isinstance(table, PromptOutcomes):
        clean = PromptOutcomes(clean, table.models, table.kind, table.score_range, table.name)
    return clean, report


def _embedding_matches(prompts, eval_prompts, embedder, threshold, cache_dir, use_cache, progress, name):
    """Prompts whose best cosine with any evaluation prompt reaches `threshold` -> (rule, set, eval prompt)."""
    if embedder is None:
        from ..embedding import shared_embedder

        embedder = shared_embedder()
    train = embed_texts(prompts, embedder, cache_dir=cache_dir, use_cache=use_cache, progress=progress,
                        description=f"embedding {name}")
    hits: dict[str, tuple[str, str, str]] = {}
    best = np.full(len(prompts), -np.inf, dtype=np.float32)
    for set_name, set_prompts in eval_prompts.items():
        set_prompts = [p for p in dict.fromkeys(map(str, set_prompts)) if p.strip()]
        if not set_prompts:
            continue
        evals = embed_texts(set_prompts, embedder, cache_dir=cache_dir, use_cache=use_cache, progress=progress,
                            description=f"embedding {set_name}")
        for start in range(0, len(prompts), 1024):  # chunks keep the similarity matrix small
            sims = train[start:start + 1024] @ evals.T
            top = sims.argmax(axis=1)
            top_sim = sims[np.arange(len(top)), top]
            for offset in np.flatnonzero((top_sim >= threshold) & (top_sim > best[start:start + 1024])):
                i = start + offset
                best[i] = top_sim[offset]
                hits[prompts[i]] = ("embedding", set_name, set_prompts[top[offset]])
    return hits
