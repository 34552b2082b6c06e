"""`routellm calibrate`: the threshold that sends a target share of your prompts to the strong model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .group import app, ray_address_option, ray_option


@app.command()
def calibrate(
    router: str = typer.Argument("default", help="Bundled router name or checkpoint directory."),
    prompts: Path = typer.Option(..., "--prompts", "-p", help="Your prompts: .txt (one per line), .jsonl, .csv or "
                                 ".parquet with a 'prompt' field, or a folder of parts."),
    strong_fraction: float = typer.Option(..., "--strong-fraction", "-f", help="Share of prompts to send to the strong model, in [0, 1]."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    column: str = typer.Option("prompt", "--column", "-c", help="The field or column holding the prompts."),
    ray: bool = ray_option("the scoring (the threshold is computed here)"),
    ray_address: Optional[str] = ray_address_option(),
) -> None:
    """Calibrate a threshold on your own traffic."""
    from ..calibration import threshold_for_share
    from ..errors import RouteLLMError
    from ..prompt_tables import TABLE_FORMATS
    from ..prompts_file import read_prompts
    from ..registry import load_router

    try:
        loaded = load_router(router)
        if not ray:
            scores = loaded.win_probabilities(read_prompts(prompts, column))
        elif prompts.is_dir() or prompts.suffix.lower() in TABLE_FORMATS:
            from ..distributed import table_scores_on_ray

            scores = table_scores_on_ray(prompts, router, column=column, address=ray_address)
        else:
            from ..distributed import win_probabilities_on_ray

            scores = win_probabilities_on_ray(router, read_prompts(prompts, column), exact=True,
                                              address=ray_address)
        threshold = threshold_for_share(scores, strong_fraction)
    except (RouteLLMError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    share = float((scores >= threshold).mean())
    result = {"router": loaded.name, "n": len(scores), "strong_fraction": strong_fraction,
              "threshold": threshold, "realised_strong_share": share}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"router {loaded.name!r} on {len(scores)} prompts: threshold {threshold:.6f} "
                   f"sends {share:.1%} to the strong model (target {strong_fraction:.1%})")
