"""Budgets on a routed LangChain model: the ledger, an adaptive strong share, a cost budget, and
the callback handler for a model built elsewhere. Runs offline: the two models are fakes standing
in for, say, ChatOpenAI(model="gpt-4o") and ChatOpenAI(model="gpt-4o-mini"), priced like them.

    python examples/langchain_budget.py [--calls 1000] [--strong-fraction 0.3] [--cost-per-call 0.0002]
"""

from __future__ import annotations

import argparse
import random

from routellm_core.adaptive import CostBudget
from routellm_core.ledger import Price, RoutingLedger
from routellm_langchain import RoutedChatModel, RoutingLedgerCallbackHandler
from routellm_langchain.testing import FakeToolChatModel

# Prices per million input / output tokens.
STRONG_PRICE, WEAK_PRICE = Price(2.5, 10.0), Price(0.15, 0.6)

TOPICS = ["a sorting algorithm", "the French revolution", "photosynthesis", "a haiku about rain", "TCP handshakes"]


def traffic(calls: int, seed: int = 0) -> list[str]:
    """Questions of many lengths that get much longer halfway: the kind of shift a fixed threshold misses."""
    rng = random.Random(seed)
    detail = "Explain each step, give an example, and compare it with the alternatives. "

    def question(words: int) -> str:
        return f"Tell me about {rng.choice(TOPICS)}. " + " ".join(detail.split()[: words % 12] + ["Then go deeper."] * (words // 12))

    return [question(rng.randrange(1, 20)) for _ in range(calls // 2)] + [
        question(rng.randrange(10, 90)) for _ in range(calls - calls // 2)
    ]


def models() -> dict:
    return {"strong": FakeToolChatModel(model_name="fake-gpt-4o"), "weak": FakeToolChatModel(model_name="fake-gpt-4o-mini")}


def summary(title: str, ledger: RoutingLedger) -> None:
    s = ledger.snapshot()
    print(
        f"{title}: {s.calls} calls, strong share {s.strong_share:.1%}, cost {s.cost:.4f} "
        f"(always strong: {s.always_strong_cost:.4f}, saved {s.saving:.4f}), "
        f"strong tokens in/out {s.strong.input_tokens}/{s.strong.output_tokens}, "
        f"weak {s.weak.input_tokens}/{s.weak.output_tokens}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--strong-fraction", type=float, default=0.3)
    parser.add_argument("--cost-per-call", type=float, default=0.0002)
    args = parser.parse_args()
    prompts = traffic(args.calls)
    half = args.calls // 2

    # 1. Adaptive: hold the strong share on live traffic (warmed up on a sample of earlier traffic),
    #    and count every call in llm.ledger.
    llm = RoutedChatModel(
        **models(), router="default", strong_fraction=args.strong_fraction, adaptive=True,
        calibration_prompts=traffic(400, seed=1)[:200], strong_price=STRONG_PRICE, weak_price=WEAK_PRICE,
    )
    answered = [llm.invoke(p).response_metadata["routellm"] for p in prompts]
    window = max(1, args.calls // 8)
    print(f"adaptive, target {args.strong_fraction:.0%} strong; prompts get longer after call {half}:")
    for start in range(0, args.calls, window):
        part = answered[start:start + window]
        share = sum(d["model"] == "strong" for d in part) / len(part)
        print(f"  calls {start:4d}-{start + len(part) - 1:4d}: strong share {share:.1%}, threshold {part[-1]['threshold']:.3f}")
    summary("adaptive ledger", llm.ledger)

    # 2. A cost budget: the strong share that meets a spend per call, from the costs seen so far.
    budget_ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    budgeted = RoutedChatModel(**models(), router="default", budget=CostBudget(budget_ledger, cost_per_call=args.cost_per_call))
    # It reads each model's mean cost per call so far, so it lags a shift in prompt sizes.
    print(f"\nbudget {args.cost_per_call:.6f} per call:")
    for name, part in (("first half", prompts[:half]), ("second half", prompts[half:])):
        before = budget_ledger.snapshot()
        for prompt in part:
            budgeted.invoke(prompt)
        after = budget_ledger.snapshot()
        print(f"  {name}: spent {(after.cost - before.cost) / len(part):.6f} per call")
    print(f"  overall: spent {after.cost / after.calls:.6f} per call")
    summary("budget ledger", budget_ledger)

    # 3. A routed model built elsewhere: record its calls through the run's callbacks.
    elsewhere = RoutedChatModel(**models(), router="default", strong_fraction=0.3)  # of typical chat traffic
    handler_ledger = RoutingLedger(strong_price=STRONG_PRICE, weak_price=WEAK_PRICE)
    elsewhere.batch(prompts[-20:], config={"callbacks": [RoutingLedgerCallbackHandler(handler_ledger)]})
    print()
    summary("callback handler", handler_ledger)


if __name__ == "__main__":
    main()
