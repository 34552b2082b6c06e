"""Training data for the routers: named sets loaded, decontaminated and turned into battles.

`load_training_data(["arena_bench", "llmrouter", "mmlu_pro"])` reads each set through the data layer,
drops every row whose prompt is (nearly) an evaluation prompt, and keeps both views of the data:
per-prompt outcome tables (how every model did: the pooled-difficulty targets) and pairwise battles
(what the paper's routers train on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import (
    PERMISSIVE_LICENCES,
    PromptOutcomes,
    decontaminate,
    embedder_key,
    evaluation_prompts,
    licences_by_source,
    load_training_set,
    require_licences,
    training_set,
)


@dataclass
class TrainingData:
    #: Decontaminated per-prompt outcome tables, by set name (sets that hold outcomes).
    outcomes: dict[str, PromptOutcomes] = field(default_factory=dict)
    #: Decontaminated battles from every labelled set (battle schema).
    battles: pd.DataFrame | None = None
    #: Decontamination figures per set (rows and prompts dropped per rule and evaluation set).
    decontamination: dict[str, dict] = field(default_factory=dict)
    #: Embeddings of the clean prompts, by text (filled while decontaminating: each prompt embedded once).
    embeddings: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: Whose vectors `embeddings` holds (an `embedder_key`; None: the core's default embedder).
    embeddings_from: str | None = None

    def embed(self, texts, embedder=None, progress: bool = True) -> np.ndarray:
        """Embeddings of `texts`: from `embeddings` where known, the rest embedded (and cached on disk).

        The stored vectors serve only the embedder that made them; any other embedder (a static table,
        another model) gets its own vectors and leaves the store as it is.
        """
        from ..data import embedder_key
        from .embeddings import embed_prompts

        texts = [str(t) for t in texts]
        if embedder_key(embedder) != (self.embeddings_from or embedder_key(None)):
            return np.asarray(embed_prompts(texts, embedder, progress=progress), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in self.embeddings]
        if missing:
            self.embeddings.update(zip(missing, embed_prompts(missing, embedder, progress=progress)))
        return np.stack([self.embeddings[t] for t in texts]).astype(np.float32)

    def licences(self) -> dict[str, list[str]]:
        return licences_by_source(self.battles) if self.battles is not None else {}

    def require_permissive(self) -> None:
        """Refuse data under a non-permissive licence (for routers that ship inside the package)."""
        if self.battles is not None:
            require_licences(self.battles, PERMISSIVE_LICENCES)

    def card(self) -> dict:
        """What a checkpoint card records about its training data."""
        per_source = self.battles["source"].value_counts().to_dict() if self.battles is not None else {}
        return {
            "sets": sorted(set(self.outcomes) | set(per_source)),
            "battles_per_source": {str(k): int(v) for k, v in per_source.items()},
            "prompts_per_outcome_set": {name: len(o) for name, o in self.outcomes.items()},
            "licences": self.licences(),
            "decontamination": self.decontamination,
        }


def _merge_reports(text_rules: dict, embedding_rule: dict) -> dict:
    """One decontamination record from the text-rules pass and the embedding pass that followed it."""
    merged = dict(text_rules)
    merged["rows_after"], merged["prompts_after"] = embedding_rule["rows_after"], embedding_rule["prompts_after"]
    for key in ("dropped_rows", "dropped_prompts"):
        merged[key] = {**text_rules.get(key, {}), **embedding_rule.get(key, {})}
    merged["settings"] = embedding_rule.get("settings", text_rules.get("settings", {}))
    return merged


def _decontaminate_and_embed(table, eval_prompts, embedder, use_embeddings: bool, progress: bool):
    """Decontaminate `table` and embed its clean prompts, embedding each prompt only once.

    The text rules run first; the prompts they keep are embedded (cached on disk under the very key
    the embedding rule uses), so the embedding rule and training share one pass over the model.
    """
    from ..data import embed_texts

    text_clean, text_report = decontaminate(table, eval_prompts, use_embeddings=False, progress=progress)
    frame = text_clean.table if isinstance(text_clean, PromptOutcomes) else text_clean
    unique = [p for p in dict.fromkeys(frame["prompt"].astype(str).tolist()) if p.strip()]
    vectors = embed_texts(unique, embedder, progress=progress, description="embedding training prompts")
    lookup = dict(zip(unique, vectors))
    if not use_embeddings:
        return text_clean, text_report.to_dict(), lookup
    clean, report = decontaminate(text_clean, eval_prompts, embedder, use_embeddings=True, progress=progress)
    return clean, _merge_reports(text_report.to_dict(), report.to_dict()), lookup


def _load_one(name: str, data_root):
    """One set by name, `name=FILE` (an online set read from a local file in its format), or a battle file."""
    loaded = load_training_set(name, data_root)
    return loaded, ("keep" if Path(name).is_file() else training_set(name).ties)


def load_training_data(
    names: Sequence[str],
    data_root: str | Path | None = None,
    evals_dir: str | Path | None = None,
    *,
    clean: bool = True,
    use_embeddings: bool = True,
    embedder=None,
    seed: int = 0,
    progress: bool = True,
    log=print,
) -> TrainingData:
    """Load, decontaminate and convert the named training sets (see `routellm_core.data.TRAINING_SETS`).

    A name may be `set=path` (e.g. `chatbot_arena=arena_55k.parquet`: an online set from a local file
    in its format) or the path of a battle file.
    `data_root` is the data folder (default: `../shared/data` beside the checkout or
    `$ROUTELLM_DATA_DIR`), `evals_dir` the evaluation sets to decontaminate against (default:
    `routellm_evals` inside it). Outcome tables become battles with the set's tie rule. The clean
    prompts' embeddings (computed once, cached on disk) are kept in `TrainingData.embeddings`.
    """
    if not names:
        raise ValueError("name at least one training set")
    if clean and evals_dir is None:
        from ..data import default_data_root

        evals_dir = Path(data_root or default_data_root()) / "routellm_evals"
    eval_prompts = evaluation_prompts(evals_dir) if clean else {}
    data = TrainingData(embeddings_from=embedder_key(embedder))
    frames = []
    for name in names:
        loaded, spec_ties = _load_one(str(name), data_root)
        if clean:
            loaded, report, vectors = _decontaminate_and_embed(loaded, eval_prompts, embedder, use_embeddings, progress)
            data.decontamination[str(name)] = report
            data.embeddings.update(vectors)
            dropped = report["prompts_before"] - report["prompts_after"]
            log(f"decontamination of {name}: dropped {dropped} of {report['prompts_before']} prompts "
                f"({report['rows_before'] - report['rows_after']} rows); by rule: {report['dropped_prompts']}")
        if isinstance(loaded, PromptOutcomes):
            data.outcomes[str(name)] = loaded
            frames.append(loaded.to_battles(ties=spec_ties, seed=seed))
        elif "model_a" in loaded.columns:
            frames.append(loaded)
        else:
            log(f"{name}: prompts without labels, not used for battles")
    if frames:
        battles = pd.concat([f.assign(prompt=f["prompt"].astype(str)) for f in frames], ignore_index=True)
        data.battles = battles
    return data
