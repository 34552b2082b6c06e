"""Structured-output plumbing: output parsers, `include_raw`, and parsing by the model that answered.

A routed model does not know which inner model will answer until call time, and they may use
different structured-output methods (one a tool call, the other JSON content). `ParserByRoute`
reads the routing decision carried on the response (on the first streamed chunk when streaming)
and hands the output to the parser of the model that produced it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableConfig, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from .inner import binding_kwargs, split_structured

#: Where each response carries its routing decision.
ROUTING_KEY = "routellm"


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def tools_parser_for(schema: Any) -> Runnable:
    """Parse the first tool call of a response into `schema` (a pydantic class, or a dict)."""
    if _is_pydantic(schema):
        return PydanticToolsParser(tools=[schema], first_tool_only=True)
    return JsonOutputKeyToolsParser(key_name=convert_to_openai_tool(schema)["function"]["name"], first_tool_only=True)


def json_parser_for(schema: Any) -> Runnable:
    """Parse a response's JSON content into `schema` (a pydantic class, or a dict)."""
    if _is_pydantic(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def attach_parser(llm: Runnable, parser: Runnable, *, include_raw: bool) -> Runnable:
    """`llm | parser`, or with `include_raw` a dict of `raw`, `parsed` and `parsing_error`."""
    if not include_raw:
        return llm | parser
    parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([no_parse], exception_key="parsing_error")


def answering_model(message: Any, choices: Collection[str] = ("strong", "weak")) -> str:
    """Which inner model produced a routed response: "strong" or "weak", or among N models its name
    (one of `choices`)."""
    metadata = getattr(message, "response_metadata", None) or {}
    decision = metadata.get(ROUTING_KEY) or {}
    model = decision.get("model")
    if model not in choices:
        raise ValueError(
            "cannot tell which model answered: the response carries no "
            f"response_metadata[{ROUTING_KEY!r}]['model'] (was it produced by a RoutedChatModel?)"
        )
    return model


class ParserByRoute(Runnable[BaseMessage, Any]):
    """Parses a routed response with the parser of the inner model that answered it."""

    def __init__(self, parsers: Mapping[str, Runnable]):
        self.parsers = dict(parsers)

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return super().get_name(suffix, name=name or "ParserByRoute")

    def invoke(self, input: BaseMessage, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self.parsers[answering_model(input, self.parsers)].invoke(input, config, **kwargs)

    async def ainvoke(self, input: BaseMessage, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self.parsers[answering_model(input, self.parsers)].ainvoke(input, config, **kwargs)

    def transform(self, input: Iterator[BaseMessage], config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        # The decision rides on the first chunk, so streaming parsers keep streaming.
        first = next(input, None)
        if first is None:
            return
        parser = self.parsers[answering_model(first, self.parsers)]
        yield from parser.transform(chain([first], input), config, **kwargs)

    async def atransform(
        self, input: AsyncIterator[BaseMessage], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        first = await anext(input, None)
        if first is None:
            return
        parser = self.parsers[answering_model(first, self.parsers)]

        async def rest() -> AsyncIterator[BaseMessage]:
            yield first
            async for item in input:
                yield item

        async for output in parser.atransform(rest(), config, **kwargs):
            yield output

    def stream(self, input: BaseMessage, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        yield from self.transform(iter([input]), config, **kwargs)

    async def astream(self, input: BaseMessage, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        async def one() -> AsyncIterator[BaseMessage]:
            yield input

        async for output in self.atransform(one(), config, **kwargs):
            yield output


def tool_bindings(slots: dict[str, Any], describe: Callable[[str, Any], str], tools: Any, kwargs: dict[str, Any]) -> dict:
    """What each routed model's own `bind_tools` binds (each formats the tools its provider's way)."""
    bindings = {}
    for slot, inner in slots.items():
        try:
            bound = inner.model.bind_tools(tools, **kwargs)
        except NotImplementedError as error:
            raise NotImplementedError(f"{describe(slot, inner)} does not support bind_tools") from error
        bindings[slot] = binding_kwargs(bound, inner, "bind_tools")
    return bindings


def structured_bindings(
    slots: dict[str, Any], describe: Callable[[str, Any], str], schema: Any, method: str | None,
    strict: bool | None, kwargs: dict[str, Any],
) -> tuple[dict, ParserByRoute, dict]:
    """Each routed model's own structured-output binding and parser, and what tracing reports."""
    options = dict(kwargs)
    if method is not None:
        options["method"] = method
    if strict is not None:
        options["strict"] = strict
    bindings, parsers, methods = {}, {}, {}
    for slot, inner in slots.items():
        try:
            structured = inner.model.with_structured_output(schema, include_raw=False, **options)
        except NotImplementedError as error:
            raise NotImplementedError(f"{describe(slot, inner)} does not support with_structured_output") from error
        bindings[slot], parsers[slot], methods[slot] = split_structured(structured, inner)
    traced_method = method or (
        next(iter(methods.values())) if len(set(methods.values())) == 1
        else ", ".join(f"{slot}: {slot_method}" for slot, slot_method in methods.items())
    )
    traced = {"kwargs": {"method": traced_method, **({"strict": strict} if strict is not None else {})}, "schema": schema}
    return bindings, ParserByRoute(parsers), traced
