"""Starting the GUI: arguments, QApplication set-up, and the scripted screenshot mode."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .qt_env import fix_qt_plugin_path


def build_parser() -> argparse.ArgumentParser:
    from ..common.argtypes import positive_int
    from ..common.paths import default_model_path
    from ..common.paths import DEMO_GALLERY

    ap = argparse.ArgumentParser(prog="deepssh-gui", description="DeepSSH forensic person search (desktop)")
    ap.add_argument("--gallery", help=f"gallery folder (default: the last one, else the demo {DEMO_GALLERY})")
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--attributes", default="", help="start with this query ticked")
    ap.add_argument("--probe", help="start with this probe photo")
    ap.add_argument("--top", type=positive_int, default=200)
    ap.add_argument("--screenshot", help="render the window with the query's results to this PNG and exit")
    ap.add_argument("--size", default="1500x900", help="window size for --screenshot")
    ap.add_argument("--open-hit", type=int, default=0, help="with --screenshot: open the hit of this rank first")
    return ap


def _check_query(args) -> str | None:
    """The scripted query is checked like the CLI's before any window opens: an unknown,
    mis-cased or contradictory term is an error (exit 2), never silently dropped."""
    if not args.attributes:
        return None
    from ..common.errors import DeepSSHError
    from ..model.modelfile import load_model_file
    from ..search.query import parse_query

    try:
        q = parse_query(args.attributes, load_model_file(args.model).schema)
    except DeepSSHError as exc:
        return str(exc)
    if any(len(t.attrs) > 1 and not _is_composite(t.text) for t in q.terms):
        return "OR terms (a|b) cannot be ticked in the attribute panel; use `deepssh search` for them"
    return None


def _is_composite(text: str) -> bool:
    return ":" in text.removeprefix("not ").strip() and "|" not in text


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    problem = _check_query(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    fix_qt_plugin_path()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("DeepSSH")
    app.setApplicationName("deepssh-gui")
    gallery = args.gallery
    if gallery is None and not args.screenshot:
        last = QSettings().value("gallery/last")
        gallery = last if last and Path(last, "gallery.sqlite").is_file() else None
    if gallery is None:
        from ..common.paths import user_demo_gallery

        gallery = str(user_demo_gallery())
    t0 = time.perf_counter()
    win = MainWindow(args.model, gallery, top=args.top)
    if args.screenshot:
        w, h = (int(x) for x in args.size.lower().split("x"))
        win.resize(w, h)
        win.quiet_errors = True
    win.show()
    state = {"applied": False, "t_ready": None}

    def tick() -> None:
        if win.engine is None and not win.last_error:
            return
        if not state["applied"]:
            state["applied"] = True
            state["t_ready"] = time.perf_counter() - t0
            print(f"ready_at={time.time():.3f}", flush=True)  # interactive: gallery and model loaded
            if args.attributes:
                win.attributes.set_query(args.attributes)
            if args.probe:
                win.probe.set_probe(args.probe)
            return
        if args.screenshot and not win.jobs.busy() and not win._debounce.isActive():
            if args.open_hit and not state.get("opened") and len(win.results.hits) >= args.open_hit:
                state["opened"] = True
                idx = win.results.index(args.open_hit - 1)
                win.view.setCurrentIndex(idx)
                win.open_hit(idx)
                return  # wait for the source frame job
            app.processEvents()
            ok = win.grab().save(args.screenshot)
            print(f"screenshot {args.screenshot}: {len(win.results.hits)} hits shown; window ready "
                  f"{state['t_ready']:.2f} s after start" + ("" if ok else " (could not save)"))
            if win.last_error:
                print(f"error shown: {win.last_error.splitlines()[0]}", file=sys.stderr)
            timer.stop()
            win.close()
            app.exit(0 if ok and not win.last_error else 1)

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(tick)
    timer.start()
    if args.screenshot:
        QTimer.singleShot(120_000, lambda: (print("screenshot timed out", file=sys.stderr), app.exit(3)))
    return app.exec()
