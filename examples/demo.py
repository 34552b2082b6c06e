"""The main job, offline: route prompts between a weak and a strong local chat model.

Eight prompts of clearly different difficulty go through a LangChain `RoutedChatModel`, and two
questions through a LlamaIndex query engine whose LLM is a `RoutedLLM`. Each row shows the router's
win probability, the threshold, the model that answered, its (shortened) answer and the time taken;
the summary gives the share of strong calls and the cost at example prices.

Run it with `bash scripts/demo.sh` (installs everything, prepares the models on first use).
`--fake-models` swaps in tiny random models: a quick check of the wiring, not of answers.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live

from routellm_core import calibrate_threshold, load_router
from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL
from routellm_demo import STRONG, WEAK, DemoModelError
from routellm_demo.frameworks import DEFAULT_MAX_NEW_TOKENS, LocalChatModel
from routellm_demo.report import CallRecord, Prices, add_call, calls_table, one_line, print_summary, summarize

PROMPTS = [
    "hi! how are you today?",
    "Give me three names for a pet goldfish.",
    "Translate 'good morning, my friend' into French.",
    "What is 17 * 23?",
    "A train leaves at 3 pm at 60 km/h; another leaves the same station at 4 pm at 80 km/h. "
    "When does the second train catch up with the first?",
    "Prove that the square root of 2 is irrational.",
    "Explain what a Python decorator is, with a short example.",
    "Write a Python function that checks whether a string is a palindrome, ignoring case and "
    "punctuation, and add two unit tests.",
]

#: A few local documents for the LlamaIndex query engine.
DOCUMENTS = [
    "A RouteLLM router reads a prompt and predicts the probability that the strong model would answer "
    "it better than the weak model: the win probability. When the win probability is at or above the "
    "threshold the strong model answers; below it, the weak model answers.",
    "The threshold sets the cost. Calibrating it with strong_fraction=0.3 on prompts like your own "
    "traffic sends about 30 percent of calls to the strong model. A lower threshold sends more calls to "
    "the strong model: better answers and a higher bill.",
    "In this demo the weak model is SmolLM2-135M-Instruct and the strong model is "
    "Qwen2.5-Coder-0.5B-Instruct. Both run locally on the CPU, converted from GGUF files that were "
    "installed from PyPI. Any LangChain chat model or LlamaIndex LLM can replace them.",
    "The office coffee machine is descaled every Friday afternoon; use the kitchen on the second floor "
    "while it runs.",
]
QUERIES = [
    "Which model answers when the win probability is below the threshold?",
    "Which two models does this demo use?",
]
CONTEXT_PROMPT = "Answer the user's question using only this context:\n\n{context}"


def unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--router", default="default", help="bundled router name or checkpoint directory")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--strong-fraction", type=unit_interval, default=0.5,
        help="calibrate the threshold so this share of the demo prompts goes to the strong model (default 0.5)",
    )
    choice.add_argument("--threshold", type=unit_interval, help="a fixed threshold instead of calibrating one")
    parser.add_argument("--max-new-tokens", type=positive_int, default=DEFAULT_MAX_NEW_TOKENS, help="answer length cap")
    parser.add_argument("--fake-models", action="store_true", help="tiny random in-process models (wiring check)")
    parser.add_argument("--embedding-model", default=DEFAULT_EMBEDDING_MODEL, help="for the query engine's index")
    parser.add_argument("--prepare-only", action="store_true", help="prepare (convert and cache) the models, then stop")
    return parser.parse_args(argv)


def load_models(args: argparse.Namespace, console: Console) -> tuple[LocalChatModel, LocalChatModel]:
    """(strong, weak): the real local models from the cache (prepared on first use), or tiny fakes."""
    if args.fake_models:
        from routellm_demo.tiny import tiny_pair

        return tiny_pair(max_new_tokens=min(args.max_new_tokens, 8))
    from routellm_demo import cache

    started = time.perf_counter()
    pair = []
    for source in (STRONG, WEAK):
        model, tokenizer = cache.load(source, console=console)
        pair.append(LocalChatModel(source.name, model, tokenizer, args.max_new_tokens))
    console.print(f"models ready in {time.perf_counter() - started:.1f} s (cache: {cache.display_path(cache.cache_root())})")
    return pair[0], pair[1]


def route_prompts(chat, models: dict[str, LocalChatModel], live: Live, table) -> list[CallRecord]:
    """Each demo prompt through the LangChain RoutedChatModel, one table row per answer."""
    records = []
    for prompt in PROMPTS:
        started = time.perf_counter()
        message = chat.invoke(prompt)
        seconds = time.perf_counter() - started
        records.append(record_call("LangChain", prompt, [{"role": "user", "content": prompt}],
                                   str(message.content), message.response_metadata["routellm"], seconds, models))
        show(records[-1], table, live)
    return records


def build_query_engine(llm, embedding_model: str):
    """A small LlamaIndex query engine over DOCUMENTS whose answers carry the routing decision."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.base.response.schema import Response
    from llama_index.core.llms import LLM, ChatMessage
    from llama_index.core.query_engine import CustomQueryEngine
    from llama_index.core.retrievers import BaseRetriever

    from routellm_demo.embeddings import LocalEmbedding

    class RoutedQueryEngine(CustomQueryEngine):
        """Retrieve, then answer with the context as the system turn: the router scores the question."""

        retriever: BaseRetriever
        llm: LLM

        def custom_query(self, query_str: str) -> Response:
            nodes = self.retriever.retrieve(query_str)
            context = "\n\n".join(node.get_content() for node in nodes)
            messages = [
                ChatMessage(role="system", content=CONTEXT_PROMPT.format(context=context)),
                ChatMessage(role="user", content=query_str),
            ]
            answer = self.llm.chat(messages)
            metadata = {"routellm": answer.additional_kwargs["routellm"], "messages": messages}
            return Response(response=answer.message.content or "", source_nodes=nodes, metadata=metadata)

    documents = [Document(text=text) for text in DOCUMENTS]
    index = VectorStoreIndex.from_documents(documents, embed_model=LocalEmbedding(embedding_model))
    return RoutedQueryEngine(retriever=index.as_retriever(similarity_top_k=2), llm=llm)


def ask_questions(engine, models: dict[str, LocalChatModel], live: Live, table) -> list[CallRecord]:
    records = []
    table.add_section()
    for query in QUERIES:
        started = time.perf_counter()
        response = engine.query(query)
        seconds = time.perf_counter() - started
        messages = [{"role": m.role.value, "content": m.content} for m in response.metadata["messages"]]
        records.append(record_call("LlamaIndex", query, messages, str(response.response),
                                   response.metadata["routellm"], seconds, models))
        show(records[-1], table, live)
    return records


def show(record: CallRecord, table, live: Live) -> None:
    """Add the call to the live table; where output is not a terminal (a log), also print a line now."""
    add_call(table, record)
    if live.console.is_terminal:
        live.refresh()
    else:
        live.console.print(f"{record.via}: {record.model} (win probability {record.win_probability:.3f}, "
                           f"threshold {record.threshold:.3f}) answered in {record.seconds:.1f} s: "
                           f"{one_line(record.prompt, 60)}", highlight=False)


def record_call(via, prompt, messages, answer, routing: dict, seconds, models) -> CallRecord:
    input_tokens, output_tokens = models[routing["model"]].count_tokens(messages, answer)
    return CallRecord(
        via=via, prompt=prompt, model=routing["model"], model_name=routing["model_name"],
        win_probability=routing["win_probability"], threshold=routing["threshold"], answer=answer,
        seconds=seconds, input_tokens=input_tokens, output_tokens=output_tokens,
    )


@contextmanager
def quiet_transformers():
    """No loading bars or generation warnings inside the live table (restored afterwards)."""
    from transformers.utils import logging as transformers_logging

    verbosity, bars = transformers_logging.get_verbosity(), transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        if bars:
            transformers_logging.enable_progress_bar()


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> list[CallRecord]:
    args = parse_args(argv)
    console = console or Console()
    try:
        strong, weak = load_models(args, console)
    except DemoModelError as error:
        console.print(f"[red]cannot load the demo models:[/] {error}")
        raise SystemExit(2) from None
    if args.prepare_only:
        return []
    with quiet_transformers():
        return run(args, strong, weak, console)


def run(args: argparse.Namespace, strong: LocalChatModel, weak: LocalChatModel, console: Console) -> list[CallRecord]:
    from routellm_langchain import RoutedChatModel
    from routellm_llamaindex import RoutedLLM

    router = load_router(args.router)
    if args.threshold is None:
        threshold = calibrate_threshold(router, PROMPTS, args.strong_fraction)
        how = f"calibrated so {args.strong_fraction:.0%} of the demo prompts go strong"
    else:
        threshold, how = args.threshold, "given"
    console.print(f"router {router.name!r}, threshold {threshold:.3f} ({how}); "
                  f"strong = {strong.name}, weak = {weak.name}")

    models = {"strong": strong, "weak": weak}
    chat = RoutedChatModel(strong=strong.as_langchain(), weak=weak.as_langchain(), router=router, threshold=threshold)
    llm = RoutedLLM(strong=strong.as_llamaindex(), weak=weak.as_llamaindex(), router=router, threshold=threshold)
    engine = build_query_engine(llm, args.embedding_model)

    table = calls_table("RouteLLM: each call, the router's decision and the answer")
    started = time.perf_counter()
    with Live(table, console=console, auto_refresh=False, vertical_overflow="visible") as live:
        records = route_prompts(chat, models, live, table)
        records += ask_questions(engine, models, live, table)
    prices = Prices()
    print_summary(console, summarize(records, prices), prices, fake_models=args.fake_models)
    console.print(f"{len(records)} calls in {time.perf_counter() - started:.0f} s.")
    return records


if __name__ == "__main__":
    main(sys.argv[1:])
