"""Retrieval and attribute metrics: pure numpy, ``q_`` for queries and ``g_`` for gallery.

Hamming distances tie often. Rankings use a stable sort, so ties keep gallery order; that
order is the dataset's file order, which is unrelated to which query is asked.
"""

from __future__ import annotations

import numpy as np


def rank(dist: np.ndarray) -> np.ndarray:
    """Gallery indices ``int64 (Q, G)`` sorted by distance, ties broken by gallery index."""
    return np.argsort(dist, axis=1, kind="stable")


def cosine_distance(q_feats: np.ndarray, g_feats: np.ndarray) -> np.ndarray:
    """``float32 (Q, G)`` = 1 - cosine similarity of ``float (Q, D)`` and ``(G, D)`` features."""
    q = q_feats / np.maximum(np.linalg.norm(q_feats, axis=1, keepdims=True), 1e-12)
    g = g_feats / np.maximum(np.linalg.norm(g_feats, axis=1, keepdims=True), 1e-12)
    return (1.0 - q @ g.T).astype(np.float32)


def query_hits(dist: np.ndarray, q_ids: np.ndarray, g_ids: np.ndarray,
               junk: np.ndarray | None = None) -> list[np.ndarray | None]:
    """Per query, the 0-based ranks ``int64 (m,)`` of its true matches once ``junk`` is removed.

    ``dist``: ``(Q, G)``; ``junk``: ``bool (Q, G)`` entries left out of the ranking. ``None``
    for a query with no valid match.
    """
    order = rank(dist)
    out: list[np.ndarray | None] = []
    for qi in range(dist.shape[0]):
        o = order[qi]
        keep = np.ones(o.shape[0], dtype=bool) if junk is None else ~junk[qi, o]
        hits = np.flatnonzero((g_ids[o] == q_ids[qi])[keep])
        out.append(hits if hits.size else None)
    return out


def average_precision(hits: np.ndarray) -> float:
    """AP of one ranking from the 0-based ranks of its matches (every match is retrieved)."""
    return float((np.arange(1, hits.size + 1) / (hits + 1)).mean())


def summarise_hits(hits: list[np.ndarray | None], max_rank: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """``(float64 (n_valid,) per-query APs, float64 (max_rank,) CMC)`` over the queries with a valid match."""
    valid = [h for h in hits if h is not None]
    if not valid:
        return np.empty(0), np.full(max_rank, np.nan)
    cmc = np.zeros(max_rank, dtype=np.float64)
    for h in valid:
        if h[0] < max_rank:
            cmc[h[0]:] += 1
    return np.array([average_precision(h) for h in valid]), cmc / len(valid)


def map_cmc(dist: np.ndarray, q_ids: np.ndarray, g_ids: np.ndarray, junk: np.ndarray | None = None,
            max_rank: int = 20) -> tuple[float, np.ndarray, int]:
    """Mean average precision and CMC curve.

    ``dist``: ``(Q, G)``; ``q_ids``/``g_ids``: identity labels; ``junk``: ``bool (Q, G)``
    entries removed from the ranking (the query itself, same-camera matches). Queries with
    no valid match are skipped. Returns ``(mAP, float64 (max_rank,) CMC, n_valid_queries)``.
    """
    aps, cmc = summarise_hits(query_hits(dist, q_ids, g_ids, junk), max_rank)
    return (float(aps.mean()) if aps.size else float("nan")), cmc, aps.size


def mean_accuracy(pred: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Label-based mA: mean over attributes of (TPR + TNR) / 2.

    ``pred`` ``bool (N, A)``; ``labels`` ``int8 (N, A)`` with -1 = unknown (ignored).
    Attributes lacking positives or negatives get NaN and are left out of the mean.
    Returns ``(mA, float64 (A,) per-attribute accuracy)``.
    """
    pred = pred.astype(bool)
    known = labels >= 0
    pos = (labels == 1) & known
    neg = (labels == 0) & known
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = (pred & pos).sum(0) / pos.sum(0)
        tnr = (~pred & neg).sum(0) / neg.sum(0)
    per = (tpr + tnr) / 2
    valid = (pos.sum(0) > 0) & (neg.sum(0) > 0)
    per = np.where(valid, per, np.nan)
    return float(np.nanmean(per)) if valid.any() else float("nan"), per


def f1_scores(pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-attribute F1 ``float64 (A,)``; NaN where an attribute has no positives or predictions."""
    pred = pred.astype(bool)
    known = labels >= 0
    pos = (labels == 1) & known
    tp = (pred & pos).sum(0)
    fp = (pred & ~pos & known).sum(0)
    fn = (~pred & pos).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
