"""`routellm eval ROUTER --outcomes FILE...`: N-model routing on per-model outcome tables, quality vs dollars.

Called by `routellm eval` (cli/eval.py) when `--outcomes` is given; the metrics live in
`evaluation.n_models`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..data.files import TABLE_SUFFIXES
from .group import write_plot


def is_table_file(text: str) -> bool:
    """A path to an existing outcome table (by suffix, optionally .gz): a shell glob's extra files."""
    path = Path(text)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return path.is_file() and bool(suffixes) and suffixes[-1] in TABLE_SUFFIXES


def split_routers_and_files(routers: list[str], outcomes: list[Path]) -> tuple[list[str], list[Path]]:
    """`--outcomes a.csv b.csv c.csv`: the shell hands b and c over as ROUTER arguments; take them back."""
    names = [r for r in routers if not is_table_file(r)]
    extra = [Path(r) for r in routers if is_table_file(r)]
    return names, [*outcomes, *extra]


def _print_summary(evaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    low, high = evaluation.cost_range
    table = Table(
        title=f"{len(evaluation.outcomes):,} prompts, {len(evaluation.models)} models: mean quality over "
              f"${low:.6f}-${high:.6f} per prompt",
        caption="area: mean quality over the cost range (upper envelope of each curve's points); "
                "Δ: over the best mix of single models; top: the curve's best point",
    )
    table.add_column("curve", no_wrap=True, max_width=30)
    for column in ("area", "Δ", "pts", "top: cost", "quality"):
        table.add_column(column, justify="right", no_wrap=True)
    base = evaluation.best_mix.area
    for curve in evaluation.curves:
        top = max(curve.points, key=lambda p: (p["quality"], -p["cost"]))
        table.add_row(curve.name, f"{curve.area:.4f}", f"{curve.area - base:+.4f}", str(len(curve.points)),
                      f"${top['cost']:.6f}", f"{top['quality']:.4f}")
    table.add_section()
    for entry in sorted(evaluation.single_models, key=lambda e: e["cost"]):
        table.add_row(entry["model"].rsplit("/", 1)[-1], f"{entry['area']:.4f}", f"{entry['area'] - base:+.4f}", "1",
                      f"${entry['cost']:.6f}", f"{entry['quality']:.4f}")
    Console().print(table)


def run_outcomes_eval(
    routers: list[str],
    outcomes: list[Path],
    models: str | None,
    prices: list[str],
    json_path: Path | None,
    decisions: Path | None,
    plot: Path | None,
    points: int,
    two_model_router: str,
    cheap_model: str | None,
    bins: int,
    progress: bool,
    use_cache: bool = True,
    ray: bool = False,
    ray_address: str | None = None,
) -> None:
    from ..data import load_per_model_outcomes, parse_prices
    from ..evaluation.cache import ScoreCache
    from ..evaluation.n_models import evaluate_n_models
    from ..registry import load_router

    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    baseline = None if two_model_router.strip().lower() == "none" else two_model_router
    try:
        table = load_per_model_outcomes(outcomes, models=names, prices=parse_prices(prices))
        loaded = [load_router(r) for r in routers]
        on_ray = {}
        if ray:  # the scores and qualities from Ray; the curves computed here
            from ..distributed import connect, model_qualities_on_ray, win_probabilities_on_ray

            connect(ray_address)
            on_ray = {"scorer": win_probabilities_on_ray, "quality_scorer": model_qualities_on_ray}
        evaluation = evaluate_n_models(table, loaded, points=points, two_model_router=baseline,
                                       cheap_model=cheap_model, bins=bins, progress=progress,
                                       cache=ScoreCache() if use_cache else None, **on_ray)
    except ValueError as exc:  # RouteLLMError (bad data, unknown router) and bad model names
        raise typer.BadParameter(str(exc)) from None
    _print_summary(evaluation)
    if json_path is not None:
        typer.echo(f"wrote {evaluation.write_json(json_path)}")
    if decisions is not None:
        typer.echo(f"wrote {evaluation.write_decisions(decisions)}")
    if plot is not None:
        from ..evaluation.n_models_plot import save_n_models_plot

        write_plot(lambda: save_n_models_plot(evaluation, plot))
