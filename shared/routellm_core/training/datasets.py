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

import pandas as pd

from ..data import (
    PERMISSIVE_LICENCES,
    PromptOutcomes,
    decontaminate,
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


def load_training_data(
    names: Sequence[str],
    data_root: str | Path | None = None,
    evals_dir: str | Path | None = None,
    *,
    clean: bool = True,
    use_embeddings: bool = True,
    seed: int = 0,
    progress: bool = True,
    log=print,
) -> TrainingData:
    """Load, decontaminate and convert the named training sets (see `routellm_core.data.TRAINING_SETS`).

    `data_root` is the data folder (default: `../shared/data` beside the checkout or
    `$ROUTELLM_DATA_DIR`), `evals_dir` the evaluation sets to decontaminate against (default:
    `routellm_evals` inside it). Outcome tables become battles with the set's tie rule.
    """
    if not names:
        raise ValueError("name at least one training set")
    if clean and evals_dir is None:
        from ..data import default_data_root

        evals_dir = Path(data_root or default_data_root()) / "routellm_evals"
    eval_prompts = evaluation_prompts(evals_dir) if clean else {}
    data = TrainingData()
    frames = []
    for name in names:
        loaded = load_training_set(name, data_root)
        spec_ties = training_set(name).ties if not Path(str(name)).is_file() else "keep"
        if clean:
            loaded, report = decontaminate(loaded, eval_prompts, use_embeddings=use_embeddings, progress=progress)
            data.decontamination[str(name)] = report.to_dict()
            log(str(report))
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
