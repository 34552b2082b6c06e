"""The paper's picture: quality vs % strong calls for each router, with the reference lines.

Drawn with matplotlib's object API (no pyplot state, no display needed). Saved as PNG or SVG by the
file's suffix; a path without a suffix gets both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .comparison import Comparison
from .metrics import EvaluationResult

FORMATS = (".png", ".svg")
_ROUTER_STYLES = ("-", "--", "-.", ":")


def _is_accuracy(comparison: Comparison) -> bool:
    """0/1 outcomes (MMLU, GSM8K, graded-right/wrong logs) are shown as accuracy in %."""
    b = comparison.benchmark
    values = np.concatenate([b.strong_scores, b.weak_scores])
    return bool(np.isin(values, (0.0, 1.0)).all())


def _points(result: EvaluationResult, scale: float) -> tuple[np.ndarray, np.ndarray]:
    shares = np.array([p["strong_share"] for p in result.curve]) * 100
    qualities = np.array([p["quality"] for p in result.curve]) * scale
    return shares, qualities


def _label(result: EvaluationResult) -> str:
    apgr = "n/a" if not np.isfinite(result.apgr) else f"{result.apgr:.3f}"
    return f"{result.router} (APGR {apgr})"


def comparison_figure(comparison: Comparison, title: str | None = None):
    """A matplotlib Figure of the comparison (routers, references, strong and weak model lines)."""
    from matplotlib.figure import Figure

    accuracy = _is_accuracy(comparison)
    scale = 100.0 if accuracy else 1.0
    b = comparison.benchmark
    strong, weak = b.strong_mean * scale, b.weak_mean * scale

    figure = Figure(figsize=(8, 5.5), layout="constrained")
    axes = figure.add_subplot()
    axes.axhline(strong, color="tab:red", linestyle="--", linewidth=1, label=f"strong: {b.strong_model} ({strong:.1f})")
    axes.axhline(weak, color="dimgray", linestyle="--", linewidth=1, label=f"weak: {b.weak_model} ({weak:.1f})")
    axes.plot([0, 100], [weak, strong], color="gray", linestyle=":", linewidth=1, label="random (expected)")
    for reference in comparison.references:
        x, y = _points(reference, scale)
        if reference.router == "oracle":
            axes.plot(x, y, color="black", linewidth=1.2, label=_label(reference))
        elif reference.router.startswith("random"):
            axes.plot(x, y, color="gray", linestyle="none", marker="x", markersize=4, label=_label(reference))
        else:
            axes.plot(x, y, color="tab:olive", linestyle="-.", marker=".", label=_label(reference))
    for i, result in enumerate(comparison.results):
        x, y = _points(result, scale)
        axes.plot(x, y, linestyle=_ROUTER_STYLES[i % len(_ROUTER_STYLES)], marker="o", markersize=3.5,
                  linewidth=1.6, label=_label(result))
    axes.set_xlim(0, 100)
    axes.set_xlabel("Strong model calls (%)")
    axes.set_ylabel("Accuracy (%)" if accuracy else "Mean quality score")
    axes.set_title(title or f"{b.name}: quality vs strong model calls (n = {len(b):,})")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    return figure


def save_comparison_plot(comparison: Comparison, path: str | Path, title: str | None = None) -> list[Path]:
    """Write the plot to `path` (.png or .svg), or to `path`.png and `path`.svg without a suffix."""
    return save_figures(lambda: comparison_figure(comparison, title), path, dpi=120)


def save_figures(make_figure, path: str | Path, dpi: int) -> list[Path]:
    """Write a figure (`make_figure()`, fresh for each file) to `path` (.png or .svg), or to `path`.png
    and `path`.svg without a suffix."""
    import matplotlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix and suffix not in FORMATS:
        raise ValueError(f"plot file must end in .png or .svg (or have no suffix for both), got {path.name!r}")
    targets = [path] if suffix else [path.with_name(path.name + ext) for ext in FORMATS]
    written = []
    # A fixed hash salt and no date keep SVGs byte-stable between runs (clean diffs in docs/); a fresh
    # figure per file keeps one format's rendering from nudging the other's coordinates.
    with matplotlib.rc_context({"svg.hashsalt": "routellm"}):
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            metadata = {"Date": None} if target.suffix.lower() == ".svg" else {"Software": None}
            make_figure().savefig(target, dpi=dpi, metadata=metadata)
            written.append(target)
    return written
