"""Battle data in the public formats online users have, from a local file or by hub name.

- Chatbot Arena human preferences, ``lmsys/lmsys-arena-human-preference-55k``: columns ``id, model_a,
  model_b, prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie``; ``prompt`` is a
  JSON list of the user turns, as a string; exactly one winner flag is 1.
- RouteLLM's GPT-4-judge battles, ``routellm/gpt4_judge_battles``: Chatbot Arena battle-log columns
  ``model_a, model_b, winner`` (``model_a``, ``model_b``, ``tie`` or ``tie (bothbad)``) and ``prompt``
  (a JSON list of turns or plain text); the paper's ~109k battles of gpt-4-1106-preview vs Mixtral.
  Both formats are read by the same code: winner flags or a winner column, whichever is present.
- A plain CSV / JSONL / Parquet file of battles in our schema (``prompt, model_a, model_b, winner``,
  optionally ``source, licence, weight``).

Hub names need the ``online`` extra (``huggingface-hub``) and network access; a local file in the same
format works everywhere.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .files import TABLE_SUFFIXES, read_table
from .schema import APACHE_2, BATTLE_COLUMNS, UNKNOWN_LICENCE, DataError, normalise_winner, validate_battles

logger = logging.getLogger(__name__)

CHATBOT_ARENA_55K = "lmsys/lmsys-arena-human-preference-55k"
GPT4_JUDGE_BATTLES = "routellm/gpt4_judge_battles"
_WINNER_FLAGS = ("winner_model_a", "winner_model_b", "winner_tie")

Turn = Literal["first", "last", "all"]


def parse_turns(value) -> list[str]:
    """The user turns of a prompt cell: a JSON list string (Arena format), a list, or plain text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value if v is not None]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                return [value]
            if isinstance(parsed, list):
                return [str(v) for v in parsed if v is not None]
        return [value]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(value)]


def select_turn(turns: list[str], turn: Turn) -> str:
    """The routed text of a conversation's user turns: the first (default), the last, or all joined."""
    turns = [t for t in turns if t.strip()]
    if not turns:
        return ""
    if turn == "first":
        return turns[0]
    if turn == "last":
        return turns[-1]
    return "\n\n".join(turns)


def arena_battles(table: pd.DataFrame, *, source: str, licence: str, turn: Turn = "first",
                  name: str = "arena battles") -> pd.DataFrame:
    """Battles from a table in Chatbot Arena format (winner flags or a winner column).

    ``turn`` picks the routed text of multi-turn conversations: ``"first"`` (the task the conversation
    starts with; the paper embeds the first turn), ``"last"`` or ``"all"``. Rows whose prompt is empty
    are dropped (with a log message); an ``id`` or ``question_id`` column becomes ``prompt_id``.
    """
    if turn not in ("first", "last", "all"):
        raise DataError(f"turn must be 'first', 'last' or 'all', got {turn!r}")
    missing = [c for c in ("prompt", "model_a", "model_b") if c not in table.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {missing} (has {list(table.columns)[:12]})")
    if all(flag in table.columns for flag in _WINNER_FLAGS):
        flags = table[list(_WINNER_FLAGS)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() > 0
        count = flags.sum(axis=1)
        if (count != 1).any():
            bad = np.flatnonzero(count != 1)
            raise DataError(f"{name}: {len(bad)} row(s) do not set exactly one of {list(_WINNER_FLAGS)},"
                            f" e.g. rows {bad[:5].tolist()}")
        winner = np.array(["a", "b", "tie"], dtype=object)[flags.argmax(axis=1)]
    elif "winner" in table.columns:
        winner = normalise_winner(table["winner"]).to_numpy(dtype=object, na_value=None)
        if pd.isna(winner).any():
            bad = table.loc[pd.isna(winner), "winner"].astype(str).unique()[:5].tolist()
            raise DataError(f"{name}: winner values not understood: {bad}")
    else:
        raise DataError(f"{name}: need a 'winner' column or the flags {list(_WINNER_FLAGS)}")
    prompts = [select_turn(parse_turns(value), turn) for value in table["prompt"].tolist()]
    battles = pd.DataFrame({
        "prompt": prompts,
        "model_a": table["model_a"].astype(str).to_numpy(),
        "model_b": table["model_b"].astype(str).to_numpy(),
        "winner": winner,
        "source": source,
        "licence": licence,
    })
    for id_column in ("id", "question_id"):
        if id_column in table.columns:
            battles.insert(0, "prompt_id", table[id_column].astype(str).to_numpy())
            break
    empty = battles["prompt"].str.strip() == ""
    self_play = battles["model_a"] == battles["model_b"]
    if empty.any() or self_play.any():
        logger.info("%s: dropped %d row(s) with an empty prompt and %d of a model against itself",
                    name, int(empty.sum()), int(self_play.sum()))
        battles = battles[~(empty | self_play)].reset_index(drop=True)
    return validate_battles(battles, name=name)


def hub_dataset_files(repo_id: str, revision: str | None = None) -> list[Path]:
    """Download (or reuse from the hub cache) the data files of a hub dataset; needs network access."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise DataError(
            f"loading {repo_id!r} from the hub needs huggingface-hub: pip install 'routellm-integrations[online]'"
            " (or pass a local file in the same format)"
        ) from None
    patterns = [f"*{suffix}" for suffix in TABLE_SUFFIXES]
    try:
        folder = snapshot_download(repo_id=repo_id, repo_type="dataset", revision=revision, allow_patterns=patterns)
    except Exception as exc:  # offline, unknown repository, gated dataset, ...
        raise DataError(f"cannot download {repo_id!r} from the hub ({type(exc).__name__}: {exc});"
                        " pass a local file in the same format instead") from None
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
    if not files:
        raise DataError(f"the hub dataset {repo_id!r} holds no data files ({', '.join(TABLE_SUFFIXES)})")
    return files


def _read_battle_tables(path_or_name: str | Path, revision: str | None) -> list[tuple[str, pd.DataFrame]]:
    path = Path(path_or_name)
    if path.is_file():
        return [(str(path), read_table(path))]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
        if not files:
            raise DataError(f"no data files ({', '.join(TABLE_SUFFIXES)}) in {path}")
        return [(str(p), read_table(p)) for p in files]
    name = str(path_or_name)
    if name.count("/") != 1 or name.startswith((".", "/")):
        raise DataError(f"{name!r} is neither a local file or folder nor a hub dataset name like 'owner/name'")
    return [(f"{name}:{p.name}", read_table(p)) for p in hub_dataset_files(name, revision)]


def load_arena_battles(
    path_or_name: str | Path,
    *,
    source: str,
    licence: str,
    turn: Turn = "first",
    revision: str | None = None,
) -> pd.DataFrame:
    """Battles in Chatbot Arena format from a local file, a folder of files, or a hub dataset name.

    Files without the battle columns (e.g. an unlabelled ``test.csv`` beside ``train.csv``) are skipped.
    """
    tables = _read_battle_tables(path_or_name, revision)
    usable = []
    for label, table in tables:
        has_winner = "winner" in table.columns or all(f in table.columns for f in _WINNER_FLAGS)
        if has_winner and {"prompt", "model_a", "model_b"} <= set(table.columns):
            usable.append(arena_battles(table, source=source, licence=licence, turn=turn, name=label))
        else:
            logger.info("%s: skipped (no battle columns)", label)
    if not usable:
        raise DataError(f"{path_or_name}: no file has the battle columns (prompt, model_a, model_b and a winner"
                        f" column or {list(_WINNER_FLAGS)}); found {[label for label, _ in tables]}")
    return pd.concat(usable, ignore_index=True)


def load_chatbot_arena(path_or_name: str | Path = CHATBOT_ARENA_55K, *, turn: Turn = "first",
                       revision: str | None = None) -> pd.DataFrame:
    """Chatbot Arena human-preference battles (``lmsys/lmsys-arena-human-preference-55k`` format; Apache-2.0)."""
    return load_arena_battles(path_or_name, source="chatbot_arena", licence=APACHE_2, turn=turn, revision=revision)


def load_gpt4_judge_battles(path_or_name: str | Path = GPT4_JUDGE_BATTLES, *, turn: Turn = "first",
                            revision: str | None = None) -> pd.DataFrame:
    """RouteLLM's GPT-4-judge battles (``routellm/gpt4_judge_battles`` format; Apache-2.0)."""
    return load_arena_battles(path_or_name, source="gpt4_judge_battles", licence=APACHE_2, turn=turn,
                              revision=revision)


def load_battle_file(path: str | Path, *, source: str | None = None, licence: str | None = None) -> pd.DataFrame:
    """A plain file of battles in our schema (CSV, TSV, JSONL, JSON or Parquet).

    Needs ``prompt, model_a, model_b, winner``; ``source`` and ``licence`` columns are optional and
    filled from the arguments (default: the file name, and ``"unknown"`` — which a bundled router refuses).
    Winner spellings ``model_a``/``model_b``/``tie (bothbad)`` are accepted.
    """
    path = Path(path)
    table = read_table(path)
    for column, value in (("source", source or path.stem), ("licence", licence or UNKNOWN_LICENCE)):
        if column not in table.columns:
            table[column] = value
        elif (column == "source" and source) or (column == "licence" and licence):
            table[column] = value
    missing = [c for c in BATTLE_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; a battle file needs prompt, model_a, model_b, winner")
    return validate_battles(table, name=str(path))
