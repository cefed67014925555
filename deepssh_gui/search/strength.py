"""Likely and weak matches: a visible cut in every result list.

- An attribute part is *likely* when P(query) >= 0.5 (probability ranking), or when every
  queried term's bits match (Hamming ranking).
- A photo part is *likely* when its Hamming distance is within the model's cut, fitted on
  validation identities (``meta["match_threshold"]``, :mod:`deepssh_gui.learn.match_threshold`).
  A model without a cut leaves photo parts *unknown*.
- A hit is likely when every part it has is likely; weak when any part is weak; else unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ranking import Hit

LIKELY, WEAK, UNKNOWN = "likely", "weak", "unknown"


@dataclass(frozen=True)
class MatchCut:
    photo_max_distance: int | None = None
    p_min: float = 0.5
    photo_tpr: float | None = None  # validation figures of the photo cut, for the explanation
    photo_fpr: float | None = None

    def describe(self) -> str:
        photo = (f"photo distance <= {self.photo_max_distance} (validation identities: {100 * self.photo_tpr:.0f}% of"
                 f" true matches, {100 * self.photo_fpr:.1f}% of other people)" if self.photo_max_distance is not None
                 and self.photo_tpr is not None else "no photo cut in this model")
        return f"likely: P(query) >= {self.p_min:g}; {photo}"


def cut_for(meta: dict) -> MatchCut:
    """The cut a model file's metadata defines (photo part unknown when it has none)."""
    m = meta.get("match_threshold") or {}
    d = m.get("photo_max_distance")
    return MatchCut(int(d) if d is not None else None, photo_tpr=m.get("tpr"), photo_fpr=m.get("fpr"))


def strength(hit: Hit, cut: MatchCut) -> str:
    parts = []
    if hit.query_probability is not None:
        parts.append(LIKELY if hit.query_probability >= cut.p_min else WEAK)
    elif hit.explanation:
        parts.append(LIKELY if all(t.matched for t in hit.explanation) else WEAK)
    if hit.photo_distance is not None:
        parts.append(UNKNOWN if cut.photo_max_distance is None else
                     LIKELY if hit.photo_distance <= cut.photo_max_distance else WEAK)
    if WEAK in parts:
        return WEAK
    return LIKELY if parts and all(p == LIKELY for p in parts) else UNKNOWN


def counts(hits: list[Hit], cut: MatchCut) -> dict[str, int]:
    out = {LIKELY: 0, WEAK: 0, UNKNOWN: 0}
    for h in hits:
        out[strength(h, cut)] += 1
    return out
