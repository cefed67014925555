"""The results list model: one row per search hit (``ResultHit`` dataclasses from the engine)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from ..common.timefmt import describe_time
from ..search.engine import ResultHit
from ..search.ranking import rank_labels, score_parts
from ..search.strength import WEAK, MatchCut, counts, strength
from .plain import plain_tooltip

HitRole = Qt.UserRole + 1
RankLabelRole = Qt.UserRole + 2  # "3", or "2=" for a hit tied with its neighbours
MarkRole = Qt.UserRole + 3  # the examiner's mark: "confirmed", "rejected" or None
TrackCountRole = Qt.UserRole + 4  # hits of this cell's track among the results (1 when not grouped)
StrengthRole = Qt.UserRole + 5  # "likely", "weak" or "unknown" (search/strength.py)


class ResultsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.hits: list[ResultHit] = []
        self.layout = None  # CodeLayout of the gallery, for the bit strip
        self.patterns = None  # uint8 (A, 2) decoded patterns
        self.query_attrs: dict[int, bool] = {}  # attribute index -> asked yes/no
        self.rank_labels: list[str] = []
        self.marks: dict[int, str] = {}  # item id -> "confirmed" / "rejected" (kept across searches)
        self.group_tracks = False  # one cell per track: its best-ranked crop, with a count
        self.all_hits: list[ResultHit] = []
        self.track_counts: list[int] = []
        self.cut = MatchCut()  # the model's likely / weak cut
        self.show_weak = True
        self.strengths: list[str] = []

    def set_cut(self, cut: MatchCut) -> None:
        self.cut = cut
        self._regroup()

    def set_show_weak(self, on: bool) -> None:
        self.show_weak = on
        self._regroup()

    def strength_counts(self) -> dict[str, int]:
        """Likely / weak / unknown among all hits of the search (shown or hidden)."""
        return counts([rh.hit for rh in self.all_hits], self.cut)

    def set_results(self, hits: list[ResultHit], query_attrs: dict[int, bool]) -> None:
        self.all_hits = list(hits)
        self.query_attrs = dict(query_attrs)
        self._regroup()

    def set_group_tracks(self, on: bool) -> None:
        self.group_tracks = on
        self._regroup()

    def _regroup(self) -> None:
        """Show every hit, or (grouped) the best-ranked hit of each video track with its count;
        hits without a track stay single. Ranks stay the engine's."""
        self.beginResetModel()
        labels = rank_labels([rh.hit for rh in self.all_hits])  # ties shown as ties ("2="), before grouping
        strengths = [strength(rh.hit, self.cut) for rh in self.all_hits]
        visible = [i for i, st in enumerate(strengths) if self.show_weak or st != WEAK]
        if not self.group_tracks:
            self.hits = [self.all_hits[i] for i in visible]
            self.rank_labels = [labels[i] for i in visible]
            self.strengths = [strengths[i] for i in visible]
            self.track_counts = [1] * len(visible)
        else:
            first: dict[tuple, int] = {}
            per_track: dict[tuple, int] = {}
            keep = []
            for i in visible:
                rh = self.all_hits[i]
                key = (rh.meta.source, rh.meta.track) if rh.meta.track is not None else ("item", rh.meta.id)
                per_track[key] = per_track.get(key, 0) + 1
                if key not in first:
                    first[key] = i
                    keep.append((i, key))
            self.hits = [self.all_hits[i] for i, _ in keep]
            self.rank_labels = [labels[i] for i, _ in keep]
            self.strengths = [strengths[i] for i, _ in keep]
            self.track_counts = [per_track[k] for _, k in keep]
        self.endResetModel()

    def set_mark(self, item_id: int, mark: str | None) -> None:
        """Mark an item (None clears it) and repaint its cell if shown."""
        if mark is None:
            self.marks.pop(item_id, None)
        else:
            self.marks[item_id] = mark
        for r, rh in enumerate(self.hits):
            if rh.meta.id == item_id:
                self.dataChanged.emit(self.index(r), self.index(r), [MarkRole])

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        rh = self.hits[index.row()]
        if role == HitRole:
            return rh
        if role == RankLabelRole:
            return self.rank_labels[index.row()]
        if role == MarkRole:
            return self.marks.get(rh.meta.id)
        if role == TrackCountRole:
            return self.track_counts[index.row()]
        if role == StrengthRole:
            return self.strengths[index.row()]
        if role == Qt.DisplayRole:
            return f"#{self.rank_labels[index.row()]} {Path(rh.meta.crop).name}"
        if role == Qt.ToolTipRole:
            tied = self.rank_labels[index.row()].endswith("=")
            return plain_tooltip(describe_hit(rh, self.rank_labels[index.row()]) + ("\ntied: other hits have exactly this score" if tied else "")
                                 + f"\n{self.strengths[index.row()]} match ({self.cut.describe()})")
        return None


def describe_hit(rh: ResultHit, label: str | None = None) -> str:
    """The hit in words; ``label`` is the rank as shown ("8=" when tied: never "rank 9" for it)."""
    h = rh.hit
    lines = [f"rank {label or h.rank}, score {h.score:g}", ", ".join(score_parts(h))]
    if h.photo_distance is not None:
        lines.append(f"photo Hamming distance {h.photo_distance}")
    if h.attribute_distance is not None:
        lines.append(f"attribute Hamming distance {h.attribute_distance}")
    for t in h.explanation:
        state = "matched" if t.matched else "NOT matched" if t.matched is False else "undecided"
        prob = f", p = {t.probability:.2f}" if t.probability is not None else ""
        lines.append(f"{t.term}: bits {state} ({t.distance}/{t.bits} bits differ{prob})")
    lines.append(source_text(rh))
    return "\n".join(lines)


def source_text(rh: ResultHit) -> str:
    m = rh.meta
    if m.frame is not None:
        return f"{m.camera or Path(m.source).stem} · frame {m.frame} · {describe_time(m.timestamp)}"
    return f"{m.camera + ' · ' if m.camera else ''}{Path(m.crop).name}"
