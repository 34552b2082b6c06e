"""Structured output from a routed model. Each inner model uses its own structured-output method
(here the strong one answers with JSON, the weak one with a tool call, as providers differ), and the
answer is parsed by the parser of the model that produced it. Runs offline with fake models.

    python examples/langchain_structured_output.py [--router default] [--strong-fraction 0.5]
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from routellm_langchain import RoutedChatModel
from routellm_langchain.testing import FakeToolChatModel

from _common import routing_arguments, why


class Contact(BaseModel):
    """A contact extracted from text."""

    name: str = Field(description="the person's name")
    age: int = Field(description="the person's age in years")


TEXTS = [
    "'Ada' is 36.",
    "From the following letter, extract the sender: 'Grace Hopper', who wrote that she was 85 when she retired "
    "from the navy after decades of work on compilers, COBOL and the first computer bug report.",
]


def main() -> None:
    args = routing_arguments(__doc__, strong_fraction=0.5, routed="texts")

    llm = RoutedChatModel(
        strong=FakeToolChatModel(model_name="fake-gpt-4o", structured_output_method="json_schema"),
        weak=FakeToolChatModel(model_name="fake-mistral-small", structured_output_method="function_calling"),
        router=args.router,
        strong_fraction=args.strong_fraction,
        calibration_prompts=TEXTS,  # in practice: a sample of your own traffic
    )
    extract = llm.with_structured_output(Contact, include_raw=True)  # include_raw shows the routed message

    for text in TEXTS:
        result = extract.invoke(text)
        raw = result["raw"]
        how = "JSON content" if raw.content else f"a tool call to {raw.tool_calls[0]['name']}"
        print(f"text: {text}")
        print(f"  answered by {why(raw.response_metadata['routellm'])}, via {how}")
        print(f"  parsed: {result['parsed']!r}\n")


if __name__ == "__main__":
    main()
