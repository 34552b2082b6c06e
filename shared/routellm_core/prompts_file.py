"""Read a list of prompts from a file: plain text (one per line), JSONL or CSV (a `prompt` column)."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import RouteLLMError


def read_prompts(path: str | Path, column: str = "prompt") -> list[str]:
    path = Path(path)
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
