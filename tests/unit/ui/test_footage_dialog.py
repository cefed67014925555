"""Video builds ask for each video's camera and start time, read from the names (pytest-qt, offscreen)."""

import shutil
from datetime import datetime, timezone

from deepssh_gui.ui.footage_dialog import FootageDialog, parse_utc
from tests.conftest import ROOT
from tests.unit.ui.test_main_window import _open_window

T = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc).timestamp()


def test_dialog_reads_names_and_refuses_bad_times(qtbot):
    dlg = FootageDialog(["/v/cam3_2026-11-24T08-00-00.mp4", "/v/clip.avi"])
    qtbot.addWidget(dlg)
    assert dlg.values() == [("/v/cam3_2026-11-24T08-00-00.mp4", "cam3", T), ("/v/clip.avi", "clip", None)]
    dlg.table.item(1, 2).setText("yesterday")
    dlg._accept()
    assert "row 2" in dlg.error.text() and not dlg.footage
    dlg.table.item(1, 2).setText("2026-11-24T09:30:00")
    dlg.table.item(1, 1).setText("north gate")
    dlg._accept()
    assert dlg.footage[1] == ("/v/clip.avi", "north gate", T + 5400)
    assert parse_utc("2026-11-24T08:00:00+01:00") == T - 3600


def test_gui_builds_several_videos_with_their_cameras_and_times(qtbot, tmp_path, small_gallery):
    model, gallery = small_gallery
    a = shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "hall_2026-11-24T08-00-00.avi")
    b = shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "gate.avi")
    win = _open_window(qtbot, model, gallery)
    try:
        win.quiet_errors = True
        win.build_target = str(tmp_path / "built")
        win.build_from_video([str(a), str(b)])
        win.footage_dialog.table.item(1, 2).setText("2026-11-24T09:00:00")
        win.footage_dialog._accept()
        qtbot.waitUntil(lambda: win.engine is not None and win.engine.gallery.root.name == "built", timeout=60000)
        metas = win.engine.gallery.items(range(len(win.engine.gallery)))
        cams = {m.camera for m in metas}
        assert cams == {"hall", "gate"}
        assert all(T <= m.timestamp < T + 80 for m in metas if m.camera == "hall")
        assert all(T + 3600 <= m.timestamp < T + 3680 for m in metas if m.camera == "gate")
    finally:
        win.close()
