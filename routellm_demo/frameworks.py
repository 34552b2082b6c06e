"""A local transformers chat model, wrapped for LangChain and for LlamaIndex.

Both wrappers get the model and tokenizer objects themselves, so nothing is looked up on a model hub:
LangChain's `ChatHuggingFace` is given `tokenizer` and `model_id` (otherwise it loads a tokenizer by
name), and LlamaIndex's `HuggingFaceLLM` is given `model` and `tokenizer`. Generation is greedy and
short so the demo stays quick on a laptop CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_MAX_NEW_TOKENS = 64


@dataclass
class LocalChatModel:
    """A causal language model with a chat template, and the name it answers to."""

    name: str
    model: Any  # a transformers PreTrainedModel
    tokenizer: Any  # its tokenizer, with a chat template
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS

    def as_langchain(self):
        """A LangChain chat model (`ChatHuggingFace` over a local text-generation pipeline)."""
        from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
        from transformers import pipeline

        generate = pipeline(
            "text-generation",
            model=self.model,
            tokenizer=self.tokenizer,
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            return_full_text=False,
        )
        llm = HuggingFacePipeline(pipeline=generate, model_id=self.name)
        return ChatHuggingFace(llm=llm, tokenizer=self.tokenizer, model_id=self.name)

    def as_llamaindex(self):
        """A LlamaIndex LLM (`HuggingFaceLLM` over the same model object) that prompts through the chat template.

        `chat` applies the template itself; `complete` and `stream_complete` would feed the bare text to
        the model, which an instruct model answers with an end-of-turn token (an empty answer), so a
        completion is sent as one user turn of the template (`completion_prompt`).
        """
        context = int(getattr(self.model.config, "max_position_embeddings", 4096) or 4096)
        return _chat_template_llm_class()(
            completion_to_prompt=self.completion_prompt,
            model=self.model,
            tokenizer=self.tokenizer,
            model_name=self.name,
            tokenizer_name=self.name,
            context_window=min(context, 4096),
            max_new_tokens=self.max_new_tokens,
            generate_kwargs={"do_sample": False},
            is_chat_model=True,
            device_map="cpu",
        )

    def completion_prompt(self, text: str) -> str:
        """`text` as one user turn in this model's chat template, ending where the assistant's answer starts."""
        messages = [{"role": "user", "content": text}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def count_tokens(self, messages: list[dict], answer: str) -> tuple[int, int]:
        """(input, output) tokens of one chat call, counted with this model's tokenizer."""
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        encode = self.tokenizer
        return (
            len(encode(prompt, add_special_tokens=False)["input_ids"]),
            len(encode(answer, add_special_tokens=False)["input_ids"]),
        )


@lru_cache(maxsize=None)
def _chat_template_llm_class():
    """`HuggingFaceLLM`, with `stream_complete` also applying `completion_to_prompt`.

    `HuggingFaceLLM.complete` formats an unformatted prompt with `completion_to_prompt`, but its
    `stream_complete` skips that step and would stream an answer to the bare text.
    """
    from llama_index.llms.huggingface import HuggingFaceLLM

    class ChatTemplateHuggingFaceLLM(HuggingFaceLLM):
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
            if not formatted and self.completion_to_prompt is not None:
                prompt, formatted = self.completion_to_prompt(prompt), True
            return super().stream_complete(prompt, formatted=formatted, **kwargs)

    return ChatTemplateHuggingFaceLLM
