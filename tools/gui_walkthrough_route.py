"""The description-to-route walkthrough, scripted (issue #23): describe a person in words, confirm
hits on two cameras, make the route on a site plan, export a redacted report.

usage (a real display, e.g. under Xvfb):
  xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/gui_walkthrough_route.py OUT_DIR [MODEL]
It builds its own two-camera gallery in OUT_DIR/work from the demo footage: the clip as camera
"entrance" from 08:00 and the same clip as camera "hall" from 08:10 (so the same people appear on
both, ten minutes apart). Writes OUT_DIR/walk_route_1_describe.png ... walk_route_4_redacted_frame.png
and the report under OUT_DIR/work/report.*.
"""

import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from walkthrough_driver import Driver, start_app  # beside this script


def site_plan(path: Path) -> None:
    """A simple drawn floor plan: an entrance on the left, a hall on the right, a corridor."""
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    img = QImage(600, 360, QImage.Format_RGB32)
    img.fill(QColor("#f7f3e8"))
    p = QPainter(img)
    p.setPen(QPen(QColor("#444444"), 4))
    p.drawRect(20, 60, 200, 240)   # entrance
    p.drawRect(380, 40, 200, 280)  # hall
    p.drawRect(220, 150, 160, 60)  # corridor
    p.drawText(40, 90, "Entrance")
    p.drawText(400, 70, "Hall")
    p.end()
    img.save(str(path))


def build_gallery(work: Path, model: str) -> Path:
    from deepssh_gui.common.paths import DEMO_VIDEO
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery

    m = load_model_file(model)
    t0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc).timestamp()
    hall = shutil.copy(DEMO_VIDEO, work / "hall.avi")
    entrance = shutil.copy(DEMO_VIDEO, work / "entrance.avi")
    with Gallery.create(work / "gallery", m) as g:
        build_from_video(g, m, str(entrance), camera="entrance", start_time=t0)
        build_from_video(g, m, str(hall), camera="hall", start_time=t0 + 600)
    return work / "gallery"


def main(out: str, model: str | None = None) -> int:
    from deepssh_gui.common.paths import default_model_path

    app = start_app({"report/case_id": "WALKTHROUGH-2", "report/redaction": "others"})
    out_dir = Path(out)
    work = out_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    model = model or str(default_model_path())
    gallery = build_gallery(work, model)
    site_plan(work / "plan.png")
    drive = Driver.open_window(app, model, gallery, out_dir, "walk_route_", (1400, 900))
    win, settle, shot = drive.win, drive.settle, drive.shot

    win.type_query()
    dlg = win.describe_dialog
    dlg.edit.setText("man in a dark jacket with a backpack, no hat, carrying a zebra")
    shot("1_describe", dlg)
    dlg.buttons.accepted.emit()
    settle()
    # the examiner confirms the top hit on each camera: the same person, seen on both
    hits = win.results.hits
    first = hits[0]
    twin = next(rh for rh in hits if rh.meta.camera != first.meta.camera and rh.meta.frame == first.meta.frame)
    for rh in (first, twin):
        win.set_mark(rh, "confirmed")
        settle()
    win.open_row(0)
    shot("2_confirmed_on_two_cameras")
    win.route.make_route()
    settle()
    win.route.load_plan(str(work / "plan.png"))
    for cam, xy in (("entrance", (0.2, 0.5)), ("hall", (0.8, 0.5))):  # the analyst clicks where each camera is
        win.route.pane.camera.setCurrentText(cam)
        win.route.pane._place(*xy)
    win.route_dock.raise_()
    shot("3_route")
    from PySide6.QtCore import QItemSelectionModel

    for r, rh in enumerate(win.results.hits):
        if rh.meta.id in (first.meta.id, twin.meta.id):
            win.view.selectionModel().select(win.results.index(r), QItemSelectionModel.Select)
    win.export_selected(str(work / "report.html"))
    settle()
    from deepssh_gui.ui.export import ReportInput, _frame_with_box

    inp = ReportInput(win.last_result, [first], "", "", "", "", "", redaction="others")
    _frame_with_box(inp, first, max_w=480).save(str(out_dir / "walk_route_4_redacted_frame.png"))
    print(f"report: {work / 'report.html'}; errors: {win.last_error or 'none'}")
    win.close()
    return 1 if win.last_error else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
