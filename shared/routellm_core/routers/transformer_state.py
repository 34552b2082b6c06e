"""Helpers for routers whose learned state is (part of) a transformers model's state dict.

The checkpoint format stores float32 tensors only; integer buffers (such as position ids) are rebuilt
from the architecture config, so they are neither saved nor expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def float_state(module, prefixes: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The floating-point entries of a module's state dict as numpy (optionally only some prefixes)."""
    import torch

    out = {}
    for key, tensor in module.state_dict().items():
        if not tensor.is_floating_point():
            continue
        if prefixes is not None and not key.startswith(prefixes):
            continue
        out[key] = tensor.detach().to("cpu", dtype=torch.float32).numpy()
    return out


def meta_float_shapes(build, prefixes: tuple[str, ...] | None = None) -> dict[str, tuple[int, ...]]:
    """Shapes of the floating-point state of the module `build()` makes, without allocating weights."""
    import torch

    with torch.device("meta"):
        module = build()
    return {
        key: tuple(tensor.shape)
        for key, tensor in module.state_dict().items()
        if tensor.is_floating_point() and (prefixes is None or key.startswith(prefixes))
    }


def load_float_state(module, tensors: dict[str, Any]) -> None:
    """Copy tensors into a module; every floating-point entry of its state dict must be given."""
    import torch

    state = {key: torch.from_numpy(np.asarray(value, dtype=np.float32)) for key, value in tensors.items()}
    missing, unexpected = module.load_state_dict(state, strict=False)
    float_missing = [k for k in missing if module.state_dict()[k].is_floating_point()]
    if float_missing or unexpected:
        raise ValueError(f"state mismatch: missing {float_missing[:5]}, unexpected {list(unexpected)[:5]}")


def batched_win_probabilities(module, logits, texts: list[str], batch_size: int) -> np.ndarray:
    """P(strong wins) = softmax column 1 of `logits(batch)`, in batches of similar length (less padding)."""
    import torch

    module.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.empty(len(texts))
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            batch_logits = logits([texts[i] for i in rows])
            out[rows] = torch.softmax(batch_logits.float(), dim=-1)[:, 1].numpy()
    return out


def transformers_quiet():
    """A context that silences transformers' loading chatter (weights-not-initialised notes, ...)."""
    from transformers.utils import logging

    from ..quiet import quiet_model_loading

    class _Quiet:
        def __enter__(self):
            self.level = logging.get_verbosity()
            logging.set_verbosity_error()
            self.bars = quiet_model_loading()
            self.bars.__enter__()

        def __exit__(self, *exc):
            self.bars.__exit__(*exc)
            logging.set_verbosity(self.level)

    return _Quiet()
