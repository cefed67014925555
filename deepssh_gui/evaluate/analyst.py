"""Analyst queries: precision of attribute-only search against labels, Hamming vs probability.

A fixed list of descriptions an investigator would type (2-4 terms; common and rare
attributes; negation; an OR group). Each is run over the whole evaluation set; a crop is
relevant when its labels satisfy every term. Reported per query and on average:
precision@10/20/50 of DeepSSH's masked-Hamming ranking (its expectation under a uniformly
random order of tied crops, since file order would otherwise decide), of the probability
ranking (-log P(query) from the stored one-byte calibrated logits, as a gallery ranks), and
the base rate (the precision of a random order).
"""

from __future__ import annotations

import numpy as np

from ..model.calibration import logit_columns
from ..model.decoder import AttributeColumns, Decoder
from ..model.schema import AttributeSchema
from ..search.query import AttributeQuery, parse_query, score_probability, score_terms

ANALYST_QUERIES = {
    "peta": (
        "carryingBackpack, lowerBody:dark",
        "personalMale, upperBodyBlack",
        "upperBodyWhite, lowerBody:dark",
        "not personalMale, hairLong, carryingMessengerBag",
        "upperBodyRed|upperBodyPink, not carryingNothing",
        "personalMale, upperBodyJacket, lowerBodyJeans",
        "footwearSneakers, lowerBodyShorts",
        "accessoryHat, personalMale",
        "accessorySunglasses, not personalMale",
        "upperBodyBlue, lowerBodyBlue, carryingNothing",
    ),
}
PRECISION_AT = (10, 20, 50)


def satisfies(query: AttributeQuery, labels: np.ndarray) -> np.ndarray:
    """``bool (N,)``: crops whose labels satisfy every term (unknown labels never do)."""
    ok = np.ones(len(labels), dtype=bool)
    for t in query.terms:
        cols = labels[:, list(t.attrs)]
        ok &= (cols == 0).all(1) if t.negated else (cols == 1).any(1)
    return ok


def expected_precision_with_ties(score: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Precision@k of ranking by ``score`` (ascending), averaged over random orders of ties."""
    k = min(k, len(score))
    cut = np.partition(score, k - 1)[k - 1]
    better = score < cut
    tied = score == cut
    slots = k - int(better.sum())
    hits = relevant[better].sum() + slots * relevant[tied].mean()
    return float(hits / k)


def precision_by_order(order: np.ndarray, relevant: np.ndarray, k: int) -> float:
    return float(relevant[order[:k]].mean()) if len(order) else float("nan")


def analyst_report(schema: AttributeSchema, labels: np.ndarray, codes: np.ndarray, probs: np.ndarray,
                   decoder: Decoder) -> dict | None:
    """Per-query and mean precision@k; None when the schema has no query list."""
    queries = ANALYST_QUERIES.get(schema.name)
    if not queries:
        return None
    cols = AttributeColumns.from_codes(codes, decoder.layout)
    logits = logit_columns(probs)
    rows = []
    for text in queries:
        q = parse_query(text, schema)
        rel = satisfies(q, labels)
        ham = score_terms(q, cols, decoder).total
        nll = score_probability(q, logits).nll
        order = np.lexsort((np.arange(len(nll)), nll))
        row = {"query": text, "relevant": int(rel.sum()), "base_rate": float(rel.mean())}
        for k in PRECISION_AT:
            row[f"hamming_p{k}"] = expected_precision_with_ties(ham, rel, k)
            row[f"probability_p{k}"] = precision_by_order(order, rel, k)
        # how many crops share the top Hamming distance: the tie problem in one number
        row["hamming_top_tie"] = int((ham == ham.min()).sum())
        rows.append(row)
    mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key not in ("query", "relevant")}
    mean["probability_over_hamming_p10"] = (mean["probability_p10"] / mean["hamming_p10"]
                                            if mean["hamming_p10"] else None)
    return {"queries": rows, "mean": mean, "n_crops": int(len(labels))}
