"""Ranking codes for photo, attribute and hybrid queries, with per-hit explanations (numpy only).

Distances
- photo: Hamming distance between full codes, ``0..nbits``;
- attribute: masked Hamming distance over the queried attributes' bits only (see
  :func:`.query.score_terms`), ``0..masked_bits``;
- hybrid: ``(1 - alpha) * photo / nbits + alpha * attribute / masked_bits`` with
  ``alpha = 0.5`` by default, i.e. both parts normalised to [0, 1] and weighted equally.

Ties are broken by gallery index (stable sort), so equal distances keep gallery order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.decoder import AttributeColumns, Decoder
from ..model.layout import hamming
from .query import AttributeQuery, TermScores, score_terms

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


@dataclass(frozen=True)
class Hit:
    index: int  # row in the gallery
    rank: int  # 1-based
    score: float  # what was ranked on (Hamming distance, or the hybrid mix)
    photo_distance: int | None
    attribute_distance: int | None
    explanation: tuple[TermMatch, ...] = field(default_factory=tuple)


def explain_rows(scores: TermScores, rows: np.ndarray) -> list[tuple[TermMatch, ...]]:
    """Explanations for the items at ``rows`` (positions in the scored arrays)."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    dist, opp = scores.terms_at(rows)
    out = []
    for j, r in enumerate(rows):
        ms = []
        for t, term in enumerate(scores.query.terms):
            d, o = int(dist[t, j]), int(opp[t, j])
            ms.append(TermMatch(term.text, None if d == o else d < o, d, scores.per_term_bits[t]))
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
        elif s.dtype == np.uint16 or (s.dtype == np.uint32 and int(s.max()) < 1 << 20):
            cum = np.cumsum(np.bincount(s))  # Hamming-based scores: small non-negative integers
            cut = int(np.searchsorted(cum, k))
        else:
            cut = np.partition(s, k - 1)[k - 1]
        near = np.flatnonzero(s <= cut)  # one pass over N; then only the (few) candidates
        sv = s[near]
        better = near[sv < cut]
        keep = np.concatenate([better, near[sv == cut][: k - len(better)]])
    else:
        keep = np.arange(n)
    keep = keep[np.lexsort((keep, s[keep]))][:k]
    return keep if candidates is None else np.asarray(candidates)[keep]


def rank_codes(codes: np.ndarray, decoder: Decoder | None, *,
               probe: np.ndarray | None = None, query: AttributeQuery | None = None, k: int = 20,
               alpha: float = DEFAULT_HYBRID_ALPHA, cols: AttributeColumns | None = None) -> list[Hit]:
    """Rank ``codes uint8 (N, nbytes)`` against a probe code ``uint8 (nbytes,)`` and/or a query.

    Attribute queries need a decoder. ``cols`` are the codes' attribute columns when the
    caller already has them (a gallery stores them); otherwise they are derived here.
    Hit indices are rows of ``codes``.
    """
    query = query or AttributeQuery()
    if probe is None and not query:
        raise ValueError("a search needs a probe image, attributes, or both")
    if query and decoder is None:
        raise ValueError("this model has no attribute decoder; attribute queries are unavailable")
    nbits = codes.shape[1] * 8
    photo = hamming(probe[None], codes)[0] if probe is not None else None
    scores = None
    if query:
        scores = score_terms(query, cols if cols is not None else AttributeColumns.from_codes(codes, decoder.layout),
                             decoder)
    attr = scores.total if scores is not None else None
    scale = 1.0
    if photo is not None and attr is not None:
        m = max(1, scores.masked_bits)
        if alpha == 0.5:
            # the default equal weighting, in integers: (photo*m + attr*nbits) / (2*nbits*m)
            # ranks exactly like the float formula and allows the O(N) counting top-k
            score = photo.astype(np.uint32) * m + attr.astype(np.uint32) * nbits
            scale = 1.0 / (2 * nbits * m)
        else:
            score = (1 - alpha) * photo / nbits + alpha * attr.astype(np.float64) / m
    else:
        score = photo if photo is not None else attr
    idx = top_k(score, k)
    why = explain_rows(scores, idx) if scores is not None else [()] * len(idx)
    return [Hit(int(i), r + 1, float(score[i]) * scale,
                None if photo is None else int(photo[i]),
                None if attr is None else int(attr[i]), why[r])
            for r, i in enumerate(idx)]
