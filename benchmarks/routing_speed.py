"""How fast routing is on this machine, beside the floor it cannot beat.

    .venv/bin/python benchmarks/routing_speed.py                 # full run (a few minutes)
    .venv/bin/python benchmarks/routing_speed.py --quick         # smoke run: few prompts, one repeat
    .venv/bin/python benchmarks/routing_speed.py --markdown      # tables as Markdown (for docs/speed.md)

Measured, as medians over `--repeats` runs:

- each router's single-prompt latency (p50, p99: one `win_probability` call per distinct prompt)
  and batched throughput (one bulk `win_probabilities(..., exact=False)` call over all prompts), embedding cache cleared
  before each, and the latency of a prompt the router has seen before (a cache hit);
- the bare sentence-transformers `encode` on the same prompts, in the same runs, interleaved with
  the routers so machine load hits both alike: for embedding routers the encoder is the floor, and
  the ratio says how close to it routing gets;
- the adapters' overhead: `RoutedChatModel.invoke` and `RoutedLLM.chat` with a trivial router
  against the inner fake model's own call;
- whether importing each package imports torch (a fresh interpreter each);
- the time to the first decision in a fresh process (`python -c` importing the package, loading a
  router and routing one prompt; the median of `--startup-runs` runs, wall clock including the
  interpreter's own start) and whether it imported torch;
- the size of the wheel built from the working tree (`--wheel`).

Learned routers come from the bundled checkpoints where present; otherwise an untrained stand-in of
the same kind and size is built (MF and SW ranking with random weights, BERT and the causal LLM as
their base models with an untrained read-out): its scores are meaningless, its timings are not.
Embedding routers are timed on each embedding backend installed (torch; onnx with the `onnx` extra);
`--backends ...,static` adds the static embedding distilled from the same model (`embedding_static`):
a different embedding space, so that row is always a stand-in of the router's kind, sized for it.
Prompts are synthetic: distinct, about `--words` words each, deterministic for a seed.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from functools import partial
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LEARNED_KINDS = ("mf", "sw_ranking", "bert", "causal_llm")
BASELINE_KINDS = ("length", "random")

#: The issue's targets on a 2-core CPU: (router, metric) -> (comparison, bound).
TARGETS = {
    ("mf", "single_p50_ms"): ("<=", 5.0),
    ("mf", "batch_per_s"): (">=", 500.0),
    ("mf", "ratio_to_encoder"): (">=", 0.8),
    ("sw_ranking", "batch_per_s"): (">=", 100.0),
    ("bert", "batch_per_s"): (">=", 70.0),
}
ADAPTER_OVERHEAD_TARGET_MS = 1.0

_WORDS = (
    "explain how why what which when where write prove compare describe summarise list translate "
    "code function python javascript sql query database table index error bug fix test performance "
    "memory thread process network server client request response cache file system design pattern "
    "algorithm sort search graph tree list array string number integer prime matrix vector equation "
    "integral derivative probability statistics mean variance theorem proof lemma geometry triangle "
    "circle history war empire king river city country language poem story essay letter email plan "
    "recipe cake bread coffee travel trip hotel budget price market stock company product customer "
    "the a an of to in for on with about from between into over under after before during while "
    "is are was were be can could should would will may might must do does did have has had "
    "simple short long detailed clear careful quick easy hard difficult best worst first last next "
    "two three ten hundred thousand small large new old good bad fast slow safe secure open closed"
).split()


# ---- inputs ------------------------------------------------------------------------------------


def make_prompts(n: int, words: int = 30, seed: int = 0) -> list[str]:
    """`n` distinct synthetic prompts of `words` +- 5 words (deterministic for a seed)."""
    rng = random.Random(seed)
    prompts: list[str] = []
    seen: set[str] = set()
    while len(prompts) < n:
        length = rng.randint(max(1, words - 5), words + 5)
        text = " ".join(rng.choice(_WORDS) for _ in range(length)).capitalize() + "?"
        if text not in seen:
            seen.add(text)
            prompts.append(text)
    return prompts


def _standin(kind: str, embedding_model: str, embedding_dim: int, sw_battles: int):
    """An untrained router of `kind`, sized like a trained one."""
    from routellm_core.router import DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL
    from routellm_core.routers import (
        BertClassifierRouter,
        CausalLLMRouter,
        DifficultyRouter,
        LengthRouter,
        MatrixFactorizationRouter,
        RandomRouter,
        SWRankingRouter,
    )

    # The paper's Arena battles span about 64 models; a stand-in uses as many.
    models = [DEFAULT_STRONG_MODEL, DEFAULT_WEAK_MODEL] + [f"model-{i}" for i in range(62)]
    if kind == "mf":
        return MatrixFactorizationRouter(models, embedding_model=embedding_model, embedding_dim=embedding_dim)
    if kind == "difficulty":
        return DifficultyRouter(embedding_model=embedding_model, embedding_dim=embedding_dim)
    if kind == "sw_ranking":
        rng = np.random.default_rng(0)
        n_prompts = max(2, sw_battles * 3 // 4)
        prompts = rng.normal(size=(n_prompts, embedding_dim)).astype(np.float32)
        prompts /= np.linalg.norm(prompts, axis=1, keepdims=True)
        a = rng.integers(0, len(models), sw_battles)
        b = (a + rng.integers(1, len(models), sw_battles)) % len(models)
        router = SWRankingRouter(models, embedding_model=embedding_model, embedding_dim=embedding_dim)
        return router.set_battles(prompts, rng.integers(0, n_prompts, sw_battles), a, b, rng.random(sw_battles).round())
    if kind == "bert":
        router = BertClassifierRouter(base_model=embedding_model)
        router.build_model(pretrained=True)
        return router
    if kind == "causal_llm":
        return CausalLLMRouter()  # the zero-shot SmolLM2 read-out: the trained one is the same size
    return {"length": LengthRouter, "random": RandomRouter}[kind]()


@dataclass
class Entry:
    """One benchmarked router; `embedder` is the Embedder whose cache it reads (None: it embeds nothing)."""

    name: str
    source: str
    router: Any
    embedder: Any = None

    @property
    def key(self) -> str:
        return f"{self.name} [{self.embedder.backend}]" if self.embedder is not None else self.name


def _load(name: str, bundled: list[str], embedding_model: str, sw_battles: int) -> tuple[str, Any]:
    from routellm_core import load_router
    from routellm_core.embedding import shared_embedder
    from routellm_core.registry import available_routers

    if name in bundled or (bundled and name in available_routers() and name not in BASELINE_KINDS):
        router = load_router(name)  # a bundled checkpoint, or an alias of one (`default`)
        return f"bundled ({router.kind})", router
    if name in LEARNED_KINDS + BASELINE_KINDS:
        dimension = shared_embedder(embedding_model).dimension
        source = "baseline" if name in BASELINE_KINDS else "stand-in (untrained)"
        return source, _standin(name, embedding_model, dimension, sw_battles)
    raise typer.BadParameter(f"unknown router {name!r}: use a bundled name ({bundled}) or a kind {LEARNED_KINDS + BASELINE_KINDS}")


def build_routers(names: list[str], embedding_model: str, sw_battles: int, backends: tuple[str, ...] = ("torch",),
                  static_dim: int = 256) -> list[Entry]:
    """An entry per name and embedding backend: a bundled checkpoint by that name, else a stand-in kind.

    Embedding routers get one entry per embedding backend (torch, onnx, static); others one.
    """
    from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL, Embedder, shared_embedder
    from routellm_core.embedding_static import static_model_name
    from routellm_core.registry import bundled_checkpoint_names

    bundled = bundled_checkpoint_names() if embedding_model == DEFAULT_EMBEDDING_MODEL else []
    entries = []
    for name in names:
        source, router = _load(name, bundled, embedding_model, sw_battles)
        model = getattr(router, "embedding_model", None)
        if model is None:
            entries.append(Entry(name, source, router))
            continue
        for backend in backends:
            if backend == "static":  # another embedding space: a stand-in of the kind, on the static table
                static = shared_embedder(static_model_name(model, static_dim))
                standin = _standin(router.kind, static.model_name, static.dimension, sw_battles)
                standin.set_embedder(static)
                entries.append(Entry(name, "stand-in (untrained)", standin, static))
                continue
            embedder = shared_embedder(model)  # what the router uses unless given another
            if backend != "torch":  # a second copy of the router, on its own embedder
                source, router = _load(name, bundled, embedding_model, sw_battles)
                embedder = Embedder(model, backend=backend)
                router.set_embedder(embedder)
            entries.append(Entry(name, source, router, embedder))
    return entries


def default_backends() -> list[str]:
    import importlib.util

    return ["torch"] + (["onnx"] if importlib.util.find_spec("onnxruntime") else [])


def default_router_names(embedding_model: str) -> list[str]:
    from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL
    from routellm_core.registry import bundled_checkpoint_names

    bundled = bundled_checkpoint_names() if embedding_model == DEFAULT_EMBEDDING_MODEL else []
    return bundled + [kind for kind in LEARNED_KINDS if kind not in bundled] + ["length"]


# ---- timing ------------------------------------------------------------------------------------


def _latencies_ms(call: Callable[[str], Any], prompts: list[str]) -> list[float]:
    out = []
    for prompt in prompts:
        start = time.perf_counter()
        call(prompt)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _throughput(call: Callable[[list[str]], Any], prompts: list[str]) -> float:
    start = time.perf_counter()
    call(prompts)
    return len(prompts) / (time.perf_counter() - start)


@dataclass
class Runs:
    """Per-repeat figures of one row; `summary` gives their medians."""

    single_p50_ms: list[float] = field(default_factory=list)
    single_p99_ms: list[float] = field(default_factory=list)
    batch_per_s: list[float] = field(default_factory=list)
    cached_p50_ms: list[float] = field(default_factory=list)
    #: Batched throughput over the bare encoder's, each pair measured back to back on the same prompts.
    ratio_to_encoder: list[float] = field(default_factory=list)

    def add_single(self, latencies: list[float]) -> None:
        self.single_p50_ms.append(float(np.percentile(latencies, 50)))
        self.single_p99_ms.append(float(np.percentile(latencies, 99)))

    def summary(self) -> dict[str, float | None]:
        return {key: (statistics.median(values) if values else None) for key, values in asdict(self).items()}


def _clear_embedding_caches(entries: list[Entry]) -> None:
    for entry in entries:
        if entry.embedder is not None:
            entry.embedder.clear_cache()


def bench_routers(entries: list[Entry], encoder, single: list[list[str]], batch: list[list[str]], batch_size: int, heavy_prompts: int):
    """Interleaved runs: per repeat, the bare encoder, then each router, on the same prompts.

    Each embedding router's batched run directly follows a bare-encoder run on the same prompts, so
    the ratio of the two compares them under the same machine load.
    """
    encoder_runs, runs = Runs(), {entry.key: Runs() for entry in entries}
    for repeat, (single_prompts, batch_prompts) in enumerate(zip(single, batch)):
        encode_one = lambda p: encoder.encode([p], batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)  # noqa: E731
        encode_all = lambda ps: encoder.encode(ps, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)  # noqa: E731
        encoder_runs.add_single(_latencies_ms(encode_one, single_prompts))
        encoder_runs.batch_per_s.append(_throughput(encode_all, batch_prompts))
        for entry in entries:
            router, row = entry.router, runs[entry.key]
            # Transformer routers (BERT, causal LLM) are far slower: fewer prompts keep a run short.
            heavy = {"bert": heavy_prompts, "causal_llm": max(1, heavy_prompts // 2)}.get(router.kind)
            these_single = single_prompts[: max(1, heavy // 4)] if heavy else single_prompts
            these_batch = batch_prompts[:heavy] if heavy else batch_prompts
            _clear_embedding_caches(entries)
            row.add_single(_latencies_ms(router.win_probability, these_single))
            _clear_embedding_caches(entries)
            if entry.embedder is not None:
                floor = _throughput(encode_all, these_batch)
                encoder_runs.batch_per_s.append(floor)
            row.batch_per_s.append(_throughput(partial(router.win_probabilities, exact=False), these_batch))
            if entry.embedder is not None:
                row.ratio_to_encoder.append(row.batch_per_s[-1] / floor)
            if entry.embedder is not None:  # now cached: the repeated-prompt path
                row.cached_p50_ms.append(statistics.median(_latencies_ms(router.win_probability, these_batch[:100])))
        print(f"  repeat {repeat + 1}/{len(single)} done", file=sys.stderr)
    return encoder_runs, runs


def bench_adapters(repeats: int, calls: int) -> dict[str, dict[str, float]]:
    """Median per-call time of each adapter with a trivial router, and of its inner model alone."""
    from llama_index.core.llms import ChatMessage

    from routellm_core.routers import RandomRouter
    from routellm_langchain import RoutedChatModel
    from routellm_langchain.testing import FakeToolChatModel
    from routellm_llamaindex import RoutedLLM
    from routellm_llamaindex.testing import NamedMockLLM

    text = "What is the capital of France? Answer in one word."
    lc_strong, lc_weak = FakeToolChatModel(model_name="strong"), FakeToolChatModel(model_name="weak")
    lc_routed = RoutedChatModel(strong=lc_strong, weak=lc_weak, router=RandomRouter(), threshold=0.5)
    li_strong, li_weak = NamedMockLLM("strong"), NamedMockLLM("weak")
    li_routed = RoutedLLM(strong=li_strong, weak=li_weak, router=RandomRouter(), threshold=0.5)
    messages = [ChatMessage(role="user", content=text)]
    pairs = {
        "RoutedChatModel.invoke": (lambda: lc_strong.invoke(text), lambda: lc_routed.invoke(text)),
        "RoutedLLM.chat": (lambda: li_strong.chat(messages), lambda: li_routed.chat(messages)),
    }
    results = {}
    for label, (inner, routed) in pairs.items():
        inner_runs, routed_runs = [], []
        for _ in range(repeats):
            for _ in range(10):  # warm up both
                inner(), routed()
            inner_runs.append(statistics.median(_latencies_ms(lambda _: inner(), [""] * calls)))
            routed_runs.append(statistics.median(_latencies_ms(lambda _: routed(), [""] * calls)))
        inner_ms, routed_ms = statistics.median(inner_runs), statistics.median(routed_runs)
        results[label] = {"inner_ms": inner_ms, "routed_ms": routed_ms, "overhead_ms": routed_ms - inner_ms}
    return results


def check_imports(packages: tuple[str, ...] = ("routellm_core", "routellm_langchain", "routellm_llamaindex")) -> dict[str, dict]:
    """For each package, in a fresh interpreter: import time and whether torch came along."""
    code = (
        "import json, sys, time; start = time.perf_counter(); import {pkg}; "
        "print(json.dumps({{'seconds': time.perf_counter() - start, 'torch': 'torch' in sys.modules, "
        "'sentence_transformers': 'sentence_transformers' in sys.modules}}))"
    )
    results = {}
    for package in packages:
        done = subprocess.run([sys.executable, "-c", code.format(pkg=package)], capture_output=True, text=True, check=True)
        results[package] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


FIRST_DECISION_CODE = (
    "import json, sys, time; start = time.perf_counter(); from routellm_core import load_router; "
    "decision = load_router({name!r}).route('Prove that the square root of 2 is irrational.', 0.5); "
    "print(json.dumps({{'in_process_seconds': time.perf_counter() - start, 'model': decision.model, "
    "'torch': 'torch' in sys.modules}}))"
)


def first_decision(router: str = "default", runs: int = 5) -> dict[str, Any]:
    """Fresh-process time to the first routing decision: median wall clock of `runs` interpreters.

    Each run is `python -c` importing the package, loading `router` and routing one prompt; the wall
    clock includes the interpreter's start, `in_process_seconds` only what follows it.
    """
    walls, inside, torch = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", FIRST_DECISION_CODE.format(name=router)], capture_output=True,
                              text=True, check=True)
        walls.append(time.perf_counter() - start)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        inside.append(figures["in_process_seconds"])
        torch.append(figures["torch"])
    return {"router": router, "runs": runs, "wall_seconds": statistics.median(walls),
            "in_process_seconds": statistics.median(inside), "all_wall_seconds": [round(w, 3) for w in walls],
            "torch": any(torch)}


def wheel_size(repo: Path | None = None) -> dict[str, Any]:
    """Build a wheel from a copy of the working tree (tracked and untracked, not ignored files); its size."""
    import shutil
    import tempfile

    repo = repo or Path(__file__).resolve().parents[1]
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "src", Path(tmp) / "wheel"
        for name in files:
            if (repo / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(repo / name, source / name)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                        str(source)], capture_output=True, text=True, check=True)
        (wheel,) = out.glob("*.whl")
        return {"wheel": wheel.name, "bytes": wheel.stat().st_size, "mb": round(wheel.stat().st_size / 1e6, 2)}


def machine_description() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


# ---- the run -----------------------------------------------------------------------------------


@dataclass
class Settings:
    routers: list[str] | None = None
    repeats: int = 5
    single_prompts: int = 100
    batch_prompts: int = 512
    heavy_prompts: int = 64
    words: int = 30
    batch_size: int = 32
    embedding_model: str | None = None
    sw_battles: int = 60_000
    adapter_calls: int = 200
    #: Time the adapters' overhead (needs both frameworks installed).
    adapters: bool = True
    imports: bool = True
    #: Embedding backends to time the embedding routers on (default: torch, and onnx where installed).
    backends: list[str] | None = None
    #: Columns of the static embedding (the `static` backend).
    static_dim: int = 256
    #: Fresh processes timed to their first decision (0: skip), and with which router.
    startup_runs: int = 5
    startup_router: str = "default"
    #: Build a wheel from the working tree and report its size.
    wheel: bool = False

    @classmethod
    def quick(cls, **overrides) -> Settings:
        settings = cls(repeats=1, single_prompts=8, batch_prompts=32, heavy_prompts=8, sw_battles=2_000, adapter_calls=20,
                       startup_runs=0)
        for key, value in overrides.items():
            setattr(settings, key, value)
        return settings


def run_benchmark(settings: Settings) -> dict[str, Any]:
    """Every figure of the benchmark, as a JSON-ready dict."""
    from sentence_transformers import SentenceTransformer

    from routellm_core.embedding import DEFAULT_EMBEDDING_MODEL, resolve_model_path

    machine = machine_description()  # with the load average at the start
    embedding_model = settings.embedding_model or DEFAULT_EMBEDDING_MODEL
    names = settings.routers or default_router_names(embedding_model)
    load_start = time.perf_counter()
    backends = tuple(settings.backends or default_backends())
    routers = build_routers(names, embedding_model, settings.sw_battles, backends, settings.static_dim)
    encoder = SentenceTransformer(resolve_model_path(embedding_model), device="cpu")
    warm = make_prompts(4, settings.words, seed=10_000)
    encoder.encode(warm, show_progress_bar=False)
    for entry in routers:
        if entry.embedder is not None:
            entry.embedder.batch_size = settings.batch_size  # the bare encoder's too: equal footing
        entry.router.win_probabilities(warm)  # loads weights and tokenizers
    load_seconds = time.perf_counter() - load_start

    # Fresh prompts every repeat: nothing carries over between runs, in any cache.
    single = [make_prompts(settings.single_prompts, settings.words, seed=2 * r + 1) for r in range(settings.repeats)]
    batch = [make_prompts(settings.batch_prompts, settings.words, seed=2 * r + 2) for r in range(settings.repeats)]
    tokens = [len(encoder.tokenizer(p)["input_ids"]) for p in batch[0]]
    encoder_runs, runs = bench_routers(routers, encoder, single, batch, settings.batch_size, settings.heavy_prompts)
    encoder_summary = encoder_runs.summary()
    rows = []
    for entry in routers:
        summary = runs[entry.key].summary()
        rows.append(
            {
                "router": entry.name,
                "kind": entry.router.kind,
                "source": entry.source,
                "backend": getattr(entry.embedder, "backend", None),
                **summary,
            }
        )
    adapters = bench_adapters(settings.repeats, settings.adapter_calls) if settings.adapters else {}
    imports = check_imports() if settings.imports else {}
    startup = first_decision(settings.startup_router, settings.startup_runs) if settings.startup_runs else None
    wheel = wheel_size() if settings.wheel else None
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "machine": machine,
        "settings": asdict(settings) | {"embedding_model": embedding_model, "routers": names, "backends": list(backends)},
        "prompt_tokens": {"mean": float(np.mean(tokens)), "min": int(min(tokens)), "max": int(max(tokens))},
        "load_seconds": load_seconds,
        "encoder": {"model": embedding_model, **encoder_summary},
        "routers": rows,
        "adapters": adapters,
        "imports": imports,
        "first_decision": startup,
        "wheel": wheel,
        "targets": target_checks(rows),
    }


def target_checks(rows: list[dict]) -> list[dict]:
    """Each target of the issue that this run measured: bound, measured value, met or not."""
    checks = []
    for row in rows:
        for (kind, metric), (op, bound) in TARGETS.items():
            value = row.get(metric)
            if row["kind"] == kind and value is not None:
                met = value <= bound if op == "<=" else value >= bound
                checks.append(
                    {"router": row["router"], "backend": row["backend"], "metric": metric, "target": f"{op} {bound:g}", "value": value, "met": met}
                )
    return checks


# ---- output ------------------------------------------------------------------------------------


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.{digits}f}"


def tables(result: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each table."""
    encoder = result["encoder"]
    routing = [
        [
            f"bare sentence-transformers encode ({Path(encoder['model']).name})", "floor", "torch",
            _fmt(encoder["single_p50_ms"], 2), _fmt(encoder["single_p99_ms"], 2), _fmt(encoder["batch_per_s"]), "1.00", "—",
        ]
    ]
    for row in result["routers"]:
        routing.append(
            [
                f"{row['router']} ({row['kind']})" if row["router"] != row["kind"] else row["router"],
                row["source"],
                row["backend"] or "—",
                _fmt(row["single_p50_ms"], 2),
                _fmt(row["single_p99_ms"], 2),
                _fmt(row["batch_per_s"]),
                _fmt(row["ratio_to_encoder"], 2),
                _fmt(row["cached_p50_ms"], 3),
            ]
        )
    adapters = [
        [label, _fmt(v["inner_ms"], 3), _fmt(v["routed_ms"], 3), _fmt(v["overhead_ms"], 3), _fmt(v["overhead_ms"] <= ADAPTER_OVERHEAD_TARGET_MS)]
        for label, v in result["adapters"].items()
    ]
    imports = [
        [package, _fmt(v["seconds"], 2), _fmt(v["torch"]), _fmt(v["sentence_transformers"])]
        for package, v in result["imports"].items()
    ]
    targets = [[c["router"], c["backend"] or "—", c["metric"], c["target"], _fmt(c["value"], 2), _fmt(c["met"])] for c in result["targets"]]
    startup = []
    if result.get("first_decision"):
        first = result["first_decision"]
        startup.append([f"first decision, fresh process ({first['router']}, median of {first['runs']})",
                        f"{first['wall_seconds']:.2f} s (in process {first['in_process_seconds']:.2f} s)",
                        _fmt(first["torch"])])
    if result.get("wheel"):
        startup.append([f"wheel size ({result['wheel']['wheel']})", f"{result['wheel']['mb']:.2f} MB", "—"])
    return [
        (
            "Routing (medians over repeats)",
            ["router", "source", "embedding", "single p50 ms", "single p99 ms", "batched prompts/s", "÷ encoder", "cached p50 ms"],
            routing,
        ),
        ("Adapter overhead, trivial router (median ms per call)", ["call", "inner model", "routed", "overhead", "<= 1 ms"], adapters),
        ("Imports (fresh interpreter)", ["package", "seconds", "imports torch", "imports sentence-transformers"], imports),
        ("Start-up and size", ["what", "measured", "imports torch"], startup),
        ("Targets", ["router", "embedding", "metric", "target", "measured", "met"], targets),
    ]


def header_lines(result: dict[str, Any]) -> list[str]:
    machine, settings, tokens = result["machine"], result["settings"], result["prompt_tokens"]
    return [
        f"machine: {machine['cpu']}, {machine['cores']} cores, torch {machine['torch']} "
        f"({machine['torch_threads']} threads), Python {machine['python']}, "
        f"load average {machine['load_average']} at the start, {machine.get('load_average_end')} at the end (1, 5, 15 min)",
        f"prompts: {settings['words']}±5 words ({tokens['mean']:.0f} tokens on average, {tokens['min']}-{tokens['max']}); "
        f"{settings['single_prompts']} single and {settings['batch_prompts']} batched per repeat "
        f"({settings['heavy_prompts']} batched for BERT, half that for the causal LLM; a quarter of those single), {settings['repeats']} repeats, "
        f"encode batch size {settings['batch_size']}; models loaded in {result['load_seconds']:.1f} s",
    ]


def markdown(result: dict[str, Any]) -> str:
    lines = [f"- {line}" for line in header_lines(result)]
    for title, header, rows in tables(result):
        if not rows:
            continue
        lines += ["", f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def print_rich(result: dict[str, Any], console: Console) -> None:
    for line in header_lines(result):
        console.print(line)
    for title, header, rows in tables(result):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for i, column in enumerate(header):
            table.add_column(column, justify="left" if i < 3 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def main(
    quick: bool = typer.Option(False, help="A smoke run: few prompts, one repeat, a small SW stand-in."),
    routers: str | None = typer.Option(None, help="Comma-separated bundled router names or kinds (default: all)."),
    repeats: int | None = typer.Option(None, min=1, help="Runs to take medians over (default 5, quick 1)."),
    single_prompts: int | None = typer.Option(None, min=1, help="Distinct prompts timed one at a time per repeat."),
    batch_prompts: int | None = typer.Option(None, min=1, help="Prompts in the batched call per repeat."),
    words: int = typer.Option(30, min=1, help="Words per synthetic prompt (±5)."),
    batch_size: int = typer.Option(32, min=1, help="Prompts per forward pass, for the routers' embedders and the bare encoder."),
    embedding_model: str | None = typer.Option(None, help="A sentence-transformers model directory (default: MiniLM)."),
    backends: str | None = typer.Option(None, help="Embedding backends, comma-separated: torch, onnx, static (default: torch, and onnx where installed)."),
    static_dim: int = typer.Option(256, min=1, help="Columns of the static embedding (the static backend)."),
    threads: int | None = typer.Option(None, min=1, help="Intra-op threads for torch and ONNX Runtime (default: one per core)."),
    startup_runs: int | None = typer.Option(None, min=0, help="Fresh processes timed to their first decision (default 5, quick 0)."),
    startup_router: str = typer.Option("default", help="The router the fresh-process runs load."),
    wheel: bool = typer.Option(False, help="Build a wheel from the working tree and report its size."),
    adapters: bool = typer.Option(True, help="Time the adapters' overhead (--no-adapters skips it)."),
    as_markdown: bool = typer.Option(False, "--markdown", help="Print Markdown tables instead of terminal tables."),
    json_path: Path | None = typer.Option(None, "--json", help="Also write every figure to this JSON file."),
) -> None:
    """Time every router, the bare encoder and the adapters; print medians over repeated runs."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # the onnx backend reads it when its session starts
    overrides = {
        key: value
        for key, value in {"repeats": repeats, "single_prompts": single_prompts, "batch_prompts": batch_prompts,
                           "startup_runs": startup_runs}.items()
        if value is not None
    }
    overrides |= {"words": words, "batch_size": batch_size, "embedding_model": embedding_model, "static_dim": static_dim,
                  "startup_router": startup_router, "wheel": wheel, "adapters": adapters}
    if backends:
        overrides["backends"] = [name.strip() for name in backends.split(",") if name.strip()]
    if routers:
        overrides["routers"] = [name.strip() for name in routers.split(",") if name.strip()]
    settings = Settings.quick(**overrides) if quick else Settings(**overrides)
    result = run_benchmark(settings)
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    if as_markdown:
        print(markdown(result), end="")
    else:
        print_rich(result, Console() if sys.stdout.isatty() else Console(width=160))


if __name__ == "__main__":
    typer.run(main)
