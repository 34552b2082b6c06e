import pandas as pd
import pytest

from routellm_core.training.battles import BattleSet, winner_target

from .synthetic_battles import make_battles


def test_winner_labels_map_to_targets():
    assert winner_target("a") == 1.0 and winner_target("b") == 0.0
    assert winner_target("tie") == 0.5 and winner_target("tie (bothbad)") == 0.5
    with pytest.raises(ValueError, match="winner"):
        winner_target("model_c")


def test_battle_set_indexes_prompts_and_models():
    frame, prompts, _ = make_battles(20, 3)
    battles = BattleSet.from_frame(frame)
    assert len(battles) == len(frame)
    assert sorted(battles.prompts) == sorted(set(prompts))
    assert [battles.prompts[i] for i in battles.prompt_index] == frame["prompt"].tolist()
    assert [battles.models[i] for i in battles.model_a] == frame["model_a"].tolist()


def test_model_spellings_merge_into_one_model():
    frame = pd.DataFrame({
        "prompt": ["p", "q"], "model_a": ["Mixtral-8x7B-Instruct-v0.1", "gpt-4"],
        "model_b": ["gpt-4", "mistralai/Mixtral-8x7B-Instruct-v0.1"], "winner": ["b", "a"],
    })
    battles = BattleSet.from_frame(frame)
    assert battles.models == ["gpt-4", "mistralai/Mixtral-8x7B-Instruct-v0.1"]


def test_bad_tables_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="winner"):
        BattleSet.from_frame(pd.DataFrame({"prompt": ["p"], "model_a": ["x"], "model_b": ["y"]}))
    with pytest.raises(ValueError, match="empty"):
        BattleSet.from_frame(pd.DataFrame(columns=["prompt", "model_a", "model_b", "winner"]))
    with pytest.raises(ValueError, match="itself"):
        BattleSet.from_frame(pd.DataFrame({"prompt": ["p"], "model_a": ["x"], "model_b": ["X"], "winner": ["a"]}))


def test_source_balance_gives_each_source_equal_weight():
    frame, _, _ = make_battles(30, 4)
    frame = pd.concat([frame, frame.head(10).assign(source="small")], ignore_index=True)
    balanced = BattleSet.from_frame(frame).with_source_balance()
    big, small = balanced.weight[balanced.source == "synthetic"].sum(), balanced.weight[balanced.source == "small"].sum()
    assert big == pytest.approx(small)
    assert balanced.weight.sum() == pytest.approx(len(frame))
    with pytest.raises(ValueError, match="no battles from"):
        BattleSet.from_frame(frame).with_source_balance({"nowhere": 1.0})


def test_unweighted_sets_mixed_with_weighted_ones_count_once():
    frame, _, _ = make_battles(10, 3)
    weighted = frame.head(4).assign(source="judged", weight=[0.5, 2.0, 1.0, 0.25])
    mixed = pd.concat([frame, weighted], ignore_index=True)  # the first part has no weight: NaN after concat
    battles = BattleSet.from_frame(mixed, weight_column="weight")
    assert (battles.weight[: len(frame)] == 1.0).all()
    assert battles.weight[len(frame):].tolist() == [0.5, 2.0, 1.0, 0.25]
    with pytest.raises(ValueError, match="non-negative"):
        BattleSet.from_frame(weighted.assign(weight=[1.0, -1.0, 1.0, 1.0]), weight_column="weight")
