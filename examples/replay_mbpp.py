"""Replay models and a golden-label checker for RouterBench's MBPP rows (research use only).

`gpt4` and `mixtral` return the responses gpt-4-1106-preview and mixtral-8x7b-chat gave to each MBPP
prompt; `checker(prompt, answer)` says whether that answer passed the task's tests (the recorded
0/1 correctness). With `routellm label --checker examples.replay_mbpp:checker` they give golden-label
battles. The data (routerbench_subset, licence not stated: never for a shipped router) is read by
path from the data folder beside the checkout.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

STRONG, WEAK = "gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"


@lru_cache(maxsize=None)
def table() -> pd.DataFrame:
    """prompt, the two models' responses and correctness, for the train and test rows (one row a prompt)."""
    from routellm_core.data import default_data_root
    from routellm_core.data.per_model_outcomes import unwrap_prompt

    folder = Path(default_data_root()) / "routerbench_subset"
    frames = [pd.read_csv(folder / f"mbpp_{split}.csv.gz") for split in ("train", "test")]
    frame = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame({"prompt": frame["prompt"].map(unwrap_prompt)})
    for model in (STRONG, WEAK):
        out[model] = frame[model].astype(float)
        out[f"{model}|response"] = frame[f"{model}|model_response"].fillna("").astype(str)
    return out.drop_duplicates("prompt").reset_index(drop=True)


@lru_cache(maxsize=None)
def _by_prompt() -> dict[str, dict]:
    return {row["prompt"]: row for row in table().to_dict("records")}


def gpt4(prompt: str) -> str:
    return _by_prompt()[prompt][f"{STRONG}|response"]


def mixtral(prompt: str) -> str:
    return _by_prompt()[prompt][f"{WEAK}|response"]


def checker(prompt: str, answer: str) -> bool:
    row = _by_prompt()[prompt]
    for model in (STRONG, WEAK):
        if answer == row[f"{model}|response"]:
            return bool(row[model])
    raise ValueError("the answer is none of the recorded responses")
