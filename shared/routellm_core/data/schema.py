"""The one schema every training source is turned into: pairwise battles.

A battle is a prompt, the two models that answered it, which answer won, and where the row came from:

========  ===============================================================
prompt    the routed text (non-empty string)
model_a   one model's name
model_b   the other model's name (different from model_a)
winner    ``"a"``, ``"b"`` or ``"tie"``
source    the training set it came from (``"arena_bench_v1"``, ...)
licence   the licence of that data (SPDX id, e.g. ``"Apache-2.0"``)
weight    optional: a non-negative number (default 1) for weighted losses
========  ===============================================================

Loaders may add further columns (``prompt_id``, ``category``, ``annotator``, ...); validation keeps them.
Licences travel with every row so training code can refuse non-commercial data for a bundled router.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import RouteLLMError

BATTLE_COLUMNS = ("prompt", "model_a", "model_b", "winner", "source", "licence")
OPTIONAL_BATTLE_COLUMNS = ("weight",)
WINNERS = ("a", "b", "tie")

APACHE_2 = "Apache-2.0"
MIT = "MIT"
CC_BY_NC_4 = "CC-BY-NC-4.0"
UNKNOWN_LICENCE = "unknown"
#: Licences a router shipped inside the package may be trained on.
PERMISSIVE_LICENCES = frozenset({APACHE_2, MIT})

# Spellings of a winner that other battle formats use, mapped onto ours.
_WINNER_ALIASES = {
    "a": "a", "model_a": "a",
    "b": "b", "model_b": "b",
    "tie": "tie", "tie (bothbad)": "tie", "tie(bothbad)": "tie", "draw": "tie",
}


class DataError(RouteLLMError):
    """Training data that is missing, malformed or not in the expected format."""


class BattleSchemaError(DataError):
    """A battle table that breaks the schema (missing column, bad winner, empty prompt, ...)."""


class LicenceError(DataError):
    """Training data whose licence is not allowed for the intended use."""


def normalise_winner(values: pd.Series) -> pd.Series:
    """Map the winner spellings of other formats (``model_a``, ``tie (bothbad)``, ...) to a/b/tie.

    Unknown spellings become missing values so `validate_battles` can name them.
    """
    return values.astype("string").str.strip().str.lower().map(_WINNER_ALIASES)


def _first_rows(mask: pd.Series, limit: int = 5) -> list:
    return list(mask[mask].index[:limit])


def _empty_prompts(prompts: pd.Series) -> pd.Series:
    if isinstance(prompts.dtype, pd.CategoricalDtype):  # check each distinct prompt once
        blank = np.flatnonzero(prompts.cat.categories.astype(str).str.strip() == "")
        return pd.Series(np.isin(prompts.cat.codes.to_numpy(), blank), index=prompts.index)
    return prompts.astype(str).str.strip() == ""


def validate_battles(battles: pd.DataFrame, *, name: str = "battles") -> pd.DataFrame:
    """Check a battle table against the schema and return it (a copy with a/b/tie winners).

    Raises `BattleSchemaError` naming the first problem found: a missing column, missing values,
    an empty prompt, an unknown winner, a model playing itself, or a negative/non-finite weight.
    """
    if not isinstance(battles, pd.DataFrame):
        raise BattleSchemaError(f"{name} must be a pandas DataFrame, got {type(battles).__name__}")
    missing = [column for column in BATTLE_COLUMNS if column not in battles.columns]
    if missing:
        raise BattleSchemaError(
            f"{name} lack column(s) {missing}; a battle table needs {list(BATTLE_COLUMNS)}"
            f" (has {list(battles.columns)[:10]})"
        )
    if battles.empty:
        raise BattleSchemaError(f"{name} hold no rows")
    out = battles.copy()
    for column in BATTLE_COLUMNS:
        null = out[column].isna()
        if null.any():
            raise BattleSchemaError(
                f"{name}: column {column!r} has {int(null.sum())} missing value(s), e.g. rows {_first_rows(null)}"
            )
    empty = _empty_prompts(out["prompt"])
    if empty.any():
        raise BattleSchemaError(f"{name}: {int(empty.sum())} empty prompt(s), e.g. rows {_first_rows(empty)}")
    if not out["winner"].isin(WINNERS).all():  # other spellings: map them (slower), then check
        winners = normalise_winner(out["winner"])
        bad = winners.isna()
        if bad.any():
            examples = sorted(set(out.loc[bad, "winner"].astype(str)))[:5]
            raise BattleSchemaError(
                f"{name}: {int(bad.sum())} winner value(s) not in {list(WINNERS)}: {examples},"
                f" e.g. rows {_first_rows(bad)}"
            )
        out["winner"] = winners.astype(str).to_numpy()
    same = out["model_a"].astype(str) == out["model_b"].astype(str)
    if same.any():
        raise BattleSchemaError(
            f"{name}: {int(same.sum())} battle(s) of a model against itself, e.g. rows {_first_rows(same)}"
        )
    if "weight" in out.columns:
        weight = pd.to_numeric(out["weight"], errors="coerce")
        bad_weight = weight.isna() | ~np.isfinite(weight.fillna(0)) | (weight < 0)
        if bad_weight.any():
            raise BattleSchemaError(
                f"{name}: {int(bad_weight.sum())} weight(s) not a finite number >= 0, e.g. rows {_first_rows(bad_weight)}"
            )
        out["weight"] = weight.astype(float)
    return out


def licences_by_source(table: pd.DataFrame) -> dict[str, list[str]]:
    """Which licences each source in a table carries (for checkpoint cards)."""
    if "source" not in table.columns or "licence" not in table.columns:
        raise DataError("the table needs 'source' and 'licence' columns")
    pairs = table[["source", "licence"]].drop_duplicates()
    out: dict[str, list[str]] = {}
    for source, licence in pairs.itertuples(index=False):
        out.setdefault(str(source), []).append(str(licence))
    return {source: sorted(set(values)) for source, values in sorted(out.items())}


def require_licences(table: pd.DataFrame, allowed: Iterable[str] = PERMISSIVE_LICENCES) -> None:
    """Refuse a table holding rows under a licence outside `allowed` (default: Apache-2.0, MIT).

    Training code calls this before building a router that ships inside the package.
    """
    allowed = set(allowed)
    offending = {
        source: [licence for licence in licences if licence not in allowed]
        for source, licences in licences_by_source(table).items()
    }
    offending = {source: licences for source, licences in offending.items() if licences}
    if offending:
        listed = "; ".join(f"{source}: {', '.join(licences)}" for source, licences in offending.items())
        raise LicenceError(
            f"training data under licences not allowed here ({listed}); allowed: {', '.join(sorted(allowed))}"
        )


def battle_summary(battles: pd.DataFrame) -> pd.DataFrame:
    """Rows, distinct prompts, models and win/tie shares per source: a quick look at a battle table."""
    rows = []
    for source, group in battles.groupby("source", sort=True):
        winners = group["winner"].value_counts(normalize=True)
        rows.append({
            "source": source,
            "licence": ", ".join(sorted(set(group["licence"].astype(str)))),
            "battles": len(group),
            "prompts": int(group["prompt"].nunique()),
            "models": int(pd.concat([group["model_a"], group["model_b"]]).nunique()),
            "a_wins": float(winners.get("a", 0.0)),
            "b_wins": float(winners.get("b", 0.0)),
            "ties": float(winners.get("tie", 0.0)),
        })
    return pd.DataFrame(rows)
