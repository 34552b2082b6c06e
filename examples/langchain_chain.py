"""An LCEL chain (prompt | model | parser) on a routed model: each question goes to a strong or a
weak model, as the router decides. Runs offline: the two models are fakes standing in for, say,
ChatOpenAI(model="gpt-4o") and ChatOpenAI(model="gpt-4o-mini").

    python examples/langchain_chain.py [--router default] [--strong-fraction 0.4]
"""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

from _common import routing_arguments, why

QUESTIONS = [
    "hi! how are you?",
    "What is the capital of France?",
    "Prove that there are infinitely many primes, then explain how the proof generalises to primes of the form 4k+3.",
    "Write a Python function that merges overlapping intervals, explain its complexity and give three edge-case tests.",
    "Give me a synonym for 'happy'.",
]


def main() -> None:
    args = routing_arguments(__doc__, strong_fraction=0.4)

    llm = RoutedChatModel(
        strong=FakeToolChatModel(model_name="fake-gpt-4o"),
        weak=FakeToolChatModel(model_name="fake-gpt-4o-mini"),
        router=args.router,
        strong_fraction=args.strong_fraction,
        calibration_prompts=QUESTIONS,  # in practice: a sample of your own traffic
    )
    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])

    print(f"router {llm.router_name!r}, threshold {llm.get_threshold():.3f} for {args.strong_fraction:.0%} strong calls\n")
    for question in QUESTIONS:
        message = (prompt | llm).invoke({"question": question})
        print(f"Q: {question}\n   -> {why(message.response_metadata['routellm'])}\n   A: {message.content}\n")

    # Streaming through a parser: one token stream, from the model the router chose.
    chain = prompt | llm | StrOutputParser()
    print("streamed:", "".join(chain.stream({"question": QUESTIONS[2]})))


if __name__ == "__main__":
    main()
