"""The probe drop zone: drag an image in, paste one, or pick a file; draw a box on a frame."""

from __future__ import annotations

import os
import tempfile

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QImageReader, QPainter, QPen, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSlider, QVBoxLayout, QWidget)

from ..common.errors import ImageError
from ..common.imageio import IMAGE_EXTENSIONS, check_image_file

IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS)) + ")"


class _Canvas(QLabel):
    """Shows the probe; on a wide image (a full frame) the user drags a rectangle."""

    boxDrawn = Signal(QRect)  # noqa: N815 - in image coordinates

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(QSize(160, 170))
        self.setStyleSheet("QLabel { border: 2px dashed #8a8a8a; border-radius: 6px; color: #555; }")
        self.image = QImage()
        self.box: QRect | None = None
        self._drag: QPoint | None = None
        self._cur: QPoint | None = None
        self.setText("Drop a photo here\n(or paste, Ctrl+V,\nor Open…)")

    def set_image(self, img: QImage) -> None:
        self.image = img
        self.box = None
        self.setText("")
        self.update()

    def clear(self) -> None:
        self.image = QImage()
        self.box = None
        self.setText("Drop a photo here\n(or paste, Ctrl+V,\nor Open…)")
        self.update()

    def _geom(self) -> tuple[QRect, float]:
        if self.image.isNull():
            return QRect(), 1.0
        s = min((self.width() - 8) / self.image.width(), (self.height() - 8) / self.image.height())
        w, h = int(self.image.width() * s), int(self.image.height() * s)
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h), s

    def paintEvent(self, e) -> None:  # noqa: N802 - Qt API
        if self.image.isNull():
            return super().paintEvent(e)
        p = QPainter(self)
        r, s = self._geom()
        p.drawImage(r, self.image)
        p.setPen(QPen(QColor("#e8a317"), 2))
        if self.box is not None:
            b = self.box
            p.drawRect(QRect(r.x() + int(b.x() * s), r.y() + int(b.y() * s), int(b.width() * s), int(b.height() * s)))
        if self._drag is not None and self._cur is not None:
            p.drawRect(QRect(self._drag, self._cur).normalized())
        p.end()

    def mousePressEvent(self, e) -> None:  # noqa: N802
        if not self.image.isNull() and e.button() == Qt.LeftButton:
            self._drag = self._cur = e.position().toPoint()

    def mouseMoveEvent(self, e) -> None:  # noqa: N802
        if self._drag is not None:
            self._cur = e.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        if self._drag is None:
            return
        r, s = self._geom()
        sel = QRect(self._drag, e.position().toPoint()).normalized()
        self._drag = self._cur = None
        if sel.width() > 6 and sel.height() > 6:
            img_box = QRect(int((sel.x() - r.x()) / s), int((sel.y() - r.y()) / s), int(sel.width() / s),
                            int(sel.height() / s)).intersected(self.image.rect())
            if img_box.width() > 4 and img_box.height() > 4:
                self.box = img_box
                self.boxDrawn.emit(img_box)
        self.update()


class BoxDialog(QDialog):
    """The probe frame shown large (1x to 6x, scrolled to pan) to draw a box around a small person:
    at the zone's own size a 20 px person is 6 px tall."""

    def __init__(self, img: QImage, box: QRect | None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Draw a box around the person")
        self.img = img
        self.canvas = _Canvas()
        self.canvas.setStyleSheet("")
        self.canvas.set_image(img)
        self.canvas.box = box
        self.canvas.boxDrawn.connect(self._drawn)
        self.box = box
        self.area = QScrollArea()
        self.area.setWidget(self.canvas)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(1, 6)
        self.slider.valueChanged.connect(self.set_zoom)
        self.info = QLabel("Drag a rectangle around the person; the slider zooms, the scroll bars pan.")
        self.info.setTextFormat(Qt.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.area, 1)
        lay.addWidget(self.slider)
        lay.addWidget(self.info)
        lay.addWidget(buttons)
        self.resize(1000, 720)
        self.slider.setValue(2)

    def set_zoom(self, factor: int) -> None:
        # the canvas fits the image into itself, 4 px margin each side: size it to the zoom
        self.canvas.setFixedSize(self.img.width() * factor + 8, self.img.height() * factor + 8)

    def _drawn(self, r: QRect) -> None:
        self.box = r
        self.info.setText(f"Box {r.width()}x{r.height()} at ({r.x()}, {r.y()}) in the frame.")


class ProbeZone(QWidget):
    """Emits ``probeChanged(path, box)`` (box = (x, y, w, h) or None), ``probeCleared()``,
    and ``error(message)`` for files that are not usable images."""

    probeChanged = Signal(str, object)  # noqa: N815
    probeCleared = Signal()  # noqa: N815
    error = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.canvas = _Canvas()
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.open_btn = QPushButton("Open…")
        self.clear_btn = QPushButton("Clear")
        self.clear_btn.setEnabled(False)
        self.enlarge_btn = QPushButton("Enlarge…")
        self.enlarge_btn.setToolTip("show the frame large (zoom, pan) to draw the box around a small person")
        self.enlarge_btn.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.open_btn)
        row.addWidget(self.enlarge_btn)
        row.addWidget(self.clear_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.hint)
        lay.addLayout(row)
        self.open_btn.clicked.connect(self.open_dialog)
        self.clear_btn.clicked.connect(self.clear)
        self.enlarge_btn.clicked.connect(self.enlarge)
        self.canvas.boxDrawn.connect(self._box_drawn)
        self.path: str | None = None
        self.box: tuple[int, int, int, int] | None = None

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open probe photo", "", IMAGE_FILTER)
        if path:
            self.set_probe(path)

    def paste(self) -> None:
        md = QGuiApplication.clipboard().mimeData()
        if md.hasUrls() and md.urls()[0].isLocalFile():
            self.set_probe(md.urls()[0].toLocalFile())
        elif md.hasImage():
            img = QImage(md.imageData())
            fd, path = tempfile.mkstemp(prefix="deepssh-paste-", suffix=".png")
            os.close(fd)
            img.save(path)
            self.set_probe(path)
        else:
            self.error.emit("The clipboard holds no image.")

    def dragEnterEvent(self, e) -> None:  # noqa: N802
        if e.mimeData().hasUrls() or e.mimeData().hasImage():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:  # noqa: N802
        md = e.mimeData()
        if md.hasUrls() and md.urls()[0].isLocalFile():
            self.set_probe(md.urls()[0].toLocalFile())
        elif md.hasImage():
            self.paste()
        else:
            self.error.emit("Only image files can be dropped here.")

    def set_probe(self, path: str) -> bool:
        """Validate and show a probe. A bad file is reported and the current probe is kept."""
        try:
            w, h = check_image_file(path)
        except ImageError as exc:
            self.error.emit(str(exc))
            return False
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        if max(w, h) > 1600:
            reader.setScaledSize(QSize(w, h).scaled(QSize(1600, 1600), Qt.KeepAspectRatio))
        img = reader.read()
        if img.isNull():
            self.error.emit(f"cannot read image {path!r}: {reader.errorString()}")
            return False
        self.path, self.box = path, None
        self._scale = w / img.width()
        self.canvas.set_image(img)
        self.clear_btn.setEnabled(True)
        frame_like = w > 1.2 * h or w >= 400
        self.enlarge_btn.setEnabled(frame_like)
        self.hint.setText("Full frame: drag a rectangle around the person." if frame_like else "")
        if not frame_like:
            self.probeChanged.emit(path, None)
        return True

    def show_code_probe(self, image_path: str | None, caption: str) -> None:
        """Show what a code probe came from (a gallery hit): its crop and a caption. No file
        becomes the probe, and Clear (or any new probe) ends it as usual."""
        img = QImageReader(image_path).read() if image_path else QImage()
        if not img.isNull():
            self.canvas.set_image(img)
        self.hint.setText(caption)
        self.clear_btn.setEnabled(True)

    def enlarge(self) -> BoxDialog | None:
        """Open the large view; its box, on OK, becomes the probe's box."""
        if self.canvas.image.isNull() or not self.path:
            return None
        dlg = BoxDialog(self.canvas.image, self.canvas.box, self)
        self.box_dialog = dlg  # tests drive it

        def done() -> None:
            if dlg.box is not None:
                self.canvas.box = dlg.box
                self.canvas.update()
                self._box_drawn(dlg.box)

        dlg.accepted.connect(done)
        dlg.open()
        return dlg

    def _box_drawn(self, r: QRect) -> None:
        s = getattr(self, "_scale", 1.0)
        self.box = (int(r.x() * s), int(r.y() * s), int(r.width() * s), int(r.height() * s))
        self.hint.setText(f"Person box {self.box[2]}×{self.box[3]} at ({self.box[0]}, {self.box[1]}).")
        if self.path:
            self.probeChanged.emit(self.path, self.box)

    def clear(self) -> None:
        self.path, self.box = None, None
        self.canvas.clear()
        self.enlarge_btn.setEnabled(False)
        self.hint.setText("")
        self.clear_btn.setEnabled(False)
        self.probeCleared.emit()
