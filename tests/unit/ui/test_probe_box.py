"""The enlarged probe frame: a box drawn at 4x on a 20 px person maps back to frame pixels (pytest-qt)."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from deepssh_gui.ui.probe_zone import ProbeZone
from tests.conftest import ROOT


def _drag(widget, a: QPoint, b: QPoint) -> None:
    for kind, pos, buttons in ((QMouseEvent.MouseButtonPress, a, Qt.LeftButton),
                               (QMouseEvent.MouseMove, b, Qt.LeftButton),
                               (QMouseEvent.MouseButtonRelease, b, Qt.NoButton)):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(pos), Qt.LeftButton, buttons, Qt.NoModifier)
        getattr(widget, {QMouseEvent.MouseButtonPress: "mousePressEvent", QMouseEvent.MouseMove: "mouseMoveEvent",
                         QMouseEvent.MouseButtonRelease: "mouseReleaseEvent"}[kind])(ev)


def test_enlarged_frame_box_maps_to_frame_pixels(qtbot, tmp_path):
    from deepssh_gui.ingest.video import read_frame_rgb
    from deepssh_gui.ui.detail_pane import numpy_to_qimage

    frame = numpy_to_qimage(read_frame_rgb(str(ROOT / "resources" / "demo" / "vtest.avi"), 164))
    frame.save(str(tmp_path / "frame.png"))
    zone = ProbeZone()
    qtbot.addWidget(zone)
    got = []
    zone.probeChanged.connect(lambda p, b: got.append(b))
    assert zone.set_probe(str(tmp_path / "frame.png")) and zone.enlarge_btn.isEnabled()
    dlg = zone.enlarge()
    dlg.slider.setValue(4)
    # the far-left person of frame 164 (hand-labelled 28,97 20x42): 80x168 screen pixels at 4x
    _drag(dlg.canvas, QPoint(4 + 28 * 4, 4 + 97 * 4), QPoint(4 + 48 * 4, 4 + 139 * 4))
    dlg.accept()
    x, y, w, h = got[-1]
    assert abs(x - 28) <= 1 and abs(y - 97) <= 1 and abs(w - 20) <= 1 and abs(h - 42) <= 1
