"""Sharded builds: one shard per chunk of crops or per video, resumable, failures named."""

import json

import numpy as np
import pytest

from deepssh_gui.common.errors import DeepSSHError
from deepssh_gui.ingest.build import build_from_images
from deepssh_gui.model.modelfile import load_model_file
from deepssh_gui.scale.backend import InlineBackend, ShardTaskError
from deepssh_gui.scale.engine import ShardedEngine
from deepssh_gui.scale.ingest import build_sharded
from deepssh_gui.scale.manifest import MANIFEST_NAME, read_manifest
from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.search.gallery import Gallery, GalleryError
from tests.unit.scale.conftest import same_hits


def _single(model, crops_dir, out):
    with Gallery.create(out, model) as g:
        build_from_images(g, model, str(crops_dir))
    return out


def _compare(model, single_path, sharded_path, backend=None):
    single = SearchEngine(single_path, model)
    codes = single.gallery.codes.copy()
    eng = ShardedEngine(sharded_path, model, backend)
    try:
        for req in (SearchRequest(probe_code=codes[2], top=8), SearchRequest(attributes="personalMale", top=5),
                    SearchRequest(probe_code=codes[6], attributes="personalMale", top=4)):
            assert same_hits(single.search(req), eng.search(req))
    finally:
        single.close()
        eng.close()


def test_a_folder_built_in_chunks_searches_like_one_gallery(model_with_decoder, crops_dir, tmp_path):
    model = load_model_file(model_with_decoder)
    rep = build_sharded(tmp_path / "s", model, InlineBackend(), images=str(crops_dir), shard_size=3)
    assert rep.built == ["shard-0000", "shard-0001", "shard-0002"]
    assert [(s.n_items, s.first_id) for s in read_manifest(tmp_path / "s").shards] == [(3, 0), (3, 3), (2, 6)]
    _compare(model, _single(model, crops_dir, tmp_path / "one"), tmp_path / "s")


def test_a_rerun_redoes_only_unfinished_shards_and_refuses_other_inputs(model_with_decoder, crops_dir, tmp_path):
    model = load_model_file(model_with_decoder)
    out = tmp_path / "s"
    build_sharded(out, model, InlineBackend(), images=str(crops_dir), shard_size=4)
    rep = build_sharded(out, model, InlineBackend(), images=str(crops_dir), shard_size=4)
    assert rep.built == [] and rep.skipped == ["shard-0000", "shard-0001"]
    d = json.loads((out / MANIFEST_NAME).read_text())
    d["shards"][1]["complete"] = False
    (out / MANIFEST_NAME).write_text(json.dumps(d))
    rep = build_sharded(out, model, InlineBackend(), images=str(crops_dir), shard_size=4)
    assert rep.built == ["shard-0001"] and read_manifest(out).n_items == 8
    with pytest.raises(DeepSSHError, match="other inputs"):
        build_sharded(out, model, InlineBackend(), images=str(crops_dir), shard_size=3)


def _tiny_video(path, frames=12):
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(frames):
        img = np.full((120, 160, 3), 90, np.uint8)
        img[30:100, 10 + 8 * i:35 + 8 * i] = (20, 40, 200)
        w.write(img)
    w.release()
    return path


def test_a_failing_video_is_named_and_the_others_are_kept(model_with_decoder, tmp_path):
    model = load_model_file(model_with_decoder)
    good = _tiny_video(tmp_path / "cam1.avi")
    bad = tmp_path / "cam2.avi"
    bad.write_text("not a video")
    out = tmp_path / "s"
    with pytest.raises(ShardTaskError, match=r"shard-0001: cannot open video") as err:
        build_sharded(out, model, InlineBackend(), videos=[str(good), str(bad)])
    assert list(err.value.failures) == ["shard-0001"]
    m = read_manifest(out)
    assert [s.complete for s in m.shards] == [True, False]
    with pytest.raises(GalleryError, match="still being built"):
        ShardedEngine(out, model)


def test_cluster_build_of_chunks(model_with_decoder, crops_dir, tmp_path):
    pytest.importorskip("distributed")
    from deepssh_gui.scale.backend import connect

    model = load_model_file(model_with_decoder)
    backend = connect("local:2")
    try:
        rep = build_sharded(tmp_path / "s", model, backend, images=str(crops_dir), shard_size=4)
        assert sorted(rep.built) == ["shard-0000", "shard-0001"]
        _compare(model, _single(model, crops_dir, tmp_path / "one"), tmp_path / "s", backend)
    finally:
        backend.close()
