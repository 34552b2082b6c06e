"""Checkpoints: a router is a directory of `config.json` + `model.safetensors` + `README.md`.

Loading reads JSON and safetensors only: nothing is unpickled and no code from the directory runs.
Saving writes a sibling temporary directory and swaps it in, so a crash never leaves a half-written
checkpoint in place of a good one.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import CheckpointError
from .reference import ReferenceQuantiles
from .storage import staged_folder

if TYPE_CHECKING:  # annotations only: `router` imports this module (Router.save), not the reverse
    from .router import Router

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "README.md"

#: Router classes by `kind`: what a checkpoint's config names. Filled by `register_router`.
ROUTER_KINDS: dict[str, type[Router]] = {}


def register_router(cls: type[Router]) -> type[Router]:
    """Class decorator: make a router kind loadable from checkpoints by its `kind`."""
    ROUTER_KINDS[cls.kind] = cls
    return cls


def _package_version() -> str:
    try:
        return version("routellm-integrations")
    except PackageNotFoundError:
        return "unknown"


def router_config(router: Router, name: str | None = None) -> dict[str, Any]:
    config = {
        "format_version": FORMAT_VERSION,
        "kind": router.kind,
        "name": name or router.name,
        "params": router.get_params(),
        "strong_model": router.strong_model,
        "weak_model": router.weak_model,
        "card": router.card,
        "routellm_version": _package_version(),
    }
    if router.reference is not None:
        config["reference_quantiles"] = router.reference.as_config()
    return config


def fingerprint(router: Router) -> str:
    digest = hashlib.sha256()
    config = router_config(router)
    digest.update(json.dumps({k: config[k] for k in ("kind", "params")}, sort_keys=True).encode())
    for key, array in sorted(router.state_tensors().items()):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def render_card(config: dict[str, Any]) -> str:
    """A short, readable model card from the config."""
    card = config.get("card") or {}
    lines = [
        f"# Router `{config['name']}` ({config['kind']})",
        "",
        f"Predicts P({config['strong_model']} beats {config['weak_model']}) for a prompt.",
        "",
        "Load it with `routellm_core.load_router(path)`; it holds `config.json` and "
        "`model.safetensors` (no pickles, no code).",
        "",
        "## Hyper-parameters",
        "",
        "```json",
        json.dumps(config["params"], indent=2, sort_keys=True),
        "```",
    ]
    reference = config.get("reference_quantiles")
    if reference:
        scores = ReferenceQuantiles.from_config(reference, "card").threshold_for_share
        lines += ["", "## Thresholds by share of strong calls", "",
                  f"On {reference['prompts']}: " + ", ".join(
                      f"{int(share * 100)} % strong at threshold {scores(share):.4f}" for share in (0.2, 0.5, 0.8)),
                  "", "`RoutedChatModel` / `RoutedLLM` read these when given `strong_fraction` without "
                  "calibration prompts."]
    for title, value in card.items():
        lines += ["", f"## {title.replace('_', ' ').capitalize()}", ""]
        if isinstance(value, str):
            lines.append(value)
        else:
            lines += ["```json", json.dumps(value, indent=2, sort_keys=True, default=str), "```"]
    return "\n".join(lines) + "\n"


def save_router(router: Router, directory: str | Path) -> Path:
    from safetensors.numpy import save_file

    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A checkpoint is named after its folder (a router loaded as "default" and saved as "my-router/"
    # is "my-router" from then on, in its card and in routing metadata).
    config = router_config(router, name=target.resolve().name)
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in router.state_tensors().items()}
    with staged_folder(target) as staging:  # the old checkpoint is replaced only once the new one is whole
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True, default=str))
        save_file(tensors, str(staging / WEIGHTS_FILE), metadata={"format": "routellm", "kind": router.kind})
        (staging / CARD_FILE).write_text(render_card(config))
    return target


def is_checkpoint_dir(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / CONFIG_FILE).exists()


def read_config(directory: Path) -> dict[str, Any]:
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise CheckpointError(f"checkpoint {directory} has no {CONFIG_FILE}")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_FILE} is not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_FILE} must hold a JSON object")
    for key in ("format_version", "kind", "params"):
        if key not in config:
            raise CheckpointError(f"checkpoint {directory}: {CONFIG_FILE} lacks the field {key!r}")
    if not isinstance(config["format_version"], int) or config["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {directory} has format version {config['format_version']!r}; this version of "
            f"routellm reads up to {FORMAT_VERSION}: upgrade the package"
        )
    if config["kind"] not in ROUTER_KINDS:
        raise CheckpointError(
            f"checkpoint {directory} is of unknown router kind {config['kind']!r}; "
            f"known kinds: {', '.join(sorted(ROUTER_KINDS))}"
        )
    if not isinstance(config["params"], dict):
        raise CheckpointError(f"checkpoint {directory}: 'params' must be a JSON object")
    return config


def read_tensors(directory: Path, expected: dict[str, tuple[int | None, ...]]) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"checkpoint {directory} has no {WEIGHTS_FILE}")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"checkpoint {directory}: {WEIGHTS_FILE} is not a valid safetensors file ({exc})"
        ) from None
    missing = sorted(set(expected) - set(tensors))
    if missing:
        raise CheckpointError(f"checkpoint {directory}: {WEIGHTS_FILE} lacks tensors {missing}")
    for key, shape in expected.items():
        array = tensors[key]
        if array.dtype != np.float32:
            raise CheckpointError(f"checkpoint {directory}: tensor {key!r} is {array.dtype}, expected float32")
        if len(array.shape) != len(shape) or any(
            want is not None and got != want for got, want in zip(array.shape, shape)
        ):
            raise CheckpointError(
                f"checkpoint {directory}: tensor {key!r} has shape {tuple(array.shape)}, expected {shape}"
            )
    return tensors


def load_checkpoint(directory: str | Path) -> Router:
    """Load a router from a checkpoint directory, validating config and tensor shapes."""
    path = Path(directory)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {path} is not a directory")
    config = read_config(path)
    cls = ROUTER_KINDS[config["kind"]]
    try:
        expected = cls.expected_shapes(config["params"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path}: params do not fit a {config['kind']} router ({exc})") from None
    tensors = read_tensors(path, expected)
    try:
        router = cls.from_state(config["params"], tensors)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path}: cannot build a {config['kind']} router ({exc})") from None
    router.name = config.get("name") or router.name
    router.strong_model = config.get("strong_model", router.strong_model)
    router.weak_model = config.get("weak_model", router.weak_model)
    router.card = config.get("card") or {}
    if config.get("reference_quantiles") is not None:
        router.reference = ReferenceQuantiles.from_config(config["reference_quantiles"], f"checkpoint {path}")
    return router
