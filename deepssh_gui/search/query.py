"""The attribute query language shared by the CLI, the engine and the GUI.

Grammar (case-sensitive attribute names, whitespace ignored)::

    query := term ("," term)*            AND across terms
    term  := ["not " | "!" | "-"] alts   negation
    alts  := name ("|" name)*            OR inside a term
    name  := a schema attribute (carryingBackpack), a composite (lowerBody:dark), or a colour
             shorthand part:colour (upperBody:red -> upperBodyRed in PETA, upred in Market)

A composite expands to the OR of its members. ``not a|b`` means neither a nor b.
Unknown or mis-cased names are errors with a did-you-mean, never dropped, and so is a query
that asks for an attribute and its negation at once (``personalMale, not personalMale``).

Scoring a term on an item uses only the attribute's own bits (one byte per attribute, see
:mod:`.decoder`): a positive term's distance is the smallest Hamming distance from any
alternative's segment to that attribute's decoded "yes" pattern; a negated term sums the
distances to the "no" patterns of all alternatives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..model.decoder import AttributeColumns, Decoder
from ..common.errors import DeepSSHError
from ..model.schema import AttributeSchema
from .topk import kth_smallest


class QueryError(DeepSSHError, ValueError):
    """A query string does not parse against the model's schema; the message says where."""


@dataclass(frozen=True)
class Term:
    text: str
    attrs: tuple[int, ...]  # attribute indices, OR-ed
    negated: bool = False


@dataclass(frozen=True)
class AttributeQuery:
    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def text(self) -> str:
        return ", ".join(t.text for t in self.terms)

    def attribute_values(self) -> dict[int, bool]:
        """Single-attribute terms as ``{index: yes/no}`` (for decoding a partial code)."""
        out: dict[int, bool] = {}
        for t in self.terms:
            if len(t.attrs) == 1:
                out[t.attrs[0]] = not t.negated
            elif t.negated:
                out.update({i: False for i in t.attrs})
        return out


_NEG = re.compile(r"^(?:not\b|!|-)\s*", re.IGNORECASE)


def parse_query(text: str | None, schema: AttributeSchema, negated: str | None = None) -> AttributeQuery:
    """Parse ``text`` (and an optional comma list of ``negated`` terms) against ``schema``."""
    terms: list[Term] = []
    for raw, force_neg in ((text or "", False), (negated or "", True)):
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            neg = force_neg
            m = _NEG.match(part)
            if m:
                neg, part = True, part[m.end():].strip()
            if not part:
                raise QueryError("'not' must be followed by an attribute")
            idx: list[int] = []
            for name in part.split("|"):
                name = name.strip()
                if not name:
                    raise QueryError(f"empty alternative in {part!r}")
                idx.extend(_resolve(name, schema))
            uniq = tuple(dict.fromkeys(idx))
            terms.append(Term(("not " if neg else "") + part, uniq, neg))
    _check_consistent(terms, schema)
    return AttributeQuery(tuple(terms))


def _check_consistent(terms: list[Term], schema: AttributeSchema) -> None:
    """Refuse queries no crop can satisfy: an attribute required and excluded at once."""
    required = {t.attrs[0]: t for t in terms if not t.negated and len(t.attrs) == 1}
    for t in terms:
        if not t.negated:
            continue
        if len(t.attrs) == 1 and t.attrs[0] in required:
            raise QueryError(f"contradictory query: {schema.names[t.attrs[0]]!r} is both required and excluded")
        # "a|b" required while "not a|b" (neither) excluded: no crop can satisfy both
        for other in terms:
            if not other.negated and set(other.attrs) <= set(t.attrs):
                raise QueryError(f"contradictory query: {other.text!r} and {t.text!r} cannot both hold")


_PARTS = {"upperBody": ("upperBody", "up"), "lowerBody": ("lowerBody", "down")}
_COLOUR_SYNONYMS = {"grey": ("grey", "gray"), "gray": ("gray", "grey")}


def _shorthand(name: str, schema: AttributeSchema) -> str | None:
    """``upperBody:red`` -> the schema's own name for that colour (``upperBodyRed`` / ``upred``)."""
    part, sep, colour = name.partition(":")
    if not sep or part not in _PARTS or colour != colour.lower():  # spelled exactly, like every name
        return None
    for prefix in _PARTS[part]:
        for c in _COLOUR_SYNONYMS.get(colour, (colour,)):
            for cand in (prefix + c.capitalize(), prefix + c):
                if cand in schema._index:
                    return cand
    return None


def vocabulary(schema: AttributeSchema) -> list[str]:
    """Every name a query may use: attributes, composites and colour shorthands."""
    names = schema.names + [c.name for c in schema.composites]
    colours = sorted({n[len(p):].lower() for n in schema.names for ps in _PARTS.values() for p in ps
                      if n.startswith(p) and n[len(p):].lower() in _COLOURS})
    shorts = [f"{part}:{c}" for part in ("upperBody", "lowerBody") for c in colours
              if _shorthand(f"{part}:{c}", schema) and f"{part}:{c}" not in names]
    return names + shorts


_COLOURS = {"black", "blue", "brown", "green", "grey", "gray", "orange", "pink", "purple", "red", "white", "yellow"}


def _resolve(name: str, schema: AttributeSchema) -> list[int]:
    if name in schema._index:
        return [schema.index(name)]
    for c in schema.composites:
        if c.name == name:
            return [schema.index(n) for n in c.any_of]
    short = _shorthand(name, schema)
    if short is not None:
        return [schema.index(short)]
    import difflib

    vocab = vocabulary(schema)
    lower = {n.lower(): n for n in vocab}
    # the last word of a camel-case name ("Backpack" of carryingBackpack) catches "backpak"
    tails = {re.split(r"(?<=[a-z])(?=[A-Z])|:", n)[-1].lower(): n for n in vocab}
    close = [lower[name.lower()]] if name.lower() in lower else \
        [lower[m] for m in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)] or \
        [tails[m] for m in difflib.get_close_matches(name.lower(), list(tails), n=3, cutoff=0.7)]
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else \
        "; see docs/query-language.md for the names"
    raise QueryError(f"unknown attribute {name!r} for the {schema.name} schema{hint}")


@dataclass
class TermScores:
    """Scores of N items for an attribute query.

    ``total`` is the masked Hamming distance ``uint16 (N,)`` summed over terms. Per-term
    distances, and distances to each term's *opposite* answer, are only needed to explain
    the few hits shown, so :meth:`terms_at` computes them for selected rows only.
    """

    total: np.ndarray
    masked_bits: int
    per_term_bits: list[int]
    query: AttributeQuery
    cols: AttributeColumns
    patterns: np.ndarray  # uint8 (A, 2)

    def terms_at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(dist, opposite)``, both ``int32 (T, len(rows))``, at ``rows``."""
        sub = self.cols.take(np.asarray(rows, dtype=np.int64))
        dist = np.zeros((len(self.query.terms), len(sub)), np.int32)
        opp = np.zeros_like(dist)
        for ti, t in enumerate(self.query.terms):
            dist[ti] = _term_distance(t, sub, self.patterns)
            yes = [sub.distance(i, self.patterns[i, 1]) for i in t.attrs]
            no = [sub.distance(i, self.patterns[i, 0]) for i in t.attrs]
            # opposite of "any of them" is "none of them", and vice versa
            opp[ti] = np.min(yes, axis=0) if t.negated else np.sum(no, axis=0, dtype=np.int32)
        return dist, opp


def _term_distance(t: Term, cols: AttributeColumns, pat: np.ndarray) -> np.ndarray:
    """``uint8 (N,)``: a positive term takes the closest alternative's distance to "yes"; a
    negated term sums the alternatives' distances to "no" (<= 11 x 8 bits: fits uint8)."""
    if t.negated:
        d = cols.distance(t.attrs[0], pat[t.attrs[0], 0])
        for i in t.attrs[1:]:
            d += cols.distance(i, pat[i, 0])
        return d
    d = cols.distance(t.attrs[0], pat[t.attrs[0], 1])
    for i in t.attrs[1:]:
        np.minimum(d, cols.distance(i, pat[i, 1]), out=d)
    return d


def term_bits(query: AttributeQuery, bits_per_attr: int) -> list[int]:
    """Bits each term reads: a positive OR needs one alternative, a negation all of them."""
    return [bits_per_attr * len(t.attrs) if t.negated else bits_per_attr for t in query.terms]


def masked_bits(query: AttributeQuery, bits_per_attr: int) -> int:
    """Size of the query's mask: the most its masked Hamming distance can be."""
    return sum(term_bits(query, bits_per_attr))


def score_terms(query: AttributeQuery, cols: AttributeColumns, decoder: Decoder) -> TermScores:
    """Masked distances of every item, reading only the queried attributes' byte columns and
    accumulating in place (no per-term N-sized arrays are kept)."""
    pat = decoder.patterns()
    k = decoder.layout.bits_per_attr
    per_bits = term_bits(query, k)
    # uint8 when the largest possible sum fits: half the memory traffic of uint16
    total = np.zeros(len(cols), dtype=np.uint8 if sum(per_bits) <= 255 else np.uint16)
    for t in query.terms:
        np.add(total, _term_distance(t, cols, pat), out=total, casting="unsafe")
    return TermScores(total, int(sum(per_bits)), per_bits, query, cols, pat)


# ----------------------------------------------------------------------------- probability ranking

@dataclass
class ProbabilityScores:
    """How likely each of N items satisfies an attribute query, from its calibrated logits.

    ``nll`` is ``float32 (N,)``: ``-log P(query)``, where P multiplies the terms' probabilities
    (required ``p``, excluded ``1 - p``; an OR group ``1 - prod(1 - p)``; ``not a|b`` means
    neither, ``prod(1 - p)``), i.e. the attributes are treated as independent given the crop.
    """

    nll: np.ndarray
    query: AttributeQuery
    logits: np.ndarray  # uint8 (A, N)

    def terms_at(self, rows: np.ndarray) -> np.ndarray:
        """``float64 (T, len(rows))``: each term's probability at ``rows``."""
        sub = self.logits[:, np.asarray(rows, dtype=np.int64)]
        return np.exp(np.stack([_term_log_p(t, sub) for t in self.query.terms]).astype(np.float64)) \
            if self.query.terms else np.zeros((0, sub.shape[1]))


LUT_MIN_ITEMS = 100_000  # from here OpenCV's table lookup pays for importing it (docs/gallery.md)


def _lookup(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` for a ``(256,)`` table (float32 or uint16) and ``uint8 (N,)`` bytes, exactly.

    For large galleries OpenCV's ``LUT`` (no index widening to int64) is about 4x numpy's
    ``take`` at 10^6 items; both give the same floats, so rankings do not depend on the path.
    """
    if codes.size >= LUT_MIN_ITEMS:
        try:
            from ..common.imageio import import_cv2

            return import_cv2().LUT(np.ascontiguousarray(codes).reshape(-1, 1), table).reshape(codes.shape)
        except ImportError:
            pass
    return table.take(codes)


def _term_log_p(t: Term, logits: np.ndarray) -> np.ndarray:
    from ..model.calibration import LOG_NOT_P, LOG_P

    if t.negated or len(t.attrs) > 1:
        log_none = _lookup(LOG_NOT_P, logits[t.attrs[0]])
        for i in t.attrs[1:]:
            log_none = log_none + _lookup(LOG_NOT_P, logits[i])
        if t.negated:
            return log_none
        # at least one of the alternatives: 1 - prod(1 - p), kept finite
        return np.log(-np.expm1(np.minimum(log_none, -1e-7))).astype(np.float32)
    return _lookup(LOG_P, logits[t.attrs[0]])


def score_probability(query: AttributeQuery, logits: np.ndarray) -> ProbabilityScores:
    """Score every item: ``-log P(query)`` from the gallery's logit bytes ``uint8 (A, N)``."""
    if not query.terms:
        return ProbabilityScores(np.zeros(logits.shape[1], dtype=np.float32), query, logits)
    nll = np.negative(_term_log_p(query.terms[0], logits))  # one pass fewer than starting from zeros
    for t in query.terms[1:]:
        np.subtract(nll, _term_log_p(t, logits), out=nll)
    return ProbabilityScores(nll, query, logits)


# ----------------------------------------------------------------------------- candidate bound

PRUNE_MIN_ITEMS = 50_000  # below this the full float pass is already cheap
_BOUND_LIMIT = 60_000  # integer bounds are summed in uint16


def _byte_parts(query: AttributeQuery) -> list[tuple[int, np.ndarray]] | None:
    """``-log P(query)`` as a sum of per-byte tables ``[(attribute, float32 (256,))]``: a required
    attribute adds ``-log p``, an excluded one (or each alternative of ``not a|b``) ``-log(1 - p)``.
    None when a term is not such a sum (a required ``a|b``)."""
    from ..model.calibration import LOG_NOT_P, LOG_P

    parts = []
    for t in query.terms:
        if t.negated:
            parts += [(i, -LOG_NOT_P) for i in t.attrs]
        elif len(t.attrs) == 1:
            parts.append((t.attrs[0], -LOG_P))
        else:
            return None
    return parts


def probability_candidates(query: AttributeQuery, logits: np.ndarray, k: int, *, attr_weight: float = 1.0,
                           photo: np.ndarray | None = None, photo_weight: float = 0.0,
                           photo_max: int = 0) -> np.ndarray | None:
    """Rows ``int64 (M,)``, ascending, holding every item of the exact top ``k`` (ties included) of
    ``photo_weight * photo + attr_weight * nll``; None where no bound applies (a small gallery, a
    required ``a|b`` term, or a bound that does not fit 16 bits), and the caller scores everything.

    Every per-byte table value is rounded down to whole units, which gives each item an integer
    lower bound ``L`` with ``L <= score / unit < L + parts`` (``parts`` roundings; with a photo the
    unit is one photo bit, so that part is exact). The k items with the smallest ``L`` score below
    ``(theta + parts) * unit``, ``theta`` being the k-th smallest ``L``, so every item of the top k
    has ``L < theta + parts``. One unit more absorbs float32 rounding. The survivors are then
    scored exactly as before, so the ranking is the one the full pass gives, at a fraction of
    the float passes over N (docs/gallery.md, "Bounded probability ranking").

    ``photo`` is ``int32 (N,)`` Hamming distances at most ``photo_max``; ``logits`` ``uint8 (A, N)``.
    """
    n = logits.shape[1]
    parts = _byte_parts(query)
    if parts is None or not parts or n < PRUNE_MIN_ITEMS or k * 100 > n or attr_weight <= 0:
        return None
    top = attr_weight * sum(float(tab.max()) for _, tab in parts)
    if photo is not None:
        if photo_weight <= 0:
            return None
        unit = photo_weight
        if photo_max + top / unit + len(parts) > _BOUND_LIMIT:
            return None
    else:
        unit = top / _BOUND_LIMIT
    bound = None
    for i, tab in parts:
        q = np.floor(tab.astype(np.float64) * (attr_weight / unit)).astype(np.uint16)
        v = _lookup(q, logits[i])
        if bound is None and photo is not None:
            bound = np.add(photo, v, out=v, casting="unsafe")  # fits: checked against the limit above
        else:
            bound = v if bound is None else np.add(bound, v, out=bound)
    theta = int(kth_smallest(bound, k))  # a sampled threshold: 0.35 ms against a full partition's 7 ms at 10^6
    return np.flatnonzero(bound <= theta + len(parts))
