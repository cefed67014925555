"""Is a crop a person? A logistic score on the network's pooled feature (numpy only).

Background subtraction cuts floor, walls, signs, hair and legs as readily as people (issue
#22). The filter is a linear head on the same feature the codes come from, fitted by
``deepssh fit-person`` (learn/person.py) on person crops against patches of real frames and
fragments of people, and kept in the model file's ``meta["person_filter"]``, with the threshold
chosen there and the figures it was chosen by. Ingest indexes a crop only when its score reaches
the threshold; the others are kept aside, reviewable and restorable (search/store/rejected.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

META_KEY = "person_filter"


@dataclass(frozen=True)
class PersonFilter:
    """``score = sigmoid(features @ w + b)``; ``w float32 (D,)`` over the feature ``float32 (N, D)``."""

    w: np.ndarray
    b: float
    threshold: float
    report: dict = field(default_factory=dict)  # how it was fitted and measured (printed by fit-person)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """``float32 (N,)`` person scores in [0, 1] of features ``float32 (N, D)``."""
        f = np.asarray(features, np.float32)
        if f.ndim != 2 or f.shape[1] != self.w.shape[0]:
            raise ValueError(f"the person filter reads {self.w.shape[0]}-d features, got {f.shape}")
        z = np.clip(f @ self.w + np.float32(self.b), -30, 30)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def to_dict(self) -> dict:
        return {"w": [float(x) for x in self.w], "b": float(self.b), "threshold": float(self.threshold),
                "report": self.report}

    @classmethod
    def from_dict(cls, d: dict) -> "PersonFilter":
        w = np.asarray(d["w"], np.float32)
        b, t = float(d["b"]), float(d["threshold"])
        if w.ndim != 1 or not w.size or not np.isfinite(w).all() or not np.isfinite(b) or not 0 <= t <= 1:
            raise ValueError("the person filter's weights or threshold are not valid")
        return cls(w, b, t, dict(d.get("report", {})))


def person_filter_of(model) -> PersonFilter | None:
    """The model file's person filter, or None (files fitted before issue #22, or never fitted)."""
    d = getattr(model, "meta", {}).get(META_KEY)
    return PersonFilter.from_dict(d) if d else None
