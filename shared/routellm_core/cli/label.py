"""`routellm label`: judge-labelled battles from your own prompts (see docs/your_traffic.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .group import app, parse_pairs, ray_address_option, ray_option


@app.command("label")
def label_command(
    prompts: Path = typer.Argument(..., help="Prompts: text (one a line), CSV, JSONL or Parquet with a `prompt` "
                                   "column; or a JSONL of pairs stored by shadow sampling (judged as recorded)."),
    model: list[str] = typer.Option([], "--model", "-m", help="NAME=SPEC, two or more: provider:model or "
                                    "module:attribute (a chat model, an LLM or a callable (prompt) -> answer). "
                                    "Not needed for a file of pairs stored by shadow sampling."),
    out: Path = typer.Option(..., "--out", "-o", help="Battles JSONL file to append to (a re-run resumes)."),
    judge: Optional[str] = typer.Option(None, "--judge", "-j", help="provider:model or module:attribute "
                                        "(a model, or a callable (prompt, answer_a, answer_b) -> verdict)."),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Golden labels: a file with `prompt` "
                                             "and `reference` columns (an answer is right when it contains it)."),
    checker: Optional[str] = typer.Option(None, "--checker", help="Golden labels: module:function "
                                          "(prompt, answer[, reference]) -> bool."),
    concurrency: int = typer.Option(4, "--concurrency", help="Prompts in flight at once."),
    retries: int = typer.Option(3, "--retries", help="Retries per call on errors, with exponential back-off."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Stop cleanly once this many US$ are spent."),
    price: list[str] = typer.Option([], "--price", help="NAME=USD per call, for models (or `judge`) that "
                                    "report no cost: the ledger, --max-cost and --dry-run use it. Repeatable."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count the calls and estimate the cost; call nothing."),
    source: str = typer.Option("own_traffic", "--source", help="The battles' `source` column."),
    licence: str = typer.Option("LicenseRef-own-data", "--licence", help="The battles' `licence` column."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    ray: bool = ray_option("each model and judge call (as Ray tasks; resume, --concurrency and "
                                    "--max-cost work as without)"),
    ray_address: Optional[str] = ray_address_option(),
) -> None:
    """Call the models on each prompt, judge every pair in both orders, append battles to --out."""
    from ..errors import RouteLLMError
    from ..labeling import label

    models = parse_pairs(model, "--model")
    prices = {name: float(value) for name, value in parse_pairs(price, "--price").items()}
    judge_price = prices.pop("judge", None)
    try:
        summary = label(prompts, models, out, judge=judge, references=reference, checker=checker,
                        concurrency=concurrency, retries=retries, max_cost=max_cost, prices=prices,
                        judge_price=judge_price, dry_run=dry_run, progress=progress, source=source, licence=licence,
                        ray=(ray_address or True) if ray else False)
    except RouteLLMError as exc:
        raise typer.BadParameter(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted: the battles written so far are in {out}; run the same command again to resume",
                   err=True)
        raise typer.Exit(130) from None
    typer.echo(json.dumps(summary.as_dict(), indent=2))
