"""Stamp the bundled checkpoints with reference quantiles: `python -m routellm_core.training.reference_quantiles`.

Each bundled router's win probabilities on the 500 Arena-Hard v0.1 prompts, kept as quantiles in its
checkpoint (see `routellm_core.reference`), so `strong_fraction=...` works without calibration prompts.
Bundled routers are rebuilt with them (`training.bundled`); this refreshes them alone, in place.
"""

from __future__ import annotations

from ..reference import ARENA_HARD_REFERENCE, set_reference


def main(argv: list[str] | None = None) -> None:
    """Recompute the reference quantiles of bundled checkpoints on the Arena-Hard prompts, in place."""
    import argparse
    from pathlib import Path

    from ..checkpoint import load_checkpoint
    from ..data import default_data_root, load_arena_hard_prompts
    from ..registry import bundled_checkpoint_names, bundled_checkpoints_dir

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("names", nargs="*", help="bundled checkpoints (default: all)")
    parser.add_argument("--data-root", type=Path, default=None)
    args = parser.parse_args(argv)
    prompts = load_arena_hard_prompts(Path(args.data_root or default_data_root()))
    for name in args.names or bundled_checkpoint_names():
        folder = bundled_checkpoints_dir() / name
        router = set_reference(load_checkpoint(folder), prompts, ARENA_HARD_REFERENCE)
        router.save(folder)
        shares = {f: round(router.reference.threshold_for_share(f), 4) for f in (0.2, 0.5, 0.8)}
        print(f"{name}: thresholds for 20/50/80 % strong calls {shares}")


if __name__ == "__main__":
    main()
