"""The PyInstaller application (``make dist``) starts and searches the demo gallery.

Slow: it needs the frozen build in dist/deepssh-gui (see docs/distribution.md), so it is
deselected by ``make test`` and run with ``pytest -m slow tests/dist`` after ``make dist``.
"""

import os
import subprocess

import pytest

from tests.conftest import ROOT

APP = ROOT / "dist" / "deepssh-gui" / "deepssh-gui"


def _demo_items() -> int:
    """How many items the shipped demo gallery holds (every hit of a query is shown)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{ROOT / 'resources' / 'demo' / 'gallery' / 'gallery.sqlite'}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT MAX(id) + 1 FROM items").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_frozen_app_searches_the_demo_gallery(tmp_path):
    if not APP.exists():
        pytest.skip("no frozen build: run `make dist` first")
    out = tmp_path / "frozen.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DEEPSSH_DATA=str(tmp_path / "data"))
    r = subprocess.run([str(APP), "--attributes", "carryingBackpack, lowerBody:dark", "--screenshot", str(out)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{_demo_items()} hits shown" in r.stdout and out.stat().st_size > 50_000


@pytest.mark.slow
def test_frozen_app_runs_a_photo_query_on_onnxruntime(tmp_path):
    """A probe photo needs the network: in the application it runs on onnxruntime (no torch inside)."""
    if not APP.exists():
        pytest.skip("no frozen build: run `make dist` first")
    assert not list((APP.parent / "_internal").glob("torch*")), "torch must not be bundled"
    probe = ROOT / "resources" / "demo" / "crops" / "vtest_f0020_d1.jpg"
    out = tmp_path / "probe.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DEEPSSH_DATA=str(tmp_path / "data"))
    r = subprocess.run([str(APP), "--probe", str(probe), "--open-hit", "1", "--screenshot", str(out)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{_demo_items()} hits shown" in r.stdout and out.stat().st_size > 50_000
