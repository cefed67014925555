"""A timeline of the current hits: one row per camera, one mark per hit at its time.

Only hits with a timestamp are drawn (video galleries). Clicking a mark emits ``hitClicked``
with the hit's row in the results model, which the window opens like a click in the grid.
Marks are coloured by rank (darker = better) and outlined in the examiner's mark colour.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .hit_delegate import MARK_COLOURS

LEFT, ROW_H, RADIUS = 90, 22, 5


class Timeline(QWidget):
    hitClicked = Signal(int)  # noqa: N815 - the row of the clicked hit in the results model

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, str, float, int, str | None]] = []  # (row, camera, time, rank, mark)
        self.cameras: list[str] = []
        self.t0 = self.t1 = 0.0
        self.setMinimumHeight(ROW_H * 2 + 20)

    def set_hits(self, hits, marks: dict[int, str] | None = None) -> None:
        """``hits``: the model's shown ``ResultHit`` list, in row order."""
        marks = marks or {}
        self.points = [(r, rh.meta.camera or "?", float(rh.meta.timestamp), rh.hit.rank, marks.get(rh.meta.id))
                       for r, rh in enumerate(hits) if rh.meta.timestamp is not None]
        self.cameras = sorted({p[1] for p in self.points})
        times = [p[2] for p in self.points]
        self.t0, self.t1 = (min(times), max(times)) if times else (0.0, 0.0)
        self.setMinimumHeight(ROW_H * max(2, len(self.cameras)) + 20)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, ROW_H * max(2, len(self.cameras)) + 20)

    def _xy(self, cam: str, t: float) -> QPointF:
        span = max(self.t1 - self.t0, 1e-9)
        x = LEFT + (self.width() - LEFT - 12) * ((t - self.t0) / span if self.t1 > self.t0 else 0.5)
        return QPointF(x, 10 + ROW_H * self.cameras.index(cam) + ROW_H / 2)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not self.points:
            p.setPen(QColor("#777777"))
            p.drawText(self.rect(), Qt.AlignCenter, "no hits with a time (the timeline needs video galleries)")
            return
        p.setPen(QColor("#444444"))
        for i, cam in enumerate(self.cameras):
            y = 10 + ROW_H * i
            p.drawText(QRectF(4, y, LEFT - 8, ROW_H), Qt.AlignVCenter | Qt.AlignRight, cam)
            p.setPen(QColor("#e0e0e0"))
            p.drawLine(QPointF(LEFT, y + ROW_H / 2), QPointF(self.width() - 8, y + ROW_H / 2))
            p.setPen(QColor("#444444"))
        p.drawText(QRectF(LEFT, self.height() - 12, 120, 12), Qt.AlignLeft, f"{self.t0:.1f} s")
        p.drawText(QRectF(self.width() - 130, self.height() - 12, 120, 12), Qt.AlignRight, f"{self.t1:.1f} s")
        worst = max(pt[3] for pt in self.points)
        for row, cam, t, rank, mark in sorted(self.points, key=lambda q: -q[3]):  # best ranks drawn on top
            shade = int(40 + 170 * (rank - 1) / max(1, worst - 1))
            p.setBrush(QColor(shade, shade, 230))
            p.setPen(QPen(MARK_COLOURS.get(mark, QColor("#ffffff")), 2))
            p.drawEllipse(self._xy(cam, t), RADIUS, RADIUS)

    def row_at(self, pos: QPointF) -> int | None:
        """The results row of the mark at ``pos`` (the best-ranked one when marks overlap)."""
        near = [(pt[3], pt[0]) for pt in self.points
                if (self._xy(pt[1], pt[2]) - pos).manhattanLength() <= RADIUS + 3]
        return min(near)[1] if near else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        row = self.row_at(event.position())
        if row is not None:
            self.hitClicked.emit(row)
