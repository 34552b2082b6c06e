"""Evaluation: the paper's benchmarks and metrics (APGR, CPT) for any router or a user's own logs."""

from .benchmarks import Benchmark, load_benchmark, load_user_benchmark
from .metrics import EvaluationResult, evaluate_scores

__all__ = ["Benchmark", "EvaluationResult", "evaluate_scores", "load_benchmark", "load_user_benchmark"]
