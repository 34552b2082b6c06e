"""Router kinds. Importing this package registers every kind for checkpoint loading.

None of these modules imports torch at import time: the learned routers score with numpy, and the
transformer-based ones (BERT, causal LLM) import torch and transformers inside their methods.
"""

from .adapted import AdaptedRouter
from .baselines import LengthRouter, RandomRouter
from .bert import BertClassifierRouter
from .causal_llm import CausalLLMRouter
from .difficulty import DifficultyRouter
from .gated_experts import GatedExpertsRouter
from .mf import MatrixFactorizationRouter
from .mf_quality import QualityMFRouter
from .sw_ranking import SWRankingRouter

__all__ = [
    "AdaptedRouter",
    "BertClassifierRouter",
    "CausalLLMRouter",
    "DifficultyRouter",
    "GatedExpertsRouter",
    "LengthRouter",
    "MatrixFactorizationRouter",
    "QualityMFRouter",
    "RandomRouter",
    "SWRankingRouter",
]
