"""A LlamaIndex query engine over a few local documents, answered by a routed LLM. Runs offline:
mock inner LLMs, a tiny hashing embedding, and the bundled router.

The prompt template puts the retrieved context in a system message and the question alone in the
user message, so the router scores the question, not the documents pasted around it.

    python examples/llamaindex_query_engine.py [--router default] [--strong-fraction 0.5]
"""

from __future__ import annotations

import math
import re
import tempfile
import zlib
from pathlib import Path

from llama_index.core import ChatPromptTemplate, Settings, SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import ChatMessage, MessageRole

from routellm_llamaindex import RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import NamedMockLLM

from _common import routing_arguments, why

DOCUMENTS = {
    "tea.txt": "Green tea is steeped at 70 to 80 degrees Celsius for two to three minutes.",
    "bread.txt": "Sourdough bread rises with a starter of wild yeast and lactic acid bacteria; "
    "a long cold proof develops its sour flavour.",
    "bikes.txt": "A bicycle chain should be cleaned and lubricated about every 300 kilometres.",
}

QUESTIONS = [
    "How hot should the water be for green tea?",
    "Why does a long cold proof change the flavour of sourdough, and what do the yeast and the "
    "bacteria each contribute to the dough while it rises?",
    "How often should I oil my bike chain?",
]

QA_TEMPLATE = ChatPromptTemplate(
    [
        ChatMessage(role=MessageRole.SYSTEM, content="Answer from these notes only:\n{context_str}"),
        ChatMessage(role=MessageRole.USER, content="{query_str}"),
    ]
)


class HashingEmbedding(BaseEmbedding):
    """A bag of words hashed into a small vector: no model, no download, good enough to retrieve."""

    dim: int = 256

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in re.findall(r"[a-z]+", text.lower()):
            vector[zlib.crc32(word.encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._embed(query)


def answer_from_notes(name: str):
    """A mock model's reply: the first retrieved note, signed with the model's name."""

    def reply(messages, **kwargs) -> ChatMessage:
        notes = messages[0].content.split("\n", 2)[-1].strip()
        first = notes.split("\n\n")[0].splitlines()[-1]  # skip the "file_path: ..." metadata line
        return ChatMessage(role=MessageRole.ASSISTANT, content=f"[{name}] {first}")

    return reply


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as the routed LLM makes it (an instrumentation event handler)."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event, **kwargs) -> None:
        if isinstance(event, RoutingDecisionEvent):
            print(f"  routed to {why(event.model_dump())}")


def main() -> None:
    args = routing_arguments(__doc__, strong_fraction=0.34)

    # The one-line swap: wherever an app sets Settings.llm, set a RoutedLLM instead.
    Settings.llm = RoutedLLM(
        strong=NamedMockLLM("gpt-4o (mock)", response_generator=answer_from_notes("gpt-4o (mock)")),
        weak=NamedMockLLM("gpt-4o-mini (mock)", response_generator=answer_from_notes("gpt-4o-mini (mock)")),
        router=args.router,
        strong_fraction=args.strong_fraction,
        calibration_prompts=QUESTIONS,  # in practice: a sample of your own users' questions
    )
    Settings.embed_model = HashingEmbedding()
    get_dispatcher().add_event_handler(PrintDecisions())

    with tempfile.TemporaryDirectory() as folder:
        for name, text in DOCUMENTS.items():
            (Path(folder) / name).write_text(text)
        documents = SimpleDirectoryReader(folder).load_data()
    index = VectorStoreIndex.from_documents(documents)
    engine = index.as_query_engine(similarity_top_k=1, text_qa_template=QA_TEMPLATE)

    for question in QUESTIONS:
        print(f"question: {question}")
        response = engine.query(question)
        print(f"  answer: {response}\n")


if __name__ == "__main__":
    main()
