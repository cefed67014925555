"""Galleries and the search engine on tiny crops with a random-weight model."""

import os
import sqlite3

import numpy as np

import pytest

from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.search.gallery import Gallery, GalleryError
from deepssh_gui.ingest.build import build_from_images
from deepssh_gui.model.layout import hamming
from deepssh_gui.common.errors import DeepSSHError
from deepssh_gui.common.progress import Cancelled


def _build(model_path, crops_dir, out):
    from deepssh_gui.learn.checkpoint import load_model

    m = load_model(model_path)
    with Gallery.create(out, m) as g:
        rep = build_from_images(g, m, str(crops_dir))
    return m, rep


def test_build_search_and_explain(model_with_decoder, crops_dir, tmp_path):
    (crops_dir / "broken.jpg").write_bytes(b"not an image")
    m, rep = _build(model_with_decoder, crops_dir, tmp_path / "g")
    assert rep.added == 8 and len(rep.failed) == 1 and "not an image" in rep.failed[0][1]
    eng = SearchEngine(tmp_path / "g", model_with_decoder)
    try:
        g = eng.gallery
        assert len(g) == 8 and g.codes.shape == (8, 16)
        assert {x.camera for x in g.items(range(8))} == {"c1", "c2"}  # from Market-style names
        # photo search: the probe's own crop comes first at distance 0
        probe = g.items([3])[0].crop
        res = eng.search(SearchRequest(probe_image=probe, top=8))
        assert res.mode == "photo" and res.hits[0].hit.photo_distance == 0
        brute = hamming(g.codes[res.hits[0].hit.index][None], g.codes)[0]
        assert [h.hit.photo_distance for h in res.hits] == sorted(brute.tolist())
        assert res.probe_sha256 and len(res.probe_sha256) == 64
        # attribute search, DeepSSH's masked Hamming ranking, with explanation
        res = eng.search(SearchRequest(attributes="personalMale, not carryingBackpack", top=8, rank="hamming"))
        assert res.mode == "attributes" and len(res.hits) == 8 and res.rank == "hamming"
        assert [h.hit.attribute_distance for h in res.hits] == sorted(h.hit.attribute_distance for h in res.hits)
        for h in res.hits:
            assert [t.term for t in h.hit.explanation] == ["personalMale", "not carryingBackpack"]
            assert sum(t.distance for t in h.hit.explanation) == h.hit.attribute_distance
        # the default ranks by the crops' probability of satisfying the query
        res = eng.search(SearchRequest(attributes="personalMale, not carryingBackpack", top=8))
        assert res.rank == "probability" and g.probability_kind == "uncalibrated"
        probs = [h.hit.query_probability for h in res.hits]
        assert probs == sorted(probs, reverse=True)
        for h in res.hits:
            p_male, p_not_bag = (t.probability for t in h.hit.explanation)
            stored = g.attr_scores([h.hit.index])[0]
            i_male, i_bag = g.schema.index("personalMale"), g.schema.index("carryingBackpack")
            # the byte-quantised logit keeps probabilities to within a few per cent
            assert p_male == pytest.approx(stored[i_male], abs=0.02)
            assert p_not_bag == pytest.approx(1 - stored[i_bag], abs=0.02)
            assert h.hit.query_probability == pytest.approx(p_male * p_not_bag, rel=1e-4)
        # filters: camera
        res = eng.search(SearchRequest(attributes="personalMale", camera="c2", top=8))
        assert {h.meta.camera for h in res.hits} == {"c2"} and res.n_searched == 4
        # hybrid, Hamming ranking
        res = eng.search(SearchRequest(attributes="personalMale", probe_image=probe, top=3, rank="hamming"))
        assert res.mode == "hybrid" and res.hits[0].hit.photo_distance is not None
        for h in res.hits:  # the documented weighting: 0.5 * photo / nbits + 0.5 * attribute / masked bits
            assert h.hit.score == pytest.approx(0.5 * h.hit.photo_distance / 128 + 0.5 * h.hit.attribute_distance / 1)
        scores = [h.hit.score for h in res.hits]
        assert scores == sorted(scores)
        # hybrid, probability ranking: 0.5 * photo / nbits + 0.5 * (-ln P) / (terms * MAX_TERM_NLL)
        from deepssh_gui.model.calibration import MAX_TERM_NLL

        res = eng.search(SearchRequest(attributes="personalMale", probe_image=probe, top=3))
        for h in res.hits:
            expect = 0.5 * h.hit.photo_distance / 128 - 0.5 * np.log(h.hit.query_probability) / MAX_TERM_NLL
            assert h.hit.score == pytest.approx(expect, rel=1e-4)
        scores = [h.hit.score for h in res.hits]
        assert scores == sorted(scores)
    finally:
        eng.close()


def test_resume_skips_done_and_appends(model_with_decoder, crops_dir, tmp_path):
    _build(model_with_decoder, crops_dir, tmp_path / "g")
    from tests.conftest import write_png

    write_png(crops_dir / "c" / "0100_c3s1_000001_01.png", (9, 9, 9))
    m, rep = _build(model_with_decoder, crops_dir, tmp_path / "g")
    assert rep.added == 1 and rep.skipped_done == 8
    with Gallery.open(tmp_path / "g", m) as g:
        g.load()
        assert len(g) == 9 and g.index.ntotal == 9


def test_cancel_keeps_finished_batches(model_with_decoder, crops_dir, tmp_path):
    from deepssh_gui.learn.checkpoint import load_model

    m = load_model(model_with_decoder)
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 1  # let the first batch finish

    with Gallery.create(tmp_path / "g", m) as g:
        with pytest.raises(Cancelled):
            build_from_images(g, m, str(crops_dir), batch_size=3, cancel=cancel)
        assert len(g) == 3
    m2, rep = _build(model_with_decoder, crops_dir, tmp_path / "g")
    assert rep.skipped_done == 3 and rep.added == 5


def test_other_model_is_refused(model_with_decoder, crops_dir, tmp_path):
    import torch

    from deepssh_gui.learn.checkpoint import load_model, save_model

    _build(model_with_decoder, crops_dir, tmp_path / "g")
    m = load_model(model_with_decoder)
    with torch.no_grad():
        m.net.id_hash.bias += 1
    other = tmp_path / "other.pt"
    save_model(other, m.net, m.schema, {}, m.decoder)
    with pytest.raises(GalleryError, match="was built by model m"):
        SearchEngine(tmp_path / "g", other)


def test_full_disk_leaves_gallery_intact(model_with_decoder, crops_dir, tmp_path, monkeypatch):
    import errno

    from deepssh_gui.search import gallery as gal

    _build(model_with_decoder, crops_dir, tmp_path / "g")
    from tests.conftest import write_png

    write_png(crops_dir / "z" / "x.png", (1, 2, 3))
    real = gal.Path.write_bytes

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gal.Path, "write_bytes", full)
    from deepssh_gui.learn.checkpoint import load_model

    m = load_model(model_with_decoder)
    with Gallery.open(tmp_path / "g", m) as g:
        with pytest.raises(GalleryError, match="disk is full"):
            build_from_images(g, m, str(crops_dir))
        assert len(g) == 8
    monkeypatch.setattr(gal.Path, "write_bytes", real)
    assert not list((tmp_path / "g").rglob("*.tmp"))
    m2, rep = _build(model_with_decoder, crops_dir, tmp_path / "g")
    assert rep.added == 1


def test_not_a_gallery_and_version(tmp_path, model_with_decoder, crops_dir):
    with pytest.raises(GalleryError, match="not a DeepSSH gallery"):
        Gallery.open(tmp_path)
    _build(model_with_decoder, crops_dir, tmp_path / "g")
    with sqlite3.connect(tmp_path / "g" / "gallery.sqlite") as c:
        c.execute("UPDATE info SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(GalleryError, match="format version 99"):
        Gallery.open(tmp_path / "g")


def test_stale_index_is_rebuilt(model_with_decoder, crops_dir, tmp_path):
    m, _ = _build(model_with_decoder, crops_dir, tmp_path / "g")
    os.remove(tmp_path / "g" / "index.faiss")
    with Gallery.open(tmp_path / "g", m) as g:
        g.load()
        assert g.index.ntotal == 8
    assert (tmp_path / "g" / "index.faiss").exists()


def test_ivf_gallery_for_large_collections(small_gallery, monkeypatch):
    """Above the threshold the gallery builds an IVF index; search still answers from it."""
    from deepssh_gui.search import gallery as gal
    from deepssh_gui.learn.checkpoint import load_model

    model, path = small_gallery
    monkeypatch.setattr(gal, "IVF_THRESHOLD", 4)
    m = load_model(model)
    with Gallery.open(path, m) as g:
        g.finalize()
        assert not gal.is_flat(g.index) and (path / "codes.npy").exists()
    eng = SearchEngine(path, model)
    try:
        assert not gal.is_flat(eng.gallery.index)
        res = eng.search(SearchRequest(probe_code=eng.gallery.codes[2], top=3))
        assert res.hits and res.hits[0].hit.photo_distance == 0
        assert eng.search(SearchRequest(attributes="personalMale", top=8)).hits
    finally:
        eng.close()


def test_bench_small_runs(tmp_path):
    from deepssh_gui.evaluate.bench import run_bench

    res = run_bench(n=2000, queries=3, with_ivf=True, workdir=str(tmp_path), max_rounds=2)
    assert set(res["latency"]) == {"faiss_flat_1thread", "faiss_flat_all_threads", "photo", "attr_1", "attr_3",
                                   "attr_6", "hybrid_3", "attr_3_hamming", "hybrid_3_hamming"}
    assert 1 <= res["rounds"] <= 2 and len({"p50_ms", "p95_ms", "p99_ms"} & set(res["latency"]["photo"])) == 3
    assert res["photo_p99_over_faiss_p99"] > 0 and res["scan_floor_one_pass"]["p50_ms"] > 0
    assert res["attr_3_p50_over_photo_p50"] > 0 and res["hybrid_3_hamming_p50_over_photo_p50"] > 0
    assert res["load_s"] > 0 and res["raw_code_mb"] > 0
    # 2,000 codes make 11 lists, all probed: the IVF answers exactly like flat search
    assert res["ivf_vs_flat"]["nlist"] <= res["ivf_vs_flat"]["nprobe"]
    assert res["ivf_vs_flat"]["recall_at_20"] == 1.0 and res["ivf_vs_flat_random"]["recall_at_20"] == 1.0
    assert res["ivf_gallery_build"]["flat_s"] > 0 and res["ivf_gallery_build"]["ivf_s"] > 0


def test_real_like_codes_are_noisy_copies_of_their_base():
    from deepssh_gui.evaluate.bench import real_like_codes
    from deepssh_gui.model.layout import hamming

    base = np.random.default_rng(0).integers(0, 256, (50, 32), dtype=np.uint8)
    codes, probes = real_like_codes(base, 1000, 0.06, 20)
    d_own = hamming(base, codes)[np.arange(1000) % 50, np.arange(1000)]
    assert codes.shape == (1000, 32) and probes.shape == (20, 32)
    assert 0.03 * 256 < d_own.mean() < 0.09 * 256  # about 6% of the bits flipped
    assert (hamming(base, probes).min(axis=0) < 40).all()  # each probe is someone in the gallery


def test_every_search_is_audited_and_the_log_is_append_only(small_gallery, crops_dir):
    model, path = small_gallery
    eng = SearchEngine(path, model)
    try:
        probe = str(sorted(crops_dir.rglob("*.png"))[0])
        r1 = eng.search(SearchRequest(attributes="personalMale", top=3, origin="cli"))
        r2 = eng.search(SearchRequest(probe_image=probe, camera="c1", top=2))
        rows = eng.gallery.audit_entries()
        assert [r["id"] for r in rows] == [r1.audit_id, r2.audit_id]
        assert rows[0]["origin"] == "cli" and rows[0]["query"] == "personalMale"
        assert rows[0]["model_hash"] == eng.model.hash and rows[0]["gallery_state"].startswith("8 items")
        assert rows[0]["result_ids"] == str([h.hit.index for h in r1.hits]).replace(" ", "") or \
            __import__("json").loads(rows[0]["result_ids"]) == [h.hit.index for h in r1.hits]
        assert rows[1]["probe_sha256"] == r2.probe_sha256 and '"camera": "c1"' in rows[1]["filters"]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            with eng.gallery.conn:
                eng.gallery.conn.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            with eng.gallery.conn:
                eng.gallery.conn.execute("UPDATE audit SET query = 'x'")
        assert len(eng.gallery.audit_entries()) == 2
    finally:
        eng.close()


def test_read_only_gallery_searches_with_a_warning(small_gallery):
    import stat

    model, path = small_gallery
    files = [p for p in path.rglob("*")] + [path]
    modes = {p: p.stat().st_mode for p in files}
    try:
        for p in files:
            p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        # root can write read-only files; then the engine is told, as the GUI does for a read-only share
        as_root = os.access(path / "gallery.sqlite", os.W_OK)
        eng = SearchEngine(path, model, read_only=as_root)
        try:
            assert eng.gallery.read_only
            res = eng.search(SearchRequest(attributes="personalMale", top=3))
            assert res.hits and "audit log" in res.notes[0] and "read-only" in res.notes[0]
            # the record is in the user's own hash-chained log, named in the note
            import json

            from deepssh_gui.search import audit

            log = audit.user_log_path(eng.gallery.info)
            assert str(log) in res.notes[0]
            (entry,) = [json.loads(x) for x in log.read_text().splitlines()]
            assert entry["query"] == "personalMale" and entry["row_hash"] == audit.row_hash(entry["prev_hash"], entry)
        finally:
            eng.close()
    finally:
        for p, m in modes.items():
            p.chmod(m)


def test_attribute_search_never_loads_the_network(small_gallery):
    """Opening a gallery and an attribute-only search import neither onnxruntime nor torch."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    model_path, gallery = small_gallery
    code = ("import sys\n"
            "from deepssh_gui.search.engine import SearchEngine, SearchRequest\n"
            f"eng = SearchEngine({str(gallery)!r}, {str(model_path)!r})\n"
            "res = eng.search(SearchRequest(attributes='personalMale', top=3))\n"
            "print(len(res.hits), 'onnxruntime' in sys.modules, 'torch' in sys.modules)\n"
            "eng.encode_probe(" + repr(str(next(iter(sorted(gallery.parent.glob('crops/a/*.png')))))) + ")\n"
            "print('onnxruntime' in sys.modules, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "False", "False", "True", "False"]  # a photo loads ONNX, never torch


def test_gallery_without_probabilities_ranks_by_hamming_and_says_so(small_gallery):
    """Galleries built before probabilities were kept still work, by masked Hamming distance."""
    model_path, gallery = small_gallery
    conn = sqlite3.connect(gallery / "gallery.sqlite")
    with conn:
        conn.execute("DELETE FROM info WHERE key = 'attr_scores'")
    conn.close()
    eng = SearchEngine(gallery, model_path)
    try:
        assert eng.gallery.probability_kind == "bits" and eng.gallery.attr_logits is None
        res = eng.search(SearchRequest(attributes="personalMale", top=4))
        assert res.rank == "hamming" and any("masked Hamming" in n for n in res.notes)
        assert all(h.hit.query_probability is None for h in res.hits)
        with pytest.raises(DeepSSHError, match="before attribute probabilities"):
            eng.search(SearchRequest(attributes="personalMale", rank="probability"))
    finally:
        eng.close()


def test_probability_ties_are_real_ties_and_filtered_search_matches(small_gallery):
    model_path, gallery = small_gallery
    eng = SearchEngine(gallery, model_path)
    try:
        full = eng.search(SearchRequest(attributes="personalMale, carryingBackpack|carryingOther", top=8))
        nll = [-np.log(h.hit.query_probability) for h in full.hits]
        assert nll == sorted(nll)
        # the same query restricted to a camera ranks those items in the same relative order
        cam = eng.search(SearchRequest(attributes="personalMale, carryingBackpack|carryingOther", camera="c1", top=8))
        order = [h.hit.index for h in full.hits if h.meta.camera == "c1"]
        assert [h.hit.index for h in cam.hits] == order
        q = eng.gallery.attr_logits
        assert q.dtype == np.uint8 and q.shape == (len(eng.schema), len(eng.gallery))
    finally:
        eng.close()


def test_reencode_adds_probabilities_and_resumes_after_cancel(small_gallery):
    from deepssh_gui.ingest.build import reencode_probabilities
    from deepssh_gui.model.modelfile import load_model_file

    model_path, gallery = small_gallery
    m = load_model_file(model_path)
    with Gallery.open(gallery, m) as g:
        want = g.attr_scores(range(len(g)))
        with g.conn:
            g.conn.execute("DELETE FROM info WHERE key = 'attr_scores'")
            g.conn.execute("UPDATE items SET attr_scores = ?", (np.zeros(len(g.schema), np.float32).tobytes(),))
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 1  # the first batch goes through, then the user cancels

    with Gallery.open(gallery, m) as g:
        assert not g.has_probabilities
        with pytest.raises(Cancelled):
            reencode_probabilities(g, m, batch_size=3, cancel=cancel)
    with Gallery.open(gallery, m) as g:
        assert not g.has_probabilities  # unfinished: still ranked by Hamming
        assert reencode_probabilities(g, m, batch_size=3) == len(g) - 3  # resumed after the first batch
        assert g.has_probabilities and g.probability_kind == "uncalibrated"
        np.testing.assert_allclose(g.attr_scores(range(len(g))), want, atol=1e-6)
        assert g.attr_logits.shape == (len(g.schema), len(g))


def test_a_search_whose_audit_row_cannot_be_written_fails(small_gallery, monkeypatch):
    """Another process holds the database locked past the busy timeout: no unaudited results."""
    from deepssh_gui.search import gallery as gal

    monkeypatch.setattr(gal, "BUSY_TIMEOUT_S", 0.2)
    model, path = small_gallery
    eng = SearchEngine(path, model)
    blocker = sqlite3.connect(path / "gallery.sqlite")
    try:
        blocker.execute("BEGIN IMMEDIATE")  # a writer: reading goes on, appending waits
        with pytest.raises(DeepSSHError, match="audit record could not be written"):
            eng.search(SearchRequest(attributes="personalMale", top=3))
        blocker.rollback()
        blocker.execute("BEGIN EXCLUSIVE")  # write-ahead logging: readers go on, the audit row still waits
        with pytest.raises(DeepSSHError, match="audit record could not be written"):
            eng.search(SearchRequest(attributes="personalMale", top=3))
        blocker.rollback()
        assert eng.search(SearchRequest(attributes="personalMale", top=3)).audit_id is not None

        def locked(*a):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(eng.gallery, "filter_ids", locked)  # a read that fails: a clear error, never a raw one
        with pytest.raises(DeepSSHError, match="could not be read"):
            eng.search(SearchRequest(attributes="personalMale", top=3))
    finally:
        blocker.close()
        eng.close()


def test_writable_galleries_log_ahead_and_sync_every_commit(small_gallery):
    _, path = small_gallery
    with Gallery.open(path) as g:
        assert g.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert g.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: an audit row is on disk on return
        g.append_audit("test", "photo", "", None, "{}", g.info["model_hash"], [1])
        # audit rows are committed on their own connection: it must sync as well
        assert g._audit_conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_an_append_started_on_the_audit_thread_is_on_disk_once_the_gallery_closes(small_gallery):
    _, path = small_gallery
    with Gallery.open(path) as g:
        pending = [g.append_audit_async("test", "photo", f"q{i}", None, "{}", g.info["model_hash"], [i])
                   for i in range(5)]
    with Gallery.open(path, read_only=True) as g:
        rows = g.audit_entries()
        assert [r["query"] for r in rows] == [f"q{i}" for i in range(5)]
        assert [p.result() for p in pending] == [r["id"] for r in rows]
        assert g.verify_audit().ok


def test_a_logged_ahead_gallery_opens_read_only_without_its_shared_memory_file(small_gallery, monkeypatch):
    _, path = small_gallery
    with Gallery.open(path) as g:
        g.append_audit("test", "photo", "", None, "{}", g.info["model_hash"], [1])
    real_connect = sqlite3.connect

    def no_shm(database, *a, **kw):  # what a write-protected copy does: the -shm file cannot be made
        if "immutable=1" not in database:
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(database, *a, **kw)

    monkeypatch.setattr(sqlite3, "connect", no_shm)
    with Gallery.open(path, read_only=True) as g:
        assert len(g) == 8 and len(g.audit_entries()) == 1


def test_several_probes_rank_by_the_nearest_and_rejected_items_are_left_out(small_gallery):
    from deepssh_gui.model.layout import hamming

    model, path = small_gallery
    eng = SearchEngine(path, model)
    try:
        codes = eng.gallery.codes.copy()
        res = eng.search(SearchRequest(probe_codes=codes[[1, 6]], exclude_ids=(3,), top=8))
        want = np.minimum(hamming(codes[1:2], codes)[0], hamming(codes[6:7], codes)[0])
        got = {rh.hit.index: rh.hit.photo_distance for rh in res.hits}
        assert 3 not in got and len(got) == 7
        assert all(got[i] == want[i] for i in got)
        assert got[1] == 0 and got[6] == 0  # both probes' own items at distance 0
        assert [rh.hit.photo_distance for rh in res.hits] == sorted(got.values())
        row = eng.gallery.audit_entries()[-1]
        assert row["probe_sha256"].startswith("codes:") and '"exclude": [3]' in row["filters"]
        assert eng.record_mark(6, "confirmed") == row["id"] + 1
        mark = eng.gallery.audit_entries()[-1]
        assert (mark["mode"], mark["query"], mark["result_ids"]) == ("mark", "confirmed", "[6]")
        with pytest.raises(DeepSSHError, match="unknown mark"):
            eng.record_mark(6, "maybe")
    finally:
        eng.close()
