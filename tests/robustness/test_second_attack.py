"""Attacks of issue #21 that used to pass silently; each now fails loudly with a clear message."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from deepssh_gui.common.errors import DeepSSHError, ImageError
from deepssh_gui.common.imageio import read_rgb
from deepssh_gui.search.engine import SearchRequest
from deepssh_gui.search.evidence import verify_report
from tests.conftest import ROOT


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture()
def report(small_gallery, tmp_path):
    model, gallery = small_gallery
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--ranks", "1,2", "--case-id", "A", "--out", str(tmp_path / "rep" / "report"))
    assert r.returncode == 0, r.stderr
    return tmp_path / "rep" / "report"


def _rewrite_manifest(prefix, drop=None):
    from deepssh_gui.search.gallery import sha256_file

    base = prefix.parent
    lines = []
    for f in sorted(base.rglob("*")):
        rel = f.relative_to(base).as_posix()
        if f.is_file() and not rel.endswith(".sha256") and rel != drop:
            lines.append(f"{sha256_file(f)}  {rel}\n")
    (base / "report.sha256").write_text("".join(lines))


def _failed(lines):
    return [(v.path, v.status) for v in lines if not v.ok]


def test_swapped_crop_with_the_html_line_dropped_from_the_manifest_fails(report):
    crops = sorted((report.parent / "report.crops").iterdir())
    crops[0].write_bytes(crops[1].read_bytes())
    _rewrite_manifest(report, drop="report.html")
    bad = _failed(verify_report(report))
    assert ("report.html", "NOT IN MANIFEST") in bad


def test_footage_hash_rewritten_or_sources_manifest_deleted_fails(report):
    sources = report.parent / "report.sources.sha256"
    sha, name = sources.read_text().split(maxsplit=1)
    sources.write_text(f"{'0' * 64}  {name}")
    assert any(status == "NOT IN REPORT" for _, status in _failed(verify_report(report)))
    sources.unlink()
    assert ("report.sources.sha256", "MISSING") in _failed(verify_report(report))


def test_verify_takes_the_folder_of_one_report_and_names_a_non_utf8_manifest(report):
    assert all(v.ok for v in verify_report(report.parent))
    (report.parent / "report.sha256").write_bytes(b"\xff\xfe garbage \x80\n")
    r = _cli("verify", str(report.parent))
    assert r.returncode == 2 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr


def test_exporting_into_another_reports_place_is_refused(report, small_gallery):
    model, gallery = small_gallery
    before = (report.parent / "report.html").read_bytes()
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--ranks", "3", "--case-id", "B", "--out", str(report))
    assert r.returncode == 2 and "already exists" in r.stderr
    assert (report.parent / "report.html").read_bytes() == before
    old_crops = {p.name for p in (report.parent / "report.crops").iterdir()}
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--ranks", "3", "--case-id", "B", "--out", str(report), "--replace")
    assert r.returncode == 0, r.stderr
    new_crops = {p.name for p in (report.parent / "report.crops").iterdir()}
    assert len(new_crops) == 1 and not new_crops & old_crops  # case A's crops do not stay behind, unlisted
    assert all(v.ok for v in verify_report(report))


@pytest.mark.parametrize("alpha", ["nan", "inf", "-1", "1.5"])
def test_alpha_outside_0_1_is_refused(small_gallery, alpha):
    model, gallery = small_gallery
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--alpha", alpha)
    assert r.returncode == 2 and "--alpha" in r.stderr
    with pytest.raises(DeepSSHError, match="from 0 to 1"):
        SearchRequest(attributes="personalMale", alpha=float(alpha))


def test_deep_images_are_scaled_not_read_as_white_or_black(tmp_path):
    g16 = np.full((64, 32), 30000, dtype=np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    assert abs(int(read_rgb(tmp_path / "g16.png")[0, 0, 0]) - round(30000 / 257)) <= 1
    f = np.full((64, 32), 0.5, dtype=np.float32)
    Image.fromarray(f).save(tmp_path / "f.tif")
    assert int(read_rgb(tmp_path / "f.tif")[0, 0, 0]) in (127, 128)
    Image.fromarray(np.full((64, 32), 1e6, dtype=np.float32)).save(tmp_path / "big.tif")
    with pytest.raises(ImageError, match="no safe scale"):
        read_rgb(tmp_path / "big.tif")


def test_tied_hits_keep_their_shared_rank_in_the_report(small_gallery, tmp_path):
    model, gallery = small_gallery
    # the tiny model gives several crops the same probability: the first hits tie
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale", "--json")
    hits = json.loads(r.stdout)["hits"]
    tied = [h for h in hits if h["tied"]]
    if len(tied) < 2:
        pytest.skip("no tie among this fixture's hits")
    ranks = ",".join(str(h["rank"]) for h in tied[:2])
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--ranks", ranks, "--out", str(tmp_path / "t" / "report"))
    html = (tmp_path / "t" / "report.html").read_text()
    label = tied[0]["rank_label"]
    assert html.count(f"<b>#{label}</b>") == 2


def _writable_gallery_with_searches(small_gallery, n=4):
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    eng = SearchEngine(gallery, model)
    for _ in range(n):
        eng.search(SearchRequest(attributes="personalMale"))
    eng.close()
    return model, gallery


def test_truncation_behind_dropped_and_recreated_triggers_is_visible(small_gallery):
    import sqlite3

    from deepssh_gui.search.engine import SearchEngine
    from deepssh_gui.search.gallery import Gallery

    model, gallery = _writable_gallery_with_searches(small_gallery)
    db = sqlite3.connect(gallery / "gallery.sqlite")
    sql = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE id > (SELECT MAX(id) - 2 FROM audit)")
    db.execute(sql["audit_no_delete"])
    db.commit()
    db.close()
    with Gallery.open(gallery, read_only=True) as g:
        check = g.verify_audit()
    assert not check.ok and any("truncated" in p for p in check.problems)
    r = _cli("audit", "--gallery", str(gallery), "--verify")
    assert r.returncode == 1 and "truncated" in r.stdout
    eng = SearchEngine(gallery, model)  # a new search must not paper over it with a fresh record
    try:
        with pytest.raises(DeepSSHError, match="truncated or rewritten"):
            eng.search(SearchRequest(attributes="personalMale"))
    finally:
        eng.close()


def test_same_named_triggers_that_do_nothing_are_caught(small_gallery):
    import sqlite3

    from deepssh_gui.search.gallery import Gallery

    model, gallery = _writable_gallery_with_searches(small_gallery, 1)
    db = sqlite3.connect(gallery / "gallery.sqlite")
    for t in ("audit_no_update", "audit_no_delete"):
        db.execute(f"DROP TRIGGER {t}")
        db.execute(f"CREATE TRIGGER {t} BEFORE {'UPDATE' if 'update' in t else 'DELETE'} ON audit "
                   f"BEGIN SELECT 1; END")
    db.commit()
    db.close()
    with Gallery.open(gallery, read_only=True) as g:
        check = g.verify_audit()
    assert any("do not refuse edits" in p for p in check.problems)


def test_a_damaged_user_log_is_named_not_a_traceback(small_gallery, tmp_path, monkeypatch):
    from deepssh_gui.search import audit
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    eng = SearchEngine(gallery, model, read_only=True)
    try:
        eng.search(SearchRequest(attributes="personalMale"))
        log = audit.user_log_path(eng.gallery.info)
        with open(log, "a") as f:
            f.write("{not json\n")
        with pytest.raises(DeepSSHError, match="damaged at line 2"):
            eng.search(SearchRequest(attributes="personalMale"))
    finally:
        eng.close()


def test_swapped_copied_or_overlapping_shards_are_refused(small_gallery, tmp_path):
    import shutil

    from deepssh_gui.scale.engine import ShardedEngine
    from deepssh_gui.scale.manifest import MANIFEST_NAME
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.scale.split import shard_gallery

    model, gallery = small_gallery
    shard_gallery(gallery, 2, tmp_path / "s", load_model(model))
    ok = ShardedEngine(tmp_path / "s", model)
    ok.search(SearchRequest(attributes="personalMale"))
    ok.close()
    # a shard folder replaced by a copy of the other: same item count, other people
    for name in ("shard-0000", "shard-0001"):
        shutil.copytree(tmp_path / "s", tmp_path / f"copy-{name}")
    shutil.rmtree(tmp_path / "copy-shard-0000" / "shard-0001")
    shutil.copytree(tmp_path / "copy-shard-0000" / "shard-0000", tmp_path / "copy-shard-0000" / "shard-0001")
    eng = ShardedEngine(tmp_path / "copy-shard-0000", model)
    try:
        with pytest.raises(DeepSSHError, match="not the gallery the manifest recorded"):
            eng.search(SearchRequest(attributes="personalMale"))
    finally:
        eng.close()
    # overlapping id ranges in the manifest
    m = json.loads((tmp_path / "s" / MANIFEST_NAME).read_text())
    m["shards"][1]["first_id"] -= 1
    (tmp_path / "copy-shard-0001" / MANIFEST_NAME).write_text(json.dumps(m))
    with pytest.raises(DeepSSHError, match="ids would repeat or skip"):
        ShardedEngine(tmp_path / "copy-shard-0001", model)


def test_a_model_file_with_another_decoder_is_refused_for_the_gallery(small_gallery, tmp_path):
    import numpy as np

    from deepssh_gui.learn.checkpoint import load_model, resave
    from deepssh_gui.model.decoder import Decoder
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    m = load_model(model)
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (64, m.config.nbits // 8), dtype=np.uint8)
    labels = (rng.random((64, len(m.schema))) < 0.5).astype(np.int8)
    before = m.hash
    assert resave(m, decoder=Decoder.fit(codes, labels, m.config.layout)) == before  # same hash, other bit meanings
    with pytest.raises(DeepSSHError, match="another decoder or calibration"):
        SearchEngine(gallery, model)


def test_an_item_pointed_at_a_sibling_file_of_the_footage_is_refused(tmp_path, model_with_decoder):
    """The recorded root of footage beside the gallery is its folder ("..", say); an item edited
    to point at any other file there used to be accepted as evidence."""
    import shutil
    import sqlite3

    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery

    shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "vtest.avi")
    (tmp_path / "private.jpg").write_bytes(b"not evidence")
    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(tmp_path / "vtest.avi"))
    db = sqlite3.connect(tmp_path / "g" / "gallery.sqlite")
    db.execute("UPDATE items SET source = '../private.jpg' WHERE id = 0")
    db.commit()
    db.close()
    with pytest.raises(DeepSSHError, match="never ingested"):
        Gallery.open(tmp_path / "g", read_only=True)


def test_a_deleted_item_row_is_named_not_a_traceback(small_gallery):
    import sqlite3

    model, gallery = small_gallery
    db = sqlite3.connect(gallery / "gallery.sqlite")
    db.execute("DELETE FROM items WHERE id = 3")
    db.commit()
    db.close()
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale", "--top", "8")
    assert r.returncode == 2 and "no row for item 3" in r.stderr and "Traceback" not in r.stderr


def test_video_crops_are_hashed_at_ingest_and_a_swapped_or_linked_crop_is_flagged(tmp_path, model_with_decoder):
    import os
    import shutil

    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.evidence import check_files
    from deepssh_gui.search.gallery import Gallery, sha256_file

    shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "vtest.avi")
    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(tmp_path / "vtest.avi"))
        metas = g.items([0, 1, 2])
        recorded = g.crop_hashes([0, 1, 2])
    assert all(recorded[x.id] == sha256_file(x.crop) for x in metas)
    assert [c.status for _, c in check_files(metas, recorded).values()] == ["matches"] * 3
    shutil.copy(metas[1].crop, metas[0].crop)  # a crop swapped for another person's
    os.remove(metas[2].crop)
    os.symlink(metas[1].crop, metas[2].crop)  # a crop replaced by a link to another file
    got = check_files(metas, recorded)
    assert got[0][1].status == "MISMATCH" and got[2][1].status == "SYMBOLIC LINK"
    assert not got[0][1].ok and not got[2][1].ok


def test_a_session_with_hand_added_marks_or_a_replaced_probe_restores_neither(qtbot, small_gallery, tmp_path):
    import shutil

    from tests.unit.ui.test_main_window import _open_window

    model, gallery = small_gallery
    probe = tmp_path / "probe.png"
    shutil.copy(sorted(gallery.parent.rglob("*.png"))[0], probe)
    win = _open_window(qtbot, model, gallery)
    try:
        win.probe.set_probe(str(probe))
        win.save_session(str(tmp_path / "s.json"))
        s = json.loads((tmp_path / "s.json").read_text())
        s["marks"] = {"2": "confirmed"}  # never confirmed: not in the audit log
        (tmp_path / "s.json").write_text(json.dumps(s))
        shutil.copy(sorted(gallery.parent.rglob("*.png"))[1], probe)  # another photo under the same name
        win.probe.clear()
        win.open_session(str(tmp_path / "s.json"))
        assert win.results.marks == {} and win.probe.path is None
        assert "audit log does not hold" in win.last_error and "SHA-256 differs" in win.last_error
    finally:
        win.close()


def test_another_reports_pdf_is_refused(report, small_gallery, tmp_path):
    model, gallery = small_gallery
    other = tmp_path / "other" / "report"
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
             "--ranks", "3", "--case-id", "B", "--out", str(other))
    assert r.returncode == 0, r.stderr
    assert all(v.ok for v in verify_report(report))
    (report.parent / "report.pdf").write_bytes((other.parent / "report.pdf").read_bytes())
    _rewrite_manifest(report)
    assert ("report.pdf", "NOT THIS REPORT'S PDF") in _failed(verify_report(report))


def test_another_network_listing_the_gallery_hash_in_previous_hashes_is_refused(small_gallery, tmp_path):
    import torch

    from deepssh_gui.learn.checkpoint import load_model, save_model
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery, GalleryError

    model_path, gallery = small_gallery
    m = load_model(model_path)
    with torch.no_grad():  # other weights
        next(m.net.parameters()).add_(0.5)
    forged = tmp_path / "forged.pt"
    save_model(forged, m.net, m.schema, {"previous_hashes": [load_model_file(model_path).hash]}, m.decoder,
               calibration=m.calibration)
    with pytest.raises(GalleryError, match="was built by model"):
        Gallery.open(gallery, load_model_file(forged))
    r = _cli("search", "--gallery", str(gallery), "--model", str(forged), "--attributes", "personalMale")
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_an_upgraded_file_of_the_same_weights_still_opens_its_galleries(tmp_path, small_gallery):
    import torch

    from deepssh_gui.learn.checkpoint import upgrade_with_onnx
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery

    model_path, _ = small_gallery
    old = tmp_path / "old.pt"  # a file from before ONNX export: the same weights, no graph
    obj = torch.load(model_path, weights_only=True)
    obj.pop("onnx")
    torch.save(obj, old)
    old_model = load_model_file(old)
    with Gallery.create(tmp_path / "g", old_model):
        pass
    upgrade_with_onnx(old)
    up = load_model_file(old)
    assert up.hash != old_model.hash and up.meta["previous_hashes"] == [old_model.hash]
    Gallery.open(tmp_path / "g", up).close()


def test_a_search_on_a_full_disk_rebuilds_its_index_in_memory_and_says_so(small_gallery, monkeypatch):
    import errno

    import faiss

    from deepssh_gui.common import atomic
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    (gallery / "index.faiss").unlink()  # must be rebuilt, on a disk with no room for it
    (gallery / "attr_logits.npy").unlink()

    def full(*a, **k):
        raise RuntimeError("Error in faiss::FileIOWriter: No space left on device")

    def full_os(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(faiss, "write_index_binary", full)
    monkeypatch.setattr(atomic, "atomic_write_with", full_os)
    eng = SearchEngine(gallery, model)
    try:
        res = eng.search(SearchRequest(attributes="personalMale", top=3))
        assert len(res.hits) == 3
        assert any("could not be saved" in n and "in memory" in n for n in res.notes)
    finally:
        eng.close()


def test_an_export_onto_a_full_disk_is_one_clear_line(small_gallery, monkeypatch, tmp_path, capsys):
    import errno
    import os

    from deepssh_gui import cli

    model, gallery = small_gallery

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)  # every atomic write syncs before its rename
    rc = cli.main(["export", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale",
                   "--ranks", "1", "--case-id", "A", "--out", str(tmp_path / "out" / "report")])
    err = capsys.readouterr().err
    assert rc == 2 and "the disk is full" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "report.html").exists()  # nothing half-written


def test_shards_carry_the_crop_hashes_recorded_at_ingest(tmp_path, model_with_decoder):
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.scale.manifest import read_manifest
    from deepssh_gui.scale.split import shard_gallery
    from deepssh_gui.search.gallery import Gallery
    from tests.unit.ingest.test_video import _make_clip

    clip = _make_clip(tmp_path / "clip.avi")
    m = load_model_file(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(clip))
        want = g.crop_hashes(range(len(g)))
    assert want
    shard_gallery(tmp_path / "g", 2, tmp_path / "s", m)
    got = {}
    for s in read_manifest(tmp_path / "s").shards:
        with Gallery.open(tmp_path / "s" / s.name, m) as sg:
            got.update({s.first_id + i: h for i, h in sg.crop_hashes(range(len(sg))).items()})
    assert got == want
