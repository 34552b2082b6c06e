"""The inner models: what can be delegated to, their names, bindings and profiles.

A routed call goes straight to the chosen model's `_generate` / `_stream` (so one user call is one
chat-model run). That needs a `BaseChatModel` plus the keyword arguments any `bind` / `bind_tools`
already applied to it; anything else (a chain, a retry wrapper, a configurable model chosen at run
time) cannot be delegated to and is refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence

#: Tracing-only keyword arguments: LangChain reports them to callbacks and must not send them on.
TRACING_KWARGS = ("ls_structured_output_format", "structured_output_format")


@dataclass(frozen=True)
class InnerModel:
    """A chat model to delegate to, and the call kwargs bound to it beforehand."""

    role: str
    model: BaseChatModel
    bound_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return model_name(self.model)


def model_name(model: BaseChatModel) -> str:
    """A chat model's own name (what providers report as `model_name`), never empty."""
    for attribute in ("model_name", "model", "model_id", "deployment_name"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    try:
        value = model._get_ls_params().get("ls_model_name")
    except Exception:  # noqa: BLE001 - a best-effort name; any failure falls back to the type
        value = None
    return value if isinstance(value, str) and value else type(model).__name__


def unwrap(runnable: Any, role: str) -> InnerModel:
    """The chat model under `runnable` and its bound kwargs, or a ValueError saying why not."""
    kwargs: dict[str, Any] = {}
    current = runnable
    while isinstance(current, RunnableBinding):
        if current.config or current.config_factories:
            raise ValueError(
                f"the {role} model is a binding with a config (tags, callbacks, ...), which a routed "
                "call cannot apply: set them on the RoutedChatModel or the inner model instead"
            )
        kwargs = {**current.kwargs, **kwargs}  # outer bindings win, as when invoked
        current = current.bound
    if isinstance(current, BaseChatModel):
        return InnerModel(role, current, kwargs)
    kind = type(current).__name__
    hint = ""
    if kind == "_ConfigurableModel":
        hint = (
            " A configurable init_chat_model(...) model is chosen at run time and cannot be routed to: "
            "give it a model, e.g. init_chat_model('provider:model-name')."
        )
    elif isinstance(current, RunnableSequence):
        hint = " Route between plain chat models and apply with_structured_output to the RoutedChatModel."
    elif isinstance(current, Runnable):
        hint = " Retry and fallback wrappers cannot be delegated to: apply them to the RoutedChatModel."
    raise ValueError(
        f"the {role} model must be a LangChain chat model (BaseChatModel), optionally with "
        f"bind(...) / bind_tools(...) applied; got {kind}.{hint}"
    )


def binding_kwargs(runnable: Runnable, inner: InnerModel, what: str) -> dict[str, Any]:
    """The kwargs a `bind_tools` / structured-output binding made on `inner.model`."""
    kwargs: dict[str, Any] = {}
    current: Any = runnable
    while isinstance(current, RunnableBinding):
        kwargs = {**current.kwargs, **kwargs}
        current = current.bound
    if current is not inner.model:
        raise ValueError(
            f"the {inner.role} model's {what} returned a {type(runnable).__name__} that RoutedChatModel "
            "cannot delegate to (expected the model with bound arguments)"
        )
    return {k: v for k, v in kwargs.items() if k not in TRACING_KWARGS}


def split_structured(runnable: Runnable, inner: InnerModel) -> tuple[dict[str, Any], Runnable, str]:
    """Split an inner model's `with_structured_output` result into (bound kwargs, parser, method)."""
    if not isinstance(runnable, RunnableSequence):
        raise ValueError(
            f"the {inner.role} model's with_structured_output returned a {type(runnable).__name__}; "
            "RoutedChatModel can route it only when it is `model.bind(...) | parser`"
        )
    steps = runnable.steps
    parser = steps[1] if len(steps) == 2 else RunnableSequence(*steps[1:])
    traced = (getattr(steps[0], "kwargs", None) or {}).get("ls_structured_output_format") or {}
    method = str((traced.get("kwargs") or {}).get("method") or "default")
    return binding_kwargs(steps[0], inner, "with_structured_output"), parser, method


def intersect_profiles(strong: dict | None, weak: dict | None) -> dict | None:
    """What both models can do: flags and limits both share (None if either is unknown). Folded
    over N models' profiles, what all of them can do."""
    if strong is None or weak is None:
        return None
    shared: dict[str, Any] = {}
    for key in [k for k in strong if k in weak]:
        a, b = strong[key], weak[key]
        if isinstance(a, bool) and isinstance(b, bool):
            shared[key] = a and b
        elif isinstance(a, int) and isinstance(b, int):
            shared[key] = min(a, b)  # token limits: the smaller one binds
        elif isinstance(a, list) and isinstance(b, list):
            shared[key] = [x for x in a if x in b]
        elif a == b:
            shared[key] = a
    return shared
