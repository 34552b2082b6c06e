"""RoutedLLM's budget features: the ledger (reported or estimated usage, streams counted once), the
ledger event handler, adaptive strong-share mode, cost-budget mode and per-call overrides."""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.callbacks import llm_chat_callback

from routellm_core import calibrate_threshold, load_router
from routellm_core.adaptive import CostBudget
from routellm_core.conversation import approx_token_count
from routellm_core.ledger import Price, RoutingLedger
from routellm_llamaindex import RoutedLLM, RoutedUsageEvent, RoutingLedgerEventHandler
from routellm_llamaindex.testing import KeywordRouter, MeteredMockLLM, NamedMockLLM, mock_usage, signed_echo
from routellm_llamaindex.usage import reported_usage

from .llamaindex_helpers import EASY, HARD, meta, user

STRONG_PRICE, WEAK_PRICE = Price(10.0, 30.0), Price(1.0, 3.0)


def metered(**kwargs) -> RoutedLLM:
    """Two mocks that report usage (characters in and out), signing their answers; a keyword router."""
    kwargs.setdefault("router", KeywordRouter())
    if "budget" not in kwargs and "adaptive" not in kwargs:
        kwargs.setdefault("threshold", 0.5)
    return RoutedLLM(
        strong=MeteredMockLLM("strong-model", response_generator=signed_echo("strong-model")),
        weak=MeteredMockLLM("weak-model", response_generator=signed_echo("weak-model")),
        **kwargs,
    )


def usages(collected) -> list[RoutedUsageEvent]:
    return [e for e in collected if isinstance(e, RoutedUsageEvent)]


# ---- usage as reported or estimated ---------------------------------------------------------


@pytest.mark.parametrize(
    "raw, additional_kwargs, expected",
    [
        (SimpleNamespace(usage=SimpleNamespace(prompt_tokens=12, completion_tokens=5)), {}, (12, 5)),  # OpenAI object
        ({"usage": {"input_tokens": 7, "output_tokens": 3}}, {}, (7, 3)),  # Anthropic
        ({"usage_metadata": {"prompt_token_count": 9, "candidates_token_count": 4}}, {}, (9, 4)),  # Gemini
        ({"prompt_eval_count": 20, "eval_count": 8, "done": True}, {}, (20, 8)),  # Ollama
        ({"usage": {"inputTokens": 6, "outputTokens": 2}}, {}, (6, 2)),  # Bedrock Converse
        ({}, {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12}, (11, 1)),  # LlamaIndex OpenAI
        ({"usage": {"output_tokens": 4}}, {}, (0, 4)),  # a streaming delta that only carries output
        ({"content": "no usage here"}, {}, None),
        (None, {}, None),
        ({"usage": None}, {"usage": "n/a"}, None),
    ],
)
def test_reported_usage_is_read_from_the_usual_provider_places(raw, additional_kwargs, expected):
    response = ChatResponse(message=ChatMessage(role="assistant", content="ok"), raw=raw, additional_kwargs=additional_kwargs)
    assert reported_usage(response) == expected
    assert reported_usage(CompletionResponse(text="ok", raw=raw, additional_kwargs=additional_kwargs)) == expected


def _run(llm, method, text):
    if method in ("chat", "stream_chat"):
        out = getattr(llm, method)(user(text))
        return list(out) if method == "stream_chat" else [out]
    if method == "complete":
        return [llm.complete(text)]

    async def go():
        if method == "achat":
            return [await llm.achat(user(text))]
        if method == "acomplete":
            return [await llm.acomplete(text)]
        return [r async for r in await llm.astream_chat(user(text))]

    return asyncio.run(go())


@pytest.mark.parametrize("method", ["chat", "stream_chat", "achat", "astream_chat", "complete", "acomplete"])
def test_the_ledger_counts_reported_usage_once_per_call(method, events):
    llm = metered()
    _run(llm, method, HARD)
    _run(llm, method, EASY)
    snapshot = llm.ledger.snapshot()
    if "complete" in method:  # the mock echoes the prompt
        strong_usage, weak_usage = mock_usage(HARD, HARD), mock_usage(EASY, EASY)
    else:
        strong_usage = mock_usage(user(HARD), f"strong-model: {HARD}")
        weak_usage = mock_usage(user(EASY), f"weak-model: {EASY}")
    assert (snapshot.strong.calls, snapshot.strong.input_tokens, snapshot.strong.output_tokens) == (
        1, strong_usage["prompt_tokens"], strong_usage["completion_tokens"]
    )
    assert (snapshot.weak.calls, snapshot.weak.input_tokens, snapshot.weak.output_tokens) == (
        1, weak_usage["prompt_tokens"], weak_usage["completion_tokens"]
    )
    assert [(e.model, e.estimated) for e in usages(events)] == [("strong", False), ("weak", False)]


@pytest.mark.parametrize("method", ["chat", "stream_chat", "achat", "astream_chat"])
def test_without_reported_usage_the_ledger_estimates_tokens_of_the_text_sent_and_received(method, events):
    llm = RoutedLLM(
        strong=NamedMockLLM("strong-model", response_generator=signed_echo("strong-model")),
        weak=NamedMockLLM("weak-model", response_generator=signed_echo("weak-model")),
        router=KeywordRouter(),
        threshold=0.5,
    )
    responses = _run(llm, method, HARD)
    snapshot = llm.ledger.snapshot()
    assert snapshot.strong.calls == 1 and snapshot.weak.calls == 0
    assert snapshot.strong.input_tokens == approx_token_count(HARD)
    assert snapshot.strong.output_tokens == approx_token_count(responses[-1].message.content)
    assert [e.estimated for e in usages(events)] == [True]


class CumulativeStream(NamedMockLLM):
    """Streams three chunks, each reporting the usage so far (as Anthropic and others do)."""

    @llm_chat_callback()
    def stream_chat(self, messages, **kwargs):
        def gen():
            for i, word in enumerate(["one", " two", " three"]):
                usage = {"input_tokens": 10, "output_tokens": i + 1}
                yield ChatResponse(message=ChatMessage(role="assistant", content=word), delta=word, raw={"usage": usage})

        return gen()


def test_cumulative_stream_usage_is_taken_once_not_summed():
    llm = RoutedLLM(strong=CumulativeStream("s"), weak=CumulativeStream("w"), router=KeywordRouter(), threshold=0.5)
    assert len(list(llm.stream_chat(user(HARD)))) == 3
    snapshot = llm.ledger.snapshot()
    assert (snapshot.strong.calls, snapshot.strong.input_tokens, snapshot.strong.output_tokens) == (1, 10, 3)


def test_a_stream_left_early_is_counted_once_with_what_was_streamed():
    llm = metered()
    stream = llm.stream_chat(user(HARD))
    first = next(stream)
    stream.close()  # the consumer stops reading; usage was only on the (unread) last chunk
    snapshot = llm.ledger.snapshot()
    assert snapshot.strong.calls == 1
    assert snapshot.strong.input_tokens == approx_token_count(HARD)  # estimated: nothing was reported
    assert snapshot.strong.output_tokens == approx_token_count(first.delta)
    list(stream)  # reading a closed stream counts nothing more
    assert llm.ledger.snapshot().calls == 1


def test_a_ledger_can_be_shared_and_prices_give_cost_and_saving():
    ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    first, second = metered(ledger=ledger), metered(ledger=ledger)
    first.chat(user(HARD))
    second.chat(user(EASY))
    assert first.ledger is ledger and second.ledger is ledger
    snapshot = ledger.snapshot()
    strong, weak = mock_usage(user(HARD), f"strong-model: {HARD}"), mock_usage(user(EASY), f"weak-model: {EASY}")
    expected_cost = STRONG_PRICE.cost(strong["prompt_tokens"], strong["completion_tokens"]) + WEAK_PRICE.cost(
        weak["prompt_tokens"], weak["completion_tokens"]
    )
    assert snapshot.calls == 2 and snapshot.cost == pytest.approx(expected_cost)
    assert snapshot.saving > 0
    priced = metered(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    assert priced.ledger.strong_price == STRONG_PRICE and priced.ledger.weak_price == WEAK_PRICE
    assert metered().ledger.snapshot().cost == 0.0  # no prices: calls and tokens only


# ---- the event handler, for a RoutedLLM built elsewhere --------------------------------------


def test_the_event_handler_keeps_the_same_ledger_for_a_model_it_was_not_given():
    handler = RoutingLedgerEventHandler(ledger=RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE))
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        def boom(messages, **kwargs):
            raise TimeoutError("provider timed out")

        llm = RoutedLLM(  # built "elsewhere": the handler never sees this object
            strong=MeteredMockLLM("strong-model", response_generator=boom),
            weak=MeteredMockLLM("weak-model", response_generator=signed_echo("weak-model")),
            router=KeywordRouter(),
            threshold=0.5,
            fallback=True,
        )
        engine = SimpleChatEngine.from_defaults(llm=llm)
        engine.chat("an easy one")
        engine.chat("a hard one, the strong model fails and the weak one answers")
        list(engine.stream_chat("stream an easy one").response_gen)
        llm.complete("hard completion")
    finally:
        root.event_handlers.remove(handler)
    counted, own = handler.ledger.snapshot(), llm.ledger.snapshot()
    assert (counted.strong, counted.weak) == (own.strong, own.weak)  # calls and tokens, model by model
    assert handler.ledger.snapshot().calls == 4  # the failed strong attempt is not a call answered
    assert handler.ledger.snapshot().cost > 0


# ---- exact totals under concurrency ---------------------------------------------------------


class JitteryMetered(MeteredMockLLM):
    @llm_chat_callback()
    async def achat(self, messages, **kwargs):
        await asyncio.sleep(random.random() * 0.005)
        return self._answer(messages, **kwargs)


def test_ledger_totals_equal_the_sum_of_per_call_usage_under_concurrency():
    llm = RoutedLLM(
        strong=JitteryMetered("strong-model", response_generator=signed_echo("strong-model")),
        weak=JitteryMetered("weak-model", response_generator=signed_echo("weak-model")),
        router="length",
        threshold=0.55,
    )
    handler = RoutingLedgerEventHandler()
    get_dispatcher().add_event_handler(handler)
    rng = random.Random(3)
    prompts = [f"question {i}: " + "x" * rng.randint(1, 900) for i in range(600)]
    try:
        async def many():
            async def one_stream(p):
                return [r async for r in await llm.astream_chat(user(p))][-1]

            calls = [llm.achat(user(p)) if i % 2 else one_stream(p) for i, p in enumerate(prompts[:400])]
            return await asyncio.gather(*calls)

        responses = asyncio.run(many())
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses += list(pool.map(lambda p: llm.chat(user(p)), prompts[400:]))
    finally:
        get_dispatcher().event_handlers.remove(handler)
    expected = {"strong": [0, 0, 0], "weak": [0, 0, 0]}
    for prompt, response in zip(prompts, responses):
        model = meta(response)["model"]
        usage = mock_usage(user(prompt), response.message.content)
        expected[model][0] += 1
        expected[model][1] += usage["prompt_tokens"]
        expected[model][2] += usage["completion_tokens"]
    for ledger in (llm.ledger, handler.ledger):
        snapshot = ledger.snapshot()
        assert [snapshot.strong.calls, snapshot.strong.input_tokens, snapshot.strong.output_tokens] == expected["strong"]
        assert [snapshot.weak.calls, snapshot.weak.input_tokens, snapshot.weak.output_tokens] == expected["weak"]
    assert expected["strong"][0] > 50 and expected["weak"][0] > 50


# ---- adaptive mode ---------------------------------------------------------------------------


def shifting_prompts(n: int, seed: int) -> list[str]:
    """Prompts whose length-router scores follow Beta(2, 5), then Beta(5, 2) from halfway."""
    rng = np.random.default_rng(seed)
    scores = np.concatenate([rng.beta(2, 5, n // 2), rng.beta(5, 2, n - n // 2)])
    lengths = np.minimum(np.round(256 * scores / (1 - scores)), 8000).astype(int)  # score = n / (n + 256)
    return ["x" * max(int(length), 1) for length in lengths]


def test_adaptive_mode_holds_the_strong_share_through_a_shift_while_a_fixed_threshold_drifts():
    target, n = 0.3, 2000
    prompts = shifting_prompts(n, seed=0)
    llm = RoutedLLM(
        strong=NamedMockLLM("strong-model"), weak=NamedMockLLM("weak-model"),
        router="length", adaptive=True, strong_fraction=target,
    )
    metas = [meta(llm.complete(p)) for p in prompts]
    strong = np.array([m["model"] == "strong" for m in metas])
    for m in metas:  # each call records the threshold it actually used
        assert (m["win_probability"] >= m["threshold"]) == (m["model"] == "strong")
    thresholds = np.array([m["threshold"] for m in metas])
    assert thresholds[-1] > thresholds[900] + 0.2  # it moved with the traffic
    for start in range(500, n, 500):  # each 500-call window after warm-up
        assert abs(strong[start:start + 500].mean() - target) <= 0.06, start
    assert abs(strong[100:].mean() - target) <= 0.02
    assert llm.ledger.snapshot().strong_share == pytest.approx(strong.mean())
    # the same traffic with a threshold calibrated once on its first 500 prompts
    fixed = calibrate_threshold(load_router("length"), prompts[:500], target)
    fixed_llm = RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="length", threshold=fixed)
    fixed_strong = np.array([fixed_llm.decide(p).model == "strong" for p in prompts])
    assert abs(fixed_strong[:1000].mean() - target) <= 0.05
    assert fixed_strong[1000:].mean() > target + 0.5


@pytest.mark.parametrize("n_prompts", [57, 300])
def test_adaptive_mode_starts_warmed_up_on_calibration_prompts_and_previews_change_nothing(n_prompts):
    prompts = ["x" * (1 + (k * 7) % 400) for k in range(n_prompts)]
    llm = RoutedLLM(
        strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="length",
        adaptive=True, strong_fraction=0.3, calibration_prompts=prompts,
    )
    scores = load_router("length").win_probabilities(prompts)
    start = llm.effective_threshold
    if n_prompts < 100:  # fewer than the warm-up: the calibrated threshold until live calls complete it
        assert start == pytest.approx(calibrate_threshold(load_router("length"), prompts, 0.3))
    assert abs(np.mean(scores >= start) - 0.3) <= 0.08  # past warm-up: the quantile, then a few live steps
    assert len(llm.adaptive_threshold._recent) == n_prompts
    for _ in range(5):
        assert llm.decide("x" * 50).threshold == start  # previews are not traffic
    assert len(llm.adaptive_threshold._recent) == n_prompts
    assert meta(llm.complete("x" * 50))["threshold"] == start  # the threshold the call used
    assert len(llm.adaptive_threshold._recent) == n_prompts + 1


def test_per_call_overrides_still_work_in_adaptive_mode():
    llm = RoutedLLM(strong=NamedMockLLM("s"), weak=NamedMockLLM("w"), router="length", adaptive=True, strong_fraction=0.3)
    long_prompt = "x" * 2000  # scores 0.89
    m = meta(llm.complete(long_prompt, threshold=0.95))
    assert (m["model"], m["threshold"], m["reason"]) == ("weak", 0.95, "routed")
    m = meta(llm.complete(long_prompt, model="weak"))
    assert (m["model"], m["reason"]) == ("weak", "forced")
    assert m["threshold"] == pytest.approx(llm.adaptive_threshold.threshold)
    assert meta(llm.complete(long_prompt))["threshold"] == pytest.approx(0.5)  # the live one, before warm-up


# ---- cost-budget mode ------------------------------------------------------------------------


def test_a_cost_budget_holds_the_spend_per_call_near_its_target():
    # Every prompt has the same size, so each model's cost per call is steady; the random router
    # scores uniformly. The budget asks for the spend of 25 % strong calls.
    ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    prompts = [f"question {i:05d} " + "y" * 180 for i in range(1500)]
    strong_cost = STRONG_PRICE.cost(**_tokens(prompts[0], "strong-model"))
    weak_cost = WEAK_PRICE.cost(**_tokens(prompts[0], "weak-model"))
    target = weak_cost + 0.25 * (strong_cost - weak_cost)
    budget = CostBudget(ledger, cost_per_call=target)
    llm = metered(router="random", budget=budget)
    assert llm.ledger is ledger and llm.adaptive
    for prompt in prompts:
        llm.chat(user(prompt))
    snapshot = ledger.snapshot()
    assert snapshot.calls == 1500
    assert budget.strong_fraction() == pytest.approx(0.25, abs=0.01)
    assert snapshot.cost / snapshot.calls == pytest.approx(target, rel=0.05)
    assert abs(snapshot.strong_share - 0.25) <= 0.03


def _tokens(prompt: str, name: str) -> dict:
    usage = mock_usage(user(prompt), f"{name}: {prompt}")
    return {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]}
