"""The core is headless: no Qt anywhere under deepssh_gui/core, and no torch at import."""

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "deepssh_gui"


def _imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module.split(".")[0])
    return mods


def test_only_ui_imports_qt():
    offenders = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                 if "ui" not in p.relative_to(PKG).parts[:1] and _imports(p) & {"PySide6", "shiboken6"}]
    assert offenders == []


def test_core_import_is_light_and_fast():
    code = ("import sys, time; t = time.perf_counter(); import deepssh_gui.core, deepssh_gui.model.schema, "
            "deepssh_gui.model.layout, deepssh_gui.evaluate.metrics; dt = time.perf_counter() - t; "
            "print(dt, 'torch' in sys.modules, 'PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    dt, has_torch, has_qt = out.split()
    assert has_torch == "False" and has_qt == "False"
    # generous bound for a shared 2-core machine; the 1 s target is measured by `deepssh bench-encode`
    assert float(dt) < 5.0
