"""Routing among three models in an LCEL chain (prompt | model | parser): the router's score splits
questions into tiers, the cheapest model for the easiest tier, the dearest for the hardest, in the
shares you give. Runs offline: the three models are fakes standing in for, say,
ChatOpenAI(model="gpt-4o-mini"), ChatOpenAI(model="gpt-4o") and ChatOpenAI(model="o1").

    python examples/langchain_n_models.py [--router length] [--shares 0.5,0.3,0.2]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from routellm_core.ledger import Price
from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

QUESTIONS = [
    "hi! how are you?",
    "What is the capital of France?",
    "Give me a synonym for 'happy'.",
    "Summarise the causes of the First World War in three bullet points, with one sentence on each.",
    "Write a Python function that merges overlapping intervals, explain its complexity and give three edge-case tests.",
    "Prove that there are infinitely many primes, then explain how the proof generalises to primes of the form "
    "4k+3, and say why the same argument does not work for primes of the form 4k+1.",
]

#: Cheapest first: the order of `models` is the order of `prices` and `shares`.
MODELS = [("fake-mini", Price(0.15, 0.6)), ("fake-medium", Price(2.0, 8.0)), ("fake-large", Price(10.0, 40.0))]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", default="length", help="bundled router name or checkpoint directory")
    parser.add_argument("--shares", default="0.5,0.3,0.2", help="share of the questions each model answers, cheapest first")
    return parser.parse_args()


def why(decision: Mapping[str, Any], tiers: list[float], names: list[str]) -> str:
    """Which model answered and why: the router's score against the tier boundaries around it."""
    answered = f"{decision['model']} ({decision['model_name']})"
    if decision["reason"] != "routed":
        return f"{answered}: {decision['reason']}"
    score, tier = decision["win_probability"], names.index(decision["model"])
    bounds = [f"{tiers[tier - 1]:.3f} <="] if tier > 0 else []
    bounds.append(f"score {score:.3f}")
    if tier < len(tiers):
        bounds.append(f"< {tiers[tier]:.3f}")
    return f"{answered}: {' '.join(bounds)} (tier {tier + 1} of {len(names)})"


def main() -> None:
    args = arguments()
    shares = [float(share) for share in args.shares.split(",")]

    llm = RoutedChatModel(
        models=[FakeToolChatModel(model_name=name) for name, _ in MODELS],  # cheapest first
        prices=[price for _, price in MODELS],  # per million input / output tokens, for the ledger
        router=args.router,
        shares=shares,
        calibration_prompts=QUESTIONS,  # in practice: a sample of your own traffic
    )
    names = [name for name, _ in MODELS]
    tiers = llm.get_tier_thresholds()
    print(f"router {llm.router_name!r}, shares {', '.join(f'{n} {s:.0%}' for n, s in zip(names, shares))}")
    print(f"tier boundaries: {', '.join(f'{t:.3f}' for t in tiers)}\n")

    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])
    for question in QUESTIONS:
        message = (prompt | llm).invoke({"question": question})
        print(f"Q: {question}\n   -> {why(message.response_metadata['routellm'], tiers, names)}\n   A: {message.content}\n")

    # A chain with a parser, and a call forced onto one model by its name.
    chain = prompt | llm | StrOutputParser()
    print("streamed:", "".join(chain.stream({"question": QUESTIONS[-1]})))
    forced = prompt | llm.bind(model="fake-large") | StrOutputParser()  # "strong" / "weak": the dearest / cheapest
    print("forced:  ", forced.invoke({"question": QUESTIONS[0]}))

    snapshot = llm.ledger.snapshot()
    print(f"\nledger: {snapshot.calls} calls")
    for name, usage in snapshot.usage.items():
        cost = snapshot.prices[name].cost(usage.input_tokens, usage.output_tokens)
        print(f"  {name:12} {usage.calls} calls, {usage.input_tokens} input + {usage.output_tokens} output tokens, cost {cost:.6f}")
    print(f"  total cost {snapshot.cost:.6f} (all on the dearest model: {snapshot.always_strong_cost:.6f})")


if __name__ == "__main__":
    main()
