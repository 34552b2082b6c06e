"""The demo's wiring, end to end with tiny in-process models (no demo model is downloaded or needed)."""

from __future__ import annotations

import importlib.util
import io
import math
from pathlib import Path

import pytest
from rich.console import Console

from routellm_demo import DemoModelError, GgufSource, PackagePart
from routellm_demo.report import CallRecord, Prices, one_line, summarize
from routellm_demo.tiny import tiny_chat_model, tiny_pair

DEMO_PATH = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("routellm_offline_demo", DEMO_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_demo(demo, tiny_st_dir, *args):
    out = io.StringIO()
    records = demo.main(["--fake-models", "--embedding-model", str(tiny_st_dir), *args], Console(file=out, width=200))
    return records, out.getvalue()


def test_tiny_models_answer_through_both_frameworks():
    from llama_index.core.llms import ChatMessage

    model = tiny_chat_model("tiny-x", max_new_tokens=5)
    message = model.as_langchain().invoke("hello")
    assert isinstance(message.content, str) and 0 < len(message.content) <= 5  # bytes: one per token
    assert message.content.isprintable()
    response = model.as_llamaindex().chat([ChatMessage(role="user", content="hello")])
    assert response.message.content == message.content  # same weights, same prompt, greedy


def test_tiny_models_differ_and_leave_the_global_seed_alone():
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    strong, weak = tiny_pair()
    assert torch.equal(torch.rand(3), expected)
    assert strong.name != weak.name
    assert not torch.equal(strong.model.lm_head.weight[:, :8], weak.model.lm_head.weight[:, :8])


def test_count_tokens_uses_the_chat_template():
    model = tiny_chat_model("tiny-x")
    # byte-level: one token per byte; the template adds <|im_start|>user\n ... <|im_end|>\n<|im_start|>assistant\n
    assert model.count_tokens([{"role": "user", "content": "abc"}], "xy") == (1 + 5 + 3 + 1 + 1 + 1 + 10, 2)


def test_fake_demo_routes_every_prompt_by_the_threshold(demo, tiny_st_dir):
    records, output = run_demo(demo, tiny_st_dir)
    assert [r.prompt for r in records] == demo.PROMPTS + demo.QUERIES
    assert [r.via for r in records] == ["LangChain"] * len(demo.PROMPTS) + ["LlamaIndex"] * len(demo.QUERIES)
    for record in records:
        assert record.model == ("strong" if record.win_probability >= record.threshold else "weak")
        assert record.model_name == f"tiny-{record.model}"
        assert record.input_tokens > 0 and record.seconds >= 0
    assert len({r.threshold for r in records}) == 1
    # calibrated so that half of the eight demo prompts go strong
    assert sum(r.model == "strong" for r in records[: len(demo.PROMPTS)]) == len(demo.PROMPTS) // 2
    summary = summarize(records)
    assert f"Strong calls: {summary.strong_calls} of {len(records)}" in output
    assert "always-strong" in output and "example prices" in output
    for record in records:
        assert f"{record.win_probability:.3f}" in output


def test_demo_reports_missing_model_packages(demo, monkeypatch, tmp_path):
    monkeypatch.setenv("ROUTELLM_DEMO_CACHE", str(tmp_path))
    missing = GgufSource("absent", "Absent/Model", (PackagePart("absent-weights", "1.0", "absent_weights", "m.gguf"),), "0" * 64)
    monkeypatch.setattr(demo, "STRONG", missing)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        demo.main([], Console(file=out, width=200))
    assert exit_info.value.code == 2
    assert "absent-weights is not installed" in out.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_local_embedding_wraps_the_core_embedder(tiny_st_dir):
    from routellm_demo.embeddings import LocalEmbedding

    embedding = LocalEmbedding(str(tiny_st_dir))
    vectors = embedding.get_text_embedding_batch(["prove a theorem", "hello"])
    assert len(vectors) == 2 and len(vectors[0]) == 16
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    assert embedding.get_query_embedding("hello") == pytest.approx(vectors[1], abs=1e-6)


def record(model: str, input_tokens: int, output_tokens: int) -> CallRecord:
    return CallRecord("LangChain", "p", model, "m", 0.5, 0.5, "a", 1.0, input_tokens, output_tokens)


def test_summary_prices_the_same_tokens_both_ways():
    prices = Prices(strong_input=2.0, strong_output=10.0, weak_input=0.5, weak_output=1.0)
    summary = summarize([record("strong", 1000, 100), record("weak", 2000, 300)], prices)
    routed = (1000 * 2.0 + 100 * 10.0 + 2000 * 0.5 + 300 * 1.0) / 1e6
    always_strong = (1000 * 2.0 + 100 * 10.0 + 2000 * 2.0 + 300 * 10.0) / 1e6
    assert summary.strong_calls == 1 and summary.strong_share == 0.5
    assert summary.routed_cost == pytest.approx(routed)
    assert summary.always_strong_cost == pytest.approx(always_strong)
    assert summary.saving == pytest.approx(1 - routed / always_strong)
    assert summarize([]).strong_share == 0.0 and summarize([]).saving == 0.0


def test_one_line_flattens_and_shortens():
    assert one_line("a\x00b\n\n  c\x1b", 10) == "ab c"
    assert one_line("x" * 30, 10) == "x" * 9 + "…"


def test_missing_model_error_is_a_value_error():
    assert issubclass(DemoModelError, ValueError)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threshold", "1.5"], "--threshold: must be a number in [0, 1], got 1.5"),
        (["--strong-fraction", "nan"], "--strong-fraction: must be a number in [0, 1], got nan"),
        (["--max-new-tokens", "0"], "--max-new-tokens: must be at least 1, got 0"),
        (["--threshold", "0.3", "--strong-fraction", "0.2"], "not allowed with argument"),
    ],
)
def test_demo_refuses_bad_options(demo, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        demo.parse_args(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
