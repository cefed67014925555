"""The package layout is the architecture, and these tests keep it so.

- Qt only in ``ui/``; Dask only in ``scale/``.
- Stages import only the stages below them (``ALLOWED``), so there are no cycles between stages,
  and no module-level import cycle anywhere.
- The runtime (everything outside ``learn/`` and ``evaluate/``) imports neither torch nor
  torchvision: the product runs searches and ingest on onnxruntime alone.
"""

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "deepssh_gui"
RUNTIME = ("common", "model", "search", "ingest", "scale", "cli", "ui")
ALLOWED = {
    "common": set(),
    "model": {"common"},
    "search": {"common", "model"},
    "ingest": {"common", "model", "search"},
    "scale": {"common", "model", "search", "ingest"},
    "learn": {"common", "model", "ingest"},
    "evaluate": {"common", "model", "search", "ingest", "learn"},
    "ui": {"common", "model", "search", "ingest", "scale", "evaluate"},
    "cli": {"common", "model", "search", "ingest", "scale", "learn", "evaluate", "ui"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Absolute names of the deepssh_gui modules (and third-party roots) that ``path`` imports."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    me = _module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                # "from . import x" may name submodules
                out |= {f"{mod}.{a.name}" for a in node.names} | {mod}
            elif node.module:
                out.add(node.module)
    return out


def _runtime_imports(path: Path) -> set[str]:
    """Like :func:`_imports` over the whole module (function bodies included), less the imports under
    ``if TYPE_CHECKING:``, which never run."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    me = _module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            mod = ".".join(package[: len(package) - (node.level - 1)] + ([node.module] if node.module else []))
            out |= {f"{mod}.{a.name}" for a in node.names} | {mod}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PKG / parts[1]).is_dir()) else None


def test_only_ui_imports_qt():
    offenders = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                 if "ui" not in p.relative_to(PKG).parts[:1]
                 and {m.split(".")[0] for m in _imports(p)} & {"PySide6", "shiboken6"}]
    assert offenders == []


def test_only_scale_imports_dask():
    offenders = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                 if "scale" not in p.relative_to(PKG).parts[:1]
                 and {m.split(".")[0] for m in _imports(p)} & {"dask", "distributed"}]
    assert offenders == []


def test_stages_import_only_the_stages_below_them():
    bad = []
    for p in PKG.rglob("*.py"):
        me = _stage(_module_name(p))
        if me is None:
            continue
        for m in _imports(p):
            if not m.startswith("deepssh_gui."):
                continue
            other = _stage(m)
            if other and other != me and other not in ALLOWED[me]:
                bad.append(f"{p.relative_to(ROOT)} imports {m}")
    assert bad == []


def test_the_stage_table_itself_has_no_cycle():
    seen: dict[str, int] = {}

    def visit(s: str) -> None:
        assert seen.get(s) != 1, f"stage cycle through {s}"
        if seen.get(s) == 2:
            return
        seen[s] = 1
        for t in ALLOWED[s]:
            visit(t)
        seen[s] = 2

    for s in ALLOWED:
        visit(s)


def test_no_module_level_import_cycles():
    mods = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph = {m: {i for i in _imports(p, top_level_only=True) if i in mods and i != m} for m, p in mods.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == 1 and not mods[n].name == "__init__.py":
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_runtime_imports_neither_torch_nor_torchvision():
    runtime = sorted(_module_name(p) for p in PKG.rglob("*.py")
                     if p.relative_to(PKG).parts[0] in RUNTIME and p.name != "__main__.py")
    assert "deepssh_gui.search.engine" in runtime and "deepssh_gui.ui.main_window" in runtime
    code = ("import importlib, sys\n"
            f"for m in {runtime!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_core_import_is_light_and_fast():
    code = ("import sys, time; t = time.perf_counter(); import deepssh_gui.search.engine, deepssh_gui.model.schema, "
            "deepssh_gui.model.layout, deepssh_gui.evaluate.metrics; dt = time.perf_counter() - t; "
            "print(dt, 'torch' in sys.modules, 'PySide6' in sys.modules, 'onnxruntime' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    dt, has_torch, has_qt, has_ort = out.split()
    assert has_torch == has_qt == has_ort == "False"
    # generous bound for a shared 2-core machine; the timing targets are measured by `deepssh bench-encode`
    assert float(dt) < 5.0


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_inside_a_stage():
    """Deferred imports inside functions count too (issue #24): two modules of one stage that need
    each other are one concern split wrongly. Package ``__init__`` modules are not nodes."""
    mods = {_module_name(p): p for p in PKG.rglob("*.py") if p.name != "__init__.py"}
    graph = {m: {i for i in _runtime_imports(p) if i in mods and i != m and _stage(i) == _stage(m)}
             for m, p in mods.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_deferred_imports_and_skips_type_checking_ones():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    # checkpoint.py imports encode.py inside a method; encode.py names LoadedModel only for type checkers
    assert "deepssh_gui.learn.encode" in _runtime_imports(PKG / "learn" / "checkpoint.py")
    assert "deepssh_gui.learn.checkpoint" not in _runtime_imports(PKG / "learn" / "encode.py")


def test_search_modules_stay_under_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in (PKG / "search").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}
