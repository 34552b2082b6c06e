"""Shadow sampling: on a small share of live calls, also call the model the router did not pick.

The second call runs in a background thread, off the user's critical path; its answer and the one
the user got are appended (one flushed JSON line each) to a file that `routellm label FILE --judge ...`
judges later without calling any model again (the file's rows carry both answers). Its cost is kept
apart as exploration cost (`ShadowSampler.exploration_cost`), so a ledger can report it as such.

An adapter wires it like this (sketch)::

    sampler = ShadowSampler("shadow.jsonl", rate=0.05)
    answer = chosen_model(prompt)                      # the user's call, as usual
    sampler.maybe_explore(prompt, chosen_name, answer, other_name, lambda: other_model(prompt))

Nothing in the sampler can fail the user's call: errors of the shadow call are counted, not raised.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .models import as_reply
from .records import Appender, prompt_id


class ShadowSampler:
    """Calls the other model on a share `rate` of calls in the background and stores the pairs in `path`."""

    def __init__(self, path: str | Path, rate: float = 0.05, *, seed: int | None = None, max_workers: int = 2,
                 prices: dict[str, float] | None = None):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")
        self.path = Path(path)
        self.rate = float(rate)
        self.prices = dict(prices or {})
        self._random = random.Random(seed)
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="routellm-shadow")
        self._appender: Appender | None = None
        self._lock = threading.Lock()
        self._pending: list = []
        self.explored = 0
        self.stored = 0
        self.failures = 0
        self.exploration_cost = 0.0

    def maybe_explore(self, prompt: str, chosen: str, answer: Any, other: str, call_other: Callable[[], Any]) -> bool:
        """Draw; on a hit, call `call_other()` in the background and store the pair. True when sampled."""
        with self._lock:
            if self.rate <= 0.0 or self._random.random() >= self.rate:
                return False
            self.explored += 1
        try:
            text = as_reply(answer).text
        except Exception:
            text = str(answer)
        future = self._executor.submit(self._explore, prompt, chosen, text, other, call_other)
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()] + [future]
        return True

    def _explore(self, prompt: str, chosen: str, answer: str, other: str, call_other: Callable[[], Any]) -> None:
        start = time.perf_counter()
        try:
            reply = as_reply(call_other())
        except Exception:
            with self._lock:
                self.failures += 1
            return
        cost = reply.cost if reply.cost is not None else self.prices.get(other)
        row = {"prompt_id": prompt_id(prompt), "prompt": prompt, "answers": {chosen: answer, other: reply.text},
               "explored": other, "usage": {other: reply.usage}, "cost": {other: cost},
               "latency_s": {other: round(time.perf_counter() - start, 4)}}
        with self._lock:
            if self._appender is None:
                self._appender = Appender(self.path)
            self.exploration_cost += float(cost or 0.0)
            self.stored += 1
            appender = self._appender
        appender.write(row)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the shadow calls in flight (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._appender is not None:
            self._appender.close()

    def stats(self) -> dict[str, Any]:
        return {"rate": self.rate, "explored": self.explored, "stored": self.stored, "failures": self.failures,
                "exploration_cost": round(self.exploration_cost, 6)}


def read_recorded_pairs(path: str | Path) -> tuple[list[str], dict[tuple[str, str], dict], list[str]]:
    """Prompts, recorded answers by (prompt_id, model) and model names from a file of rows with `answers`."""
    prompts, known, names = [], {}, []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(row, dict) or not isinstance(row.get("answers"), dict) or not isinstance(row.get("prompt"), str):
            continue
        pid = prompt_id(row["prompt"])
        prompts.append(row["prompt"])
        for model, answer in row["answers"].items():
            names.append(model)
            known[(pid, model)] = {"prompt_id": pid, "model": model, "answer": str(answer),
                                   "usage": (row.get("usage") or {}).get(model, {}),
                                   "cost": (row.get("cost") or {}).get(model), "latency_s": None}
    return list(dict.fromkeys(prompts)), known, list(dict.fromkeys(names))


def has_recorded_answers(path: str | Path) -> bool:
    path = Path(path)
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                try:
                    return isinstance(json.loads(line).get("answers"), dict)
                except (json.JSONDecodeError, AttributeError):
                    return False
    return False


__all__ = ["ShadowSampler", "has_recorded_answers", "read_recorded_pairs"]
