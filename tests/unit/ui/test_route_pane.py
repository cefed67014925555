"""The Route pane (pytest-qt, offscreen): confirmed hits on two cameras -> route, plan, session, report."""

import pytest
from PySide6.QtGui import QColor, QImage

from deepssh_gui.ui.attribute_panel import REQUIRED
from tests.unit.ui.test_main_window import _open_window, _wait_results

T0 = 1_790_000_000.0


@pytest.fixture()
def two_camera_gallery(tmp_path, model_with_decoder):
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery
    from tests.conftest import ROOT

    m = load_model(model_with_decoder)
    import shutil

    video = str(ROOT / "resources" / "demo" / "vtest.avi")
    other = shutil.copy(video, tmp_path / "hall.avi")  # another file: the same file is one source
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, video, camera="door", start_time=T0)
        build_from_video(g, m, str(other), camera="hall", start_time=T0 + 600)
    return model_with_decoder, tmp_path / "g"


def test_route_plan_session_and_report(qtbot, tmp_path, two_camera_gallery):
    model, gallery = two_camera_gallery
    win = _open_window(qtbot, model, gallery)
    try:
        win.attributes.set_state("personalMale", REQUIRED)
        _wait_results(qtbot, win)
        door = next(rh for rh in win.results.hits if rh.meta.camera == "door")
        hall = next(rh for rh in win.results.hits if rh.meta.camera == "hall")
        for rh in (door, hall):
            win.set_mark(rh, "confirmed")
        qtbot.waitUntil(lambda: len(win.route.confirmed_ids()) == 2, timeout=10000)
        win.route.make_route()
        qtbot.waitUntil(lambda: win.route.pane.route is not None, timeout=10000)
        route = win.route.pane.route
        assert route.cameras == ["door", "hall"] and route.legs[0].gap_seconds > 500
        assert "-> hall after" in win.route.pane.text.toPlainText()
        # a site plan; the cameras are placed by clicking
        plan = QImage(300, 200, QImage.Format_RGB32)
        plan.fill(QColor("#dddddd"))
        plan.save(str(tmp_path / "plan.png"))
        assert win.route.load_plan(str(tmp_path / "plan.png"))
        for cam, xy in (("door", (0.1, 0.5)), ("hall", (0.9, 0.5))):
            win.route.pane.camera.setCurrentText(cam)
            win.route.pane._place(*xy)
        drawn = win.route.report_parts()[1]
        assert drawn is not None and drawn.pixelColor(320, 210) != QColor("#dddddd")  # the arrow crosses the middle
        win.save_session(str(tmp_path / "s.json"))
        win.export_selected(str(tmp_path / "rep" / "report.html"))
        qtbot.waitUntil(lambda: (tmp_path / "rep" / "report.html").is_file(), timeout=20000)
        html = (tmp_path / "rep" / "report.html").read_text()
        assert f"Route (audit entry {route.audit_id})" in html and "-&gt; hall after" in html
    finally:
        win.close()
    win2 = _open_window(qtbot, model, gallery)
    try:
        win2.open_session(str(tmp_path / "s.json"))
        qtbot.waitUntil(lambda: win2.route.pane.route is not None, timeout=10000)
        assert win2.route.pane.route.cameras == ["door", "hall"]
        assert win2.route.pane.canvas.positions == {"door": (0.1, 0.5), "hall": (0.9, 0.5)}
        rows = [e for e in win2.engine.gallery.audit_entries() if e["mode"] == "route"]
        assert len(rows) == 2  # made, then made again on restore: each one audited
    finally:
        win2.close()


def test_route_without_confirmed_hits_says_what_to_do(qtbot, small_gallery):
    model, gallery = small_gallery
    win = _open_window(qtbot, model, gallery)
    try:
        win.route.make_route()
        assert "Confirm the hits" in win.last_error
    finally:
        win.close()


def test_redacted_export_from_the_gui_keeps_the_originals_hashes(qtbot, tmp_path, two_camera_gallery):
    import subprocess
    import sys

    from PySide6.QtCore import QSettings

    from tests.conftest import ROOT

    model, gallery = two_camera_gallery
    QSettings().setValue("report/redaction", "outside")
    win = _open_window(qtbot, model, gallery)
    try:
        win.attributes.set_state("personalMale", REQUIRED)
        _wait_results(qtbot, win)
        from PySide6.QtCore import QItemSelectionModel

        win.view.selectionModel().select(win.results.index(0), QItemSelectionModel.Select)
        win.export_selected(str(tmp_path / "rep" / "report.html"))
        qtbot.waitUntil(lambda: (tmp_path / "rep" / "report.sha256").is_file(), timeout=30000)
    finally:
        win.close()
        QSettings().remove("report/redaction")
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "everything outside the subject" in html and "unredacted frame (RGB24 pixels) SHA-256" in html
    originals = (tmp_path / "rep" / "report.originals.sha256").read_text().split()
    assert len(originals) == 2 and originals[1].endswith(".rgb24") and originals[0] in html
    assert "report.originals.sha256" in (tmp_path / "rep" / "report.sha256").read_text()
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "verify", str(tmp_path / "rep" / "report")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_marks_stay_in_their_gallery_and_name_the_examiner(qtbot, tmp_path, small_gallery, model_with_decoder,
                                                           crops_dir):
    import json

    from PySide6.QtCore import QSettings

    from deepssh_gui.ingest.build import build_from_images
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery

    model, gallery_a = small_gallery
    m = load_model(model)
    with Gallery.create(tmp_path / "b", m) as g:  # gallery B: same ids, other gallery
        build_from_images(g, m, str(crops_dir))
    QSettings().setValue("report/examiner", "J. Doe")
    win = _open_window(qtbot, model, gallery_a)
    try:
        win.attributes.set_state("personalMale", REQUIRED)
        _wait_results(qtbot, win)
        rh = win.results.hits[0]
        win.set_mark(rh, "confirmed")
        qtbot.waitUntil(lambda: win.results.marks.get(rh.meta.id) == "confirmed", timeout=10000)
        row = win.engine.gallery.audit_entries()[-1]
        assert row["mode"] == "mark" and row["examiner"] == "J. Doe"
        win.open_gallery(str(tmp_path / "b"))
        qtbot.waitUntil(lambda: win.engine is not None and win.engine.gallery.root.name == "b", timeout=20000)
        assert win.results.marks == {} and win.marked_codes == {}
        win.search_with_confirmed()
        assert "Confirm one or more hits first" in win.last_error  # A's confirmed codes are not used in B
        win.open_gallery(str(gallery_a))
        qtbot.waitUntil(lambda: win.engine.gallery.root == gallery_a, timeout=20000)
        assert win.results.marks == {rh.meta.id: "confirmed"}  # A's own marks, from A's audit log
        assert json.loads(win.engine.gallery.audit_entries()[-1]["result_ids"]) == [rh.meta.id]
    finally:
        win.close()
        QSettings().remove("report/examiner")
