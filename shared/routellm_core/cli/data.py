"""`routellm data`: list the training sets, summarise their battles, report their contamination."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .group import app

data_app = typer.Typer(help="Training data: list the sets, summarise battles, check contamination.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")

_DATA_DIR = typer.Option(None, "--data-dir", help="The data folder (default: ../shared/data or $ROUTELLM_DATA_DIR).")


def _fail(exc: Exception) -> None:
    from ..data.files import NoDataFolderError

    if isinstance(exc, NoDataFolderError):  # the Python API's wording says root=; here it is the option
        exc = NoDataFolderError.for_option("--data-dir")
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


@data_app.command("list")
def list_sets() -> None:
    """The training sets known by name, with what they hold and their licence."""
    from rich.console import Console
    from rich.table import Table

    from ..data import describe_training_sets

    table = Table(title="training sets")
    for column in ("name", "returns", "licence", "description"):
        table.add_column(column)
    for row in describe_training_sets().itertuples(index=False):
        table.add_row(*map(str, row))
    Console().print(table)


@data_app.command()
def summary(
    names: list[str] = typer.Argument(..., help="Training set names or battle files."),
    data_dir: Optional[Path] = _DATA_DIR,
) -> None:
    """Battles per set: rows, prompts, models, win and tie shares, licence."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from ..data import DataError, battle_summary, load_training_battles

    try:
        frames = [load_training_battles(name, data_dir) for name in names]
    except DataError as exc:
        _fail(exc)
    frames = [frame.assign(prompt=frame["prompt"].astype(str)) for frame in frames]
    result = battle_summary(pd.concat(frames, ignore_index=True))
    table = Table(title="battles")
    for column in result.columns:
        table.add_column(column, justify="left" if column in ("source", "licence") else "right")
    for row in result.itertuples(index=False):
        table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    Console().print(table)


@data_app.command("decontaminate")
def decontaminate_command(
    names: list[str] = typer.Argument(..., help="Training set names or battle files."),
    data_dir: Optional[Path] = _DATA_DIR,
    evals_dir: Optional[Path] = typer.Option(None, "--evals-dir", help="Evaluation sets (default: routellm_evals in the data folder)."),
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="Also compare MiniLM embeddings (slower; cached)."),
    threshold: float = typer.Option(0.95, "--threshold", help="Cosine similarity that counts as the same prompt."),
    examples: int = typer.Option(0, "--examples", help="Print this many dropped prompts per set."),
) -> None:
    """How many rows of each set match an evaluation prompt, by rule and evaluation set."""
    from rich.console import Console

    from ..data import DataError, decontaminate, default_data_root, evaluation_prompts, load_training_set

    console = Console()
    try:
        root = data_dir or default_data_root()
        eval_prompts = evaluation_prompts(evals_dir or Path(root) / "routellm_evals")
        for name in names:
            _, report = decontaminate(load_training_set(name, data_dir), eval_prompts, use_embeddings=embeddings,
                                      cosine_threshold=threshold, max_examples=examples)
            console.print(report)
            for example in report.examples[:examples]:
                console.print(f"  ({example['rule']}, {example['evaluation_set']}) "
                              f"{example['train_prompt'][:100]!r}\n    ~ {example['eval_prompt'][:100]!r}", markup=False)
    except DataError as exc:
        _fail(exc)
