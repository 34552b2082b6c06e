"""Decontamination: each rule on its own, the report, the evaluation-prompt reader and the embedding cache."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from routellm_core.data import (
    DataError,
    DecontaminationReport,
    PromptOutcomes,
    decontaminate,
    embed_texts,
    evaluation_prompts,
    normalise_text,
)
from routellm_core.data.embedding_cache import CACHE_DIR_ENV, content_key, default_cache_dir
from routellm_core.data.text_match import TextIndex

EVAL = {
    "mmlu": ["Which planet is known as the red planet?\nA. Venus\nB. Mars\nC. Jupiter\nD. Saturn\nAnswer:"],
    "gsm8k": ["Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins"
              " for her friends every day with four. How many eggs are left?"],
    "mt-bench": ["Compose an engaging travel blog post about a recent trip to Hawaii.",
                 "Rewrite your previous response. Start every sentence with the letter A."],
}


class FakeEmbedder:
    """Vectors chosen by the test: listed texts get their vector, others a random one from their hash."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int = 8):
        self.model_name = "fake-embedder"
        self.vectors = vectors
        self.dim = dim
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        rows = []
        for text in texts:
            if text in self.vectors:
                rows.append(np.asarray(self.vectors[text], dtype=np.float32))
            else:
                seed = int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "little") % (2**32)
                rows.append(np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32))
        return np.stack(rows)


def table(prompts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"prompt": prompts, "source": "train", "licence": "MIT"})


def text_only(prompts, **kwargs):
    return decontaminate(table(prompts), EVAL, use_embeddings=False, progress=False, **kwargs)


def test_normalise_text_ignores_case_whitespace_punctuation():
    assert normalise_text("  What's   2+2?\n") == normalise_text("what s 2 + 2") == "what s 2 2"
    assert normalise_text("Ｆｕｌｌ　width") == "full width"  # NFKC


def test_exact_rule_after_normalising():
    clean, report = text_only(["COMPOSE an engaging travel-blog post about a recent trip to Hawaii!!", "Say hi."])
    assert clean["prompt"].tolist() == ["Say hi."]
    assert report.dropped_prompts == {"exact": {"mt-bench": 1}}


def test_span_rule_needs_the_full_span():
    # "Janet's" normalises to two words: "janet s"
    thirteen = "Janet's ducks lay 16 eggs per day. She eats three for breakfast, then naps"  # 13 shared words
    twelve = "Janet's ducks lay 16 eggs per day. She eats three for lunch, then naps"  # 12 shared words
    clean, report = text_only([f"Question: {thirteen}", f"Question: {twelve}"])
    assert clean["prompt"].tolist() == [f"Question: {twelve}"]
    assert report.dropped_prompts == {"span": {"gsm8k": 1}}
    _, shorter = text_only([f"Question: {twelve}"], span_words=12)
    assert shorter.dropped_prompts == {"span": {"gsm8k": 1}}  # a shorter span setting catches it


def test_prefix_rule_catches_a_question_without_its_options():
    clean, report = text_only(["Which planet is known as the red planet?", "Which planet?"])
    assert clean["prompt"].tolist() == ["Which planet?"]  # shorter than min_prefix_chars: kept
    assert report.dropped_prompts == {"prefix": {"mmlu": 1}}
    assert report.examples[0]["eval_prompt"].startswith("Which planet is known")


def test_prefix_rule_on_a_long_shared_start():
    # 11 shared words (no 13-word span) but the same first 60 normalised characters
    prompt = "Compose an engaging travel blog post about a recent trip to Japan, please."
    clean, report = text_only([prompt])
    assert clean.empty and report.dropped_prompts == {"prefix": {"mt-bench": 1}}
    _, strict = text_only([prompt], prefix_chars=61)
    assert strict.prompts_dropped == 0


def test_unrelated_prompts_are_kept():
    prompts = ["Write a haiku about autumn.", "Explain TCP slow start.", "What is the red planet's moon called?"]
    clean, report = text_only(prompts)
    assert clean["prompt"].tolist() == prompts
    assert report.prompts_dropped == 0 and report.rows_dropped == 0


def test_embedding_rule_threshold():
    near = np.array([1.0, 0.0, 0, 0, 0, 0, 0, 0])
    eval_prompt = EVAL["mt-bench"][1]
    at_096 = np.array([0.96, np.sqrt(1 - 0.96**2), 0, 0, 0, 0, 0, 0])
    at_094 = np.array([0.94, 0, np.sqrt(1 - 0.94**2), 0, 0, 0, 0, 0])
    embedder = FakeEmbedder({eval_prompt: near, "paraphrase close": at_096, "paraphrase far": at_094})
    clean, report = decontaminate(table(["paraphrase close", "paraphrase far", "other"]), EVAL,
                                  embedder=embedder, progress=False, use_cache=False)
    assert clean["prompt"].tolist() == ["paraphrase far", "other"]
    assert report.dropped_prompts == {"embedding": {"mt-bench": 1}}
    assert report.examples[0]["eval_prompt"] == eval_prompt
    _, looser = decontaminate(table(["paraphrase far"]), EVAL, embedder=embedder, cosine_threshold=0.93,
                              progress=False, use_cache=False)
    assert looser.prompts_dropped == 1


def test_text_rules_run_before_embeddings_and_count_once():
    eval_prompt = EVAL["mt-bench"][0]
    same = np.ones(8)
    embedder = FakeEmbedder({eval_prompt: same, eval_prompt.upper(): same})
    _, report = decontaminate(table([eval_prompt.upper()]), EVAL, embedder=embedder, progress=False, use_cache=False)
    assert report.dropped_prompts == {"exact": {"mt-bench": 1}}


def test_report_counts_rows_and_prompts_and_prints():
    prompts = [EVAL["mt-bench"][0]] * 3 + ["keep me"] * 2 + ["Which planet is known as the red planet?"]
    clean, report = text_only(prompts)
    assert len(clean) == 2
    assert (report.rows_before, report.rows_after, report.prompts_before, report.prompts_after) == (6, 2, 3, 1)
    assert report.dropped_rows == {"exact": {"mt-bench": 3}, "prefix": {"mmlu": 1}}
    assert report.prompts_by_rule() == {"exact": 1, "span": 0, "prefix": 1, "embedding": 0}
    assert report.prompts_by_set() == {"mmlu": 1, "mt-bench": 1}
    text = str(report)
    assert "dropped 2 of 3 prompts (4 of 6 rows)" in text and "mt-bench" in text
    assert "rules not run: embedding" in text
    json.dumps(report.to_dict())  # JSON-ready for a checkpoint card
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(report)
    assert "exact" in console.export_text()


def test_outcome_tables_stay_outcome_tables():
    outcomes = PromptOutcomes(
        pd.DataFrame({"prompt_id": ["1", "2"], "prompt": [EVAL["mt-bench"][0], "fresh prompt"],
                      "source": "s", "licence": "MIT", "m1": [1.0, 0.0], "m2": [0.0, 1.0]}),
        ["m1", "m2"], "correctness", name="s")
    clean, report = decontaminate(outcomes, EVAL, use_embeddings=False, progress=False)
    assert isinstance(clean, PromptOutcomes) and clean.prompts == ["fresh prompt"]
    assert report.name == "s"


@pytest.mark.parametrize("kwargs, message", [
    ({"eval_prompts": {}}, "eval_prompts is empty"),
    ({"cosine_threshold": 1.5}, "cosine_threshold"),
    ({"span_words": 0}, "span_words"),
])
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"eval_prompts": EVAL, **kwargs}
    with pytest.raises(DataError, match=message):
        decontaminate(table(["x"]), use_embeddings=False, progress=False, **arguments)


def test_table_without_prompt_column():
    with pytest.raises(DataError, match="no 'prompt' column"):
        decontaminate(pd.DataFrame({"text": ["x"]}), EVAL, use_embeddings=False)


def test_text_index_names_the_matched_prompt():
    index = TextIndex()
    index.add(EVAL["gsm8k"], "gsm8k")
    rule, name, prompt = index.match("janets ducks lay 16 eggs per day she eats three for breakfast every morning")
    assert (rule, name, prompt) == ("span", "gsm8k", EVAL["gsm8k"][0])
    assert index.match("") is None


def write_evals(folder):
    (folder / "mmlu" / "responses").mkdir(parents=True)
    pd.DataFrame({"prompt": ["Q1?\nA. x\nAnswer:", "Q2?\nA. y\nAnswer:"], "gpt-4": [True, False]}).to_csv(
        folder / "mmlu" / "responses" / "mmlu_a.csv", index=False)
    pd.DataFrame({"prompt": ["Q3?\nA. z\nAnswer:", "Q1?\nA. x\nAnswer:"], "gpt-4": [True, True]}).to_csv(
        folder / "mmlu" / "responses" / "mmlu_b.csv", index=False)
    (folder / "gsm8k").mkdir()
    pd.DataFrame({"prompt": ["How many apples?"], "gpt-4": [True]}).to_csv(
        folder / "gsm8k" / "gsm8k_responses.csv", index=False)
    (folder / "mt_bench").mkdir()
    (folder / "mt_bench" / "question.jsonl").write_text(
        json.dumps({"question_id": 81, "category": "writing", "turns": ["First turn", "Second turn"]}) + "\n")


def test_evaluation_prompts_reads_every_set_and_all_turns(tmp_path):
    write_evals(tmp_path)
    prompts = evaluation_prompts(tmp_path)
    assert prompts["mmlu"] == ["Q1?\nA. x\nAnswer:", "Q2?\nA. y\nAnswer:", "Q3?\nA. z\nAnswer:"]  # deduplicated
    assert prompts["gsm8k"] == ["How many apples?"]
    assert prompts["mt-bench"] == ["First turn", "Second turn"]


def test_evaluation_prompts_prefers_the_compact_mmlu_table(tmp_path):
    write_evals(tmp_path)
    pd.DataFrame({"domain": ["a"], "prompt": ["Compact?"], "mixtral_correct": [True], "gpt4_correct": [True]}
                 ).to_parquet(tmp_path / "mmlu" / "mmlu_all_compact.parquet")
    assert evaluation_prompts(tmp_path)["mmlu"] == ["Compact?"]


def test_evaluation_prompts_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no evaluation sets"):
        evaluation_prompts(tmp_path)


def test_embedding_cache_round_trip(tmp_path):
    embedder = FakeEmbedder({})
    texts = ["alpha", "beta", "gamma"]
    first = embed_texts(texts, embedder, cache_dir=tmp_path, progress=False)
    assert embedder.calls == 1
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)  # normalised
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and files[0].stem == content_key("fake-embedder", texts)
    np.load(files[0], allow_pickle=False)  # plain .npy, no pickle
    again = embed_texts(texts, embedder, cache_dir=tmp_path, progress=False)
    assert embedder.calls == 1 and np.array_equal(first, again)  # served from disk
    embed_texts(texts[:2], embedder, cache_dir=tmp_path, progress=False)
    assert embedder.calls == 2  # other texts, other key


def test_embedding_rows_follow_the_input_order(tmp_path):
    embedder = FakeEmbedder({})
    texts = ["a much longer text than the others", "b", "medium text"]
    vectors = embed_texts(texts, embedder, cache_dir=tmp_path, batch_size=1, progress=False)
    expected = embedder.encode(texts)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected)  # embedded shortest first, returned in the given order


def test_embedding_cache_recovers_from_a_corrupt_file(tmp_path):
    embedder = FakeEmbedder({})
    texts = ["alpha", "beta"]
    (tmp_path / f"{content_key('fake-embedder', texts)}.npy").write_bytes(b"not an npy file")
    vectors = embed_texts(texts, embedder, cache_dir=tmp_path, progress=False)
    assert vectors.shape == (2, 8) and embedder.calls == 1
    assert np.array_equal(np.load(tmp_path / f"{content_key('fake-embedder', texts)}.npy"), vectors)


def test_content_key_depends_on_model_and_text_boundaries():
    assert content_key("m", ["ab", "c"]) != content_key("m", ["a", "bc"])
    assert content_key("m", ["a"]) != content_key("n", ["a"])
    assert content_key("m", ["a"]) == content_key("m", ["a"])


def test_default_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert default_cache_dir() == tmp_path / "embeddings"


def test_decontaminate_with_a_real_sentence_transformer(tiny_st_dir, tmp_path):
    """The default path through the core's Embedder class (a tiny model built in-process)."""
    from routellm_core.embedding import Embedder

    embedder = Embedder(str(tiny_st_dir))
    clean, report = decontaminate(table(["A fresh prompt about cooking pasta", "another unrelated one"]), EVAL,
                                  embedder=embedder, cosine_threshold=0.9999, cache_dir=tmp_path, progress=False)
    assert report.settings["rules"][-1] == "embedding"
    assert len(list(tmp_path.glob("*.npy"))) == 4  # the training prompts and each evaluation set
    assert isinstance(report, DecontaminationReport) and len(clean) + report.rows_dropped == 2
