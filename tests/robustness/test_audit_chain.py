"""The audit log is tamper-evident: edits made with the sqlite3 shell are found and named."""

import sqlite3
import subprocess
import sys

import pytest

from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.search.gallery import Gallery
from tests.conftest import ROOT

DROP = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
CREATE = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;
"""


def _searched(small_gallery, n=4):
    model, gallery = small_gallery
    eng = SearchEngine(gallery, model)
    try:
        for i in range(n):
            eng.search(SearchRequest(attributes="personalMale", top=2, examiner=f"examiner{i}"))
    finally:
        eng.close()
    return model, gallery


def _verify(gallery):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "audit", "--gallery", str(gallery), "--verify"],
                          capture_output=True, text=True, cwd=ROOT)


def _sql(gallery, script):
    conn = sqlite3.connect(gallery / "gallery.sqlite")
    conn.executescript(script)
    conn.commit()
    conn.close()


def test_intact_chain_verifies_and_records_who_and_where(small_gallery):
    _, gallery = _searched(small_gallery)
    r = _verify(gallery)
    assert r.returncode == 0 and "chain intact" in r.stdout
    with Gallery.open(gallery, read_only=True) as g:
        rows = g.audit_entries()
        assert [x["examiner"] for x in rows] == [f"examiner{i}" for i in range(4)]
        assert all(x["host"] and x["tool_version"] and len(x["row_hash"]) == 64 for x in rows)
        assert g.audit_head() == rows[-1]["row_hash"] and g.audit_head() in r.stdout


@pytest.mark.parametrize("tamper, first_broken", [
    ("UPDATE audit SET query = 'accessoryHat' WHERE id = 2;", "entry 2: its content does not match"),
    ("DELETE FROM audit WHERE id = 2;", "entry 3: its link"),
    ("DELETE FROM audit WHERE id = 2; UPDATE audit SET id = id - 1 WHERE id > 2;", "entry 2: its link"),
])
def test_rewrites_with_the_triggers_put_back_are_named(small_gallery, tamper, first_broken):
    _, gallery = _searched(small_gallery)
    _sql(gallery, DROP + tamper + CREATE)
    r = _verify(gallery)
    assert r.returncode == 1 and first_broken in r.stdout


def test_dropped_triggers_are_reported_not_silently_repaired(small_gallery):
    model, gallery = _searched(small_gallery)
    _sql(gallery, DROP)
    assert "triggers audit_no_update, audit_no_delete are missing" in _verify(gallery).stdout
    eng = SearchEngine(gallery, model)  # opening re-creates them, and says so in the chain itself
    eng.close()
    with Gallery.open(gallery, read_only=True) as g:
        last = g.audit_entries()[-1]
        assert last["mode"] == "integrity" and "were missing on opening and were re-created" in last["query"]
    assert _verify(gallery).returncode == 0


def test_concurrent_appends_keep_one_chain(small_gallery):
    """Four processes append at once: no fork, no lost row."""
    model, gallery = small_gallery
    code = ("import sys\nfrom deepssh_gui.search.engine import SearchEngine, SearchRequest\n"
            f"eng = SearchEngine({str(gallery)!r}, {str(model)!r})\n"
            "for i in range(15): eng.search(SearchRequest(attributes='personalMale', top=1))\n"
            "eng.close()\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(4)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    r = _verify(gallery)
    assert r.returncode == 0 and "60 entries" in r.stdout


def test_an_engine_sees_items_another_process_appended(small_gallery, crops_dir):
    """An engine opened before an append searches the new items, and its audit row says so."""
    from tests.conftest import write_png

    model, gallery = small_gallery
    eng = SearchEngine(gallery, model)
    try:
        assert eng.search(SearchRequest(attributes="personalMale", top=50)).n_searched == 8
        for i in range(3):
            write_png(crops_dir / "new" / f"{200 + i:04d}_c3s1_000001_01.png", (10 * i, 200, 30), seed=50 + i)
        code = ("from deepssh_gui.model.modelfile import load_model_file\n"
                "from deepssh_gui.search.gallery import Gallery\n"
                "from deepssh_gui.ingest.build import build_from_images\n"
                f"m = load_model_file({str(model)!r})\n"
                f"g = Gallery.open({str(gallery)!r}, m)\n"
                f"build_from_images(g, m, {str(crops_dir)!r})\n")
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        res = eng.search(SearchRequest(attributes="personalMale", top=50))
        assert res.n_searched == 11 and len(res.hits) == 11
        assert eng.gallery.audit_entries()[-1]["gallery_state"].startswith("11 items")
    finally:
        eng.close()


def test_export_rehashes_sources_and_flags_a_forged_one(small_gallery, tmp_path):
    """A source replaced after ingest is flagged red in the report and the CLI exits 1."""
    import shutil

    model, gallery = small_gallery
    with Gallery.open(gallery, read_only=True) as g:
        first = g.items([0])[0]
    cmd = [sys.executable, "-m", "deepssh_gui.cli", "export", "--gallery", str(gallery), "--model", str(model),
           "--attributes", "personalMale", "--top", "8", "--out", str(tmp_path / "rep")]
    env = dict(__import__("os").environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "rep.html").read_text()
    # 8 hits: each source, and each crop (a folder crop is its own source), matches its ingest hash
    assert html.count("re-checked at export:</b> <span style=\"color:#007a00\"><b>matches") == 16
    shutil.copy(next(p for p in sorted(gallery.parent.rglob("*.png")) if p != __import__("pathlib").Path(first.source)),
                first.source)  # a forged file under the original name
    cmd.append("--replace")  # the same report again: an existing report is otherwise refused (issue #21)
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 1 and "FILE CHECK FAILED" in r.stderr and "MISMATCH" in r.stderr
    assert "color:#c00000\"><b>MISMATCH" in (tmp_path / "rep.html").read_text()
    r = subprocess.run(cmd + ["--allow-mismatch"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0 and "MISMATCH" in r.stderr
