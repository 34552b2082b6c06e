"""The `routellm` command group: the Typer app each sub-command module registers its command on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="routellm",
    help="Learned LLM routers: route prompts, train, calibrate and evaluate routers.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _group() -> None:
    """Learned LLM routers: route prompts, train, calibrate and evaluate routers."""


def write_plot(save) -> None:
    """Run `save()` (a plot writer returning the files it wrote) and say what it wrote."""
    try:
        written = save()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--plot") from None
    typer.echo("wrote " + ", ".join(str(p) for p in written))
