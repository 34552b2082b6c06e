"""Bring your own traffic: judge-labelled (or golden-labelled) battles from your own prompts.

`label` calls two or more candidate models on each prompt, has a judge compare every pair in both
orders, and appends battles in the project's schema to a JSONL file (see docs/your_traffic.md).
"""

from .models import LabelingError, Reply, resolve_judge, resolve_model
from .runner import LabelSummary, label, read_prompt_table
from .shadow import ShadowSampler
from .verdicts import DEFAULT_JUDGE_PROMPT, VERDICTS, combine, parse_verdict

__all__ = ["DEFAULT_JUDGE_PROMPT", "LabelSummary", "LabelingError", "Reply", "ShadowSampler", "VERDICTS", "combine", "label",
           "parse_verdict", "read_prompt_table", "resolve_judge", "resolve_model"]
