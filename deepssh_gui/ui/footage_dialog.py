"""Before a video build: the camera and start time of each chosen video, read from its name and editable.

A recorder's file name often carries both (``cam3_2026-11-24T08-00-00.mp4``,
:func:`~deepssh_gui.ingest.names.footage_from_name`); the table shows what was read, and the
analyst corrects or fills it in. A blank start time means "unknown": items then carry seconds
into the clip, and routes across cameras say their order is not reliable.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..ingest.names import footage_from_name
from .plain import plain_label


def format_utc(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def parse_utc(text: str) -> float | None:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC unless it names a zone) -> Unix seconds; blank -> None."""
    text = text.strip()
    if not text:
        return None
    t = datetime.fromisoformat(text)  # ValueError for anything else
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


class FootageDialog(QDialog):
    def __init__(self, videos: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cameras and start times")
        self.videos = list(videos)
        self.table = QTableWidget(len(videos), 3)
        self.table.setHorizontalHeaderLabels(["video", "camera", "first frame at (UTC, YYYY-MM-DDTHH:MM:SS)"])
        for r, v in enumerate(videos):
            cam, start = footage_from_name(v)
            name = QTableWidgetItem(Path(v).name)
            name.setFlags(name.flags() & ~name.flags().ItemIsEditable)
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, QTableWidgetItem(cam or Path(v).stem))
            self.table.setItem(r, 2, QTableWidgetItem(format_utc(start)))
        self.table.resizeColumnsToContents()
        self.error = plain_label("")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label("Read from the file names where they say it; correct anything wrong. A blank time "
                                  "means unknown (times become seconds into the clip)."))
        lay.addWidget(self.table)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(760, 120 + 30 * len(videos))
        self.footage: list[tuple[str, str, float | None]] = []

    def values(self) -> list[tuple[str, str, float | None]]:
        """``(video, camera, start time)`` per row; ValueError names the first bad cell."""
        out = []
        for r, v in enumerate(self.videos):
            cam = self.table.item(r, 1).text().strip()
            if not cam:
                raise ValueError(f"row {r + 1}: give the camera a name")
            try:
                start = parse_utc(self.table.item(r, 2).text())
            except ValueError:
                raise ValueError(f"row {r + 1}: {self.table.item(r, 2).text()!r} is not a time like "
                                 f"2026-11-24T08:00:00") from None
            out.append((v, cam, start))
        return out

    def _accept(self) -> None:
        try:
            self.footage = self.values()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
