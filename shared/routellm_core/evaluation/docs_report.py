"""Regenerate the evaluation page of the docs: tables, curves and JSON for MMLU and GSM8K.

    python -m routellm_core.evaluation.docs_report --data ../shared/data/routellm_evals --docs docs [ROUTER ...]

Without ROUTER arguments every bundled router is evaluated (one row per distinct configuration; the
random and length baselines appear as reference lines), so routers shipped later show up on the
next run. The tables replace the text between the `<!-- results:start -->` and
`<!-- results:end -->` markers of `docs/evaluation.md`; images and JSON go to `docs/evaluation/`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from ..registry import available_routers, load_router
from ..router import Router
from ..routers import LengthRouter, RandomRouter
from .benchmarks import load_benchmark
from .cache import ScoreCache
from .comparison import Comparison, compare_routers
from .reference import DEFAULT_SEEDS, REFERENCES

DOC_BENCHMARKS = ("mmlu", "gsm8k")
START, END = "<!-- results:start -->", "<!-- results:end -->"


def bundled_routers(seeds: int = DEFAULT_SEEDS) -> list[Router]:
    """One router per distinct bundled configuration, leaving out those the reference lines already draw.

    Aliases (such as `default`) come last, so a configuration keeps its own name.
    """
    names = sorted(available_routers(), key=lambda name: (name == "default", name))
    seen = {LengthRouter().config_fingerprint()} | {RandomRouter(seed=s).config_fingerprint() for s in range(seeds)}
    routers = []
    for name in names:
        router = load_router(name)
        fingerprint = router.config_fingerprint()
        if fingerprint not in seen:
            seen.add(fingerprint)
            routers.append(router)
    return routers


def _cell(value: float, percent: bool = False) -> str:
    if value != value:
        return "n/a"
    return f"{value * 100:.1f} %" if percent else f"{value:.3f}"


def markdown_table(comparison: Comparison) -> str:
    lines = ["| router | APGR | AUC | CPT(20%) | CPT(50%) | CPT(80%) |", "|---|---:|---:|---:|---:|---:|"]
    for row in comparison.results:
        lines.append(f"| **{row.router}** | {_cell(row.apgr)} | {_cell(row.auc)} | "
                     f"{_cell(row.cpt20, True)} | {_cell(row.cpt50, True)} | {_cell(row.cpt80, True)} |")
    for row in comparison.references:
        lines.append(f"| {row.router} *(reference)* | {_cell(row.apgr)} | {_cell(row.auc)} | "
                     f"{_cell(row.cpt20, True)} | {_cell(row.cpt50, True)} | {_cell(row.cpt80, True)} |")
    return "\n".join(lines)


def benchmark_section(comparison: Comparison, image: str) -> str:
    b = comparison.benchmark
    return "\n".join([
        f"### {b.name.upper()}",
        "",
        f"{len(b):,} prompts ({b.dropped_contaminated} contaminated dropped); strong `{b.strong_model}` "
        f"{b.strong_mean * 100:.1f} %, weak `{b.weak_model}` {b.weak_mean * 100:.1f} %.",
        "",
        markdown_table(comparison),
        *([] if comparison.results else ["", "*No trained router is bundled yet: only the reference lines are shown.*"]),
        "",
        f"![{b.name}: accuracy vs % strong calls]({image})",
    ])


def replace_between_markers(text: str, content: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {START} ... {END} not found")
    return pattern.sub(lambda _: f"{START}\n{content}\n{END}", text, count=1)


def regenerate(
    data: Path,
    docs: Path,
    routers: Sequence[str | Router] | None = None,
    benchmarks: Sequence[str] = DOC_BENCHMARKS,
    cache: ScoreCache | None = None,
    progress: bool = True,
) -> list[Comparison]:
    """Evaluate, write `docs/evaluation/<benchmark>.{json,png,svg}` and refresh `docs/evaluation.md`."""
    from .plots import save_comparison_plot

    chosen = list(routers) if routers else bundled_routers()
    out = docs / "evaluation"
    comparisons, sections = [], []
    for name in benchmarks:
        comparison = compare_routers(load_benchmark(name, data), chosen, REFERENCES, cache=cache, progress=progress)
        comparison.write_json(out / f"{name}.json")
        save_comparison_plot(comparison, out / name)
        sections.append(benchmark_section(comparison, f"evaluation/{name}.svg"))
        comparisons.append(comparison)
    page = docs / "evaluation.md"
    page.write_text(replace_between_markers(page.read_text(encoding="utf-8"), "\n\n".join(sections)), encoding="utf-8")
    return comparisons


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routers", nargs="*", help="routers to evaluate (default: every bundled router)")
    parser.add_argument("--data", type=Path, required=True, help="folder laid out like the paper's routellm/evals")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="docs folder holding evaluation.md")
    parser.add_argument("--no-cache", action="store_true", help="re-score instead of reusing cached scores")
    args = parser.parse_args(argv)
    comparisons = regenerate(args.data, args.docs, args.routers or None, cache=None if args.no_cache else ScoreCache())
    for comparison in comparisons:
        for row in comparison.rows:
            print(f"{comparison.benchmark.name:6s} {row.router:28s} APGR {_cell(row.apgr)}  CPT(50%) {_cell(row.cpt50, True)}")


if __name__ == "__main__":
    main()
