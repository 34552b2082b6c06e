"""Fetch the paper's evaluation files from their public home into a local cache.

The RouteLLM authors publish per-prompt outcomes under `routellm/evals/` in the GitHub repository
`lm-sys/RouteLLM`. `download_evals` copies the files a benchmark needs, in the same layout, into
`<cache>/evals/` (see `storage.cache_dir`; `$ROUTELLM_CACHE_DIR` moves it), so that
`load_benchmark(name, download_evals([name]))` works on a fresh machine.

The source is any base URL laid out like that folder: `$ROUTELLM_EVALS_URL` or `base_url=` may name
another mirror, a `file://` URL or a local folder (which is how the tests run offline).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ..errors import RouteLLMError
from ..storage import atomic_write
from .benchmarks import BENCHMARKS
from .cache import default_cache_dir

DEFAULT_BASE_URL = "https://raw.githubusercontent.com/lm-sys/RouteLLM/main/routellm/evals/"
BASE_URL_ENV = "ROUTELLM_EVALS_URL"
TIMEOUT_S = 60

#: The 57 MMLU subjects, one response file each (`mmlu/responses/mmlu_<subject>.csv`).
MMLU_SUBJECTS = (
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology "
    "college_chemistry college_computer_science college_mathematics college_medicine college_physics "
    "computer_security conceptual_physics econometrics electrical_engineering elementary_mathematics "
    "formal_logic global_facts high_school_biology high_school_chemistry high_school_computer_science "
    "high_school_european_history high_school_geography high_school_government_and_politics "
    "high_school_macroeconomics high_school_mathematics high_school_microeconomics high_school_physics "
    "high_school_psychology high_school_statistics high_school_us_history high_school_world_history "
    "human_aging human_sexuality international_law jurisprudence logical_fallacies machine_learning "
    "management marketing medical_genetics miscellaneous moral_disputes moral_scenarios nutrition "
    "philosophy prehistory professional_accounting professional_law professional_medicine "
    "professional_psychology public_relations security_studies sociology us_foreign_policy virology "
    "world_religions"
).split()


def benchmark_files(benchmark: str) -> list[tuple[str, bool]]:
    """(path relative to the evals folder, required) for each file a benchmark reads."""
    key = benchmark.lower().replace("_", "-")
    if key == "mmlu":
        files = [(f"mmlu/responses/mmlu_{subject}.csv", True) for subject in MMLU_SUBJECTS]
        return files + [("mmlu/contaminated_prompts.jsonl", False)]
    if key == "gsm8k":
        return [("gsm8k/gsm8k_responses.csv", True), ("gsm8k/contaminated_prompts.jsonl", False)]
    if key == "mt-bench":
        return [("mt_bench/question.jsonl", True), ("mt_bench/judgements.jsonl", True),
                ("mt_bench/contaminated_prompts.jsonl", False)]
    raise RouteLLMError(f"unknown benchmark {benchmark!r}; choose one of {', '.join(BENCHMARKS)}")


def default_evals_dir() -> Path:
    return default_cache_dir() / "evals"


def resolve_base_url(base_url: str | Path | None = None) -> str:
    """The source URL (ending in '/'): the argument, else `$ROUTELLM_EVALS_URL`, else GitHub."""
    source = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    text = str(source)
    if isinstance(source, Path) or "://" not in text:
        folder = Path(text).expanduser().resolve()
        if not folder.is_dir():
            raise RouteLLMError(f"evaluation files source {text!r} is neither a URL nor an existing folder")
        text = folder.as_uri()
    if urllib.parse.urlsplit(text).scheme not in ("https", "http", "file"):
        raise RouteLLMError(f"evaluation files source must be an http(s) or file URL, got {text!r}")
    return text if text.endswith("/") else text + "/"


def has_benchmark_files(data_dir: str | Path, benchmark: str) -> bool:
    """Whether `data_dir` holds every required file of `benchmark`."""
    return all((Path(data_dir) / rel).is_file() for rel, required in benchmark_files(benchmark) if required)


def _is_missing(error: urllib.error.URLError) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code == 404
    return isinstance(error.reason, FileNotFoundError)


def _fetch(url: str, target: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "routellm-integrations"})
    # atomic: an interrupted download never leaves a truncated file
    with atomic_write(target) as out, urllib.request.urlopen(request, timeout=timeout) as response:
        while chunk := response.read(1 << 16):
            out.write(chunk)


def download_evals(
    benchmarks: Sequence[str] = BENCHMARKS,
    dest: str | Path | None = None,
    *,
    base_url: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Copy the files of `benchmarks` into `dest` (default: the cache) and return `dest`.

    Files already there are kept unless `force`. A missing required file is an error naming its
    URL; a missing contamination list is skipped (older copies of the repository lack them).
    """
    from tqdm.auto import tqdm

    if isinstance(benchmarks, str):
        benchmarks = [benchmarks]
    dest = Path(dest) if dest is not None else default_evals_dir()
    source = resolve_base_url(base_url)
    wanted = [item for name in benchmarks for item in benchmark_files(name)]
    todo = [(rel, required) for rel, required in wanted if force or not (dest / rel).is_file()]
    for rel, required in tqdm(todo, desc="downloading evaluation files", unit="file",
                              disable=not progress, delay=2.0, leave=False):
        url = urllib.parse.urljoin(source, rel)
        try:
            _fetch(url, dest / rel, timeout)
        except urllib.error.URLError as exc:
            if not required and _is_missing(exc):
                continue
            raise RouteLLMError(f"could not download {url}: {getattr(exc, 'reason', exc)}") from None
        except (OSError, TimeoutError) as exc:
            raise RouteLLMError(f"could not download {url}: {exc}") from None
    return dest
