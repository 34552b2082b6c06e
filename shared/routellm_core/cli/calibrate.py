"""`routellm calibrate`: the threshold that sends a target share of your prompts to the strong model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .group import app


@app.command()
def calibrate(
    router: str = typer.Argument("default", help="Bundled router name or checkpoint directory."),
    prompts: Path = typer.Option(..., "--prompts", "-p", help="Your prompts: .txt (one per line), .jsonl or .csv with a 'prompt' field."),
    strong_fraction: float = typer.Option(..., "--strong-fraction", "-f", help="Share of prompts to send to the strong model, in [0, 1]."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Calibrate a threshold on your own traffic."""
    from ..calibration import threshold_for_share
    from ..errors import RouteLLMError
    from ..prompts_file import read_prompts
    from ..registry import load_router

    try:
        texts = read_prompts(prompts)
        loaded = load_router(router)
        scores = loaded.win_probabilities(texts)
        threshold = threshold_for_share(scores, strong_fraction)
    except (RouteLLMError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    share = float((scores >= threshold).mean())
    result = {"router": loaded.name, "n": len(texts), "strong_fraction": strong_fraction,
              "threshold": threshold, "realised_strong_share": share}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"router {loaded.name!r} on {len(texts)} prompts: threshold {threshold:.6f} "
                   f"sends {share:.1%} to the strong model (target {strong_fraction:.1%})")
