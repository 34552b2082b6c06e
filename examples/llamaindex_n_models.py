"""A LlamaIndex query engine routed among three models: a cheap, a mid-priced and a dear one. The
router scores each question; the shares split the scores into three tiers (about half of typical
questions to the cheap model, 30 % to the middle one, 20 % to the dear one). Runs offline: mock inner
LLMs, a tiny hashing embedding, and the bundled `length` router (longer questions score higher).

    python examples/llamaindex_n_models.py [--router length] [--shares 0.5 0.3 0.2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler

from routellm_core.ledger import Price
from routellm_llamaindex import RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import NamedMockLLM

from llamaindex_query_engine import QA_TEMPLATE, HashingEmbedding, answer_from_notes

# Cheapest first: the order of `models`, `prices` and `shares`.
MODELS = {
    "llama-8b (mock)": Price(0.05, 0.08),
    "llama-70b (mock)": Price(0.6, 0.8),
    "llama-405b (mock)": Price(3.0, 3.0),
}

DOCUMENTS = {
    "tea.txt": "Green tea is steeped at 70 to 80 degrees Celsius for two to three minutes.",
    "bread.txt": "Sourdough bread rises with a starter of wild yeast and lactic acid bacteria; "
    "a long cold proof develops its sour flavour.",
    "bikes.txt": "A bicycle chain should be cleaned and lubricated about every 300 kilometres.",
}

QUESTIONS = [
    "How hot should the water be for green tea?",
    "How often should I clean and oil the chain of my bicycle if I ride to work every day, and does "
    "the answer change when it rains a lot or the roads are dusty?",
    "Why does a long cold proof change the flavour of sourdough bread so much? I would like to "
    "understand what the wild yeast and the lactic acid bacteria in the starter each contribute to "
    "the dough while it rises in the fridge overnight, which of them makes it sour, and whether a "
    "warmer and shorter proof would give a milder loaf with a more open crumb. Please also explain "
    "how long the starter should be fed before baking.",
]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", default="length", help="bundled router name or checkpoint directory")
    parser.add_argument(
        "--shares", type=float, nargs=len(MODELS), default=[0.5, 0.3, 0.2],
        help="the share of typical questions each model answers, cheapest first (they add up to 1)",
    )
    return parser.parse_args()


def why(event: RoutingDecisionEvent) -> str:
    """Which model answered and why: the router's score against the threshold of the model's tier."""
    if event.reason == "routed":
        sign = ">=" if event.win_probability >= event.threshold else "<"
        return f"{event.model}: score {event.win_probability:.3f} {sign} threshold {event.threshold:.3f}"
    if event.reason == "fallback":
        return f"{event.model}: fallback, {event.fallback_from} failed ({event.error})"
    return f"{event.model}: {event.reason}"


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as the routed LLM makes it (an instrumentation event handler)."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event, **kwargs) -> None:
        if isinstance(event, RoutingDecisionEvent):
            print(f"  routed to {why(event)}")


def main() -> None:
    args = arguments()
    names = list(MODELS)

    # Wherever an app sets Settings.llm: a RoutedLLM over the models, cheapest first.
    llm = RoutedLLM(
        models=[NamedMockLLM(name, response_generator=answer_from_notes(name)) for name in names],
        prices=list(MODELS.values()),
        shares=args.shares,
        router=args.router,
    )
    Settings.llm = llm
    Settings.embed_model = HashingEmbedding()
    get_dispatcher().add_event_handler(PrintDecisions())

    with tempfile.TemporaryDirectory() as folder:
        for name, text in DOCUMENTS.items():
            (Path(folder) / name).write_text(text)
        documents = SimpleDirectoryReader(folder).load_data()
    index = VectorStoreIndex.from_documents(documents)
    engine = index.as_query_engine(similarity_top_k=1, text_qa_template=QA_TEMPLATE)

    for question in QUESTIONS:
        print(f"question ({len(question)} characters): {question}")
        print(f"  answer: {engine.query(question)}\n")

    snapshot = llm.ledger.snapshot()
    print("ledger:")
    for name in names:
        usage = snapshot.usage[name]
        estimated = " (estimated: the mocks report no usage)" if usage.estimated_calls else ""
        print(f"  {name}: {usage.calls} call(s), {usage.input_tokens} tokens in, {usage.output_tokens} out{estimated}")
    print(f"  cost {snapshot.cost:.6f}, all to {names[-1]} {snapshot.always_strong_cost:.6f}")


if __name__ == "__main__":
    main()
