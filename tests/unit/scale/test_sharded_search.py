"""Sharded galleries searched in this process: the same hits as the gallery they came from."""

import json

import pytest

from deepssh_gui.scale.backend import InlineBackend, ShardTaskError
from deepssh_gui.scale.engine import ShardedEngine
from deepssh_gui.scale.manifest import MANIFEST_NAME, read_manifest
from deepssh_gui.scale.split import shard_gallery
from deepssh_gui.search.engine import SearchEngine
from deepssh_gui.search.gallery import GalleryError

from tests.unit.scale.conftest import QUERIES, request, same_hits


@pytest.fixture()
def sharded(synthetic_gallery, tmp_path):
    model, gallery = synthetic_gallery
    shard_gallery(gallery, 3, tmp_path / "sharded", model)
    return model, gallery, tmp_path / "sharded"


def test_split_keeps_every_item_once_in_id_order(sharded):
    _, _, out = sharded
    m = read_manifest(out)
    assert [s.n_items for s in m.shards] == [53, 54, 53]
    assert [s.first_id for s in m.shards] == [0, 53, 107]
    assert all(s.complete for s in m.shards) and m.n_items == 160


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_sharded_search_equals_the_single_gallery(sharded, name):
    model, gallery, out = sharded
    single = SearchEngine(gallery, model)
    codes = single.gallery.codes.copy()
    sharded_engine = ShardedEngine(out, model, InlineBackend())
    try:
        for top in (1, 7, 25, 200):
            a = single.search(request(codes, QUERIES[name], top))
            b = sharded_engine.search(request(codes, QUERIES[name], top))
            assert a.hits, name
            assert same_hits(a, b), (name, top)
            assert (a.n_searched, a.mode, a.rank, a.masked_bits) == (b.n_searched, b.mode, b.rank, b.masked_bits)
    finally:
        single.close()
        sharded_engine.close()


def test_every_sharded_search_is_in_its_own_chained_audit_log(sharded):
    model, gallery, out = sharded
    eng = ShardedEngine(out, model)
    res = eng.search(request(None, QUERIES["attributes"]))
    rows = eng.gallery.audit_entries()
    assert res.audit_id == rows[-1]["id"]
    assert json.loads(rows[-1]["result_ids"]) == [rh.hit.index for rh in res.hits]
    assert rows[-1]["gallery_state"] == "sharded: 160 items in 3 shards"
    assert eng.gallery.verify_audit().ok
    eng.close()


def test_a_missing_shard_fails_the_search_and_is_named(sharded):
    import shutil

    model, _, out = sharded
    shutil.rmtree(out / "shard-0001")
    eng = ShardedEngine(out, model)
    with pytest.raises(ShardTaskError, match="shard-0001") as err:
        eng.search(request(None, QUERIES["attributes"]))
    assert list(err.value.failures) == ["shard-0001"]
    assert eng.gallery.audit_entries() == []  # nothing returned, nothing recorded as returned
    eng.close()


def test_a_shard_that_grew_is_refused_rather_than_mislabelled(sharded):
    model, _, out = sharded
    d = json.loads((out / MANIFEST_NAME).read_text())
    d["shards"][2]["n_items"] = 50
    (out / MANIFEST_NAME).write_text(json.dumps(d))
    eng = ShardedEngine(out, model)
    with pytest.raises(ShardTaskError, match="shard-0002 holds 53 items but the manifest says 50"):
        eng.search(request(None, QUERIES["attributes"]))
    eng.close()


@pytest.mark.parametrize("name", ["../elsewhere", "/etc", ""])
def test_a_manifest_naming_folders_outside_is_refused(sharded, name):
    _, _, out = sharded
    d = json.loads((out / MANIFEST_NAME).read_text())
    d["shards"][0]["name"] = name
    (out / MANIFEST_NAME).write_text(json.dumps(d))
    with pytest.raises(GalleryError, match="outside the gallery"):
        read_manifest(out)


def test_unfinished_shards_are_refused(sharded):
    model, _, out = sharded
    d = json.loads((out / MANIFEST_NAME).read_text())
    d["shards"][1]["complete"] = False
    (out / MANIFEST_NAME).write_text(json.dumps(d))
    with pytest.raises(GalleryError, match="shard-0001 .*still being built"):
        ShardedEngine(out, model)


def test_split_resumes_only_unfinished_shards(synthetic_gallery, tmp_path):
    model, gallery = synthetic_gallery
    out = tmp_path / "sharded"
    shard_gallery(gallery, 2, out, model)
    d = json.loads((out / MANIFEST_NAME).read_text())
    d["shards"][1]["complete"] = False
    (out / MANIFEST_NAME).write_text(json.dumps(d))
    before = (out / "shard-0000" / "gallery.sqlite").stat().st_mtime_ns
    shard_gallery(gallery, 2, out, model)
    assert (out / "shard-0000" / "gallery.sqlite").stat().st_mtime_ns == before
    assert all(s.complete for s in read_manifest(out).shards)
