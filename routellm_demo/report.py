"""The demo's output: one table row per routed call, then the share of strong calls and the cost."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table


@dataclass(frozen=True)
class CallRecord:
    """One routed call: the decision the adapter reported and what it cost."""

    via: str  # "LangChain" or "LlamaIndex"
    prompt: str
    model: str  # "strong" or "weak"
    model_name: str  # the inner model that answered
    win_probability: float
    threshold: float
    answer: str
    seconds: float
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Prices:
    """Example prices in US dollars per million tokens: illustrations, not what the local models cost."""

    strong_input: float = 2.50
    strong_output: float = 10.00
    weak_input: float = 0.15
    weak_output: float = 0.60

    def cost(self, record: CallRecord, model: str | None = None) -> float:
        strong = (model or record.model) == "strong"
        per_input = self.strong_input if strong else self.weak_input
        per_output = self.strong_output if strong else self.weak_output
        return (record.input_tokens * per_input + record.output_tokens * per_output) / 1e6


@dataclass(frozen=True)
class Summary:
    calls: int
    strong_calls: int
    routed_cost: float
    always_strong_cost: float

    @property
    def strong_share(self) -> float:
        return self.strong_calls / self.calls if self.calls else 0.0

    @property
    def saving(self) -> float:
        """The share of the always-strong cost that routing saved."""
        return 1.0 - self.routed_cost / self.always_strong_cost if self.always_strong_cost else 0.0


def summarize(records: Sequence[CallRecord], prices: Prices = Prices()) -> Summary:
    """Routed cost vs sending every call, with the same token counts, to the strong model."""
    return Summary(
        calls=len(records),
        strong_calls=sum(r.model == "strong" for r in records),
        routed_cost=sum(prices.cost(r) for r in records),
        always_strong_cost=sum(prices.cost(r, "strong") for r in records),
    )


def one_line(text: str, width: int = 120) -> str:
    """`text` on one line without control characters, cut to `width` characters."""
    flat = re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def calls_table(title: str) -> Table:
    table = Table(title=title)
    table.add_column("prompt", ratio=2, overflow="fold")
    table.add_column("win prob.", justify="right")
    table.add_column("thresh.", justify="right")
    table.add_column("model")
    table.add_column("answer (shortened)", ratio=3, overflow="fold")
    table.add_column("s", justify="right")
    return table


def add_call(table: Table, record: CallRecord) -> None:
    colour = "magenta" if record.model == "strong" else "cyan"
    prompt = escape(one_line(record.prompt, 70))
    if record.via != "LangChain":
        prompt = f"[dim]{record.via}:[/] {prompt}"
    table.add_row(
        prompt,
        f"{record.win_probability:.3f}",
        f"{record.threshold:.3f}",
        f"[{colour}]{record.model}[/]",
        escape(one_line(record.answer, 110)),
        f"{record.seconds:.1f}",
    )


def print_summary(console: Console, summary: Summary, prices: Prices, fake_models: bool = False) -> None:
    console.print(
        f"\n[bold]Strong calls:[/] {summary.strong_calls} of {summary.calls} ({summary.strong_share:.0%})."
    )
    console.print(
        f"[bold]Cost at example prices[/] (strong ${prices.strong_input:.2f} / ${prices.strong_output:.2f}, "
        f"weak ${prices.weak_input:.2f} / ${prices.weak_output:.2f} per million input / output tokens; "
        f"illustrations only, the local models cost nothing): routed ${summary.routed_cost:.6f} vs "
        f"always-strong ${summary.always_strong_cost:.6f}, {summary.saving:.0%} less "
        f"(same token counts priced both ways)."
    )
    if fake_models:
        console.print("[bold]Quality:[/] --fake-models uses tiny random models; their answers are noise.")
    else:
        console.print(
            "[bold]Quality:[/] the weak model here has 135M parameters and the strong one 0.5B, both 4-5 bit "
            "quantized: read the weak answers above to see what routing gives up on the prompts the router "
            "judged easy. In production pair e.g. a frontier model with a small one and calibrate the "
            "threshold (strong_fraction) on your own traffic."
        )
