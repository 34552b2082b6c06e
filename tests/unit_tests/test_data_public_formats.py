"""Public battle formats (Chatbot Arena 55k, RouteLLM judge battles, plain files) on local fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from routellm_core.data import (
    APACHE_2,
    UNKNOWN_LICENCE,
    DataError,
    load_battle_file,
    load_chatbot_arena,
    load_gpt4_judge_battles,
    load_training_set,
)
from routellm_core.data.public_formats import parse_turns, select_turn


def arena_55k_table() -> pd.DataFrame:
    """Rows in the column layout of lmsys/lmsys-arena-human-preference-55k."""
    return pd.DataFrame({
        "id": [30192, 53567, 65089, 96401],
        "model_a": ["gpt-4-1106-preview", "koala-13b", "gpt-3.5-turbo-0613", "llama-2-13b-chat"],
        "model_b": ["gpt-4-0613", "gpt-4-0613", "mistral-medium", "mistral-7b-instruct"],
        "prompt": [
            json.dumps(["Is it morally right to try to have a certain percentage of females on managerial positions?",
                        "OK, does pineapple belong on a pizza?"]),
            json.dumps(["What is the difference between marriage license and marriage certificate?"]),
            json.dumps(["explain function calling. how would you call a function?"]),
            json.dumps([None, "How can I create a test set for a very rare category?"]),
        ],
        "response_a": ['["a1", "a2"]', '["b"]', '["c"]', '["d"]'],
        "response_b": ['["x1", "x2"]', '["y"]', '["z"]', '["w"]'],
        "winner_model_a": [1, 0, 0, 1],
        "winner_model_b": [0, 1, 0, 0],
        "winner_tie": [0, 0, 1, 0],
    })


def test_chatbot_arena_csv_winner_flags_and_first_turn(tmp_path):
    path = tmp_path / "train.csv"
    arena_55k_table().to_csv(path, index=False)
    battles = load_chatbot_arena(path)
    assert battles["winner"].tolist() == ["a", "b", "tie", "a"]
    assert battles.loc[0, "prompt"].startswith("Is it morally right")
    assert battles.loc[3, "prompt"] == "How can I create a test set for a very rare category?"  # null turn skipped
    assert battles["prompt_id"].tolist() == ["30192", "53567", "65089", "96401"]
    assert set(battles["source"]) == {"chatbot_arena"} and set(battles["licence"]) == {APACHE_2}


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_chatbot_arena_other_file_types(tmp_path, suffix):
    path = tmp_path / f"arena{suffix}"
    table = arena_55k_table()
    if suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_json(path, orient="records", lines=True)
    assert len(load_chatbot_arena(path)) == 4


def test_turn_selection(tmp_path):
    path = tmp_path / "train.csv"
    arena_55k_table().to_csv(path, index=False)
    last = load_chatbot_arena(path, turn="last")
    assert last.loc[0, "prompt"] == "OK, does pineapple belong on a pizza?"
    joined = load_chatbot_arena(path, turn="all")
    assert "\n\n" in joined.loc[0, "prompt"]
    with pytest.raises(DataError, match="turn must be"):
        load_chatbot_arena(path, turn="middle")


def test_rows_without_exactly_one_winner_flag_are_named(tmp_path):
    table = arena_55k_table()
    table.loc[1, "winner_tie"] = 1  # both b and tie
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"1 row\(s\) do not set exactly one.*\[1\]"):
        load_chatbot_arena(path)


def test_gpt4_judge_battle_log_format(tmp_path):
    path = tmp_path / "judge.parquet"
    pd.DataFrame({
        "question_id": ["j1", "j2", "j3"],
        "model_a": ["gpt-4-1106-preview"] * 3,
        "model_b": ["mixtral-8x7b-instruct-v0.1"] * 3,
        "winner": ["model_a", "model_b", "tie (bothbad)"],
        "prompt": [json.dumps(["Explain monads."]), "Plain text prompt", json.dumps(["Hi", "More"])],
        "judge": ["gpt-4"] * 3,
    }).to_parquet(path)
    battles = load_gpt4_judge_battles(path)
    assert battles["winner"].tolist() == ["a", "b", "tie"]
    assert battles["prompt"].tolist() == ["Explain monads.", "Plain text prompt", "Hi"]
    assert set(battles["source"]) == {"gpt4_judge_battles"}


def test_folder_with_an_unlabelled_file_skips_it(tmp_path):
    arena_55k_table().to_csv(tmp_path / "train.csv", index=False)
    arena_55k_table()[["id", "prompt", "response_a", "response_b"]].to_csv(tmp_path / "test.csv", index=False)
    assert len(load_chatbot_arena(tmp_path)) == 4


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "x.csv"
    arena_55k_table().drop(columns=["winner_model_a", "winner_model_b", "winner_tie"]).to_csv(path, index=False)
    with pytest.raises(DataError, match="no file has the battle columns"):
        load_chatbot_arena(path)


def test_hub_name_downloads_through_huggingface_hub(tmp_path, monkeypatch):
    """The online path: a hub name goes to snapshot_download (faked here with a local folder)."""
    import huggingface_hub

    snapshot = tmp_path / "snapshot" / "data"
    snapshot.mkdir(parents=True)
    arena_55k_table().to_parquet(snapshot / "train-00000-of-00001.parquet")
    calls = []

    def fake_snapshot_download(repo_id, repo_type, revision, allow_patterns):
        calls.append((repo_id, repo_type, revision))
        assert "*.parquet" in allow_patterns
        return str(tmp_path / "snapshot")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    battles = load_chatbot_arena()  # the default: lmsys/lmsys-arena-human-preference-55k
    assert calls == [("lmsys/lmsys-arena-human-preference-55k", "dataset", None)]
    assert len(battles) == 4
    assert len(load_training_set("gpt4_judge_battles")) == 4
    assert calls[-1][0] == "routellm/gpt4_judge_battles"


def test_registry_reads_online_formats_from_a_local_path(tmp_path):
    path = tmp_path / "train.csv"
    arena_55k_table().to_csv(path, index=False)
    assert len(load_training_set(f"chatbot_arena={path}", root=tmp_path / "ignored")) == 4
    assert len(load_training_set("chatbot_arena", path=str(path))) == 4
    with pytest.raises(DataError, match="reads the data folder"):
        load_training_set(f"arena_bench={path}")


def test_hub_failure_is_a_clear_error(monkeypatch):
    import huggingface_hub

    def offline(**kwargs):
        raise OSError("offline mode is enabled")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(DataError, match="cannot download 'owner/battles'.*local file"):
        load_chatbot_arena("owner/battles")


def test_neither_file_nor_hub_name(tmp_path):
    with pytest.raises(DataError, match="neither a local file"):
        load_chatbot_arena(str(tmp_path / "missing" / "file.csv"))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_plain_battle_file(tmp_path, suffix):
    table = pd.DataFrame({
        "prompt": ["Summarise this", "Prove it"],
        "model_a": ["strong", "weak"],
        "model_b": ["weak", "strong"],
        "winner": ["a", "model_b"],
        "weight": [1.0, 0.5],
    })
    path = tmp_path / f"mine{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_json(path, orient="records", lines=True)
    battles = load_battle_file(path)
    assert battles["winner"].tolist() == ["a", "b"]
    assert set(battles["source"]) == {"mine"} and set(battles["licence"]) == {UNKNOWN_LICENCE}
    assert battles["weight"].tolist() == [1.0, 0.5]
    labelled = load_battle_file(path, source="support-logs", licence="MIT")
    assert set(labelled["source"]) == {"support-logs"} and set(labelled["licence"]) == {"MIT"}
    assert len(load_training_set(str(path))) == 2  # a path works as a training-set name


def test_plain_battle_file_missing_winner(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"prompt": ["x"], "model_a": ["a"], "model_b": ["b"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"missing column\(s\) \['winner'\]"):
        load_battle_file(path)


def test_parse_and_select_turns():
    assert parse_turns('["a", "b"]') == ["a", "b"]
    assert parse_turns("[not json") == ["[not json"]
    assert parse_turns("plain") == ["plain"]
    assert parse_turns(["x", None]) == ["x"]
    assert parse_turns(None) == []
    assert select_turn(["", "  ", "real"], "first") == "real"
    assert select_turn([], "first") == ""
