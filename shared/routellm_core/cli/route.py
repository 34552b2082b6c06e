"""`routellm route`: score prompts and print each decision, or score a prompt table into Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .group import app, ray_address_option, ray_option


@app.command()
def route(
    prompts: Optional[list[str]] = typer.Argument(None, help="One or more prompts to route (or --input)."),
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
    input_path: Optional[Path] = typer.Option(
        None, "--input", "-i", help="A prompt table to score: a Parquet, CSV or JSONL file, or a folder of them."
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="With --input: where to write Parquet (FILE.parquet, or a folder of parts)."
    ),
    column: str = typer.Option("prompt", "--column", "-c", help="With --input: the column holding the prompts."),
    ray: bool = ray_option("the scoring"),
    ray_address: Optional[str] = ray_address_option(),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="With --ray: actors in the pool "
                                          "(default: one per CPU of the cluster)."),
    cpus_per_worker: float = typer.Option(1.0, "--cpus-per-worker", min=0.01, help="With --ray: CPUs each actor "
                                          "reserves (Ray's scheduling unit; torch routers: threads per actor)."),
    batch_size: int = typer.Option(1024, "--batch-size", min=1, help="With --input: prompts per batch."),
    exact: bool = typer.Option(True, "--exact/--batched", help="With --input: score each prompt alone, as a "
                               "live call does (the default), or whole batches at once (faster with transformer "
                               "routers; scores may differ from single calls in the last bits)."),
    price: list[str] = typer.Option([], "--price", help="With --input and an N-model router: MODEL=USD (per "
                                    "million tokens, as RoutedChatModel's prices). Repeatable."),
    price_weight: list[float] = typer.Option([], "--price-weight", help="With --input and an N-model router: "
                                             "a column model@W with the model of best quality - W * price. "
                                             "Repeatable."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With --input: replace an existing --output."),
) -> None:
    """Route prompts: print the win probability and the chosen model for each.

    Without --threshold, the threshold sends --strong-fraction (0.5 by default) of typical chat
    prompts to the strong model, as RoutedChatModel and RoutedLLM do. With --input, every row of a
    prompt table gets `win_probability`, the decision and `error` columns, written to --output.
    """
    from ..calibration import share_threshold
    from ..decision import RoutingDecision, validate_threshold
    from ..errors import RouteLLMError
    from ..registry import load_router

    if input_path is not None or output is not None:
        if prompts:
            raise typer.BadParameter("give prompts or --input, not both")
        if input_path is None or output is None:
            raise typer.BadParameter("--input and --output go together", param_hint="--input")
        _route_table(input_path, output, router, threshold, strong_fraction, column, ray, ray_address, workers,
                     cpus_per_worker, batch_size, exact, price, price_weight, overwrite)
        return
    if not prompts:
        raise typer.BadParameter("give one or more prompts, or --input FILE --output DIR")
    if ray:
        raise typer.BadParameter("--ray scores a prompt table: give --input and --output", param_hint="--ray")
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
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"router {loaded.name!r}, threshold {threshold:.3f}")
    table.add_column("prompt", overflow="fold")
    table.add_column("win probability", justify="right")
    table.add_column("model")
    for prompt, decision in zip(prompts, decisions):
        table.add_row(prompt[:80], f"{decision.win_probability:.3f}", decision.model)
    Console().print(table)


def _route_table(source, output, router, threshold, strong_fraction, column, ray, ray_address, workers,
                 cpus_per_worker, batch_size, exact, price, price_weight, overwrite) -> None:
    from ..batch_scoring import plan_for, score_table
    from ..data import parse_prices
    from ..errors import RouteLLMError
    from ..registry import load_router

    try:
        loaded = load_router(router)
        plan = plan_for(loaded, column=column, threshold=threshold, strong_fraction=strong_fraction,
                        prices=parse_prices(price), price_weights=price_weight, exact=exact)
        if not ray:
            summary = score_table(source, output, loaded, plan, batch_size=batch_size, overwrite=overwrite,
                                  progress=True)
        else:
            from ..distributed import score_table_on_ray

            summary = score_table_on_ray(source, output, router, plan, address=ray_address, workers=workers,
                                         cpus_per_worker=cpus_per_worker, batch_size=batch_size, overwrite=overwrite)
    except RouteLLMError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(json.dumps(summary.as_dict()))
    if summary.failed_rows:
        typer.echo(f"{summary.failed_rows} of {summary.rows} rows could not be scored (their `error` column says "
                   f"why; they are in {output} with empty scores)", err=True)
        raise typer.Exit(1)
