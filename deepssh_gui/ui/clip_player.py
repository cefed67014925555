"""Play the footage a few seconds around a hit (decoded by a background job; shown here)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout

from .plain import plain_label


def read_clip_frames(video: str, frame: int, seconds: float = 3.0) -> tuple[list[QImage], int, float]:
    """``(frames, first frame number, fps)``: RGB QImages of ``video`` from ``seconds`` before ``frame``
    to ``seconds`` after it. Runs in a worker thread (QImage, unlike QPixmap, may be made there)."""
    from ..common.imageio import import_cv2
    from ..ingest.clip import clip_frames
    from .detail_pane import numpy_to_qimage

    cap = import_cv2().VideoCapture(video)
    try:
        fps, first, frames = clip_frames(cap, frame, seconds, seconds)
        out = [numpy_to_qimage(img[:, :, ::-1]) for img in frames]
    finally:
        cap.release()
    return out, first, fps


class ClipPlayer(QDialog):
    """The frames at their own rate, with play / pause and a slider; the hit's frame is named."""

    def __init__(self, frames: list[QImage], first: int, fps: float, hit_frame: int, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.frames, self.first, self.hit_frame = frames, first, hit_frame
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignCenter)
        self.view.setMinimumSize(QSize(640, 480))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, max(0, len(frames) - 1))
        self.slider.valueChanged.connect(self.show_index)
        self.play_btn = QPushButton("Pause")
        self.play_btn.clicked.connect(self.toggle)
        self.where = plain_label("")
        self.timer = QTimer(self, interval=max(10, int(1000 / max(fps, 1.0))))
        self.timer.timeout.connect(self._step)
        row = QHBoxLayout()
        row.addWidget(self.play_btn)
        row.addWidget(self.slider, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        lay.addWidget(self.where)
        self.resize(820, 640)
        self.show_index(0)
        if frames:
            self.timer.start()

    def show_index(self, i: int) -> None:
        if not self.frames:
            self.where.setText("no frames could be read around this hit")
            return
        i = max(0, min(i, len(self.frames) - 1))
        if self.slider.value() != i:
            self.slider.setValue(i)  # calls back once with the same index
            return
        self.view.setPixmap(QPixmap.fromImage(self.frames[i]).scaled(self.view.size(), Qt.KeepAspectRatio,
                                                                     Qt.SmoothTransformation))
        n = self.first + i
        self.where.setText(f"frame {n}" + (" — the hit's frame" if n == self.hit_frame else
                                           f" ({(n - self.hit_frame):+d} from the hit)"))

    def toggle(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_btn.setText("Play")
        else:
            self.timer.start()
            self.play_btn.setText("Pause")

    def _step(self) -> None:
        i = self.slider.value() + 1
        if i >= len(self.frames):
            self.toggle()  # stop at the end
            return
        self.show_index(i)

    def closeEvent(self, e) -> None:  # noqa: N802 - Qt API
        self.timer.stop()
        super().closeEvent(e)
