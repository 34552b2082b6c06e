"""`label`: call candidate models on prompts, judge each pair, and append battles to a JSONL file.

Every finished pair is one line, written and flushed at once, so an interruption (Ctrl-C, a crash)
loses at most the calls in flight; answers are kept in a sidecar file (``FILE.answers.jsonl``) so a
re-run pays neither for finished battles nor for answers already received. A re-run skips what is done.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .records import Appender, prompt_id, read_jsonl
from .models import LabelingError, Reply, describe, resolve_checker, resolve_judge, resolve_model
from .verdicts import combine, golden, parse_verdict, swap

DEFAULT_SOURCE = "own_traffic"
#: Your own traffic carries no public licence: a bundled (shipped) router refuses it, yours may use it.
DEFAULT_LICENCE = "LicenseRef-own-data"


def read_prompt_table(path: str | Path, column: str = "prompt") -> list[str]:
    """Prompts from text (one a line), CSV, JSONL or Parquet (a `column` column), duplicates dropped."""
    from ..prompts_file import read_prompts

    return list(dict.fromkeys(p for p in read_prompts(path, column) if p.strip()))


def read_references(path: str | Path) -> dict[str, str]:
    """Reference answers by prompt from a CSV/JSONL/Parquet file with `prompt` and `reference` columns."""
    from ..data.files import read_table

    table = read_table(Path(path))
    if not {"prompt", "reference"} <= set(table.columns):
        raise LabelingError(f"{path}: a reference file needs 'prompt' and 'reference' columns")
    return {str(p): str(r) for p, r in zip(table["prompt"], table["reference"])}


def contains_reference(prompt: str, answer: str, reference: str) -> bool:
    """The default golden check: the reference, whitespace and case normalised, appears in the answer."""
    norm = lambda s: " ".join(str(s).lower().split())  # noqa: E731
    return norm(reference) in norm(answer)


@dataclass
class LabelSummary:
    prompts: int = 0
    pairs: int = 0
    skipped_done: int = 0
    written: int = 0
    model_calls: int = 0
    judge_calls: int = 0
    garbage_verdicts: int = 0
    unlabelled_pairs: int = 0
    failed_calls: int = 0
    retries: int = 0
    cost: float = 0.0
    estimated_cost: float | None = None
    stopped: str | None = None
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = out["errors"][:10]
        return out


class _Budget:
    def __init__(self, max_cost: float | None):
        self.max_cost = max_cost
        self.spent = 0.0
        self.lock = threading.Lock()

    def add(self, cost: float | None) -> None:
        if cost:
            with self.lock:
                self.spent += float(cost)

    @property
    def exhausted(self) -> bool:
        return self.max_cost is not None and self.spent >= self.max_cost


def _with_retries(call: Callable[[], Reply], retries: int, backoff: float, summary: LabelSummary) -> Reply:
    for attempt in range(retries + 1):
        try:
            return call()
        except LabelingError:
            raise
        except Exception:
            if attempt == retries:
                raise
            summary.retries += 1
            time.sleep(backoff * (2 ** attempt))
    raise AssertionError("unreachable")


def _no_recorded_answer(name: str):
    def missing(prompt: str):
        raise LabelingError(f"no recorded answer of {name!r} for this prompt (give --model {name}=SPEC to call it)")

    return missing


def _cost(reply: Reply, price: float | None) -> float | None:
    return reply.cost if reply.cost is not None else price


def label(
    prompts: Sequence[str] | str | Path,
    models: Mapping[str, Any] | None,
    out: str | Path,
    *,
    judge: Any = None,
    references: Mapping[str, str] | str | Path | None = None,
    checker: Any = None,
    concurrency: int = 4,
    retries: int = 3,
    backoff: float = 1.0,
    max_cost: float | None = None,
    prices: Mapping[str, float] | None = None,
    judge_price: float | None = None,
    dry_run: bool = False,
    progress: bool = True,
    source: str = DEFAULT_SOURCE,
    licence: str = DEFAULT_LICENCE,
    ray: bool | str = False,
) -> LabelSummary:
    """Label `prompts` with battles between every pair of `models` (name -> spec) and append them to `out`.

    `prompts` may be a file of pairs stored by shadow sampling (JSONL rows with `answers`): their
    recorded answers are judged and `models` may be left empty.

    Verdicts come from `judge` (each pair in both orders, combined), or golden labels from `checker`
    (and/or `references`). `prices`: US$ per call of each model where a model reports no cost;
    `judge_price` the same per judge call. `max_cost` stops cleanly (no new prompt starts) once spent.
    `ray`: True (RAY_ADDRESS, else a local Ray) or a cluster address: each model and judge call runs
    as a Ray task; resuming, `concurrency` and `max_cost` work as in a local run.
    Returns a `LabelSummary`; garbage verdicts and failed calls are counted there, never raised.
    """
    recorded: dict = {}
    if isinstance(prompts, (str, Path)):
        from .shadow import has_recorded_answers, read_recorded_pairs

        if has_recorded_answers(prompts):  # pairs stored by shadow sampling: judge them, call no model
            prompts, recorded, names = read_recorded_pairs(prompts)
            models = dict(models or {}) or {name: _no_recorded_answer(name) for name in names}
        else:
            prompts = read_prompt_table(prompts)
    models = dict(models or {})
    if len(models) < 2:
        raise LabelingError(f"labelling needs two or more models, got {len(models)}")
    if judge is None and checker is None and references is None:
        raise LabelingError("give a judge, or reference answers / a checker for golden labels")
    prompts = list(dict.fromkeys(prompts))
    if isinstance(references, (str, Path)):
        references = read_references(references)
    prices = dict(prices or {})
    out = Path(out)
    answers_path = out.with_name(out.name + ".answers.jsonl")
    names = list(models)
    pairs = list(itertools.combinations(names, 2))
    done = {(r.get("prompt_id"), r.get("model_a"), r.get("model_b")) for r in read_jsonl(out)}
    known = {(r["prompt_id"], r["model"]): r for r in read_jsonl(answers_path) if "prompt_id" in r and "model" in r}
    known = recorded | known
    summary = LabelSummary(prompts=len(prompts), pairs=len(prompts) * len(pairs), dry_run=dry_run)
    todo = []
    for prompt in prompts:
        pid = prompt_id(prompt)
        open_pairs = [(a, b) for a, b in pairs if (pid, a, b) not in done]
        summary.skipped_done += len(pairs) - len(open_pairs)
        if open_pairs:
            todo.append((prompt, pid, open_pairs))
    judged = checker is None and references is None
    if dry_run:
        calls = {name: sum(1 for _, pid, ps in todo if (pid, name) not in known and any(name in p for p in ps))
                 for name in names}
        summary.model_calls = sum(calls.values())
        summary.judge_calls = 2 * sum(len(ps) for _, _, ps in todo) if judged else 0
        if all(name in prices for name in names) and (judge_price is not None or not judged):
            summary.estimated_cost = sum(calls[n] * prices[n] for n in names) + summary.judge_calls * (judge_price or 0)
        return summary

    callers = {name: resolve_model(spec) for name, spec in models.items()}  # checks every spec here first
    judge_call = resolve_judge(judge) if judged else None
    if ray:
        from ..distributed.labeling import remote_caller

        address = ray if isinstance(ray, str) else None
        callers = {name: remote_caller("model", spec, address) for name, spec in models.items()}
        if judged:
            judge_call = remote_caller("judge", judge, address)
    check = resolve_checker(checker) if checker is not None else None
    judge_name = describe(judge) if judged else f"golden:{describe(checker) if checker is not None else 'reference'}"
    budget = _Budget(max_cost)
    battles, answers = Appender(out), Appender(answers_path)
    lock = threading.Lock()

    def answer(prompt: str, pid: str, name: str) -> dict:
        if (pid, name) in known:
            return known[(pid, name)]
        start = time.perf_counter()
        reply = _with_retries(lambda: callers[name](prompt), retries, backoff, summary)
        row = {"prompt_id": pid, "model": name, "answer": reply.text, "usage": reply.usage,
               "cost": _cost(reply, prices.get(name)), "latency_s": round(time.perf_counter() - start, 4)}
        with lock:
            summary.model_calls += 1
            known[(pid, name)] = row
        budget.add(row["cost"])
        answers.write(row)
        return row

    def judge_pair(prompt: str, a: dict, b: dict) -> tuple[list, list, dict, float | None]:
        raws, verdicts, usage, cost = [], [], {}, 0.0
        for order, (first, second) in enumerate(((a, b), (b, a))):
            reply = _with_retries(lambda: judge_call(prompt, first["answer"], second["answer"]), retries, backoff, summary)
            with lock:
                summary.judge_calls += 1
            raws.append(reply.text)
            verdict = parse_verdict(reply.text)
            if verdict is None:
                with lock:
                    summary.garbage_verdicts += 1
            verdicts.append(verdict if verdict is None or order == 0 else swap(verdict))
            usage[f"order_{order + 1}"] = reply.usage
            cost += _cost(reply, judge_price) or 0.0
        budget.add(cost)
        return raws, verdicts, usage, cost

    def work(prompt: str, pid: str, open_pairs: list) -> None:
        if budget.exhausted:
            return
        got = {}
        for name in dict.fromkeys(n for pair in open_pairs for n in pair):
            try:
                got[name] = answer(prompt, pid, name)
            except Exception as exc:  # after the retries: count it, the pair is redone on a re-run
                with lock:
                    summary.failed_calls += 1
                    summary.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        for model_a, model_b in open_pairs:
            if model_a not in got or model_b not in got:
                with lock:
                    summary.unlabelled_pairs += 1
                continue
            a, b = got[model_a], got[model_b]
            row = {"prompt_id": pid, "prompt": prompt, "model_a": model_a, "model_b": model_b}
            try:
                if judged:
                    raws, verdicts, usage, judge_cost = judge_pair(prompt, a, b)
                    outcome = combine(verdicts)
                    row |= {"verdict": raws, "verdict_levels": verdicts}
                else:
                    reference = (references or {}).get(prompt)
                    args = (prompt,) if reference is None else (prompt, reference)
                    if check is not None:
                        ok_a, ok_b = check(args[0], a["answer"], *args[1:]), check(args[0], b["answer"], *args[1:])
                    elif reference is not None:
                        ok_a, ok_b = contains_reference(prompt, a["answer"], reference), contains_reference(
                            prompt, b["answer"], reference)
                    else:
                        ok_a = ok_b = None
                    outcome = None if ok_a is None else golden(ok_a, ok_b)
                    usage, judge_cost = {}, 0.0
                    row |= {"verdict": [bool(ok_a), bool(ok_b)] if ok_a is not None else None}
            except Exception as exc:
                with lock:
                    summary.failed_calls += 1
                    summary.unlabelled_pairs += 1
                    summary.errors.append(f"judge: {type(exc).__name__}: {exc}")
                continue
            if outcome is None:
                with lock:
                    summary.unlabelled_pairs += 1
                continue
            winner, share = outcome
            row |= {
                "winner": winner, "score_a": round(share, 6), "source": source, "licence": licence,
                "judge": judge_name, "answer_a": a["answer"], "answer_b": b["answer"],
                "usage": {"model_a": a["usage"], "model_b": b["usage"], "judge": usage},
                "cost": {"model_a": a["cost"], "model_b": b["cost"], "judge": judge_cost},
                "latency_s": {"model_a": a["latency_s"], "model_b": b["latency_s"]},
            }
            battles.write(row)
            with lock:
                summary.written += 1

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="labelling", unit="prompt")
    executor = ThreadPoolExecutor(max_workers=max(1, int(concurrency)))
    try:
        futures = [executor.submit(work, *item) for item in todo]
        for future in as_completed(futures):
            future.result()
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        battles.close()
        answers.close()
        if bar is not None:
            bar.close()
        summary.cost = round(budget.spent, 6)
    if budget.exhausted:
        summary.stopped = f"max cost {max_cost} reached"
    return summary


__all__ = ["DEFAULT_LICENCE", "DEFAULT_SOURCE", "LabelSummary", "contains_reference", "label", "prompt_id",
           "read_prompt_table", "read_references"]
