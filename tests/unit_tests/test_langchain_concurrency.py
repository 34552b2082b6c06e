"""RoutedChatModel under load: 1,000 concurrent async calls and threaded batches with a real router.

Every prompt is distinct, so each answer can be checked against its own prompt: the inner model's
echo, the length router's score for that prompt, and the model that score selects. The ledger's
totals must equal the sum of the per-call usage exactly.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from routellm_core.routers import LengthRouter
from routellm_langchain import RoutedChatModel, RoutingLedgerCallbackHandler
from routellm_core.ledger import RoutingLedger
from routellm_langchain.testing import FakeToolChatModel

STRONG, WEAK = "fake-strong-model", "fake-weak-model"
CALLS = 1000


class _ThreadRecordingLengthRouter(LengthRouter):
    """The real length router, remembering which threads scored."""

    def __init__(self) -> None:
        super().__init__(name="length")
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def _score(self, texts):
        with self._lock:
            self.threads.add(threading.get_ident())
        return super()._score(texts)


def prompts(n: int = CALLS) -> list[str]:
    # Distinct texts of many lengths (few words, so answers stream in few chunks): about half
    # score above 0.5 with the length router.
    return [f"question {i}: " + "why" * (i % 200) for i in range(n)]


def routed(**kwargs) -> RoutedChatModel:
    params = {
        "strong": FakeToolChatModel(model_name=STRONG),
        "weak": FakeToolChatModel(model_name=WEAK),
        "router": "length",
        "threshold": 0.5,
    }
    return RoutedChatModel(**{**params, **kwargs})


def check_answers(model: RoutedChatModel, questions: list[str], answers: list) -> None:
    """Each answer belongs to its own prompt, and the ledger adds up to the answers' usage."""
    reference = LengthRouter()
    assert len(answers) == len(questions)
    totals = {"strong": [0, 0, 0], "weak": [0, 0, 0]}
    for question, answer in zip(questions, answers):
        decision = answer.response_metadata["routellm"]
        expected_score = reference.win_probability(question)
        assert decision["win_probability"] == expected_score, question
        assert decision["model"] == ("strong" if expected_score >= decision["threshold"] else "weak"), question
        name = STRONG if decision["model"] == "strong" else WEAK
        assert decision["model_name"] == name and answer.response_metadata["model_name"] == name
        assert answer.content == f"{name} heard: {question.strip()}"
        usage = answer.usage_metadata
        totals[decision["model"]][0] += 1
        totals[decision["model"]][1] += usage["input_tokens"]
        totals[decision["model"]][2] += usage["output_tokens"]
    snapshot = model.ledger.snapshot()
    for role, usage in (("strong", snapshot.strong), ("weak", snapshot.weak)):
        assert [usage.calls, usage.input_tokens, usage.output_tokens] == totals[role]
    assert 0 < snapshot.strong.calls < len(questions)  # both models were used


class _CountingHandler(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts = 0
        self.ends = 0
        self.errors = 0
        self._lock = threading.Lock()

    def on_chat_model_start(self, *args, **kwargs) -> None:
        with self._lock:
            self.starts += 1

    def on_llm_end(self, *args, **kwargs) -> None:
        with self._lock:
            self.ends += 1

    def on_llm_error(self, *args, **kwargs) -> None:
        with self._lock:
            self.errors += 1


async def test_a_thousand_concurrent_ainvoke_calls_each_get_their_own_answer():
    model = routed()
    questions = prompts()
    counter, handler_ledger = _CountingHandler(), RoutingLedger()
    config = {"callbacks": [counter, RoutingLedgerCallbackHandler(handler_ledger)]}
    answers = await asyncio.gather(*(model.ainvoke(q, config=config) for q in questions))
    check_answers(model, questions, answers)
    assert (counter.starts, counter.ends, counter.errors) == (CALLS, CALLS, 0)
    assert handler_ledger.snapshot() == model.ledger.snapshot()  # the handler saw exactly the same calls


async def test_a_thousand_input_abatch_answers_each_input_in_order():
    model = routed()
    questions = prompts()
    answers = await model.abatch(questions, config={"max_concurrency": 200})
    check_answers(model, questions, answers)


async def test_concurrent_astream_calls_are_recorded_once_each():
    model = routed()
    questions = prompts(300)

    async def read(question):
        chunks = [chunk async for chunk in model.astream(question)]
        return sum(chunks[1:], chunks[0])

    answers = await asyncio.gather(*(read(q) for q in questions))
    check_answers(model, questions, answers)


async def test_concurrent_calls_in_adaptive_mode_each_use_the_threshold_they_report():
    model = routed(threshold=None, strong_fraction=0.3, adaptive=True)
    questions = prompts(500)
    answers = await asyncio.gather(*(model.ainvoke(q) for q in questions))
    check_answers(model, questions, answers)
    thresholds = {a.response_metadata["routellm"]["threshold"] for a in answers}
    assert len(thresholds) > 10  # the threshold moved while the calls ran
    assert model.ledger.snapshot().strong_share == pytest.approx(0.3, abs=0.1)


@pytest.mark.parametrize("mode", ["batch", "threads"])
def test_threaded_batch_shares_one_router_across_threads(mode):
    router = _ThreadRecordingLengthRouter()
    model = routed(router=router)
    questions = prompts(400)
    if mode == "batch":
        answers = model.batch(questions, config={"max_concurrency": 16})
    else:  # the same model object called from plain threads
        answers = [None] * len(questions)

        def work(indices):
            for i in indices:
                answers[i] = model.invoke(questions[i])

        threads = [threading.Thread(target=work, args=(range(k, len(questions), 8),)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    check_answers(model, questions, answers)
    assert len(router.threads) > 1  # the one router really was called from several threads
    assert model.get_router() is router


def test_the_router_loads_once_under_a_threaded_batch(monkeypatch):
    import routellm_core.routing.engine as routing_engine

    loads = []
    real = routing_engine.load_router

    def counting_load(spec):
        loads.append(spec)
        return real(spec)

    monkeypatch.setattr(routing_engine, "load_router", counting_load)
    model = routed()
    model.batch(prompts(200), config={"max_concurrency": 16})
    assert loads == ["length"]
