"""Per-prompt targets pooled over every model that answered a prompt.

Battles between the router's own pair are few; an outcome table (every model's score on every
prompt) says, for each prompt, how much the field's stronger models beat its weaker ones. Models are
split into tiers by their mean score over the table (the paper's BERT and causal-LLM routers also
label battles by model tier), and per prompt:

- `tier_win_rate`: the share of (strong-tier, weak-tier) model pairs in which the strong-tier model
  scored higher (ties count half), in [0, 1] — the pooled analogue of "the strong model wins";
- `tier_gain`: the strong tier's mean normalised score minus the weak tier's, in [-1, 1];
- `field_difficulty`: the share of the field's score that is missing (1 - mean normalised score).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data import PromptOutcomes

TARGETS = ("tier_win_rate", "tier_gain", "field_difficulty")


def model_tiers(outcomes: PromptOutcomes) -> tuple[list[int], list[int]]:
    """Column positions of the stronger and the weaker half of the models (by mean normalised score)."""
    means = np.nanmean(outcomes.normalised_scores(), axis=0)
    order = np.argsort(-means, kind="stable")
    half = len(order) // 2
    return sorted(order[:half].tolist()), sorted(order[len(order) - half :].tolist())


def tier_win_rate(outcomes: PromptOutcomes) -> np.ndarray:
    scores = outcomes.normalised_scores()
    strong, weak = model_tiers(outcomes)
    diff = scores[:, strong][:, :, None] - scores[:, weak][:, None, :]
    valid = ~np.isnan(diff)
    wins = np.where(valid, (diff > 0) + 0.5 * (diff == 0), 0.0).sum(axis=(1, 2))
    counts = valid.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, wins / np.maximum(counts, 1), np.nan)


def tier_gain(outcomes: PromptOutcomes) -> np.ndarray:
    scores = outcomes.normalised_scores()
    strong, weak = model_tiers(outcomes)
    with warnings.catch_warnings():  # a prompt no model of a tier answered: NaN, dropped later
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(scores[:, strong], axis=1) - np.nanmean(scores[:, weak], axis=1)


def field_difficulty(outcomes: PromptOutcomes) -> np.ndarray:
    return 1.0 - outcomes.field_score()


def prompt_targets(outcomes: dict[str, PromptOutcomes], target: str = "tier_win_rate") -> pd.DataFrame:
    """One row per prompt of every table: `prompt, set, group, target, rank`.

    `group` is the prompt's category where the table has one (llmrouter: its task), `rank` the
    target's percentile within its set (0-1), which puts judge scores and correctness on one scale.
    Prompts whose target is undefined (no model scored) are dropped.
    """
    functions = {"tier_win_rate": tier_win_rate, "tier_gain": tier_gain, "field_difficulty": field_difficulty}
    if target not in functions:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    frames = []
    for name, table in outcomes.items():
        values = functions[target](table)
        frame = pd.DataFrame({
            "prompt": table.table["prompt"].astype(str).to_numpy(),
            "set": name,
            "group": table.table["category"].astype(str).to_numpy() if "category" in table.table else name,
            "target": values,
        })
        frame = frame[np.isfinite(frame["target"])]
        frame["rank"] = frame["target"].rank(pct=True, method="average")
        frames.append(frame)
    if not frames:
        raise ValueError("no outcome tables: pooled targets need arena_bench, llmrouter or mmlu_pro")
    return pd.concat(frames, ignore_index=True)


def battle_tier_targets(battles: pd.DataFrame) -> pd.DataFrame:
    """Per-prompt targets from plain battles (sets without outcome tables, e.g. Chatbot Arena votes).

    Models are ranked by their overall win rate (ties half) and split into halves; each prompt's
    target is the share of its cross-tier battles the stronger-tier model won, as in the paper's
    tier labels. Returns `prompt, set, group, target, rank` like `prompt_targets`.
    """
    from .battles import winner_target

    target_a = battles["winner"].map(winner_target).to_numpy(dtype=np.float64)
    a, b = battles["model_a"].astype(str).to_numpy(), battles["model_b"].astype(str).to_numpy()
    points = pd.concat([pd.Series(target_a, index=a), pd.Series(1 - target_a, index=b)])
    rates = points.groupby(level=0).mean().sort_values(ascending=False)
    strong = set(rates.index[: len(rates) // 2])
    weak = set(rates.index[len(rates) - len(rates) // 2 :])
    a_strong = np.isin(a, list(strong)) & np.isin(b, list(weak))
    b_strong = np.isin(b, list(strong)) & np.isin(a, list(weak))
    label = np.where(a_strong, target_a, 1 - target_a)
    keep = a_strong | b_strong
    frame = pd.DataFrame({
        "prompt": battles["prompt"].astype(str).to_numpy()[keep],
        "set": battles["source"].astype(str).to_numpy()[keep] if "source" in battles else "battles",
        "target": label[keep],
    })
    frame = frame.groupby(["prompt", "set"], as_index=False, sort=False)["target"].mean()
    frame["group"] = frame["set"]
    frame["rank"] = frame.groupby("set")["target"].rank(pct=True, method="average")
    return frame[["prompt", "set", "group", "target", "rank"]]


def pooled_targets(data, target: str = "tier_win_rate") -> pd.DataFrame:
    """Per-prompt targets of a `TrainingData`: pooled over outcome tables, tier labels for battle-only sets."""
    frames = [prompt_targets(data.outcomes, target)] if data.outcomes else []
    if data.battles is not None:
        covered = {str(t.table["source"].iloc[0]) for t in data.outcomes.values() if len(t)}
        rest = data.battles[~data.battles["source"].astype(str).isin(covered)]
        if len(rest):
            frames.append(battle_tier_targets(rest))
    if not frames:
        raise ValueError("no labelled training data")
    return pd.concat(frames, ignore_index=True)
