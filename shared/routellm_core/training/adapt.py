"""Adapt a bundled router to your own labels (`routellm train KIND --battles FILE --init default`).

The bundled router is the prior. On top of it sits a logistic stacker on [the bundled score as a
logit, log prompt length, a ridge regression on a prompt embedding fitted on your labels]. The ridge
reads either the bundled router's own embedding or a sentence embedding offered besides it (by default
the MiniLM one shipped with the package: the bundled default's static embedding is fast but says less
about a prompt). Which inputs the stacker uses, the ridge penalty and the ridge's embedding are chosen
by K-fold cross-validation on your labels (APGR with the strong model's per-prompt win share as its
quality), against the bundled router and prompt length on the same folds, so the card says whether
adapting helped. When no candidate beats the bundled router, the stacker keeps the bundled score alone
(a monotone map of it: the same ranking).

The result is an ordinary checkpoint (`AdaptedRouter`; the ridge's embedding model is named in its
config, so `load_router` rebuilds it); its reference quantiles are taken on your labelled prompts, so
`strong_fraction` works without a calibration set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.schema import DataError, validate_battles
from ..embedding import DEFAULT_EMBEDDING_MODEL
from ..model_names import model_key
from ..reference import set_reference
from ..router import Router
from ..routers.adapted import STACK_INPUTS, AdaptedRouter, log_length, logit
from .difficulty import weighted_ridge

#: Ridge penalties the cross-validation tries (on standardised embedding dimensions).
RIDGE_ALPHAS = (300.0, 1000.0, 3000.0, 10000.0)
#: Sentence embeddings offered to the ridge besides the bundled router's own (named as for `shared_embedder`).
RIDGE_EMBEDDINGS = (DEFAULT_EMBEDDING_MODEL,)
MIN_PROMPTS = 20

#: A candidate head: (name, stacker inputs used, ridge penalty or None, the ridge's embedding or None).
Candidate = tuple[str, tuple[bool, bool, bool], float | None, str | None]


def candidates(embeddings: Sequence[str] = ("",)) -> list[Candidate]:
    """The heads cross-validation chooses among; a ridge head for each of `embeddings` ("": the bundled one's)."""
    out: list[Candidate] = [("bundled (recalibrated)", (True, False, False), None, None),
                            ("bundled + length", (True, True, False), None, None)]
    for embedding in embeddings:
        on = f" on {embedding}" if embedding else ""
        for alpha in RIDGE_ALPHAS:
            out.append((f"bundled + length + ridge(alpha={alpha:g}){on}", (True, True, True), alpha, embedding))
        out.append((f"length + ridge(alpha=3000){on} (from scratch)", (False, True, True), 3000.0, embedding))
    return out


def pair_targets(battles: pd.DataFrame, strong: str, weak: str) -> pd.DataFrame:
    """Per prompt: the strong model's mean win share against the weak one (`y`) and the battle count (`n`).

    A battle's share is its `score_a` column where present (a judge's combined verdicts), else 1 / 0 /
    0.5 from the winner; battles of other pairs are ignored.
    """
    battles = validate_battles(battles, name="battles")
    a, b = battles["model_a"].astype(str).map(model_key), battles["model_b"].astype(str).map(model_key)
    s, w = model_key(strong), model_key(weak)
    forward, backward = (a == s) & (b == w), (a == w) & (b == s)
    rows = battles[forward | backward]
    if rows.empty:
        pairs = sorted(set(zip(battles["model_a"].astype(str), battles["model_b"].astype(str))))[:5]
        raise DataError(f"no battles between {strong!r} and {weak!r}; the file holds pairs such as {pairs}")
    share_a = rows["winner"].map({"a": 1.0, "b": 0.0, "tie": 0.5}).astype(float)
    if "score_a" in rows.columns:
        share_a = pd.to_numeric(rows["score_a"], errors="coerce").fillna(share_a)
    y = np.where(forward[rows.index], share_a, 1.0 - share_a)
    table = pd.DataFrame({"prompt": rows["prompt"].astype(str).to_numpy(), "y": y})
    return table.groupby("prompt", sort=True).agg(  # sorted: the folds do not depend on the file order
        y=("y", "mean"), n=("y", "size")).reset_index()


def apgr(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray) -> float:
    """APGR of `scores` on prompts whose strong and weak qualities are given (the project's metric)."""
    from ..evaluation.benchmarks import Benchmark
    from ..evaluation.metrics import evaluate_scores

    bench = Benchmark("labels", [""] * len(scores), strong, weak, strong_model="strong", weak_model="weak")
    return float(evaluate_scores(bench, np.asarray(scores, dtype=np.float64)).apgr)


def _fit_ridge(emb, y, w, alpha):
    mean, scale = emb.mean(0), emb.std(0).clip(1e-6)
    coef, intercept = weighted_ridge((emb - mean) / scale, y, w, alpha)
    return coef / scale, intercept - (mean / scale) @ coef


def _oof_ridge(emb, y, w, alpha, folds, seed):
    out = np.zeros(len(y))
    for train, test in _folds(len(y), folds, seed):
        coef, intercept = _fit_ridge(emb[train], y[train], w[train], alpha)
        out[test] = emb[test] @ coef + intercept
    return out


def _folds(n: int, k: int, seed: int):
    order = np.random.default_rng(seed).permutation(n)
    for part in np.array_split(order, k):
        yield np.setdiff1d(order, part), part


def _fit_stacker(x, y, w, use):
    """Logistic regression with soft labels on the used columns; (coef over all columns, intercept)."""
    from sklearn.linear_model import LogisticRegression

    cols = np.flatnonzero(use)
    xs = x[:, cols]
    mean, scale = xs.mean(0), xs.std(0).clip(1e-9)
    z = (xs - mean) / scale
    features = np.vstack([z, z])
    labels = np.r_[np.ones(len(y)), np.zeros(len(y))]
    weights = np.r_[w * y, w * (1 - y)]
    model = LogisticRegression(C=1.0, max_iter=1000).fit(features, labels, sample_weight=weights + 1e-9)
    coef = np.zeros(x.shape[1])
    coef[cols] = model.coef_[0] / scale
    return coef, float(model.intercept_[0] - (model.coef_[0] / scale) @ mean)


def _stack_inputs(base_logit, length, ridge):
    return np.column_stack([base_logit, length, ridge])


def ridge_embedding_sets(base: Router, prompts: list[str], embeddings: Sequence[str]) -> tuple[dict, dict]:
    """The base router's embeddings of `prompts` (key "") and those of each model in `embeddings`.

    Returns (name -> matrix, name -> why it was left out): a model that cannot be loaded (say, no
    sentence-transformers) is left out of the candidates rather than failing the adaptation.
    """
    from ..embedding import shared_embedder

    sets = {"": np.asarray(base.embed(prompts), dtype=np.float64)}
    skipped = {}
    for name in dict.fromkeys(embeddings):
        if not name or name == getattr(base, "embedding_model", None):
            continue  # the base router's own embedding is always a candidate
        try:
            sets[name] = np.asarray(shared_embedder(name).encode(prompts), dtype=np.float64)
        except (ImportError, OSError, ValueError) as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
    return sets, skipped


def adapt_router(
    base: Router,
    battles: pd.DataFrame,
    strong: str,
    weak: str,
    *,
    folds: int = 5,
    seed: int = 0,
    reference_prompts: Sequence[str] | None = None,
    labels: str = "",
    ridge_embeddings: Sequence[str] = RIDGE_EMBEDDINGS,
    show_progress: bool = False,
) -> AdaptedRouter:
    """The bundled router `base` adapted to `battles` of `strong` against `weak` (see the module docstring).

    `ridge_embeddings`: sentence embeddings the ridge may read besides the base router's own (the
    cross-validation picks one, or none); an empty tuple keeps the ridge on the base router's embedding.
    """
    table = pair_targets(battles, strong, weak)
    if len(table) < MIN_PROMPTS:
        raise DataError(f"adapting needs labels on at least {MIN_PROMPTS} prompts, got {len(table)}")
    prompts = table["prompt"].tolist()
    y, w = table["y"].to_numpy(float), table["n"].to_numpy(float)
    embs, skipped = ridge_embedding_sets(base, prompts, ridge_embeddings)
    base_logit = logit(base.score_with_embeddings(prompts, embs[""].astype(np.float32)))
    length = log_length(prompts)

    cv: dict[str, list[float]] = {"bundled": [], "length": []}
    names = candidates(list(embs))
    for name, *_ in names:
        cv[name] = []
    for train, test in _folds(len(y), folds, seed):
        strong_q, weak_q = y[test], 1.0 - y[test]
        cv["bundled"].append(apgr(base_logit[test], strong_q, weak_q))
        cv["length"].append(apgr(length[test], strong_q, weak_q))
        for name, use, alpha, embedding in names:
            if alpha is not None:
                emb = embs[embedding]
                coef, intercept = _fit_ridge(emb[train], y[train], w[train], alpha)
                ridge_train = _oof_ridge(emb[train], y[train], w[train], alpha, folds, seed + 1)
                ridge_test = emb[test] @ coef + intercept
            else:
                ridge_train, ridge_test = np.zeros(len(train)), np.zeros(len(test))
            s_coef, s_int = _fit_stacker(_stack_inputs(base_logit[train], length[train], ridge_train),
                                         y[train], w[train], np.array(use))
            scores = _stack_inputs(base_logit[test], length[test], ridge_test) @ s_coef + s_int
            cv[name].append(apgr(scores, strong_q, weak_q))
    figures = {name: _cv_figures(v) for name, v in cv.items()}
    best_name, best_use, best_alpha, best_embedding = max(names, key=lambda c: cv_mean(cv[c[0]]))
    if cv_mean(cv[best_name]) <= cv_mean(cv["bundled"]):  # adapting did not help: keep the bundled ranking
        best_name, best_use, best_alpha, best_embedding = names[0]

    if best_alpha is not None:
        emb = embs[best_embedding]
        router = AdaptedRouter(base, emb.shape[1], ridge_embedding=best_embedding)
        coef, intercept = _fit_ridge(emb, y, w, best_alpha)
        router.ridge_coef_ = coef.astype(np.float32)
        router.ridge_intercept_ = np.array([intercept], dtype=np.float32)
        ridge_all = _oof_ridge(emb, y, w, best_alpha, folds, seed + 1)
    else:
        router = AdaptedRouter(base, embs[""].shape[1])
        ridge_all = np.zeros(len(y))
    s_coef, s_int = _fit_stacker(_stack_inputs(base_logit, length, ridge_all), y, w, np.array(best_use))
    router.stack_coef_ = s_coef.astype(np.float32)
    router.stack_intercept_ = np.array([s_int], dtype=np.float32)
    router.strong_model, router.weak_model = strong, weak
    judges = sorted(map(str, battles["judge"].dropna().unique())) if "judge" in battles.columns else []
    ridge_on = None if best_alpha is None else (best_embedding or getattr(base, "embedding_model", "") or "bundled")
    router.card = {
        "adapted_from": {"router": base.name, "kind": base.kind},
        "labels": {"file": labels, "battles": int(w.sum()), "prompts": len(y), "strong": strong, "weak": weak,
                   "strong_win_share": round(float(np.average(y, weights=w)), 4),
                   "sources": sorted(map(str, battles["source"].unique())), "judges": judges},
        "head": {"chosen": best_name, "inputs": [n for n, u in zip(STACK_INPUTS, best_use) if u],
                 "ridge_embedding": ridge_on},
        "cross_validation": {"folds": folds, "seed": seed, "apgr": figures,
                             "ridge_embeddings": [e or getattr(base, "embedding_model", "") for e in embs],
                             "adapting_helped": bool(cv_mean(cv[best_name]) > cv_mean(cv["bundled"]))},
    }
    if skipped:
        router.card["cross_validation"]["embeddings_left_out"] = skipped
    reference = list(reference_prompts) if reference_prompts is not None else prompts
    set_reference(router, reference, f"{len(reference)} prompts of the labelled traffic ({labels or 'battles'})")
    return router


def cv_mean(values: Sequence[float]) -> float:
    """Mean APGR over the folds where it is defined (-inf if none is). A fold in which the strong and the
    weak model do equally well has no APGR (NaN): it says nothing about which head ranks better, and a
    plain mean would turn every candidate's figure into NaN — and the choice among them into the first."""
    finite = [float(v) for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else -np.inf


def _cv_figures(values: Sequence[float]) -> dict:
    finite = [float(v) for v in values if np.isfinite(v)]
    return {"apgr": round(float(np.mean(finite)), 4) if finite else None,
            "sd": round(float(np.std(finite)), 4) if finite else None, "folds": len(finite)}


def load_battles(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Battle files (JSONL from `routellm label`, or any file `load_battle_file` reads), concatenated."""
    from ..data.public_formats import load_battle_file

    return pd.concat([load_battle_file(p) for p in paths], ignore_index=True)


__all__ = ["RIDGE_EMBEDDINGS", "adapt_router", "apgr", "candidates", "cv_mean", "load_battles", "pair_targets",
           "ridge_embedding_sets"]
