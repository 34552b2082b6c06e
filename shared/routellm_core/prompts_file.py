"""Read a list of prompts from a file: plain text (one per line), JSONL, CSV or Parquet (a `prompt`
column), or a folder of Parquet/CSV/JSONL parts. For tables too large for a list, see `prompt_tables`."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import RouteLLMError


def read_prompts(path: str | Path, column: str = "prompt") -> list[str]:
    path = Path(path)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".parquet"):
        from .prompt_tables import check_prompt_values, iter_prompt_batches

        prompts = []
        for batch in iter_prompt_batches(path, column):
            values = batch.column(column).to_pylist()
            check_prompt_values(values, column, path, len(prompts))
            prompts += values
        return prompts
    if not path.is_file():
        raise RouteLLMError(f"prompts file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        prompts = []
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise RouteLLMError(f"{path}:{line_no} is not valid JSON") from None
            if not isinstance(row, dict) or not isinstance(row.get(column), str):
                raise RouteLLMError(f"{path}:{line_no} has no string field {column!r}")
            prompts.append(row[column])
    elif suffix == ".csv":
        import pandas as pd

        table = pd.read_csv(path)
        if column not in table.columns:
            raise RouteLLMError(f"{path} has no column {column!r}")
        prompts = table[column].dropna().astype(str).tolist()
    else:
        prompts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not prompts:
        raise RouteLLMError(f"{path} holds no prompts")
    return prompts
