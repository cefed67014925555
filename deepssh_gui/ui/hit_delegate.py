"""Paints one search hit: thumbnail, rank, distance, source, attribute chips and a bit strip.

Chip states are told apart by colour AND by a glyph (✓ matched, ✗ not matched, ? undecided),
so they read without colour vision.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPixmap, QPixmapCache
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from ..search.ranking import score_parts
from .results_model import HitRole, MarkRole, RankLabelRole, StrengthRole, TrackCountRole, source_text

MARK_COLOURS = {"confirmed": QColor("#1b7f3b"), "rejected": QColor("#b3261e")}

CELL = QSize(214, 236)
THUMB = QSize(80, 160)
CHIP_COLOURS = {True: QColor("#1b7f3b"), False: QColor("#b3261e"), None: QColor("#6b6b6b")}
CHIP_GLYPHS = {True: "✓", False: "✗", None: "?"}


def load_thumb(path: str | None) -> QPixmap:
    key = f"thumb:{path}"
    pm = QPixmapCache.find(key)
    if pm is None or pm.isNull():
        pm = QPixmap(path) if path else QPixmap()
        if pm.isNull():
            pm = QPixmap(THUMB)
            pm.fill(QColor("#cccccc"))
        else:
            pm = pm.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        QPixmapCache.insert(key, pm)
    return pm


class HitDelegate(QStyledItemDelegate):
    def __init__(self, label_for=lambda term: term, parent=None) -> None:
        super().__init__(parent)
        self.label_for = label_for

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt API
        return CELL

    def paint(self, painter: QPainter, option, index) -> None:
        rh = index.data(HitRole)
        if rh is None:
            return
        model = index.model()
        painter.save()
        r = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.State_Selected)
        painter.setRenderHint(QPainter.Antialiasing)
        mark = index.data(MarkRole)
        edge = MARK_COLOURS.get(mark) or (QColor("#2f6fd6") if selected else QColor("#c8c8c8"))
        painter.setPen(QPen(edge, 3 if mark else 2 if selected else 1))
        painter.setBrush(QColor("#eef3fc") if selected else QColor("#ffffff"))
        painter.drawRoundedRect(r, 6, 6)
        if mark:  # the examiner's decision, kept apart from the similarity score
            badge = QRect(r.right() - 92, r.y() + 4, 88, 18)
            painter.setPen(Qt.NoPen)
            painter.setBrush(MARK_COLOURS[mark])
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(badge, Qt.AlignCenter, ("✓ " if mark == "confirmed" else "✗ ") + mark)

        pm = load_thumb(rh.meta.thumb or rh.meta.crop)
        weak = index.data(StrengthRole) == "weak"
        if weak:
            painter.setOpacity(0.45)  # a weak match is drawn faded: the cut stays visible as you scroll
        painter.drawPixmap(r.x() + 6 + (THUMB.width() - pm.width()) // 2, r.y() + 6, pm)
        painter.setOpacity(1.0)
        if weak:
            badge = QRect(r.x() + 8, r.y() + THUMB.height() - 14, 44, 16)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#6b6b6b"))
            painter.drawRoundedRect(badge, 7, 7)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(badge, Qt.AlignCenter, "weak")
        count = index.data(TrackCountRole) or 1
        if count > 1:  # a track's cell: how many of its crops are among the results
            badge = QRect(r.x() + 8, r.y() + 8, 34, 18)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
            painter.drawRoundedRect(badge, 8, 8)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(badge, Qt.AlignCenter, f"×{count}")

        x = r.x() + THUMB.width() + 12
        w = r.right() - x - 4
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#111111"))
        painter.drawText(QRect(x, r.y() + 4, w, 18), Qt.AlignLeft, f"#{index.data(RankLabelRole)}")
        font.setBold(False)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        painter.setFont(small)
        fm = QFontMetrics(small)
        y = r.y() + 24
        for line in score_parts(rh.hit):
            painter.drawText(QRect(x, y, w, 16), Qt.AlignLeft, line)
            y += 16
        painter.setPen(QColor("#444444"))
        painter.drawText(QRect(x, y, w, 46), Qt.AlignLeft | Qt.TextWordWrap, source_text(rh))
        y += 48

        # chips never truncate: a label too wide for one line wraps onto two; chips that do not
        # fit above the bit strip are counted ("+N more"), and the tooltip lists every term
        bottom = r.y() + THUMB.height() + 10
        shown = 0
        chip_font = QFont(small)
        chip_font.setPointSizeF(max(6.5, small.pointSizeF() - 0.5))
        for t in rh.hit.explanation:
            label = f"{CHIP_GLYPHS[t.matched]} {self.label_for(t.term)}" + (
                f" {t.probability:.2f}" if t.probability is not None else "")
            painter.setFont(chip_font)  # measured as the painter will draw it (glyph fallbacks included)
            text = painter.boundingRect(QRectF(0, 0, w - 8, 1000), Qt.AlignLeft | Qt.TextWordWrap, label)
            height = text.height() + 2
            if y + height > bottom - (18 if shown < len(rh.hit.explanation) - 1 else 0):
                painter.setFont(small)
                break
            chip = QRectF(x, y, min(w, text.width() + 8), height)
            painter.setPen(Qt.NoPen)
            painter.setBrush(CHIP_COLOURS[t.matched])
            painter.drawRoundedRect(chip, 7, 7)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(chip.adjusted(4, 1, -4, -1), Qt.AlignCenter | Qt.TextWordWrap, label)
            painter.setFont(small)
            y += height + 3
            shown += 1
        if shown < len(rh.hit.explanation):
            painter.setPen(QColor("#444444"))
            painter.drawText(QRect(x, y, w, 16), Qt.AlignLeft, f"+{len(rh.hit.explanation) - shown} more (tooltip)")

        self._bit_strip(painter, QRect(r.x() + 6, r.y() + THUMB.height() + 14, r.width() - 12,
                                       r.bottom() - r.y() - THUMB.height() - 18), rh, model)
        painter.restore()

    def _bit_strip(self, painter: QPainter, area: QRect, rh, model) -> None:
        """The code, 64 bits per row, drawn as one small image: queried attribute bits green
        where they equal the decoded pattern and red where not, other attribute segments in
        alternating greys (so segments stand apart), identity bits in blue."""
        lay, pat = getattr(model, "layout", None), getattr(model, "patterns", None)
        if lay is None:
            return
        bits = np.unpackbits(rh.code).astype(np.intp)
        k = lay.bits_per_attr
        kind = np.full(lay.nbits, 3, np.intp)  # 0 match, 1 miss, 2/4 attr (alternating), 3 id
        seg = np.arange(lay.n_attr_bits) // k
        kind[: lay.n_attr_bits] = np.where(seg % 2 == 0, 2, 4)
        if pat is not None:
            for a, yes in model.query_attrs.items():
                want = (int(pat[a, int(yes)]) >> (k - 1 - np.arange(k))) & 1
                sl = slice(a * k, (a + 1) * k)
                kind[sl] = np.where(bits[sl] == want, 0, 1)
        rgb = _PALETTE[kind, bits]  # (nbits, 3)
        per_row = 64
        rows = lay.nbits // per_row
        img = np.ascontiguousarray(rgb.reshape(rows, per_row, 3).astype(np.uint8))
        qimg = QImage(img.data, per_row, rows, 3 * per_row, QImage.Format_RGB888)
        queried = sorted(model.query_attrs) if pat is not None else []
        h = min(area.height() - (14 if queried else 0), rows * 6)
        painter.drawImage(QRect(area.x(), area.y(), area.width(), h), qimg)
        # the queried attributes' bits again, enlarged: one group of k squares per attribute
        x, y, side = area.x(), area.y() + h + 3, 9
        for a in queried:
            if x + k * (side + 1) > area.right():
                break
            for j in range(k):
                c = rgb[a * k + j]
                painter.fillRect(QRect(x, y, side, side), QColor(int(c[0]), int(c[1]), int(c[2])))
                x += side + 1
            x += 6


def _rgb(c: str) -> list[int]:
    q = QColor(c)
    return [q.red(), q.green(), q.blue()]


# kind x bit value -> RGB
_PALETTE = np.array([
    [_rgb("#b9e6c5"), _rgb("#1b7f3b")],  # queried, matches the decoded pattern
    [_rgb("#f6c3bf"), _rgb("#b3261e")],  # queried, differs
    [_rgb("#e4e4e4"), _rgb("#8a8a8a")],  # attribute segment (even)
    [_rgb("#dde6f3"), _rgb("#3a5a8c")],  # identity bit
    [_rgb("#f0f0f0"), _rgb("#a8a8a8")],  # attribute segment (odd)
], dtype=np.uint8)
