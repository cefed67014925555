"""Ranking codes for photo, attribute and hybrid queries, with per-hit explanations (numpy only).

Scores (lower ranks first)
- photo: Hamming distance between full codes, ``0..nbits``;
- attribute, ``rank="probability"`` (the default where the gallery stores probabilities):
  ``nll = -log P(query)`` from each crop's calibrated attribute probabilities (see
  :func:`.query.score_probability`);
- attribute, ``rank="hamming"`` (DeepSSH's own ranking; galleries without probabilities):
  masked Hamming distance over the queried attributes' bits (:func:`.query.score_terms`),
  ``0..masked_bits``;
- hybrid: ``(1 - alpha) * photo / nbits + alpha * a`` with ``a = nll / (T * L)`` for
  probability ranking (``T`` terms, ``L`` = the largest ``-log p`` one stored byte can
  give, so ``a`` is in [0, 1]) or ``a = attribute / masked_bits`` for Hamming ranking;
  ``alpha = 0.5`` by default. Every hit carries each part.

Equal scores are real ties; the gallery index orders them only as the last resort (a stable
sort), and the explanation of every hit still shows its bits' Hamming match per term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..common.threads import faiss_threads, search_threads
from ..model.decoder import AttributeColumns, Decoder
from ..model.layout import hamming
from ..model.calibration import MAX_TERM_NLL
from .topk import kth_smallest
from .query import (AttributeQuery, ProbabilityScores, TermScores, probability_candidates, score_probability,
                    score_terms)

DEFAULT_HYBRID_ALPHA = 0.5


@dataclass(frozen=True)
class TermMatch:
    """Whether one queried term holds for a hit, judged from its bits.

    ``matched`` is True when the hit's bits are closer to the asked answer than to the
    opposite one, False when farther, None when equally far. ``distance`` is the Hamming
    distance over the term's ``bits`` bits.
    """

    term: str
    matched: bool | None
    distance: int
    bits: int
    probability: float | None = None  # the crop's probability of this term (probability galleries)


@dataclass(frozen=True)
class Hit:
    index: int  # row in the gallery
    rank: int  # 1-based
    score: float  # what was ranked on (Hamming distance, or the hybrid mix)
    photo_distance: int | None
    attribute_distance: int | None
    explanation: tuple[TermMatch, ...] = field(default_factory=tuple)
    query_probability: float | None = None  # P(query) for this crop, probability ranking only


def explain_rows(scores: TermScores, rows: np.ndarray, probs: ProbabilityScores | None = None
                 ) -> list[tuple[TermMatch, ...]]:
    """Explanations for the items at ``rows`` (positions in the scored arrays)."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    dist, opp = scores.terms_at(rows)
    p = probs.terms_at(rows) if probs is not None else None
    out = []
    for j, r in enumerate(rows):
        ms = []
        for t, term in enumerate(scores.query.terms):
            d, o = int(dist[t, j]), int(opp[t, j])
            ms.append(TermMatch(term.text, None if d == o else d < o, d, scores.per_term_bits[t],
                                None if p is None else float(p[t, j])))
        out.append(tuple(ms))
    return out


def top_k(score: np.ndarray, k: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` smallest scores, ties by index; ``candidates`` restricts the pool.

    Everything strictly better than the k-th score is kept, then the ties at the k-th score
    in index order, so the result is exactly the first k of a stable sort, in O(N).
    """
    s = score if candidates is None else score[np.asarray(candidates)]
    n = s.shape[0]
    if k < n:
        if s.dtype == np.uint8:
            # count the smallest values one at a time: the k-th score is usually a few steps up
            cut, seen = int(s.min()), 0
            while True:
                seen += int(np.count_nonzero(s == cut))
                if seen >= k:
                    break
                cut += 1
        else:  # a sampled threshold, then a partition of the few below it: 0.4 ms vs 2 ms for a bincount at 10^6
            cut = kth_smallest(s, k)
        near = np.flatnonzero(s <= cut)  # one pass over N; then only the (few) candidates
        sv = s[near]
        better = near[sv < cut]
        keep = np.concatenate([better, near[sv == cut][: k - len(better)]])
    else:
        keep = np.arange(n)
    keep = keep[np.lexsort((keep, s[keep]))][:k]
    return keep if candidates is None else np.asarray(candidates)[keep]


def photo_distances(probe: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Hamming distances ``int32 (N,)`` from a probe ``uint8 (nbytes,)`` to ``codes uint8 (N, nbytes)``;
    for several probes ``uint8 (P, nbytes)``, each item's distance to the nearest of them.

    FAISS's popcount kernel on the packed codes, one thread (a single query): about 15x the
    numpy path at 10^6 codes (docs/gallery.md). numpy where FAISS is missing.
    """
    try:
        import faiss
    except ImportError:
        return hamming(np.atleast_2d(probe), codes).min(axis=0)
    q = np.ascontiguousarray(probe, dtype=np.uint8).reshape(-1, np.shape(probe)[-1])
    g = np.ascontiguousarray(codes, dtype=np.uint8)
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"code length mismatch: {q.shape[1] * 8} vs {g.shape[1] * 8} bits")
    out = np.empty((len(q), len(g)), dtype=np.int32)
    if len(g):
        with faiss_threads(search_threads()):
            faiss.hammings(faiss.swig_ptr(q), faiss.swig_ptr(g), len(q), len(g), q.shape[1], faiss.swig_ptr(out))
    return out.min(axis=0) if len(q) > 1 else out[0]


def rank_codes(codes: np.ndarray, decoder: Decoder | None, *,
               probe: np.ndarray | None = None, query: AttributeQuery | None = None, k: int = 20,
               alpha: float = DEFAULT_HYBRID_ALPHA, cols: AttributeColumns | None = None,
               logits: np.ndarray | None = None) -> list[Hit]:
    """Rank ``codes uint8 (N, nbytes)`` against a probe code ``uint8 (nbytes,)`` and/or a query.

    Attribute queries need a decoder (for the bit explanation, and for Hamming ranking).
    ``cols`` are the codes' attribute columns when the caller already has them (a gallery
    stores them); otherwise they are derived here. ``logits`` ``uint8 (A, N)`` (a gallery's
    calibrated logit bytes) switch attribute ranking to probability; without them it is the
    masked Hamming distance. Hit indices are rows of ``codes``.
    """
    query = query or AttributeQuery()
    if probe is None and not query:
        raise ValueError("a search needs a probe image, attributes, or both")
    if query and decoder is None:
        raise ValueError("this model has no attribute decoder; attribute queries are unavailable")
    nbits = codes.shape[1] * 8
    photo = photo_distances(probe, codes) if probe is not None else None
    if query and cols is None:
        cols = AttributeColumns.from_codes(codes, decoder.layout)
    probs = None
    scale = 1.0
    if query and logits is not None:
        # ranked by probability: the bits' masked distances only explain the hits, so they are
        # computed for the top k rows alone, not for every item
        w_photo = np.float32((1 - alpha) / nbits)
        w_attr = np.float32(alpha / (len(query.terms) * MAX_TERM_NLL)) if photo is not None else np.float32(1)
        cand = probability_candidates(query, logits, k, attr_weight=float(w_attr), photo=photo,
                                      photo_weight=float(w_photo), photo_max=nbits)
        probs = score_probability(query, logits if cand is None else _columns(logits, query, cand))
        if photo is None:
            score = probs.nll
        else:  # (1 - a) * photo / nbits + a * nll / (T * MAX_TERM_NLL), in place: fewer passes over N
            score = (photo if cand is None else photo[cand]).astype(np.float32)
            score *= w_photo
            score += probs.nll * w_attr
        pos = top_k(score, k)  # candidates are in id order, so ties still break by id
        idx = pos if cand is None else cand[pos]
        probs = _rows_of(probs, pos)
        score_at = score[pos]
        scores = score_terms(query, cols.take(idx), decoder)
        rows = np.arange(len(idx))
    else:
        scores = score_terms(query, cols, decoder) if query else None
        attr = scores.total if scores is not None else None
        if photo is not None and attr is not None:
            m = max(1, scores.masked_bits)
            if alpha == 0.5:
                # the default equal weighting, in integers: (photo*m + attr*nbits) / (2*nbits*m)
                # ranks exactly like the float formula and allows the O(N) counting top-k
                # distances are >= 0, so FAISS's int32 reads as uint32 without a converting pass
                p32 = photo.view(np.uint32) if photo.dtype == np.int32 else photo.astype(np.uint32)
                score = p32 * np.uint32(m)
                score += attr * np.uint32(nbits)
                scale = 1.0 / (2 * nbits * m)
            else:
                score = (1 - alpha) * photo / nbits + alpha * attr.astype(np.float64) / m
        else:
            score = photo if photo is not None else attr
        idx = top_k(score, k)
        rows = idx
        score_at = score[idx]
    why = explain_rows(scores, rows, probs) if scores is not None else [()] * len(idx)
    attr_at = scores.total[rows] if scores is not None else None
    return [Hit(int(i), r + 1, float(score_at[r]) * scale,
                None if photo is None else int(photo[i]),
                None if attr_at is None else int(attr_at[r]), why[r],
                None if probs is None else float(np.exp(-np.float64(probs.nll[r]))))
            for r, i in enumerate(idx)]


def _rows_of(probs: ProbabilityScores, idx: np.ndarray) -> ProbabilityScores:
    """The probability scores of the items at ``idx`` only (aligned with the explained rows)."""
    return ProbabilityScores(probs.nll[idx], probs.query, probs.logits[:, idx])


def _columns(logits: np.ndarray, query: AttributeQuery, cols: np.ndarray) -> np.ndarray:
    """``logits[:, cols]`` for the attributes the query reads; the other rows stay unset (never read)."""
    out = np.empty((logits.shape[0], len(cols)), dtype=logits.dtype)
    for i in {i for t in query.terms for i in t.attrs}:
        out[i] = logits[i, cols]
    return out


def rank_labels(hits: list[Hit]) -> list[str]:
    """How each hit's rank is shown: hits with equal scores share the first one's rank with "="
    (scores 1, 2, 2, 3 -> "1", "2=", "2=", "4"), so a tie never looks like an order."""
    out = []
    for i, h in enumerate(hits):
        tied_prev = i > 0 and hits[i - 1].score == h.score
        tied_next = i + 1 < len(hits) and hits[i + 1].score == h.score
        if tied_prev:
            out.append(out[-1] if out[-1].endswith("=") else out[-1] + "=")
        else:
            out.append(f"{h.rank}=" if tied_next else f"{h.rank}")
    return out


def score_parts(hit: Hit) -> list[str]:
    """The parts of a hit's score in words, for every surface that shows a hit (GUI, CLI, report)."""
    parts = []
    if hit.photo_distance is not None:
        parts.append(f"photo d={hit.photo_distance}")
    if hit.query_probability is not None:
        parts.append(f"P(query)={hit.query_probability:.3f}")
    elif hit.attribute_distance is not None:
        parts.append(f"attr d={hit.attribute_distance}")
    if hit.photo_distance is not None and hit.explanation:
        parts.append(f"combined {hit.score:.3f}")
    return parts
