"""`routellm route`: score prompts and print each decision."""

from __future__ import annotations

import json
from typing import Optional

import typer

from .group import app


@app.command()
def route(
    prompts: list[str] = typer.Argument(..., help="One or more prompts to route."),
    router: str = typer.Option("default", "--router", "-r", help="Bundled router name or checkpoint directory."),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", "-t", help="Strong model when win probability >= this (the router's own scale)."
    ),
    strong_fraction: Optional[float] = typer.Option(
        None, "--strong-fraction", "-f",
        help="Instead of --threshold: the share of typical chat prompts to send strong (default 0.5; "
        "read from the router's reference quantiles).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per prompt."),
) -> None:
    """Route prompts: print the win probability and the chosen model for each.

    Without --threshold, the threshold sends --strong-fraction (0.5 by default) of typical chat
    prompts to the strong model, as RoutedChatModel and RoutedLLM do.
    """
    from rich.console import Console
    from rich.table import Table

    from ..calibration import share_threshold
    from ..decision import RoutingDecision, validate_threshold
    from ..errors import RouteLLMError
    from ..registry import load_router

    try:
        if threshold is not None and strong_fraction is not None:
            raise RouteLLMError("give --threshold or --strong-fraction, not both")
        loaded = load_router(router)
        if threshold is None:
            threshold = share_threshold(loaded, strong_fraction)
        threshold = validate_threshold(threshold)
        scores = loaded.win_probabilities(prompts)
    except (RouteLLMError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    decisions = [RoutingDecision.from_score(s, threshold, loaded.name) for s in scores]
    if as_json:
        for prompt, decision in zip(prompts, decisions):
            # the model a decision names is the one the router's score refers to
            name = loaded.strong_model if decision.model == "strong" else loaded.weak_model
            typer.echo(json.dumps({"prompt": prompt, **decision.as_metadata(name)}))
        return
    table = Table(title=f"router {loaded.name!r}, threshold {threshold:.3f}")
    table.add_column("prompt", overflow="fold")
    table.add_column("win probability", justify="right")
    table.add_column("model")
    for prompt, decision in zip(prompts, decisions):
        table.add_row(prompt[:80], f"{decision.win_probability:.3f}", decision.model)
    Console().print(table)
