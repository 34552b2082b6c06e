"""Model names across data sets (see `routellm_core.model_names`, where the rule lives)."""

from ..model_names import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL, find_model, model_key, same_model

__all__ = ["PAPER_STRONG_MODEL", "PAPER_WEAK_MODEL", "find_model", "model_key", "same_model"]
