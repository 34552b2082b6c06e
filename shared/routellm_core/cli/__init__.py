"""The `routellm` command. Each sub-command lives in its own module and registers on `app`."""

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


# Sub-command modules register themselves on import.
from . import route as _route  # noqa: E402,F401
from . import eval as _eval  # noqa: E402,F401
from . import calibrate as _calibrate  # noqa: E402,F401
from . import data as _data  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401


def main() -> None:
    app()
