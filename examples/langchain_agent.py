"""A LangChain `create_agent` tool-calling agent on a routed model. The router picks the model when
a user turn starts; that model then finishes the turn through every tool call (sticky routing), so
provider-specific tool-call history never crosses models. Runs offline with fake models.

    python examples/langchain_agent.py [--router default] [--strong-fraction 0.5]
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

from _common import routing_arguments, why


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny and 22 degrees in {city}"


@tool
def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


QUESTIONS = [
    "What's the weather in 'Lisbon'?",
    "Please use multiply to work out 12.5 times 8, and explain step by step how you would check the result by hand.",
]


def main() -> None:
    args = routing_arguments(__doc__, strong_fraction=0.5)

    llm = RoutedChatModel(
        strong=FakeToolChatModel(model_name="fake-claude-sonnet"),
        weak=FakeToolChatModel(model_name="fake-llama-8b"),
        router=args.router,
        strong_fraction=args.strong_fraction,
        calibration_prompts=QUESTIONS,  # in practice: a sample of your own traffic
    )
    agent = create_agent(llm, tools=[get_weather, multiply], system_prompt="Use the tools when they help.")

    for question in QUESTIONS:
        print(f"user: {question}")
        result = agent.invoke({"messages": [("user", question)]})
        for message in result["messages"][1:]:
            if isinstance(message, AIMessage):
                decision = message.response_metadata["routellm"]
                step = ", ".join(f"{c['name']}({c['args']})" for c in message.tool_calls) or message.content
                print(f"  model  [{why(decision)}]\n         {step}")
            elif isinstance(message, ToolMessage):
                print(f"  tool   {message.name} -> {message.content}")
        print()


if __name__ == "__main__":
    main()
