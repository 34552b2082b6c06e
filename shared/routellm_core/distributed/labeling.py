"""Labelling on Ray: every model and judge call runs as a Ray task, anywhere in the cluster.

The labelling loop itself stays in this process (`routellm_core.labeling.label`): the resume files,
the concurrency limit (at most that many prompts in flight, so at most that many calls) and the cost
limit work exactly as in a local run; only the calls move. A model or judge named by a string
(`provider:model`, `module:attribute`) is resolved on the worker, once per worker process; a model
object travels through Ray's object store once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cluster import connect, require_ray

#: Per worker process: what each spec resolved to, so a model is built once, not once per call.
_RESOLVED: dict[tuple[str, str], Callable] = {}


def _resolve(kind: str, holder: list) -> Callable:
    from ..labeling.models import resolve_judge, resolve_model

    spec = holder[0]
    ray = require_ray()  # on a worker: Ray is up already, and the driver's settings are not ours to change
    is_ref = isinstance(spec, ray.ObjectRef)
    key = (kind, spec.hex() if is_ref else spec)
    if key not in _RESOLVED:
        target = ray.get(spec) if is_ref else spec
        _RESOLVED[key] = resolve_model(target) if kind == "model" else resolve_judge(target)
    return _RESOLVED[key]


def _call(kind: str, holder: list, args: tuple):
    return _resolve(kind, holder)(*args)


def remote_caller(kind: str, spec: Any, address: str | None = None) -> Callable:
    """A callable with the signature of `resolve_model(spec)` (kind "model") or `resolve_judge(spec)`
    ("judge") whose every call runs as a Ray task and blocks for its reply.

    Errors raised by the call come back as the same exception types, so the loop's retries and
    its garbage-verdict counting see what a local call would raise.
    """
    ray = connect(address)
    task = ray.remote(_call).options(max_retries=3, retry_exceptions=False)
    # a string travels as itself; an object once, through the object store (in a list, so the task
    # receives the reference and each worker resolves it once)
    holder = [spec if isinstance(spec, str) else ray.put(spec)]

    def call(*args):
        try:
            return ray.get(task.remote(kind, holder, args))
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)  # the exception the call raised on the worker
            raise (cause if isinstance(cause, Exception) else exc) from None

    return call
