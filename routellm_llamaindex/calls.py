"""How `RoutedLLM` calls an inner LLM, and the small checks its constructor makes.

Kept apart from `base.py`, which holds the LLM's own surface: these translate between LlamaIndex's
call shapes (messages or a prompt, the tool-calling preparation) and the routing engine's.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms.llm import LLM

from routellm_core import ConversationError, RouteLLMError, routed_text
from routellm_core.routing import check_model_choice

from .messages import routing_pairs
from .usage import call_usage, output_text

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

#: The arguments of one inner call: {"messages": ...} or {"prompt": ..., "formatted": ...}, plus kwargs.
Call = Dict[str, Any]


def decided_off_loop(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An async tool-calling method of FunctionCallingLLM that takes its routing decision first.

    Those methods prepare the call with the synchronous `_prepare_chat_with_tools`, which would
    route on the event loop; the decision is taken in a worker thread instead and carried into it.
    """

    @functools.wraps(method)
    async def decided(
        self: Any,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        kwargs = await self._aroute_tools(user_msg, chat_history, kwargs)
        return await method(self, tools, user_msg, chat_history, *args, **kwargs)

    return decided


END = object()  # the end of a stream


def invoker(method: str) -> Callable[[LLM, Call], Any]:
    """Calls `llm.<method>` with the call's messages (or prompt) first, as LLM callback decorators expect."""

    def invoke(llm: LLM, call: Call) -> Any:
        first = "messages" if "messages" in call else "prompt"
        return getattr(llm, method)(call[first], **{k: v for k, v in call.items() if k != first})

    return invoke


def checked_prompt(prompt: Any) -> str:
    if not isinstance(prompt, str):
        raise ConversationError(f"a completion prompt must be a string, got {type(prompt).__name__}")
    return prompt


def calibration_texts(prompts: Any) -> List[str]:
    """The routed texts of calibration prompts (strings, or chat-message lists)."""
    if isinstance(prompts, str):
        raise RouteLLMError("calibration_prompts must be a list of prompts, not one string")
    texts = []
    for prompt in prompts:
        if isinstance(prompt, str):
            texts.append(routed_text(prompt))
        elif isinstance(prompt, (list, tuple)) and all(isinstance(m, ChatMessage) for m in prompt):
            texts.append(routed_text(routing_pairs(prompt)))
        else:
            raise RouteLLMError(
                f"calibration_prompts must hold strings or lists of ChatMessage, got {type(prompt).__name__}"
            )
    return texts


def smaller_known(*sizes: int) -> int:
    """The smallest of some sizes, ignoring unknown ones (-1 or 0 sentinels)."""
    known = [v for v in sizes if v is not None and v > 0]
    return min(known) if known else sizes[0]


def shared_callback_manager(*llms: LLM) -> Optional[CallbackManager]:
    """The manager the wrapper and its inner LLMs share: theirs if common, else their handlers merged."""
    managers = [llm.callback_manager for llm in llms]
    if all(manager is managers[0] for manager in managers):
        return managers[0]
    handlers: list = []
    for manager in managers:
        for handler in getattr(manager, "handlers", []):
            if not any(handler is known for known in handlers):
                handlers.append(handler)
    if not handlers:
        return None
    manager = CallbackManager([])
    manager.handlers = handlers
    return manager


def inner_models(strong: Optional[LLM], weak: Optional[LLM], models: Optional[Sequence[LLM]]) -> Dict[str, LLM]:
    """The routed LLMs by the slot a decision names: {"strong": ..., "weak": ...} for two, {model name:
    LLM} (cheapest first, as given) for `models`. Checks that exactly one of the two forms is given;
    for `models`, the names are not checked here (the routing engine does: at least two, distinct)."""
    check_model_choice(strong, weak, models)
    named = [(f"models[{i}]", llm) for i, llm in enumerate(models)] if models is not None else [("strong", strong), ("weak", weak)]
    for slot, llm in named:
        if not isinstance(llm, LLM):
            raise RouteLLMError(f"{slot} must be a LlamaIndex LLM (llama_index.core.llms.LLM), got {type(llm).__name__}")
    if models is not None:
        return {llm.metadata.model_name: llm for llm in models}
    return {"strong": strong, "weak": weak}


@dataclass(frozen=True)
class StreamHooks:
    """What passing a stream on does with each response (`tag`), its usage (`usage`, read once by
    `finish` however the stream ends) and an error after the first chunk (`fail`, before re-raising)."""

    tag: Callable[[Any], Any]
    usage: Any
    finish: Callable[[Any], None]
    fail: Callable[[BaseException], None]


def pass_on(stream: Any, first: Any, hooks: StreamHooks) -> Generator:
    """Yield a stream that has started answering (`first` is its first response, or END); it is
    recorded once, when it ends, is closed early, or fails."""
    response = first
    try:
        while response is not END:
            hooks.usage.add(response)
            yield hooks.tag(response)
            response = next(stream, END)
    except Exception as error:
        hooks.fail(error)
        raise
    finally:
        if hasattr(stream, "close"):  # closes the inner generator now, not at garbage collection
            stream.close()
        hooks.finish(hooks.usage.total())


async def apass_on(stream: Any, first: Any, hooks: StreamHooks) -> AsyncGenerator:
    """`pass_on` for an async stream."""
    response = first
    try:
        while response is not END:
            hooks.usage.add(response)
            yield hooks.tag(response)
            response = await anext(stream, END)
    except Exception as error:
        hooks.fail(error)
        raise
    finally:
        hooks.finish(hooks.usage.total())
        if hasattr(stream, "aclose"):
            await stream.aclose()


def explore(engine: Any, route: Any, call: Call, response: Any, routed: Dict[str, LLM], names: Dict[str, str]) -> None:
    """Hand the engine's shadow sampling a way to ask another routed LLM the same call (plain chat and
    completion calls only: a tool-calling call is not comparable)."""
    if set(call) - {"messages", "prompt", "formatted"}:
        return
    method = "chat" if "messages" in call else "complete"

    def call_other(slot: str) -> tuple:
        answer = invoker(method)(routed[slot], call)
        return output_text(answer), call_usage(call, answer)

    text = routed_text(routing_pairs(call["messages"])) if "messages" in call else str(call["prompt"])
    engine.explore(route, text, output_text(response), names, call_other)
