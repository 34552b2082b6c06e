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
