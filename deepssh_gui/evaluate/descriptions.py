"""How well :func:`~deepssh_gui.search.describe.describe` reads descriptions: a labelled test set.

The set (``resources/eval/descriptions.tsv``) holds descriptions written by hand from PETA
labels with the query each one means. A term is compared as (attribute set, negated), so
``lowerBody:dark`` and the OR of its six colours are the same term.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..common.errors import DeepSSHError
from ..common.paths import DESCRIPTION_SET
from ..model.schema import AttributeSchema
from ..search.describe import describe
from ..search.query import QueryError, parse_query

@dataclass(frozen=True)
class Case:
    ref: str
    text: str
    expected: str


def load_cases(path: str | os.PathLike = DESCRIPTION_SET) -> list[Case]:
    """Rows ``ref <TAB> description <TAB> expected query``; ``#`` lines are comments."""
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3:
            raise DeepSSHError(f"{path}:{n}: expected 3 tab-separated columns, found {len(cols)}")
        cases.append(Case(*(c.strip() for c in cols)))
    return cases


def _term_set(query_text: str, schema: AttributeSchema) -> set[tuple[frozenset, bool]]:
    return {(frozenset(t.attrs), t.negated) for t in parse_query(query_text, schema).terms}


def evaluate_descriptions(cases: list[Case], schema: AttributeSchema) -> dict:
    """Exact-match rate and term-level precision / recall / F1 (micro), with every miss listed."""
    tp = fp = fn = exact = 0
    misses = []
    for c in cases:
        want = _term_set(c.expected, schema)
        try:
            d = describe(c.text, schema)
            got, unknown = _term_set(d.query_text, schema), d.unknown
        except QueryError:
            got, unknown = set(), []
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        if got == want:
            exact += 1
        else:
            names = lambda ts: sorted(("not " if neg else "") + "|".join(sorted(schema.names[i] for i in a))  # noqa: E731
                                      for a, neg in ts)
            misses.append({"ref": c.ref, "text": c.text, "missing": names(want - got), "extra": names(got - want),
                           "unknown_words": unknown})
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {"cases": len(cases), "exact_match": round(exact / max(1, len(cases)), 4),
            "term_precision": round(p, 4), "term_recall": round(r, 4),
            "term_f1": round(2 * p * r / max(1e-9, p + r), 4), "misses": misses}
