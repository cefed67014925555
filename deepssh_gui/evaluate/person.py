"""The person filter measured on hand-checked crops (``deepssh evaluate-person``)."""

from __future__ import annotations

import numpy as np


def person_report(scores: np.ndarray, is_person: np.ndarray, kinds: list[str], threshold: float) -> dict:
    """Precision and recall of "person" at ``threshold`` over ``scores float (N,)`` against
    hand labels ``bool (N,)``, overall and per kind of crop, and the best threshold's figures."""
    scores, is_person = np.asarray(scores, np.float64), np.asarray(is_person, bool)

    def at(t: float, sel: np.ndarray) -> dict:
        keep = scores[sel] >= t
        y = is_person[sel]
        tp = int((keep & y).sum())
        return {"n": int(sel.sum()), "people": int(y.sum()), "junk": int((~y).sum()),
                "kept_people": tp, "kept_junk": int((keep & ~y).sum()),
                "precision": round(tp / max(1, int(keep.sum())), 4), "recall": round(tp / max(1, int(y.sum())), 4)}

    everything = np.ones(len(scores), bool)
    out = {"threshold": round(float(threshold), 4), **at(threshold, everything), "per_kind": {}}
    for k in sorted(set(kinds)):
        out["per_kind"][k] = at(threshold, np.array([x == k for x in kinds]))
    # for reference only (chosen on these crops, so optimistic): the threshold with the best F1
    cands = np.unique(scores)
    f1 = [(2 * r["precision"] * r["recall"] / max(1e-9, r["precision"] + r["recall"]), t)
          for t in cands for r in [at(float(t), everything)]]
    best = max(f1)[1] if f1 else threshold
    out["best_f1_threshold_on_these_crops"] = {"threshold": round(float(best), 4), **at(float(best), everything)}
    return out
