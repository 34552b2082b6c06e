"""The README is a front page: small, its links (and the manual's) resolve, and its snippets run.

Convention (stated in the README): a ```python block whose first line is `# runs offline` runs as it
stands. The LangChain and LlamaIndex quick starts need a provider key, so they run with the offline
fakes the adapters ship (`FakeToolChatModel`, `NamedMockLLM`) in place of OpenAI; every other block
must at least compile. Snippets run in a fresh interpreter, in a temporary folder, with no model hub.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_BYTES = 12_288
PAGES = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

OFFLINE_MARK = "# runs offline"

#: The provider imports of the framework quick starts, and the offline fakes put in their place.
FAKES = {
    "from langchain_openai import ChatOpenAI": (
        "from routellm_langchain.testing import FakeToolChatModel\n\n\n"
        "def ChatOpenAI(model):\n"
        "    return FakeToolChatModel(model_name=model)\n"
    ),
    "from llama_index.llms.openai import OpenAI": (
        "from routellm_llamaindex.testing import NamedMockLLM\n\n\n"
        "def OpenAI(model):\n"
        "    return NamedMockLLM(model_name=model)\n"
    ),
}

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)


def code_blocks(path: Path, language: str = "python") -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language]


def relative_links(text: str) -> list[str]:
    """Link targets outside code that are neither URLs nor in-page anchors."""
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    targets = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [t for t in targets if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", t, re.IGNORECASE)]


def run_snippet(code: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(key, None)  # the snippets must not reach a provider
    return subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)


def block_id(code: str) -> str:
    first = next((line for line in code.splitlines() if line.strip() and not line.startswith("#")), "")
    return first[:40]


def test_readme_is_a_front_page():
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, f"README.md is {size:,} bytes; move detail to docs/ (limit {MAX_README_BYTES:,})"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_that_exist(page):
    assert page.is_file(), f"{page.relative_to(ROOT)} is missing"
    broken = [target for target in relative_links(page.read_text(encoding="utf-8"))
              if not (page.parent / target.split("#", 1)[0]).exists()]
    assert not broken, f"{page.relative_to(ROOT)} links to missing files: {broken}"


def test_the_link_finder_sees_links_and_skips_code():
    text = ("[a](docs/x.md) [b](https://e.org) [c](#top) ![i](img/p.svg) [g](docs/x.md#part) "
            "`[d](no.md)`\n```\n[e](no.md)\n```\n[f]: ../y.md\n")
    assert relative_links(text) == ["docs/x.md", "img/p.svg", "docs/x.md#part", "../y.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_compiles(page):
    for i, code in enumerate(code_blocks(page)):
        compile(code, f"{page.name} python block {i + 1}", "exec")


def offline_blocks() -> list[str]:
    return [code for code in code_blocks(README) if code.lstrip().startswith(OFFLINE_MARK)]


def faked_blocks() -> list[str]:
    return [code for code in code_blocks(README) if any(line in code for line in FAKES)]


def test_the_readme_marks_its_offline_snippets_and_says_how_the_others_run():
    text = README.read_text(encoding="utf-8")
    assert offline_blocks(), f"no python block in README.md starts with {OFFLINE_MARK!r}"
    assert f"`{OFFLINE_MARK}`" in text  # the convention is written down where readers see it
    assert "FakeToolChatModel" in text and "NamedMockLLM" in text  # ... and so is the substitution
    faked = faked_blocks()
    assert all(any(line in code for code in faked) for line in FAKES), "expected a LangChain and a LlamaIndex quick start"


@pytest.mark.parametrize("code", offline_blocks(), ids=block_id)
def test_offline_snippet_runs(code, tmp_path):
    result = run_snippet(code, tmp_path)
    assert result.returncode == 0, f"the snippet failed:\n{code}\n--- stderr ---\n{result.stderr[-4000:]}"


@pytest.mark.parametrize("code", faked_blocks(), ids=block_id)
def test_framework_quick_start_runs_with_offline_fakes(code, tmp_path):
    faked = code
    for line, replacement in FAKES.items():
        faked = faked.replace(line, replacement)
    assert not any(line in faked for line in FAKES)
    result = run_snippet(faked, tmp_path)
    assert result.returncode == 0, f"the quick start failed with fakes:\n{faked}\n--- stderr ---\n{result.stderr[-4000:]}"
    assert "'reason': 'routed'" in result.stdout, result.stdout  # it printed the routing metadata
