"""Convert each demo GGUF once into a transformers folder in a user cache, and load it from there.

transformers reads GGUF directly (`from_pretrained(dir, gguf_file=...)`, with the `gguf` package),
but de-quantizing takes a minute; the converted folder loads in seconds. The cache lives outside the
checkout: `$ROUTELLM_DEMO_CACHE`, else `demo/` in routellm's cache (`$ROUTELLM_CACHE_DIR`, else e.g.
`~/.cache/routellm`). A folder is built in a staging folder beside it and swapped into place when
complete, so an interrupted preparation never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from routellm_core.storage import cache_dir, staged_folder

from .sources import GgufSource, assemble_gguf, total_size

CACHE_ENV = "ROUTELLM_DEMO_CACHE"
#: Written last into a converted folder: which verified GGUF it came from.
MARKER = "routellm-demo.json"


def cache_root() -> Path:
    """The folder that holds the converted demo models."""
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured).expanduser()
    return cache_dir("demo")


def display_path(path: Path) -> str:
    """`path` with the home folder written as ~ (shorter, and the same on every machine)."""
    try:
        return "~/" + Path(path).relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def converted_dir(source: GgufSource, root: Path | None = None) -> Path:
    return Path(root or cache_root()) / source.key


def is_prepared(source: GgufSource, root: Path | None = None) -> bool:
    """Whether the cache holds a complete conversion of exactly this GGUF (same sha256)."""
    marker = converted_dir(source, root) / MARKER
    try:
        return json.loads(marker.read_text()).get("sha256") == source.sha256
    except (OSError, ValueError):
        return False


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """De-quantize a GGUF chat model with transformers and save model + tokenizer into `out_dir`
    (an existing, empty staging folder)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options: dict = {"local_files_only": True}
    try:
        from transformers import GgufConfig
    except ImportError:  # transformers 4.x always de-quantizes GGUF into a plain model
        pass
    else:  # 5.x keeps GGUF blocks when a kernel is available, and such a model cannot be saved
        options["quantization_config"] = GgufConfig(dequantize=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, **options)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def prepare(source: GgufSource, root: Path | None = None, console: Console | None = None) -> Path:
    """The converted folder for `source`, building it first if the cache lacks it."""
    folder = converted_dir(source, root)
    if is_prepared(source, root):
        return folder
    console = console or Console(stderr=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # A stale or incomplete copy is replaced; a complete one another process finished first is kept.
    with (tempfile.TemporaryDirectory(prefix=f".{source.key}-", dir=folder.parent) as workdir,
          staged_folder(folder, keep_existing=lambda _: is_prepared(source, root)) as staged):
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"checking {source.name} (sha256)", total=total_size(source))
            gguf = assemble_gguf(source, Path(workdir), advance=lambda n: progress.advance(task, n))
        console.print(f"converting {source.name} from GGUF with transformers (done once; one to a few minutes) ...")
        convert_gguf(gguf, staged)
        marker = {"name": source.name, "sha256": source.sha256, "prepared": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (staged / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    console.print(f"prepared {source.name} in {time.perf_counter() - started:.0f} s -> {display_path(folder)}")
    return folder


def load(source: GgufSource, root: Path | None = None, console: Console | None = None):
    """(model, tokenizer) for `source` from the cache, preparing it first if needed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from routellm_core.quiet import quiet_model_loading

    folder = prepare(source, root, console)
    with quiet_model_loading():  # loading a prepared folder takes seconds
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    model.eval()
    return model, tokenizer
