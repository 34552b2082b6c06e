"""The `routellm` command. Each sub-command lives in its own module and registers on `app` (`group`)."""

from __future__ import annotations

from .group import app

# Sub-command modules register themselves on import (in this order in `routellm --help`).
from . import route as _route  # noqa: F401
from . import eval as _eval  # noqa: F401
from . import calibrate as _calibrate  # noqa: F401
from . import data as _data  # noqa: F401
from . import train as _train  # noqa: F401
from . import label as _label  # noqa: F401


def main() -> None:
    app()
