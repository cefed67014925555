"""GUI behaviour with pytest-qt (offscreen): toggles, drops, chips, bad input, screenshot mode."""

import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from deepssh_gui.search.engine import SearchRequest
from deepssh_gui.ui.attribute_panel import EXCLUDED, REQUIRED
from deepssh_gui.ui.main_window import MainWindow
from tests.conftest import ROOT


def _open_window(qtbot, model, gallery, timeout: int = 20000) -> MainWindow:
    """A main window on ``gallery`` (errors kept out of dialogs), once its engine is loaded."""
    win = MainWindow(str(model), str(gallery))
    win.quiet_errors = True
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.engine is not None, timeout=timeout)
    return win


@pytest.fixture()
def window(qtbot, small_gallery):
    model, gallery = small_gallery
    win = _open_window(qtbot, model, gallery)
    yield win
    win.close()


def _wait_results(qtbot, win):
    qtbot.waitUntil(lambda: not win.jobs.busy() and not win._debounce.isActive(), timeout=20000)


def test_toggling_attributes_changes_results_like_the_engine(qtbot, window):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    got = [rh.hit.index for rh in window.results.hits]
    want = [rh.hit.index for rh in window.engine.search(SearchRequest(attributes="personalMale", top=200)).hits]
    assert got == want and len(got) == 8
    window.attributes.set_state("carryingBackpack", EXCLUDED)
    _wait_results(qtbot, window)
    res = window.engine.search(SearchRequest(attributes="personalMale, not carryingBackpack", top=200))
    assert [rh.hit.index for rh in window.results.hits] == [rh.hit.index for rh in res.hits]
    # chips (explanations shown) agree with the engine's
    for shown, ref in zip(window.results.hits, res.hits):
        assert shown.hit.explanation == ref.hit.explanation
    assert window.status_query.text().startswith("attributes: 8 hits of 8")


def test_clicking_cycles_tri_state(qtbot, window):
    it = window.attributes.items["carryingBackpack"]
    window.attributes._cycle(it)
    assert window.attributes.query() == "carryingBackpack"
    window.attributes._cycle(it)
    assert window.attributes.query() == "not carryingBackpack"
    window.attributes._cycle(it)
    assert window.attributes.query() == ""
    window.attributes.filter.setText("backp")
    assert not window.attributes.items["carryingBackpack"].isHidden()
    assert window.attributes.items["personalMale"].isHidden()


def test_dropping_an_image_runs_a_probe_search(qtbot, window, crops_dir):
    probe = str(sorted(crops_dir.rglob("*.png"))[5])
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(probe)])
    ev = QDropEvent(QPointF(10, 10), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    window.probe.dropEvent(ev)
    _wait_results(qtbot, window)
    assert window.results.hits and window.results.hits[0].hit.photo_distance == 0
    # random weights tie many codes at distance 0: the probe's own crop is among the ties
    zero = [rh.meta.crop for rh in window.results.hits if rh.hit.photo_distance == 0]
    assert any(os.path.samefile(c, probe) for c in zero)


def test_bad_drop_keeps_previous_results(qtbot, window, tmp_path):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    before = [rh.hit.index for rh in window.results.hits]
    bad = tmp_path / "notes.jpg"
    bad.write_text("definitely not a jpeg")
    with qtbot.waitSignal(window.probe.error, timeout=5000) as sig:
        ok = window.probe.set_probe(str(bad))
    assert not ok and "not an image" in sig.args[0]
    _wait_results(qtbot, window)
    assert [rh.hit.index for rh in window.results.hits] == before
    assert "not an image" in window.last_error


def test_open_hit_shows_details_and_search_with_probe(qtbot, window):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    window.open_hit(window.results.index(2))
    assert window.detail.current is window.results.hits[2]
    assert window.detail.attrs.count() == len(window.engine.schema)
    window.detail.probe_btn.click()
    _wait_results(qtbot, window)
    assert window.results.hits[0].hit.photo_distance == 0  # hybrid: photo part of its own code


def _screenshot_cmd(gallery, model, out):
    return [sys.executable, "-m", "deepssh_gui", "--gallery", str(gallery), "--model", str(model),
            "--attributes", "personalMale", "--screenshot", str(out), "--size", "900x600"]


def test_scripted_screenshot_offscreen(small_gallery, tmp_path):
    model, gallery = small_gallery
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(_screenshot_cmd(gallery, model, out), capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "8 hits shown" in r.stdout and out.stat().st_size > 10_000


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (CI installs it)")
def test_real_xcb_display_under_xvfb_with_cv2_imported(small_gallery, tmp_path):
    """On a real X display, cv2's Qt plugin path would break PySide6; the app must still start."""
    model, gallery = small_gallery
    out = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    code = ("import cv2, sys, runpy; sys.argv = ['deepssh-gui'] + sys.argv[1:]; "
            "runpy.run_module('deepssh_gui', run_name='__main__')")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-c", code,
           *_screenshot_cmd(gallery, model, out)[3:]]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "8 hits shown" in r.stdout and out.stat().st_size > 10_000


def test_export_selected_hits_to_html_and_pdf(qtbot, window, tmp_path):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    from PySide6.QtCore import QItemSelectionModel

    for r in (0, 2):
        window.view.selectionModel().select(window.results.index(r), QItemSelectionModel.Select)
    window.export_selected(str(tmp_path / "rep.html"))
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=30000)
    html = (tmp_path / "rep.html").read_text()
    assert html.count("<b>Source:</b>") == 2 and window.engine.model.hash in html
    assert "personalMale" in html and "data:image/png;base64" in html
    pdf = (tmp_path / "rep.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert len(__import__("re").findall(rb"/Type\s*/Page[^s]", pdf)) == 3  # the summary, then one page per hit


def test_session_save_and_reopen(qtbot, window, tmp_path):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    from PySide6.QtCore import QItemSelectionModel

    window.view.selectionModel().select(window.results.index(1), QItemSelectionModel.Select)
    pinned = window.results.hits[1].meta.id
    window.save_session(str(tmp_path / "s.json"))
    window.attributes.clear()
    _wait_results(qtbot, window)
    window.open_session(str(tmp_path / "s.json"))
    _wait_results(qtbot, window)
    assert window.attributes.query() == "personalMale"
    assert [rh.meta.id for rh in window.selected_hits()] == [pinned]
    (tmp_path / "bad.json").write_text("{not json")
    window.open_session(str(tmp_path / "bad.json"))
    assert "cannot read session" in window.last_error
    # a session from another gallery, or with hand-edited field types, is refused, never applied
    import json

    d = json.loads((tmp_path / "s.json").read_text())
    (tmp_path / "other.json").write_text(json.dumps({**d, "gallery_id": "0" * 64}))
    window.open_session(str(tmp_path / "other.json"))
    assert "belongs to another gallery" in window.last_error
    (tmp_path / "types.json").write_text(json.dumps({**d, "pinned": "1,2", "probe_box": [1, 2]}))
    window.open_session(str(tmp_path / "types.json"))
    assert "wrong type for pinned, probe_box" in window.last_error
    (tmp_path / "range.json").write_text(json.dumps({**d, "pinned": [999]}))
    window.open_session(str(tmp_path / "range.json"))
    assert "does not have" in window.last_error


@pytest.mark.parametrize("query, message", [("carryingbackpack, lowerBody:dark", "did you mean 'carryingBackpack'"),
                                            ("flyingCarpet", "unknown attribute 'flyingCarpet'"),
                                            ("personalMale, not personalMale", "contradictory")])
def test_scripted_query_is_checked_and_refused(small_gallery, tmp_path, query, message):
    model, gallery = small_gallery
    cmd = [sys.executable, "-m", "deepssh_gui", "--gallery", str(gallery), "--model", str(model),
           "--attributes", query, "--screenshot", str(tmp_path / "x.png")]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                       timeout=120)
    assert r.returncode == 2 and message in r.stderr and not (tmp_path / "x.png").exists()


def test_panel_query_refuses_bad_terms_and_keeps_the_ticks(qtbot, window):
    from deepssh_gui.search.query import QueryError

    window.attributes.set_query("personalMale, upperBody:red")
    assert window.attributes.query() == "personalMale, upperBodyRed"  # the shorthand ticks its attribute
    with pytest.raises(QueryError, match="did you mean 'carryingBackpack'"):
        window.attributes.set_query("carryingbackpack")
    assert window.attributes.query() == "personalMale, upperBodyRed"  # nothing changed


def test_cells_show_probabilities(qtbot, window):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    from deepssh_gui.ui.results_model import describe_hit

    top = window.results.hits[0]
    assert top.hit.query_probability is not None
    assert f"P(query)={top.hit.query_probability:.3f}" in describe_hit(top)


def test_file_names_are_shown_as_text_never_as_markup(qtbot, model_with_decoder, crops_dir, tmp_path):
    """A crop named like HTML must not render as "VERIFIED MATCH" in large green letters."""
    from PySide6.QtCore import Qt

    from deepssh_gui.ingest.build import build_from_images
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery
    from deepssh_gui.ui.results_model import describe_hit

    evil = "<font color=#00a000 size=6>VERIFIED MATCH<!--.png"
    shutil.copy(next(iter(sorted(crops_dir.rglob("*.png")))), crops_dir / evil)
    m = load_model_file(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_images(g, m, str(crops_dir))
    win = _open_window(qtbot, model_with_decoder, tmp_path / "g")
    win.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, win)
    row = next(i for i, rh in enumerate(win.results.hits) if rh.meta.crop.endswith(evil))
    idx = win.results.index(row)
    tip = win.results.data(idx, Qt.ToolTipRole)
    assert "<font" not in tip and "&lt;font color=#00a000 size=6&gt;VERIFIED MATCH&lt;!--.png" in tip
    win.open_hit(idx)
    assert win.detail.title.textFormat() == Qt.PlainText and evil in win.detail.title.text()
    assert evil in describe_hit(win.results.hits[row])
    win.close()


def test_old_gallery_offers_and_runs_the_reencode(qtbot, small_gallery):
    import sqlite3

    model, gallery = small_gallery
    conn = sqlite3.connect(gallery / "gallery.sqlite")
    with conn:
        conn.execute("DELETE FROM info WHERE key = 'attr_scores'")
    conn.close()
    win = _open_window(qtbot, model, gallery)
    assert win.reencode_action.isEnabled() and not win.engine.gallery.has_probabilities
    win.reencode_gallery()
    qtbot.waitUntil(lambda: win.engine is not None and win.engine.gallery.has_probabilities, timeout=30000)
    assert not win.reencode_action.isEnabled()
    win.close()


def test_a_sharded_gallery_opens_searches_shows_details_and_exports(qtbot, small_gallery, tmp_path):
    from PySide6.QtCore import QItemSelectionModel, QSettings

    from deepssh_gui.scale.split import shard_gallery
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    shard_gallery(gallery, 3, tmp_path / "s", model)
    QSettings().setValue("cluster/address", "")  # shards searched in this process
    win = _open_window(qtbot, model, tmp_path / "s")
    assert win.status_gallery.text() == "s: 8 crops" and not win.reencode_action.isEnabled()
    win.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, win)
    single = SearchEngine(gallery, model)
    want = [rh.hit.index for rh in single.search(SearchRequest(attributes="personalMale", top=200)).hits]
    single.close()
    assert [rh.hit.index for rh in win.results.hits] == want
    win.open_hit(win.results.index(5))
    assert win.detail.current is win.results.hits[5]
    win.view.selectionModel().select(win.results.index(0), QItemSelectionModel.Select)
    win.export_selected(str(tmp_path / "rep.html"))
    qtbot.waitUntil(lambda: not win.jobs.busy(), timeout=30000)
    html = (tmp_path / "rep.html").read_text()
    assert "sharded: 8 items in 3 shards" in html and html.count("<b>Source:</b>") == 1
    assert win.engine.gallery.verify_audit().ok and len(win.engine.gallery.audit_entries()) >= 1
    win.close()


def test_details_follow_the_current_hit_and_a_hit_probe_is_named_in_the_report(qtbot, window, tmp_path):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    window.view.setCurrentIndex(window.results.index(3))  # keyboard navigation moves the current hit
    assert window.detail.current is window.results.hits[3]
    probe = window.detail.current
    window.detail.probe_btn.click()
    _wait_results(qtbot, window)
    assert window.probe.hint.text() == f"Probe: gallery item {probe.meta.id} (its code)"
    assert window.probe.clear_btn.isEnabled()
    window.view.selectionModel().select(window.results.index(0), __import__(
        "PySide6.QtCore", fromlist=["QItemSelectionModel"]).QItemSelectionModel.Select)
    window.export_selected(str(tmp_path / "rep.html"))
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=30000)
    html = (tmp_path / "rep.html").read_text()
    assert f"<b>Probe:</b> gallery item {probe.meta.id}" in html and probe.code.tobytes().hex() in html


def test_details_clear_on_a_new_query_and_ties_are_labelled(qtbot, window):
    from deepssh_gui.ui.results_model import RankLabelRole

    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    window.open_hit(window.results.index(1))
    assert window.detail.current is not None
    window.attributes.set_state("carryingBackpack", EXCLUDED)
    _wait_results(qtbot, window)
    assert window.detail.current is None and not window.detail.probe_btn.isEnabled()
    labels = [window.results.index(r).data(RankLabelRole) for r in range(window.results.rowCount())]
    scores = [rh.hit.score for rh in window.results.hits]
    for i, lab in enumerate(labels):  # a label ends with "=" exactly when a neighbour has the same score
        tied = (i > 0 and scores[i - 1] == scores[i]) or (i + 1 < len(scores) and scores[i + 1] == scores[i])
        assert lab.endswith("=") == tied


def test_confirm_reject_marks_are_audited_kept_and_drive_search_with_confirmed(qtbot, window, tmp_path):
    from deepssh_gui.ui.results_model import MarkRole

    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    ids = [rh.meta.id for rh in window.results.hits]
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.view.setFocus()
    for row, key in ((0, "C"), (3, "C"), (5, "X")):
        window.view.setCurrentIndex(window.results.index(row))
        qtbot.keyClick(window.view, key)
        qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=10000)
    assert window.results.marks == {ids[0]: "confirmed", ids[3]: "confirmed", ids[5]: "rejected"}
    assert window.results.index(5).data(MarkRole) == "rejected"
    rows = window.engine.gallery.audit_entries()
    assert [(r["mode"], r["query"], r["result_ids"]) for r in rows[-3:]] == [
        ("mark", "confirmed", f"[{ids[0]}]"), ("mark", "confirmed", f"[{ids[3]}]"), ("mark", "rejected", f"[{ids[5]}]")]
    # the same key again clears a mark, and that is audited too
    window.view.setCurrentIndex(window.results.index(3))
    qtbot.keyClick(window.view, "C")
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=10000)
    assert ids[3] not in window.results.marks and window.engine.gallery.audit_entries()[-1]["query"] == "cleared"
    # search with confirmed: nearest-confirmed distance, the rejected hit left out
    window.attributes.set_state("personalMale", 0)
    window.search_with_confirmed()
    _wait_results(qtbot, window)
    res = window.last_result
    assert res.mode == "photo" and ids[5] not in [rh.meta.id for rh in res.hits]
    assert res.hits[0].meta.id == ids[0] and res.hits[0].hit.photo_distance == 0
    # marks survive a session and go into the report
    window.save_session(str(tmp_path / "s.json"))
    window.results.marks.clear()
    window.open_session(str(tmp_path / "s.json"))
    assert window.results.marks == {ids[0]: "confirmed", ids[5]: "rejected"}
    window.view.selectionModel().clearSelection()
    window.export_selected(str(tmp_path / "rep.html"))
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=30000)
    assert "<b>Examiner's mark:</b> confirmed" in (tmp_path / "rep.html").read_text()


def test_one_cell_per_track_keeps_the_best_ranked_crop_and_counts_the_rest():
    import numpy as np

    from deepssh_gui.search.engine import ResultHit
    from deepssh_gui.search.gallery import ItemMeta
    from deepssh_gui.search.ranking import Hit
    from deepssh_gui.ui.results_model import RankLabelRole, ResultsModel, TrackCountRole

    def hit(i, track, score):
        meta = ItemMeta(i, f"c{i}.jpg", None, "cam.avi", "0" * 64, "cam", i, i / 10, None, track, None)
        return ResultHit(Hit(i, i + 1, score, 0, None), meta, np.zeros(32, np.uint8), np.zeros(57, np.float32))

    m = ResultsModel()
    m.set_results([hit(0, 4, 1.0), hit(1, 7, 2.0), hit(2, 4, 2.0), hit(3, None, 3.0), hit(4, 7, 5.0)], {})
    assert m.rowCount() == 5
    m.set_group_tracks(True)
    assert [rh.meta.id for rh in m.hits] == [0, 1, 3]
    assert [m.index(r).data(TrackCountRole) for r in range(3)] == [2, 2, 1]
    assert [m.index(r).data(RankLabelRole) for r in range(3)] == ["1", "2=", "4"]  # the engine's ranks, ties kept
    m.set_group_tracks(False)
    assert m.rowCount() == 5


def test_timeline_is_empty_for_crops_without_times(qtbot, window):
    window.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, window)
    assert window.results.hits and all(rh.meta.timestamp is None for rh in window.results.hits)
    assert window.timeline.points == [] and window.timeline.row_at(window.timeline.rect().center()) is None


def test_timeline_of_a_video_gallery(qtbot, tmp_path):
    from deepssh_gui.common.paths import DEMO_GALLERY, default_model_path
    import shutil

    shutil.copytree(DEMO_GALLERY, tmp_path / "demo")
    shutil.copy(DEMO_GALLERY.parent / "vtest.avi", tmp_path / "vtest.avi")
    win = _open_window(qtbot, default_model_path(), tmp_path / "demo", timeout=30000)
    win.attributes.set_state("carryingBackpack", REQUIRED)
    _wait_results(qtbot, win)
    tl = win.timeline
    assert tl.cameras == ["vtest"] and len(tl.points) == len(win.results.hits) > 0
    tl.resize(700, 80)
    best = min(tl.points, key=lambda p: p[3])
    with qtbot.waitSignal(tl.hitClicked, timeout=2000) as sig:
        qtbot.mouseClick(tl, Qt.LeftButton, pos=tl._xy(best[1], best[2]).toPoint())
    assert sig.args == [best[0]]  # overlapping marks: the best-ranked one is opened
    assert win.detail.current is win.results.hits[sig.args[0]]
    # its source frame loads in the background and opens zoomed on the person's box
    qtbot.waitUntil(lambda: win.detail.frame_image is not None, timeout=20000)
    zoom = win.detail.open_zoom()
    assert zoom.label.pixmap().width() == 2 * win.detail.frame_image.width()
    zoom.slider.setValue(4)
    assert zoom.label.pixmap().width() == 4 * win.detail.frame_image.width()
    zoom.close()
    win.close()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed")
def test_scripted_walkthrough_under_xvfb(small_gallery, crops_dir, tmp_path):
    """Probe, attributes, confirm 2, reject 1, search with confirmed, export (tools/gui_walkthrough.py)."""
    model, gallery = small_gallery
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    probe = sorted(crops_dir.rglob("*.png"))[0]
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", sys.executable, str(ROOT / "tools" / "gui_walkthrough.py"),
           str(gallery), str(probe), str(tmp_path / "walk"), str(model)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    shots = sorted(p.name for p in (tmp_path / "walk").glob("walk_*.png"))
    assert len(shots) == 5 and all((tmp_path / "walk" / s).stat().st_size > 10_000 for s in shots)
    assert "photo: 7 hits of 7" in r.stdout  # search with confirmed leaves the rejected hit out
    html = (tmp_path / "walk" / "report.html").read_text()
    assert "WALKTHROUGH-1" in html and html.count("<b>Examiner's mark:</b> confirmed") >= 1
    v = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "verify", str(tmp_path / "walk" / "report")],
                       capture_output=True, text=True, cwd=ROOT)
    assert v.returncode == 0, v.stdout + v.stderr


def test_moved_footage_is_asked_for_once_and_remembered(qtbot, tmp_path):
    import shutil

    from PySide6.QtCore import QSettings

    from deepssh_gui.common.paths import DEMO_GALLERY, default_model_path

    shutil.copytree(DEMO_GALLERY, tmp_path / "demo")  # the gallery without its ../vtest.avi
    moved = tmp_path / "archive"
    moved.mkdir()
    QSettings().setValue("footage/folders", [])
    win = _open_window(qtbot, default_model_path(), tmp_path / "demo", timeout=30000)
    win.attributes.set_state("carryingBackpack", REQUIRED)
    _wait_results(qtbot, win)
    win.open_row(0)
    qtbot.waitUntil(lambda: win.detail.locate_btn.isVisibleTo(win.detail), timeout=20000)
    assert "vtest.avi is missing" in win.detail.frame.text()
    shutil.copy(DEMO_GALLERY.parent / "vtest.avi", moved / "vtest.avi")
    win.locate_footage(win.detail.current, str(moved))
    qtbot.waitUntil(lambda: win.detail.frame_image is not None, timeout=20000)
    assert win.footage_folders() == [str(moved)]
    win.open_row(1)  # another hit of the same video: found without asking
    qtbot.waitUntil(lambda: win.detail.frame_image is not None, timeout=20000)
    assert not win.detail.locate_btn.isVisibleTo(win.detail)
    QSettings().setValue("footage/folders", [])
    win.close()


def test_an_empty_gallery_says_so(qtbot, model_with_decoder, tmp_path):
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery

    with Gallery.create(tmp_path / "empty", load_model(model_with_decoder)):
        pass
    win = _open_window(qtbot, model_with_decoder, tmp_path / "empty")
    win.attributes.set_state("personalMale", REQUIRED)
    _wait_results(qtbot, win)
    assert win.status_query.text() == "no hits: the gallery is empty" and win.results.rowCount() == 0
    assert "0 crops" in win.status_gallery.text()
    win.close()
