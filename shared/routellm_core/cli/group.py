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


def ray_option(what: str):
    """The `--ray` flag of a command that can run `what` on Ray."""
    return typer.Option(False, "--ray", help=f"Run {what} on Ray (the \\[ray] extra): the cluster at --ray-address, "
                        "else RAY_ADDRESS, else a local Ray on this machine.")


def ray_address_option():
    """`--ray-address`: which cluster `--ray` joins (a separate option: a flag that may take a value
    would swallow the option after it)."""
    return typer.Option(None, "--ray-address", metavar="ADDRESS", help="With --ray: the cluster to join "
                        "(auto, ray://head:10001, HOST:6379); default RAY_ADDRESS, else a local Ray.")


def parse_pairs(values: list[str], option: str) -> dict[str, str]:
    """NAME=VALUE options (repeatable) as a dict, with an error naming the option for a malformed one."""
    out = {}
    for value in values:
        name, sep, spec = value.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise typer.BadParameter(f"{option} takes NAME=VALUE, got {value!r}", param_hint=option)
        out[name.strip()] = spec.strip()
    return out
