"""Fine-tune a classifier router (BERT or causal LLM) on per-prompt targets.

Both classifier routers expose `trainable_module()` and `logits(texts)` (column 1 = the strong model
wins). The loss is cross-entropy against a soft target y in [0, 1] — P(strong wins) for the prompt —
so ties (0.5), votes over several battles and pooled-difficulty targets all fit one objective.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .common import progress, seed_everything, timed


@dataclass
class ClassifierConfig:
    epochs: int = 2
    batch_size: int = 16
    lr: float = 3e-5
    weight_decay: float = 0.01
    warmup_share: float = 0.1
    #: At most this many prompts (a seeded sample); the CPU time budget of the larger models.
    max_prompts: int | None = None
    seed: int = 0


def fine_tune(
    router,
    prompts: list[str],
    targets: np.ndarray,
    weights: np.ndarray | None = None,
    config: ClassifierConfig | None = None,
    show_progress: bool = True,
):
    """Train `router` in place on (prompt, target) pairs and return it, with a card entry."""
    import torch

    config = config or ClassifierConfig()
    targets = np.asarray(targets, dtype=np.float32)
    if len(prompts) != len(targets) or len(prompts) == 0:
        raise ValueError(f"need one target per prompt and at least one prompt, got {len(prompts)} and {len(targets)}")
    if ((targets < 0) | (targets > 1)).any() or np.isnan(targets).any():
        raise ValueError("targets must be probabilities in [0, 1]")
    weights = np.ones(len(prompts), np.float32) if weights is None else np.asarray(weights, np.float32)
    seed_everything(config.seed)
    rng = np.random.default_rng(config.seed)
    rows = np.arange(len(prompts))
    if config.max_prompts is not None and len(rows) > config.max_prompts:
        rows = np.sort(rng.choice(rows, config.max_prompts, replace=False, p=weights / weights.sum()))
        weights = np.ones(len(prompts), np.float32)  # the sample already follows the weights
    module = router.trainable_module()
    parameters = [p for p in module.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * int(np.ceil(len(rows) / config.batch_size))
    warmup = max(1, int(config.warmup_share * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    record: dict = {}
    losses = []
    module.train()
    with timed(record):
        bar = progress(total=steps, desc=f"fine-tuning {router.kind}", enabled=show_progress)
        for _ in range(config.epochs):
            # Batches of similar length waste less padding; their order is shuffled.
            order = rows[rng.permutation(len(rows))]
            chunks = [order[i : i + config.batch_size * 8] for i in range(0, len(order), config.batch_size * 8)]
            batches = []
            for chunk in chunks:
                chunk = chunk[np.argsort([len(prompts[i]) for i in chunk], kind="stable")]
                batches += [chunk[i : i + config.batch_size] for i in range(0, len(chunk), config.batch_size)]
            for batch in (batches[i] for i in rng.permutation(len(batches))):
                logits = router.logits([prompts[i] for i in batch]).float()
                log_p = torch.log_softmax(logits, dim=-1)
                y = torch.from_numpy(targets[batch])
                w = torch.from_numpy(weights[batch])
                loss = -((y * log_p[:, 1] + (1 - y) * log_p[:, 0]) * w).sum() / w.sum()
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(parameters, 1.0)
                optimiser.step()
                schedule.step()
                losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        bar.close()
    module.eval()
    router.card = {
        **router.card,
        "hyper_parameters": asdict(config),
        "training_prompts": int(len(rows)),
        "final_loss": round(float(np.mean(losses[-20:])), 5),
        "training_time_seconds": record["training_seconds"],
    }
    return router
