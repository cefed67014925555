"""``deepssh bench-gui``: toggle-to-results latency on a large gallery, and cold start.

The toggle benchmark builds a synthetic gallery of N codes claimed by the given model, opens
it in the real MainWindow (offscreen), and ticks/unticks attributes; each sample is the time
from the click to the results model being reset with the new hits (the delegate paints
only visible cells, so painting does not grow with N). Cold start launches the app as a
new process on the demo gallery in screenshot mode and reads when the window was ready.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def toggle_latency(model_path: str, n: int, toggles: int = 40, seed: int = 0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ..evaluate.bench import write_synthetic_gallery
    from ..model.synthetic import synthetic_codes
    from ..model.modelfile import load_model_file
    from ..search.gallery import Gallery
    from .attribute_panel import ANY, REQUIRED
    from .main_window import MainWindow

    model = load_model_file(model_path)
    tmp = Path(tempfile.mkdtemp(prefix="deepssh-guibench-"))
    try:
        write_synthetic_gallery(tmp, synthetic_codes(n, model.config.layout, seed), model.config.layout,
                                lambda *a: None, model)
        with Gallery.open(tmp) as g:
            g.finalize()
        app = QApplication.instance() or QApplication([])
        win = MainWindow(model_path, str(tmp))
        win.quiet_errors = True
        win.resize(1400, 900)
        win.show()
        _spin(app, lambda: win.engine is not None, 60)
        rng = np.random.default_rng(seed)
        names = [a.name for a in win.engine.schema.attributes]
        samples = []
        state = {"reset": 0}
        win.results.modelReset.connect(lambda: state.__setitem__("reset", state["reset"] + 1))
        ticked: list[str] = []
        for _ in range(toggles):
            if len(ticked) >= 3 or (ticked and rng.random() < 0.4):
                name, st = ticked.pop(0), ANY
            else:
                name, st = str(rng.choice(names)), REQUIRED
                ticked.append(name)
            before = state["reset"]
            t0 = time.perf_counter()
            win.attributes.set_state(name, st)
            if not _spin(app, lambda: state["reset"] > before and not win.jobs.busy(), 30):
                continue
            app.processEvents()  # the view repaints visible cells
            samples.append(time.perf_counter() - t0)
        win.close()
        a = np.array(samples) * 1000
        return {"n": n, "toggles": len(samples), "p50_ms": round(float(np.percentile(a, 50)), 1),
                "p95_ms": round(float(np.percentile(a, 95)), 1), "max_ms": round(float(a.max()), 1)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _spin(app, cond, timeout_s: float) -> bool:
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.001)
    return False


def cold_start(model_path: str, gallery: str, runs: int = 3) -> dict:
    """Seconds from launching ``python -m deepssh_gui`` to an interactive window with results."""
    out = []
    for _ in range(runs):
        shot = Path(tempfile.mkdtemp()) / "s.png"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        t0 = time.time()
        r = subprocess.run([sys.executable, "-m", "deepssh_gui", "--gallery", gallery, "--model", model_path,
                            "--screenshot", str(shot)], capture_output=True, text=True, env=env)
        line = [ln for ln in r.stdout.splitlines() if "ready_at=" in ln]
        if r.returncode or not line:
            raise RuntimeError(f"the GUI did not start: {r.stderr[-500:]}")
        out.append(float(line[0].split("ready_at=")[1].split()[0]) - t0)
        shutil.rmtree(shot.parent, ignore_errors=True)
    return {"runs": runs, "seconds": [round(x, 2) for x in out], "median_s": round(float(np.median(out)), 2)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ..common.paths import default_model_path

    ap = argparse.ArgumentParser(prog="deepssh bench-gui")
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--toggles", type=int, default=40)
    ap.add_argument("--gallery", default=None, help="gallery for the cold-start measurement (default: the demo)")
    args = ap.parse_args(argv)
    if args.gallery is None:
        from ..common.paths import user_demo_gallery

        args.gallery = str(user_demo_gallery())
    res = {"toggle_to_results": toggle_latency(args.model, args.n, args.toggles),
           "cold_start": cold_start(args.model, args.gallery)}
    print(json.dumps(res, indent=1))
    return 0
