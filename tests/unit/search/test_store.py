"""The gallery store's rows (search/store/): compact probabilities, older rows still read."""

import sqlite3

import numpy as np
import pytest

from deepssh_gui.model.calibration import byte_probabilities, logit_columns, probability_bytes, scores_from_blobs
from deepssh_gui.search.gallery import Gallery, GalleryError


def test_probability_bytes_round_trip_to_the_same_byte():
    q = np.arange(256, dtype=np.uint8)[None]
    assert (probability_bytes(byte_probabilities(q)) == q).all()
    p = np.random.default_rng(0).random((50, 7)).astype(np.float32)
    assert (probability_bytes(p).T == logit_columns(p)).all()  # the row form is the column file's bytes


def test_scores_from_blobs_reads_both_row_forms_and_refuses_others():
    p = np.array([[0.1, 0.9, 0.5]], np.float32)
    new, old = probability_bytes(p)[0].tobytes(), p[0].tobytes()
    got = scores_from_blobs([new, old], 3)
    np.testing.assert_allclose(got[0], p[0], atol=0.02)  # one byte per logit: a few per cent at most
    assert (got[1] == p[0]).all()
    with pytest.raises(ValueError, match="5 bytes"):
        scores_from_blobs([b"12345"], 3)


def test_new_rows_hold_one_byte_per_attribute(small_gallery):
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    with Gallery.open(path, load_model_file(model_path)) as g:
        a = g.layout.n_attrs
        widths = {r[0] for r in g.conn.execute("SELECT length(attr_scores) FROM items")}
        assert widths == {a}
        probs = g.attr_scores(range(len(g)))
        assert probs.dtype == np.float32 and probs.shape == (len(g), a)
        # the column file holds the same bytes as the rows
        rows = np.stack([np.frombuffer(r[0], np.uint8) for r in g.conn.execute(
            "SELECT attr_scores FROM items ORDER BY id")])
        assert (g.attr_logits == rows.T).all()


def test_a_gallery_with_float_rows_from_before_still_reads_and_ranks(small_gallery):
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    m = load_model_file(model_path)
    with Gallery.open(path, m) as g:
        want = g.attr_scores(range(len(g)))
    conn = sqlite3.connect(path / "gallery.sqlite")
    with conn:  # rows 0-3 rewritten as an older version stored them (float32), the rest left compact
        conn.executemany("UPDATE items SET attr_scores = ? WHERE id = ?",
                         [(want[i].astype(np.float32).tobytes(), i) for i in range(4)])
    conn.close()
    (path / "attr_logits.npy").unlink()
    with Gallery.open(path, m) as g:
        np.testing.assert_array_equal(g.attr_scores(range(len(g))), want)
        assert (g.attr_logits == probability_bytes(want).T).all()


def test_a_probability_row_of_the_wrong_length_is_a_clear_error(small_gallery):
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    conn = sqlite3.connect(path / "gallery.sqlite")
    with conn:
        conn.execute("UPDATE items SET attr_scores = ? WHERE id = 2", (b"\x00" * 7,))
    conn.close()
    with Gallery.open(path, load_model_file(model_path)) as g:
        with pytest.raises(GalleryError, match="7 bytes"):
            g.attr_scores([2])


def as_older_format(path, version: str) -> None:
    """Rewrite a gallery's items into the one table that format versions 1 and 2 had."""
    from deepssh_gui.search.store.tables import ITEMS_TABLE_SQL

    conn = sqlite3.connect(path / "gallery.sqlite")
    with conn:
        conn.executescript("CREATE TABLE old_items AS SELECT * FROM items; DROP VIEW items; DROP TABLE item_rows; "
                           "DROP TABLE item_sources;" + ITEMS_TABLE_SQL +
                           "INSERT INTO items SELECT * FROM old_items; DROP TABLE old_items;")
        conn.execute("UPDATE info SET value = ? WHERE key = 'format_version'", (version,))
    conn.close()


def _one_more_item(g):
    from deepssh_gui.search.gallery import NewItem

    one = g.items([0])[0]
    return NewItem(crop=g.rel(one.crop), source=g.rel(one.source), source_sha256=one.source_sha256,
                   code=g.codes_of([0])[0], attr_scores=g.attr_scores([0])[0], camera=one.camera)


def test_a_version_1_gallery_opens_and_becomes_version_2_with_its_first_compact_row(small_gallery):
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    m = load_model_file(model_path)
    as_older_format(path, "1")
    with Gallery.open(path, m) as g:
        assert g.info["format_version"] == "1" and len(g.attr_scores([0])) == 1
        with g.writer():
            g.add_batch([_one_more_item(g)], [])
    with Gallery.open(path, m) as g:
        assert g.info["format_version"] == "2" and len(g) == 9
        assert g.conn.execute("SELECT type FROM sqlite_master WHERE name = 'items'").fetchone()[0] == "table"


def test_new_galleries_name_each_source_once_and_read_as_before(small_gallery):
    """Version 3: items hold a source id; the items view gives every reader the older columns."""
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    m = load_model_file(model_path)
    with Gallery.open(path, m) as g:
        assert g.info["format_version"] == "3"
        before = g.items(range(len(g)))
        n_sources = g.conn.execute("SELECT COUNT(*) FROM item_sources").fetchone()[0]
        assert n_sources == len({(it.source, it.source_sha256, it.camera) for it in before})
        # a folder gallery's crop is its own source: the path is not stored a second time
        own = g.conn.execute("SELECT COUNT(*) FROM item_rows WHERE crop IS NULL").fetchone()[0]
        assert own == sum(it.crop == it.source for it in before) > 0
        # thumbnails named by their id are stored as 1 and read back as that name
        derived = g.conn.execute("SELECT COUNT(*) FROM item_rows WHERE thumb = 1").fetchone()[0]
        assert derived == sum(it.thumb is not None and it.thumb.endswith(f"{it.id:08d}.jpg") for it in before) > 0
        with g.writer():
            g.add_batch([_one_more_item(g)], [])
        assert g.conn.execute("SELECT COUNT(*) FROM item_sources").fetchone()[0] == n_sources  # no new source
    as_older_format(path, "2")  # the same rows in the older layout read the same
    with Gallery.open(path, m) as g:
        assert g.items(range(len(g)))[:len(before)] == before


def test_an_item_whose_source_row_is_gone_is_refused_not_replaced(small_gallery):
    from deepssh_gui.model.modelfile import load_model_file

    model_path, path = small_gallery
    conn = sqlite3.connect(path / "gallery.sqlite")
    with conn:
        conn.execute("UPDATE item_rows SET source_id = 999 WHERE id = 3")
    conn.close()
    with Gallery.open(path, load_model_file(model_path), read_only=True) as g:
        with pytest.raises(GalleryError, match="no row for item 3"):
            g.items([2, 3])


def test_a_newer_format_is_refused_by_its_version(small_gallery):
    model_path, path = small_gallery
    conn = sqlite3.connect(path / "gallery.sqlite")
    with conn:
        conn.execute("UPDATE info SET value = '4' WHERE key = 'format_version'")
    conn.close()
    with pytest.raises(GalleryError, match="format version 4.*reads versions 1, 2, 3"):
        Gallery.open(path)


def test_the_chain_record_lands_in_the_background_and_flush_waits_for_the_newest(tmp_path):
    from deepssh_gui.search import audit
    from deepssh_gui.search.store.auditlog import ChainRecorder

    rec = ChainRecorder(tmp_path)
    for i in range(1, 50):
        rec.record(i, f"h{i}")
    rec.flush()
    assert audit.read_chain_file(tmp_path) == {"last_id": 49, "head": "h49"}


def test_a_chain_record_that_cannot_be_written_is_raised_not_lost(tmp_path):
    from deepssh_gui.search.store.auditlog import ChainRecorder

    (tmp_path / "file").write_text("x")
    rec = ChainRecorder(tmp_path / "file")  # a file, not a folder: the write fails
    rec.record(1, "h1")
    with pytest.raises(GalleryError, match="chain record beside"):
        rec.flush()
    rec.flush()  # said once


def test_a_search_returns_before_its_chain_record_is_written_and_close_writes_it(small_gallery):
    from deepssh_gui.search import audit
    from deepssh_gui.search.engine import SearchEngine, SearchRequest

    model_path, path = small_gallery
    eng = SearchEngine(path, model_path)
    res = eng.search(SearchRequest(attributes="personalMale"))
    eng.close()
    assert audit.read_chain_file(path)["last_id"] == res.audit_id


def test_the_bench_reports_bytes_per_item_and_the_machine_load(tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "bench", "--n", "3000", "--queries", "3", "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    # one logit byte per attribute: well under the 4 bytes a float took, for every item
    assert 100 < res["sqlite_bytes_per_item"] < 400
    assert set(res["load_1min"]) == {"before", "after", "cores"} and res["load_1min"]["before"] >= 0
