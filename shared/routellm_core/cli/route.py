"""`routellm route`: score prompts and print each decision."""

from __future__ import annotations

import json
from typing import Optional

import typer

from . import app


@app.command()
def route(
    prompts: list[str] = typer.Argument(..., help="One or more prompts to route."),
    router: str = typer.Option("default", "--router", "-r", help="Bundled router name or checkpoint directory."),
    threshold: float = typer.Option(0.5, "--threshold", "-t", help="Strong model when win probability >= this."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per prompt."),
) -> None:
    """Route prompts: print the win probability and the chosen model for each."""
    from rich.console import Console
    from rich.table import Table

    from ..decision import RoutingDecision, validate_threshold
    from ..errors import RouteLLMError
    from ..registry import load_router

    try:
        threshold = validate_threshold(threshold)
        loaded = load_router(router)
        scores = loaded.win_probabilities(prompts)
    except (RouteLLMError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    decisions = [RoutingDecision.from_score(s, threshold, loaded.name) for s in scores]
    if as_json:
        for prompt, decision in zip(prompts, decisions):
            typer.echo(json.dumps({"prompt": prompt, **decision.as_metadata()}))
        return
    table = Table(title=f"router {loaded.name!r}, threshold {threshold:.3f}")
    table.add_column("prompt", overflow="fold")
    table.add_column("win probability", justify="right")
    table.add_column("model")
    for prompt, decision in zip(prompts, decisions):
        table.add_row(prompt[:80], f"{decision.win_probability:.3f}", decision.model)
    Console().print(table)
