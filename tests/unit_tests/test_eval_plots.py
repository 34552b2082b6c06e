"""Quality-vs-cost plots: PNG and SVG, with every router and reference line."""

import numpy as np
import pytest

from routellm_core.evaluation import Benchmark, compare_routers
from routellm_core.evaluation.plots import comparison_figure, save_comparison_plot

pytest.importorskip("matplotlib", reason="plots need matplotlib (the plot extra)")


@pytest.fixture(scope="module")
def comparison():
    prompts = [f"question {'x' * i}" for i in range(40)]
    strong = (np.arange(40) % 3 != 0).astype(float)
    weak = (np.arange(40) < 20).astype(float)
    return compare_routers(Benchmark("toy", prompts, strong, weak), ["length", "random"], cache=None, progress=False)


def test_figure_draws_routers_references_and_model_lines(comparison):
    axes = comparison_figure(comparison).axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    for expected in ("length (APGR", "random (APGR", "random (mean of 10 seeds)", "oracle (APGR", "random (expected)",
                     "strong: gpt-4-1106-preview", "weak: mistralai/Mixtral-8x7B-Instruct-v0.1"):
        assert any(label.startswith(expected) for label in labels), (expected, labels)
    assert axes.get_xlabel() == "Strong model calls (%)" and axes.get_ylabel() == "Accuracy (%)"
    length_line = next(line for line in axes.get_lines() if line.get_label().startswith("length"))
    assert length_line.get_xdata()[0] == 0 and length_line.get_xdata()[-1] == 100


def test_png_and_svg_by_suffix(comparison, tmp_path):
    (png,) = save_comparison_plot(comparison, tmp_path / "curve.png")
    (svg,) = save_comparison_plot(comparison, tmp_path / "curve.svg")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()[:500]


def test_no_suffix_writes_both_and_svg_is_reproducible(comparison, tmp_path):
    written = save_comparison_plot(comparison, tmp_path / "out" / "curve")
    assert [p.name for p in written] == ["curve.png", "curve.svg"]
    again = save_comparison_plot(comparison, tmp_path / "again.svg")[0]
    assert again.read_bytes() == written[1].read_bytes()


def test_graded_scores_are_labelled_as_scores(tmp_path):
    b = Benchmark("logs", ["a", "bb", "ccc"], np.array([8.0, 9.0, 7.5]), np.array([6.0, 9.0, 7.0]))
    figure = comparison_figure(compare_routers(b, ["length"], [], progress=False))
    assert figure.axes[0].get_ylabel() == "Mean quality score"


def test_unknown_format_is_refused(comparison, tmp_path):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        save_comparison_plot(comparison, tmp_path / "curve.pdf")
