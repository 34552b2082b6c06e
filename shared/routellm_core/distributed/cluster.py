"""Joining Ray: an existing cluster, or a local one started for this process."""

from __future__ import annotations

import logging
import os
import socket

from ..errors import RouteLLMError


def require_ray():
    """The `ray` module, or a clear error naming the extra that installs it."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data ships in the same wheel; its dependencies in ray[data])
    except ImportError:
        raise RouteLLMError(
            "Ray is not installed: pip install 'routellm-integrations[ray]' (or run without --ray)"
        ) from None
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None, quiet: bool = True):
    """Connect to Ray once per process and return the `ray` module.

    `address`: a cluster (`"auto"`, `"ray://head:10001"`, `"10.0.0.5:6379"`); None reads `RAY_ADDRESS`
    and, without it, starts a local Ray on this machine's cores (or `num_cpus`). An already connected
    process is left as it is. Ray Data keeps rows in order from here on (`preserve_order`). `quiet`: no progress bars or per-operator logs from Ray Data (our own
    summary says what ran).
    """
    ray = require_ray()
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        _check_reachable(address)
        options = {"address": address, "include_dashboard": False, "log_to_driver": not quiet}
        if quiet:
            options["logging_level"] = logging.WARNING
        if address is None and num_cpus is not None:
            options["num_cpus"] = num_cpus
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RouteLLMError(f"cannot connect to Ray at {address or 'a new local instance'}: {exc}") from None
    context = ray.data.DataContext.get_current()
    # blocks leave each step in the order they entered: an output reads back in the input's order
    context.execution_options.preserve_order = True
    if quiet:
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A `HOST:PORT` address that nothing answers on fails here, at once (Ray itself retries for minutes)."""
    if not address or address in ("auto", "local") or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RouteLLMError(f"cannot reach Ray at {address}: {exc} (is `ray start --head` running there?)") from None
