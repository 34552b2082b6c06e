"""`routellm eval`: APGR, CPT and quality-vs-cost curves of routers on the paper's benchmarks or your logs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .group import app, ray_address_option, ray_option, write_plot

_BENCHMARK_HELP = "One of the paper's benchmarks: mt-bench, mmlu or gsm8k."


def _percent(value: float) -> str:
    return "n/a" if value != value else f"{value * 100:.1f} %"


def _number(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def _model_label(role: str, model: str) -> str:
    """`strong gpt-4-1106-preview` for a named model; plain `strong` where the name is the role (user logs)."""
    return role if not model or model.strip().lower() == role else f"{role} {model}"


def _print_table(comparison) -> None:
    from rich.console import Console
    from rich.table import Table

    b = comparison.benchmark
    table = Table(
        title=f"{b.name}: {len(b):,} prompts ({b.dropped_contaminated} contaminated dropped)",
        caption=f"{_model_label('strong', b.strong_model)} {b.strong_mean:.4f} | "
        f"{_model_label('weak', b.weak_model)} {b.weak_mean:.4f} | "
        "CPT(x): % strong calls to recover x of the quality gap",
    )
    table.add_column("router")
    for column in ("APGR", "AUC", "CPT(20%)", "CPT(50%)", "CPT(80%)"):
        table.add_column(column, justify="right")
    for i, row in enumerate(comparison.rows):
        if i == len(comparison.results) and comparison.references:
            table.add_section()
        table.add_row(row.router, _number(row.apgr), _number(row.auc),
                      _percent(row.cpt20), _percent(row.cpt50), _percent(row.cpt80))
    Console().print(table)


def _references(text: str) -> list[str]:
    from ..evaluation.reference import REFERENCES

    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if names == ["none"]:
        return []
    unknown = [name for name in names if name not in REFERENCES]
    if unknown:
        raise typer.BadParameter(f"unknown reference(s) {unknown}; use some of {','.join(REFERENCES)} or 'none'",
                                 param_hint="--references")
    return names


@app.command("eval")
def eval_command(
    routers: list[str] = typer.Argument(..., metavar="ROUTER", help="Routers to compare: bundled names or checkpoint directories."),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", "-b", help=_BENCHMARK_HELP),
    benchmark_file: Optional[Path] = typer.Option(
        None, "--benchmark-file", help="Your own logs: CSV or JSONL with prompt, strong_score, weak_score."
    ),
    data: Optional[Path] = typer.Option(
        None, "--data", "-d", help="Folder laid out like the paper's routellm/evals (default: the download cache)."
    ),
    download: bool = typer.Option(
        False, "--download", help="Fetch the paper's files from GitHub first if missing (into --data DIR, or the cache)."
    ),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write every figure and curve point here."),
    plot: Optional[Path] = typer.Option(
        None, "--plot", help="Write the quality-vs-cost plot: FILE.png, FILE.svg, or FILE (both)."
    ),
    references: str = typer.Option(
        "random,length,oracle", "--references", help="Reference lines, comma-separated, or 'none'."
    ),
    seeds: int = typer.Option(10, "--seeds", min=1, help="Seeds averaged for the random reference."),
    bins: int = typer.Option(10, "--bins", min=1, help="Quantile bins of the router's scores (the paper: 10)."),
    strong_model: Optional[str] = typer.Option(None, "--strong-model", help="Strong model's column/name in DIR."),
    weak_model: Optional[str] = typer.Option(None, "--weak-model", help="Weak model's column/name in DIR."),
    use_cache: bool = typer.Option(True, "--cache/--no-cache", help="Reuse scores cached per router configuration."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars on long scoring."),
    outcomes: list[Path] = typer.Option(
        [], "--outcomes", help="Per-model outcome tables (RouterBench layout: prompt, a correctness column per "
        "model, <model>|total_cost): evaluate routing among N models on quality vs dollars. Repeatable; "
        "a shell glob after it works too."
    ),
    models: Optional[str] = typer.Option(None, "--models", help="With --outcomes: the models to route among, "
                                         "comma-separated (default: every model in the tables)."),
    price: list[str] = typer.Option([], "--price", help="With --outcomes: MODEL=USD per call, replacing the "
                                    "table's <model>|total_cost column. Repeatable."),
    decisions: Optional[Path] = typer.Option(None, "--decisions", help="With --outcomes: write the model chosen "
                                             "for every prompt at every operating point (CSV: curve, point, row, model)."),
    points: int = typer.Option(41, "--points", min=3, help="With --outcomes: operating points (values of λ) per "
                               "N-model router."),
    two_model_router: str = typer.Option("default", "--two-model-router", help="With --outcomes: the scalar "
                                         "router of the two-model baseline (strongest + one cheap model), or 'none'."),
    cheap_model: Optional[str] = typer.Option(None, "--cheap-model", help="With --outcomes: the cheap model of "
                                              "the two-model baseline (default: the one below the strongest on "
                                              "the single-model envelope)."),
    ray: bool = ray_option("the scoring (the metrics are computed here, unchanged)"),
    ray_address: Optional[str] = ray_address_option(),
) -> None:
    """Evaluate routers the paper's way: APGR, CPT(20/50/80 %) and the quality-vs-cost curve.

    Thresholds sit at the quantile edges of each router's scores; the random (mean over seeds), prompt-length and oracle lines are added for reference.
    """
    from ..errors import RouteLLMError
    from ..evaluation import ScoreCache, compare_routers, load_benchmark, load_user_benchmark
    from ..evaluation.download import default_evals_dir, download_evals, has_benchmark_files

    if outcomes:
        from .eval_n_models import run_outcomes_eval, split_routers_and_files

        if benchmark is not None or benchmark_file is not None:
            raise typer.BadParameter("give --outcomes or a benchmark, not both", param_hint="--outcomes")
        routers, outcome_files = split_routers_and_files(routers, outcomes)
        if not routers:
            raise typer.BadParameter("name at least one ROUTER to evaluate on the outcome tables")
        run_outcomes_eval(routers, outcome_files, models, price, json_path, decisions, plot, points,
                          two_model_router, cheap_model, bins, progress, use_cache, ray, ray_address)
        return
    if (benchmark is None) == (benchmark_file is None):
        raise typer.BadParameter("give exactly one of --benchmark or --benchmark-file (or --outcomes for "
                                 "per-model outcome tables)", param_hint="--benchmark")
    reference_names = _references(references)
    try:
        if benchmark_file is not None:
            loaded = load_user_benchmark(benchmark_file)
        else:
            models = {key: value for key, value in (("strong", strong_model), ("weak", weak_model)) if value}
            folder = data if data is not None else default_evals_dir()
            if download and not has_benchmark_files(folder, benchmark):
                download_evals([benchmark], folder, progress=progress)
            elif data is None and not has_benchmark_files(folder, benchmark):
                raise RouteLLMError(f"no {benchmark} files in the cache ({folder}): pass --data DIR or --download")
            loaded = load_benchmark(benchmark, folder, **models)
        scorer = None
        if ray:
            from ..distributed import connect, win_probabilities_on_ray

            connect(ray_address)
            scorer = win_probabilities_on_ray
        comparison = compare_routers(
            loaded, routers, reference_names, seeds=seeds, bins=bins,
            cache=ScoreCache() if use_cache else None, progress=progress, scorer=scorer,
        )
    except RouteLLMError as exc:
        raise typer.BadParameter(str(exc)) from None
    _print_table(comparison)
    if json_path is not None:
        typer.echo(f"wrote {comparison.write_json(json_path)}")
    if plot is not None:
        from ..evaluation.plots import save_comparison_plot

        write_plot(lambda: save_comparison_plot(comparison, plot))
