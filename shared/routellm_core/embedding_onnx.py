"""An ONNX Runtime backend for the Embedder: the same model, the same vectors, less time per call.

The sentence-transformers model (transformer, pooling, normalisation: its own torch modules) is
exported once per model folder with `torch.onnx`, checked against the torch path on probe texts
(padded batches, truncated and odd texts included: at most `MAX_DIFFERENCE` apart, so router scores
and APGR do not move), and kept in the user cache (`$ROUTELLM_CACHE_DIR/onnx/`). From then on a call is
the `tokenizers` library plus one ONNX Runtime run: no torch, and about 40 % less time for a single
prompt on a 2-core CPU (docs/speed.md). Needs the `onnx` extra: `pip install "routellm-integrations[onnx]"`.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embedding_models import derived_model_folder
from .storage import staged_folder

#: Largest element-wise difference allowed between the exported and the torch embeddings.
MAX_DIFFERENCE = 1e-4
_FORMAT = 1  # bump when the export changes, so old exports are not reused
_INPUTS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
PROBE_TEXTS = (
    "How do I sort a list in Python?",
    "hi",
    "  Leading and trailing spaces, MIXED case, digits 12345 and punctuation!?  ",
    "Ünïcödé: naïve café, 東京, emoji 🙂 — and a dash.",
    "Prove that the square root of two is irrational, step by step. " * 40,  # longer than any max length
)


def require_onnxruntime() -> None:
    import importlib.util

    missing = [name for name in ("onnxruntime",) if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(
            "the onnx embedding backend needs onnxruntime (and onnx to export a model once): "
            'pip install "routellm-integrations[onnx]"'
        )


def export_folder(model_path: str) -> Path:
    """Where the export of a local model folder lives (keyed by the folder's files)."""
    return derived_model_folder(model_path, "onnx", _FORMAT)


class OnnxSentenceEncoder:
    """Normalised embeddings from an exported folder (model.onnx, tokenizer.json, encoder.json)."""

    def __init__(self, folder: str | Path):
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(folder)
        meta = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.dimension = int(meta["dimension"])
        self.input_names = list(meta["inputs"])
        self.lowercase = bool(meta["lowercase"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(int(meta["max_length"]))
        tokenizer.enable_padding(pad_id=int(meta["pad_id"]), pad_token=meta["pad_token"])
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        threads = os.environ.get("OMP_NUM_THREADS", "")
        if threads.isdigit() and int(threads) > 0:  # one setting for both backends (torch reads it too)
            options.intra_op_num_threads = int(threads)
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One padded batch: float32 rows, L2-normalised (the exported graph normalises)."""
        # sentence-transformers strips each text (and lowercases where the module says so) before tokenizing
        texts = [t.strip().lower() if self.lowercase else t.strip() for t in texts]
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            name: np.array([getattr(e, _INPUTS[name]) for e in encodings], dtype=np.int64) for name in self.input_names
        }
        return np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)


def export_sentence_transformer(st_model, torch_encode, target: Path) -> Path:
    """Export `st_model` into `target` (atomically), after checking it against `torch_encode`."""
    import torch

    transformer = st_model[0]
    tokenizer = st_model.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("the onnx backend needs a model with a fast (tokenizers) tokenizer")
    features = st_model.preprocess(["an export probe", "a"])
    input_names = [name for name in _INPUTS if name in features]
    constants = {key: value for key, value in features.items() if not torch.is_tensor(value)}

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.st_model = st_model

        def forward(self, *inputs):
            vectors = self.st_model(dict(zip(input_names, inputs)) | constants)["sentence_embedding"]
            return torch.nn.functional.normalize(vectors.float(), p=2.0, dim=1)

    with staged_folder(target) as staging:
        axes = {name: {0: "batch", 1: "tokens"} for name in input_names}
        # the tracer's warnings concern shapes it fixes; the probe check below is what decides
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                SentenceEmbedding().eval(),
                tuple(features[name] for name in input_names),
                str(staging / "model.onnx"),
                input_names=input_names,
                output_names=["sentence_embedding"],
                dynamic_axes=axes | {"sentence_embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,  # the tracing exporter needs only the onnx package
            )
        tokenizer.backend_tokenizer.save(str(staging / "tokenizer.json"))
        meta = {
            "dimension": int(st_model.get_embedding_dimension() if hasattr(st_model, "get_embedding_dimension")
                             else st_model.get_sentence_embedding_dimension()),
            "inputs": input_names,
            "max_length": int(st_model.max_seq_length),
            "lowercase": bool(getattr(transformer, "do_lower_case", False)),
            "pad_id": int(tokenizer.pad_token_id),
            "pad_token": tokenizer.pad_token,
        }
        (staging / "encoder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        exported = OnnxSentenceEncoder(staging).encode_batch(list(PROBE_TEXTS))
        reference = torch_encode(list(PROBE_TEXTS))
        difference = float(np.abs(exported - reference).max())
        if not difference <= MAX_DIFFERENCE:
            raise ValueError(
                f"the onnx export differs from the torch model by {difference:.2e} (> {MAX_DIFFERENCE}); "
                "use the torch backend for this model"
            )
        meta["checked_difference"] = difference
        (staging / "encoder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return target
