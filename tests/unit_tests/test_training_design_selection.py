import numpy as np
import pandas as pd
import pytest

from routellm_core.data import PromptOutcomes
from routellm_core.training.datasets import TrainingData
from routellm_core.training.design_selection import (
    Yardstick,
    design_report,
    pooled_cross_validation,
    yardstick_benchmark,
)

MODELS = ["big", "small"]


def correctness_table(name: str, prompts: list[str], categories: list[str], seed: int) -> PromptOutcomes:
    """Longer prompts: the big model right and the small one wrong more often."""
    rng = np.random.default_rng(seed)
    hard = np.array([len(p) > 30 for p in prompts])
    table = pd.DataFrame({
        "prompt_id": [str(i) for i in range(len(prompts))],
        "prompt": prompts,
        "source": name,
        "licence": "MIT",
        "category": categories,
        "big": (rng.random(len(prompts)) < 0.9).astype(float),
        "small": (rng.random(len(prompts)) < np.where(hard, 0.2, 0.9)).astype(float),
    })
    return PromptOutcomes(table, MODELS, "correctness", name=name)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    prompts = [("word " * int(rng.integers(2, 12))) + f"q{i}" for i in range(200)]
    shared = prompts[:20]  # the same prompts in both sets: held out from both at once
    a = correctness_table("set_a", prompts[:120], ["math" if i % 2 else "trivia" for i in range(120)], 1)
    b = correctness_table("set_b", shared + prompts[120:], ["x"] * 100, 2)
    return TrainingData(outcomes={"set_a": a, "set_b": b})


YARDSTICKS = (Yardstick("a_math", "set_a", "big", "small", "math"), Yardstick("b", "set_b", "big", "small"),
              Yardstick("absent", "set_c", "big", "small"))


def test_every_prompt_is_scored_once_by_a_router_that_never_saw_it(data):
    def spy(train, held_out):
        for name, table in train.outcomes.items():
            assert not set(table.prompts) & set(held_out), f"{name} kept a held-out prompt"
        return np.zeros(len(held_out))

    scores = pooled_cross_validation(spy, data, folds=5)
    assert set(scores) == set(data.outcomes["set_a"].prompts) | set(data.outcomes["set_b"].prompts)
    assert len(scores) == 200


def test_yardsticks_judge_their_own_prompts_and_skip_sets_not_loaded(data):
    length = lambda train, held_out: np.array([len(p) for p in held_out], dtype=float)  # noqa: E731
    noise = lambda train, held_out: np.random.default_rng(len(held_out)).random(len(held_out))  # noqa: E731
    by_length = design_report(length, data, YARDSTICKS)
    assert set(by_length) == {"a_math", "b"}
    assert by_length["a_math"].n == 60 and by_length["b"].n == 100
    # The synthetic gap follows length, so length must beat noise on both yardsticks.
    by_noise = design_report(noise, data, YARDSTICKS)
    assert all(by_length[k].apgr > by_noise[k].apgr for k in by_length)


def test_a_category_yardstick_on_a_set_without_categories_is_named(data):
    table = data.outcomes["set_b"].table.drop(columns=["category"])
    flat = TrainingData(outcomes={"set_b": PromptOutcomes(table, MODELS, "correctness", name="set_b")})
    with pytest.raises(ValueError, match="needs categories"):
        yardstick_benchmark(flat, Yardstick("b_math", "set_b", "big", "small", "math"))


def test_no_loaded_yardstick_set_is_an_error(data):
    with pytest.raises(ValueError, match="no yardstick's set is loaded"):
        design_report(lambda t, h: np.zeros(len(h)), data, (Yardstick("c", "set_c", "big", "small"),))


def test_the_command_prints_one_row_per_design_with_the_mean(data, monkeypatch, capsys):
    from routellm_core.training import datasets, design_selection

    rng = np.random.default_rng(0)
    prompts = {p for table in data.outcomes.values() for p in table.prompts}
    with_vectors = TrainingData(outcomes=data.outcomes, embeddings={p: rng.normal(size=8).astype(np.float32) for p in prompts})
    monkeypatch.setattr(datasets, "load_training_data", lambda *args, **kwargs: with_vectors)
    monkeypatch.setattr(design_selection, "DESIGN_YARDSTICKS", YARDSTICKS)
    design_selection.main(["difficulty", "-p", "alpha=1.0", "-p", "use_features=true", "--baseline", "length"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| design | a_math | b | mean |"
    assert lines[2].startswith("| length |") and lines[3].startswith("| difficulty alpha=1.0 use_features=True |")
    cells = [float(c) for c in lines[2].strip("|").split("|")[1:]]
    assert cells[2] == pytest.approx((cells[0] + cells[1]) / 2, abs=1e-3)
    with pytest.raises(SystemExit):
        design_selection.main(["difficulty", "-p", "alpha"])
