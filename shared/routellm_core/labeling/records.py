"""The labelling files: JSON lines appended one flushed line at a time, and prompt ids.

A crash can cut only the last line short; readers skip such a line and writers drop it before
appending, so that pair is simply done again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path


def prompt_id(prompt: str) -> str:
    return hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:16]


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a crash: that pair is redone
                continue
    return rows


class Appender:
    """Appends JSON lines to a file under a lock, flushing each."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size:
            data = path.read_bytes()
            if not data.endswith(b"\n"):  # a line cut short by a crash: drop it (that pair is redone)
                with path.open("r+b") as handle:
                    handle.truncate(data.rfind(b"\n") + 1)
        self.handle = path.open("a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, row: dict) -> None:
        with self.lock:
            self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.handle.flush()

    def close(self) -> None:
        self.handle.close()
