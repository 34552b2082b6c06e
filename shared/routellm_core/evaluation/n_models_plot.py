"""The N-model picture: mean quality against mean cost per prompt for every curve of an `NModelEvaluation`.

Two panels share the data: a linear cost axis (the one the areas integrate over) and a logarithmic
one (where the cheap models, close together in dollars, can be told apart). Drawn with matplotlib's
object API; saved as PNG or SVG by suffix, both without one.
"""

from __future__ import annotations

from pathlib import Path

from .n_models import NModelEvaluation
from .plots import save_figures

_STYLES = {"n_model_router": ("-", "o"), "scalar_tiers": ("-.", "."), "two_model": ("--", "s")}


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def n_models_figure(evaluation: NModelEvaluation, title: str | None = None):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 5.5), layout="constrained")
    panels = figure.subplots(1, 2)
    base = evaluation.best_mix.area
    for axes, log in zip(panels, (False, True)):
        for entry in evaluation.single_models:
            axes.plot(entry["cost"], entry["quality"] * 100, "o", color="dimgray", markersize=5)
            axes.annotate(_short(entry["model"]), (entry["cost"], entry["quality"] * 100), fontsize=6.5,
                          xytext=(3, 3), textcoords="offset points", color="dimgray")
        for i, curve in enumerate(evaluation.curves):
            label = f"{curve.name} (area {curve.area * 100:.2f}"
            label += ")" if curve.kind == "best_mix" else f", {(curve.area - base) * 100:+.2f})"
            xs = [p[0] for p in curve.envelope]
            ys = [p[1] * 100 for p in curve.envelope]
            if curve.kind == "best_mix":
                axes.plot(xs + [evaluation.cost_range[1]], ys + [ys[-1]], color="gray", linestyle="--",
                          linewidth=1.2, label=label)
            elif curve.kind == "oracle":  # its envelope, and a star where every prompt gets its best model
                axes.plot(xs + [evaluation.cost_range[1]], ys + [ys[-1]], color="black", linewidth=1, label=label)
                point = curve.points[0]
                axes.plot(point["cost"], point["quality"] * 100, "*", color="black", markersize=10)
            else:
                linestyle, marker = _STYLES.get(curve.kind, ("-", "o"))
                ordered = sorted(curve.points, key=lambda p: p["cost"])
                line = axes.plot([p["cost"] for p in ordered], [p["quality"] * 100 for p in ordered],
                                 linestyle=linestyle, marker=marker, markersize=3, linewidth=1.4, label=label)
                axes.plot(xs + [evaluation.cost_range[1]], ys + [ys[-1]], color=line[0].get_color(),
                          linewidth=0.8, alpha=0.5)
        low, high = evaluation.cost_range
        axes.axvspan(low, high, color="tab:blue", alpha=0.04)
        if log:
            axes.set_xscale("log")
        axes.set_xlabel("Mean cost per prompt (US$)" + (", log scale" if log else ""))
        axes.set_ylabel("Mean quality (% correct)")
        axes.grid(True, alpha=0.3)
    panels[0].legend(loc="lower right", fontsize="small")
    figure.suptitle(title or f"Routing among {len(evaluation.models)} models: quality vs cost "
                    f"({len(evaluation.outcomes):,} prompts)")
    return figure


def save_n_models_plot(evaluation: NModelEvaluation, path: str | Path, title: str | None = None) -> list[Path]:
    """Write the plot to `path` (.png or .svg), or to `path`.png and `path`.svg without a suffix."""
    return save_figures(lambda: n_models_figure(evaluation, title), path, dpi=110)
