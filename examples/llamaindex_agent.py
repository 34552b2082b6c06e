"""A LlamaIndex FunctionAgent with two tools on a routed LLM. The router picks the model when a user
turn starts; that model then answers every step of the turn's tool-calling loop (sticky routing), so
provider-specific tool-call history never crosses models. Runs offline: scripted mock inner LLMs
and the bundled router.

    python examples/llamaindex_agent.py [--router default] [--strong-fraction 0.5]
"""

from __future__ import annotations

import asyncio
import re

from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import ChatMessage, MessageRole

from routellm_llamaindex import RoutedLLM, RoutingDecisionEvent
from routellm_llamaindex.testing import NamedMockLLM

from _common import routing_arguments, why


def get_temperature(city: str) -> float:
    """The current temperature in a city, in degrees Celsius."""
    return {"lisbon": 21.0, "oslo": 4.5}.get(city.lower(), 15.0)


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit."""
    return round(celsius * 9 / 5 + 32, 1)


QUESTIONS = [
    "How warm is it in 'Lisbon'?",
    "I am packing for a trip to 'Oslo' and my friends there only think in Fahrenheit: what is the "
    "temperature there right now in Fahrenheit, and should I bring a warm coat?",
]


def scripted_agent_model(name: str):
    """What a tool-calling model would do here: look up the city, convert if asked, then answer."""

    def reply(messages, **kwargs) -> ChatMessage:
        question = next(m.content for m in reversed(messages) if m.role == MessageRole.USER)
        results = []
        for message in reversed(messages):
            if message.role == MessageRole.USER:
                break
            if message.role == MessageRole.TOOL:
                results.insert(0, message.content)
        city = re.search(r"'([^']+)'", question).group(1)
        wants_f = "fahrenheit" in question.lower()
        if not results:
            call = ToolCallBlock(tool_call_id="call-1", tool_name="get_temperature", tool_kwargs={"city": city})
        elif wants_f and len(results) == 1:
            call = ToolCallBlock(
                tool_call_id="call-2", tool_name="celsius_to_fahrenheit", tool_kwargs={"celsius": float(results[0])}
            )
        else:
            unit = "°F" if wants_f else "°C"
            return ChatMessage(role=MessageRole.ASSISTANT, content=f"[{name}] It is {results[-1]} {unit} in {city}.")
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=[call])

    return reply


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as it is made: one per LLM step of the agent."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event, **kwargs) -> None:
        if isinstance(event, RoutingDecisionEvent):
            print(f"  step   {why(event.model_dump())}")


async def main() -> None:
    args = routing_arguments(__doc__, strong_fraction=0.5)

    llm = RoutedLLM(
        strong=NamedMockLLM("claude-sonnet (mock)", response_generator=scripted_agent_model("claude-sonnet (mock)")),
        weak=NamedMockLLM("llama-8b (mock)", response_generator=scripted_agent_model("llama-8b (mock)")),
        router=args.router,
        strong_fraction=args.strong_fraction,
        calibration_prompts=QUESTIONS,  # in practice: a sample of your own traffic
    )
    get_dispatcher().add_event_handler(PrintDecisions())
    agent = FunctionAgent(tools=[get_temperature, celsius_to_fahrenheit], llm=llm, system_prompt="Use the tools.")

    for question in QUESTIONS:
        print(f"user: {question}")
        handler = agent.run(question)
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                print(f"  tool   {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
            elif isinstance(event, AgentOutput) and not event.tool_calls:
                print(f"  answer {event.response.content}")
        await handler
        print()


if __name__ == "__main__":
    asyncio.run(main())
