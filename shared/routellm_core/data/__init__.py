"""The data layer: one battle schema, outcome tables, loaders for every training set, decontamination.

Light to import (pandas and numpy only); the embedding model loads only when decontamination embeds.
"""

from .decontamination import DecontaminationReport, decontaminate, evaluation_prompts
from .embedding_cache import default_cache_dir, embed_texts, embedder_key
from .files import default_data_root, read_table
from .models import PAPER_STRONG_MODEL, PAPER_WEAK_MODEL, find_model, model_key, same_model
from .outcomes import PromptOutcomes, outcomes_to_battles
from .per_model_outcomes import PerModelOutcomes, load_per_model_outcomes, parse_prices
from .public_formats import (
    CHATBOT_ARENA_55K,
    GPT4_JUDGE_BATTLES,
    arena_battles,
    load_arena_battles,
    load_battle_file,
    load_chatbot_arena,
    load_gpt4_judge_battles,
)
from .registry import (
    TRAINING_SETS,
    describe_training_sets,
    load_training_battles,
    load_training_set,
    training_set,
)
from .schema import (
    APACHE_2,
    BATTLE_COLUMNS,
    CC_BY_NC_4,
    MIT,
    PERMISSIVE_LICENCES,
    UNKNOWN_LICENCE,
    WINNERS,
    BattleSchemaError,
    DataError,
    LicenceError,
    battle_summary,
    licences_by_source,
    require_licences,
    validate_battles,
)
from .text_match import normalise_text
from .training_sets import (
    format_multiple_choice,
    load_alpaca_eval,
    load_arena_bench,
    load_arena_hard,
    load_arena_hard_prompts,
    load_llmrouter,
    load_mmlu_pro,
)

__all__ = [
    "APACHE_2", "BATTLE_COLUMNS", "CC_BY_NC_4", "CHATBOT_ARENA_55K", "GPT4_JUDGE_BATTLES", "MIT",
    "PAPER_STRONG_MODEL", "PAPER_WEAK_MODEL", "PERMISSIVE_LICENCES", "TRAINING_SETS", "UNKNOWN_LICENCE", "WINNERS",
    "BattleSchemaError", "DataError", "DecontaminationReport", "LicenceError", "PerModelOutcomes", "PromptOutcomes",
    "arena_battles", "battle_summary", "decontaminate", "default_cache_dir", "default_data_root",
    "describe_training_sets", "embed_texts", "embedder_key", "evaluation_prompts", "find_model", "format_multiple_choice",
    "licences_by_source", "load_alpaca_eval", "load_arena_battles", "load_arena_bench", "load_arena_hard",
    "load_arena_hard_prompts", "load_battle_file", "load_chatbot_arena", "load_gpt4_judge_battles",
    "load_llmrouter", "load_mmlu_pro", "load_per_model_outcomes", "load_training_battles", "load_training_set", "model_key",
    "normalise_text", "outcomes_to_battles", "parse_prices", "read_table", "require_licences", "same_model",
    "training_set", "validate_battles",
]
