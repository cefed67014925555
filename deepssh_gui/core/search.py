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

from .decoder import Decoder
from .layout import hamming
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


def explain(scores: TermScores, query: AttributeQuery, i: int) -> tuple[TermMatch, ...]:
    out = []
    for t, term in enumerate(query.terms):
        d, o = int(scores.dist[t, i]), int(scores.opposite[t, i])
        out.append(TermMatch(term.text, None if d == o else d < o, d, scores.per_term_bits[t]))
    return tuple(out)


def top_k(score: np.ndarray, k: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` smallest scores, ties by index; ``candidates`` restricts the pool."""
    idx = np.arange(score.shape[0]) if candidates is None else np.asarray(candidates)
    s = score[idx]
    if k < s.shape[0]:
        # argpartition is O(N); then a stable sort of the small head (plus all ties at the cut)
        cut = np.partition(s, k - 1)[k - 1]
        keep = np.flatnonzero(s <= cut)
        idx, s = idx[keep], s[keep]
    order = np.lexsort((idx, s))[:k]
    return idx[order]


def rank_codes(codes: np.ndarray, segments: np.ndarray, decoder: Decoder | None, *,
               probe: np.ndarray | None = None, query: AttributeQuery | None = None, k: int = 20,
               alpha: float = DEFAULT_HYBRID_ALPHA, candidates: np.ndarray | None = None) -> list[Hit]:
    """Rank ``codes uint8 (N, nbytes)`` against a probe code ``uint8 (nbytes,)`` and/or a query.

    ``segments`` is ``uint8 (N, A)`` (attribute bytes). Attribute queries need a decoder.
    """
    query = query or AttributeQuery()
    if probe is None and not query:
        raise ValueError("a search needs a probe image, attributes, or both")
    if query and decoder is None:
        raise ValueError("this model has no attribute decoder; attribute queries are unavailable")
    nbits = codes.shape[1] * 8
    photo = hamming(probe[None], codes)[0] if probe is not None else None
    scores = score_terms(query, segments, decoder) if query else None
    attr = scores.total if scores is not None else None
    if photo is not None and attr is not None:
        score = (1 - alpha) * photo / nbits + alpha * attr / max(1, scores.masked_bits)
    else:
        score = photo if photo is not None else attr
    idx = top_k(score, k, candidates)
    return [Hit(int(i), r + 1, float(score[i]),
                None if photo is None else int(photo[i]),
                None if attr is None else int(attr[i]),
                explain(scores, query, int(i)) if scores is not None else ())
            for r, i in enumerate(idx)]
