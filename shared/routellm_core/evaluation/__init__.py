"""Evaluation: the paper's benchmarks and metrics (APGR, CPT) for any router or a user's own logs.

    from routellm_core.evaluation import compare_routers, load_benchmark
    comparison = compare_routers(load_benchmark("gsm8k", "../shared/data/routellm_evals"), ["length"])
    comparison.results[0].apgr

Plots (`save_comparison_plot`) need matplotlib (the `plot` extra) and import it only when called.
"""

from .benchmarks import BENCHMARKS, Benchmark, load_benchmark, load_user_benchmark
from .cache import ScoreCache, default_cache_dir
from .comparison import Comparison, compare_routers
from .download import download_evals
from .metrics import EvaluationResult, evaluate_scores
from .n_models import NModelEvaluation, evaluate_n_models
from .reference import REFERENCES, oracle_reference, random_reference, reference_results
from .scoring import score_prompts

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "Comparison",
    "EvaluationResult",
    "NModelEvaluation",
    "REFERENCES",
    "ScoreCache",
    "compare_routers",
    "default_cache_dir",
    "download_evals",
    "evaluate_n_models",
    "evaluate_scores",
    "load_benchmark",
    "load_user_benchmark",
    "oracle_reference",
    "random_reference",
    "reference_results",
    "save_comparison_plot",
    "score_prompts",
]


def __getattr__(name: str):
    # matplotlib loads only when a plot is asked for.
    if name == "save_comparison_plot":
        from .plots import save_comparison_plot

        return save_comparison_plot
    raise AttributeError(name)
