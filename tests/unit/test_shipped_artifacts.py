"""What ships works together: the model, the demo gallery, the demo crops, the CLI commands."""

import json
import subprocess
import sys

from deepssh_gui.common.paths import default_model_path
from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.common.paths import DEMO_CROPS, DEMO_GALLERY
from tests.conftest import PETA_ROOT, ROOT, need


def test_demo_gallery_opens_with_the_shipped_model_and_finds_people():
    eng = SearchEngine(DEMO_GALLERY, default_model_path(), read_only=True)  # never write audit rows into the repo
    try:
        assert len(eng.gallery) >= 60
        assert eng.gallery.sources()[0]["status"] == "done"
        assert eng.gallery.probability_kind == "calibrated"  # the shipped gallery ranks by probability
        res = eng.search(SearchRequest(attributes="carryingBackpack, lowerBody:dark", top=20))
        assert len(res.hits) == 20 and res.rank == "probability"
        p = [h.hit.query_probability for h in res.hits]
        assert p == sorted(p, reverse=True) and p[0] > 0.5
        ham = eng.search(SearchRequest(attributes="carryingBackpack, lowerBody:dark", top=20, rank="hamming"))
        d = [h.hit.attribute_distance for h in ham.hits]
        assert d == sorted(d)
        # a crop from the gallery as probe: its own track ranks first
        first = res.hits[0]
        again = eng.search(SearchRequest(probe_code=first.code, top=3))
        assert again.hits[0].hit.photo_distance == 0
        assert again.hits[0].meta.track == first.meta.track
        # a HOG crop from another frame of the clip finds the same person among the top hits
        probe = DEMO_CROPS / "vtest_f0020_d1.jpg"
        res = eng.search(SearchRequest(probe_image=str(probe), top=5))
        assert {h.meta.track for h in res.hits} & {1, 5, 21}  # the tracks of the man in the red-and-navy jacket
    finally:
        eng.close()


def test_cli_search_json_on_demo_gallery(tmp_path):
    import shutil

    g = tmp_path / "demo"
    shutil.copytree(DEMO_GALLERY, g)
    shutil.copy(DEMO_GALLERY.parent / "vtest.avi", tmp_path / "vtest.avi")  # the gallery refers to ../vtest.avi
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(g), "--attributes",
                        "carryingBackpack, lowerBody:dark", "--top", "5", "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["mode"] == "attributes" and len(out["hits"]) == 5 and out["audit_id"] == 1
    h = out["hits"][0]
    assert {t["term"] for t in h["explanation"]} == {"carryingBackpack", "lowerBody:dark"}
    assert h["source"].endswith("vtest.avi") and len(h["source_sha256"]) == 64 and h["frame"] is not None
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "audit", "--gallery", str(g)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.count("\n") == 2 and "carryingBackpack" in r.stdout


def test_cli_evaluate_on_a_real_subset(tmp_path):
    need(PETA_ROOT)
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "evaluate", "--root", str(PETA_ROOT),
                        "--subsets", "SARC3D", "--split", "all", "--out", str(out), "--plots", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    rep = json.loads(out.read_text())
    assert rep["n_images"] == 200 and set(rep["retrieval"]) == {"binary_hamming", "float_cosine", "imagenet_lsh",
                                                                 "hsv_histogram"}
    assert rep["retrieval"]["binary_hamming"]["mAP"] > rep["retrieval"]["imagenet_lsh"]["mAP"]
    assert (tmp_path / "cmc.png").exists() and (tmp_path / "semantic_rank.png").exists()


def test_cli_export_writes_html_and_pdf(tmp_path):
    import shutil

    g = tmp_path / "demo"
    shutil.copytree(DEMO_GALLERY, g)
    shutil.copy(DEMO_GALLERY.parent / "vtest.avi", tmp_path / "vtest.avi")
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "export", "--gallery", str(g), "--attributes",
                        "carryingBackpack", "--ranks", "1,2", "--out", str(tmp_path / "rep")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "rep.html").read_text()
    assert html.count("<b>Source:</b>") == 2 and "carryingBackpack" in html and "audit entry\n1" in html
    from deepssh_gui.search.gallery import Gallery

    with Gallery.open(g, read_only=True) as gal:
        head = gal.audit_head()
    assert head and f"<code>{head}</code>" in html  # the chain head at export time
    assert (tmp_path / "rep.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_demo_gallery_ships_in_rollback_journal_mode():
    """Read-only opens of a write-ahead-logged database leave -wal/-shm files in the folder."""
    import sqlite3

    conn = sqlite3.connect(f"file:{DEMO_GALLERY / 'gallery.sqlite'}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
    assert not list(DEMO_GALLERY.glob("gallery.sqlite-*"))
