"""The analyst's walkthrough, scripted: probe, attributes, confirm 2, reject 1, search with
confirmed, export. Saves one screenshot per step and the evidence report.

usage (a real display, e.g. under Xvfb):
  xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/gui_walkthrough.py GALLERY PROBE OUT_DIR [MODEL]
Writes OUT_DIR/walk_1_probe.png ... walk_5_confirmed.png and OUT_DIR/report.{html,pdf,sha256}.
The gallery's audit log receives every search and mark, as in real use: pass a copy.
"""

import sys
from pathlib import Path

from walkthrough_driver import Driver, start_app  # beside this script


def main(gallery: str, probe: str, out: str, model: str | None = None) -> int:
    app = start_app({"report/case_id": "WALKTHROUGH-1"})
    from deepssh_gui.ui.attribute_panel import REQUIRED

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    drive = Driver.open_window(app, model, gallery, out_dir, "walk_", (1400, 860))
    win, settle, shot = drive.win, drive.settle, drive.shot

    win.probe.set_probe(probe)
    shot("1_probe")
    win.attributes.set_state("carryingBackpack", REQUIRED)
    shot("2_probe_and_attributes")
    rows = win.results.hits
    for row, mark in ((0, "confirmed"), (2, "confirmed"), (1, "rejected")):
        win.view.setCurrentIndex(win.results.index(row))
        win.set_mark(rows[row], mark)
        settle()
    win.open_row(0)
    shot("3_confirm_2_reject_1")
    win.attributes.set_state("carryingBackpack", 0)
    win.search_with_confirmed()
    shot("4_search_with_confirmed")
    win.open_row(0)
    shot("5_confirmed_details")
    from PySide6.QtCore import QItemSelectionModel

    for r in range(min(3, len(win.results.hits))):
        win.view.selectionModel().select(win.results.index(r), QItemSelectionModel.Select)
    win.export_selected(str(out_dir / "report.html"))
    settle()
    print(f"report: {out_dir / 'report.html'}; errors: {win.last_error or 'none'}")
    win.close()
    return 1 if win.last_error else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
