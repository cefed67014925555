"""Details of one hit: larger crop, the source frame with its box, decoded attributes with
scores, the other crops of its track, and "search with this as probe"."""

from __future__ import annotations


import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QScrollArea,
                               QSlider, QVBoxLayout, QWidget)

from ..search.engine import ResultHit
from .plain import plain_label
from .results_model import describe_hit


def numpy_to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def bit_strip_legend() -> QLabel:
    """What the colours of a cell's bit strip mean (fixed text of ours: rich text is safe here)."""
    def sq(colour: str) -> str:
        return f'<span style="color:{colour}">■</span>'

    label = QLabel(f"Bit strip (64 bits a row, attribute bits first): {sq('#1b7f3b')} queried bit as asked · "
                   f"{sq('#b3261e')} queried bit not as asked · {sq('#8a8a8a')} other attribute bits "
                   f"(alternating greys per attribute) · {sq('#3a5a8c')} identity bits; dark = 1, light = 0")
    label.setTextFormat(Qt.RichText)
    label.setWordWrap(True)
    return label


class DetailPane(QWidget):
    searchWithProbe = Signal(object)  # noqa: N815 - the ResultHit to use as probe
    markRequested = Signal(object, object)  # noqa: N815 - (ResultHit, "confirmed" / "rejected" / None)
    locateRequested = Signal(object)  # noqa: N815 - the ResultHit whose footage the examiner will point to
    playRequested = Signal(object)  # noqa: N815 - the ResultHit whose footage around it should play

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.title = plain_label("Open a hit to see its details")
        self.title.setWordWrap(True)
        self.crop = QLabel()
        self.crop.setAlignment(Qt.AlignCenter)
        self.crop.setMinimumSize(QSize(120, 240))
        self.frame = plain_label()
        self.frame.setAlignment(Qt.AlignCenter)
        self.attrs = QListWidget()
        self.track = QListWidget()
        self.track.setViewMode(QListWidget.IconMode)
        self.track.setIconSize(QSize(40, 80))
        self.track.setFixedHeight(110)
        self.track.setFlow(QListWidget.LeftToRight)
        self.locate_btn = QPushButton("Locate footage…")
        self.locate_btn.setVisible(False)
        self.locate_btn.clicked.connect(lambda: self.current and self.locateRequested.emit(self.current))
        self.zoom_btn = QPushButton("Zoom frame…")
        self.zoom_btn.setEnabled(False)
        self.zoom_btn.clicked.connect(self.open_zoom)
        self.play_btn = QPushButton("Play ±3 s…")
        self.play_btn.setEnabled(False)
        self.play_btn.clicked.connect(lambda: self.current and self.playRequested.emit(self.current))
        self.frame_image: QImage | None = None  # the full-resolution frame with its box
        self.probe_btn = QPushButton("Search with this as probe")
        self.probe_btn.setEnabled(False)
        self.confirm_btn = QPushButton("Confirm (C)")
        self.reject_btn = QPushButton("Reject (X)")
        self.mark_label = plain_label("")
        for b, mark in ((self.confirm_btn, "confirmed"), (self.reject_btn, "rejected")):
            b.setCheckable(True)
            b.setEnabled(False)
            b.clicked.connect(lambda checked, m=mark: self.current and self.markRequested.emit(
                self.current, m if checked else None))
        top = QHBoxLayout()
        top.addWidget(self.crop)
        top.addWidget(self.frame, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(top)
        lay.addWidget(self.locate_btn)
        lay.addWidget(self.zoom_btn)
        lay.addWidget(self.play_btn)
        lay.addWidget(self.probe_btn)
        marks = QHBoxLayout()
        marks.addWidget(self.confirm_btn)
        marks.addWidget(self.reject_btn)
        marks.addWidget(self.mark_label, 1)
        lay.addLayout(marks)
        lay.addWidget(QLabel("Attribute scores, sorted (classifier probabilities; read from the code bits in older galleries)"))
        lay.addWidget(self.attrs, 1)
        lay.addWidget(bit_strip_legend())
        lay.addWidget(QLabel("Other crops of this track"))
        lay.addWidget(self.track)
        self.probe_btn.clicked.connect(lambda: self.current and self.searchWithProbe.emit(self.current))
        self.current: ResultHit | None = None

    def show_mark(self, mark: str | None) -> None:
        """The examiner's mark of the shown hit (similarity never implies it)."""
        self.confirm_btn.setChecked(mark == "confirmed")
        self.reject_btn.setChecked(mark == "rejected")
        self.mark_label.setText(f"examiner: {mark}" if mark else "not confirmed or rejected")

    def clear(self) -> None:
        """Forget the shown hit (a new query or gallery makes it stale)."""
        self.current = None
        self.frame_image = None
        self.zoom_btn.setEnabled(False)
        self.play_btn.setEnabled(False)
        self.locate_btn.setVisible(False)
        self.probe_btn.setEnabled(False)
        for b in (self.confirm_btn, self.reject_btn):
            b.setEnabled(False)
            b.setChecked(False)
        self.mark_label.setText("")
        self.title.setText("Open a hit to see its details")
        self.crop.clear()
        self.frame.clear()
        self.attrs.clear()
        self.track.clear()

    def show_hit(self, rh: ResultHit, schema, track_items: list | None = None, label: str | None = None) -> None:
        """Show a hit; ``label`` is its rank as the grid shows it ("8=" for a tie)."""
        self.current = rh
        self.probe_btn.setEnabled(True)
        self.confirm_btn.setEnabled(True)
        self.reject_btn.setEnabled(True)
        self.title.setText(describe_hit(rh, label).replace("\n", " · "))
        pm = QPixmap(rh.meta.crop)
        if pm.isNull() and rh.meta.thumb:
            pm = QPixmap(rh.meta.thumb)
        self.crop.setPixmap(pm.scaled(QSize(120, 240), Qt.KeepAspectRatio, Qt.SmoothTransformation))
        self.frame.clear()
        self.frame_image = None
        self.zoom_btn.setEnabled(False)
        self.locate_btn.setVisible(False)
        self.frame.setText("loading source frame…" if rh.meta.frame is not None else "")
        self.attrs.clear()
        order = np.argsort(-rh.attr_scores, kind="stable")
        for i in order:
            a = schema.attributes[i]
            score = float(rh.attr_scores[i])
            it = QListWidgetItem(f"{'●' if score >= 0.5 else '○'} {a.label}  {score:.2f}   ({a.name})")
            it.setForeground(QColor("#111111") if score >= 0.5 else QColor("#777777"))
            self.attrs.addItem(it)
        self.track.clear()
        for meta in track_items or []:
            if meta.id == rh.meta.id:
                continue
            icon_pm = QPixmap(meta.thumb or meta.crop)
            it = QListWidgetItem(f"f{meta.frame}")
            it.setIcon(icon_pm)
            self.track.addItem(it)

    def show_frame(self, rgb: np.ndarray | None, rh: ResultHit) -> None:
        if rh is not self.current:
            return
        if rgb is None:
            # name the file, so the examiner knows what to put back (or copy beside the gallery)
            self.frame.setText(f"source frame unavailable: {rh.meta.source} is missing or unreadable, and no file "
                               f"of that name and recorded SHA-256 lies beside the gallery")
            self.frame.setWordWrap(True)
            self.locate_btn.setVisible(True)
            return
        img = numpy_to_qimage(rgb)
        if rh.meta.bbox:
            p = QPainter(img)
            p.setPen(QPen(QColor("#e8a317"), 3))
            x, y, w, h = rh.meta.bbox
            p.drawRect(x, y, w, h)
            p.end()
        self.frame_image = img
        self.zoom_btn.setEnabled(True)
        self.play_btn.setEnabled(True)
        self.frame.setPixmap(QPixmap.fromImage(img).scaled(QSize(360, 270), Qt.KeepAspectRatio,
                                                           Qt.SmoothTransformation))

    def open_zoom(self) -> FrameZoom | None:
        """The source frame at full resolution and up to 4x, scrolled to the box (non-modal)."""
        if self.frame_image is None or self.current is None:
            return None
        self.zoom = FrameZoom(self.frame_image, self.current.meta.bbox, self)
        self.zoom.show()
        return self.zoom


class FrameZoom(QDialog):
    """A zoomable view of a source frame: a slider from 1x to 4x, centred on the person's box."""

    def __init__(self, img: QImage, bbox, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Source frame")
        self.img, self.bbox = img, bbox
        self.label = QLabel()
        self.area = QScrollArea()
        self.area.setWidget(self.label)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(1, 4)
        self.slider.setValue(2)
        self.slider.valueChanged.connect(self.set_zoom)
        lay = QVBoxLayout(self)
        lay.addWidget(self.area, 1)
        lay.addWidget(self.slider)
        self.resize(900, 650)
        self.set_zoom(2)

    def set_zoom(self, factor: int) -> None:
        pm = QPixmap.fromImage(self.img).scaled(self.img.size() * factor, Qt.KeepAspectRatio, Qt.FastTransformation)
        self.label.setPixmap(pm)
        self.label.resize(pm.size())
        if self.bbox:
            x, y, w, h = self.bbox
            self.area.ensureVisible(int((x + w / 2) * factor), int((y + h / 2) * factor),
                                    self.area.width() // 2, self.area.height() // 2)
