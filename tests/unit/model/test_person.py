"""The person filter (model/person.py), its fitting (learn/person.py) and ingest's use of it."""

import numpy as np
import pytest

from deepssh_gui.learn.person import fit_logistic, fit_person_filter, fragments, threshold_for_recall
from deepssh_gui.model.person import META_KEY, PersonFilter, person_filter_of


def test_scores_and_round_trip():
    pf = PersonFilter(np.array([1.0, -1.0], np.float32), 0.5, 0.6, {"n": 3})
    s = pf.scores(np.array([[2.0, 0.0], [0.0, 2.0]], np.float32))
    assert s[0] > 0.9 and s[1] < 0.2 and s.dtype == np.float32
    again = PersonFilter.from_dict(pf.to_dict())
    assert np.array_equal(again.w, pf.w) and again.threshold == 0.6 and again.report == {"n": 3}
    with pytest.raises(ValueError, match="2-d features"):
        pf.scores(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="not valid"):
        PersonFilter.from_dict({"w": [float("nan")], "b": 0, "threshold": 0.5})
    with pytest.raises(ValueError, match="not valid"):
        PersonFilter.from_dict({"w": [1.0], "b": 0, "threshold": 1.5})


def test_a_model_without_a_filter_has_none():
    class M:
        meta = {}

    assert person_filter_of(M()) is None
    M.meta = {META_KEY: PersonFilter(np.ones(2, np.float32), 0.0, 0.5).to_dict()}
    assert person_filter_of(M()).threshold == 0.5


def test_logistic_fit_separates_and_the_threshold_meets_its_recall():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1.0, 1.0, (400, 5)), rng.normal(-1.0, 1.0, (400, 5))]).astype(np.float32)
    y = np.r_[np.ones(400), np.zeros(400)]
    w, b = fit_logistic(x, y)
    acc = (((x @ w + b) > 0) == (y > 0)).mean()
    assert acc > 0.9
    s = 1 / (1 + np.exp(-(x @ w + b)))
    t = threshold_for_recall(s, y, 0.95)
    assert (s[y > 0] >= t).mean() >= 0.95
    pf = fit_person_filter(x, y.astype(np.int8), np.array(["p"] * 400 + ["n"] * 400), recall=0.95)
    assert pf.report["held_out_recall"] >= 0.94 and pf.report["kept_per_kind"]["n"]["kept"] < 0.5


def test_fragments_keep_the_shape():
    imgs = np.random.default_rng(0).integers(0, 255, (6, 64, 32, 3), dtype=np.uint8)
    out = fragments(imgs, np.random.default_rng(1))
    assert out.shape == imgs.shape and out.dtype == np.uint8


@pytest.fixture()
def strict_model(model_with_decoder):
    """The test model with a person filter that rejects every crop."""
    from deepssh_gui.learn.checkpoint import load_model, resave, to_numpy_meta
    from deepssh_gui.model.modelfile import load_model_file

    d = load_model_file(model_with_decoder).encoder().encode(
        np.zeros((1, *load_model_file(model_with_decoder).config.input_hw, 3), np.uint8), with_features=True)[2].shape[1]
    m = load_model(model_with_decoder)
    pf = PersonFilter(np.zeros(d, np.float32), -20.0, 0.5)
    resave(m, meta=to_numpy_meta(dict(m.meta, **{META_KEY: pf.to_dict()})))
    return model_with_decoder


def test_ingest_keeps_rejected_crops_aside_and_restore_brings_them_back(strict_model, tmp_path):
    from deepssh_gui.ingest.build import build_from_video, restore_rejected
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery, GalleryError
    from tests.unit.ingest.test_video import _make_clip

    clip = _make_clip(tmp_path / "clip.avi")
    m = load_model_file(strict_model)
    with Gallery.create(tmp_path / "g", m) as g:
        rep = build_from_video(g, m, str(clip))
        assert len(g) == 0 and rep.rejected > 0
        rows = g.rejected_crops()
        assert len(rows) == rep.rejected and all(r.person_score < 0.5 for r in rows)
    with Gallery.create(tmp_path / "g2", m) as g:  # the filter can be switched off
        assert build_from_video(g, m, str(clip), person_filter=False).rejected == 0 and len(g) == rep.rejected
    with Gallery.open(tmp_path / "g", m) as g:
        first = rows[0].crop
        ids = restore_rejected(g, m, [first])
        assert ids == [0] and len(g) == 1 and g.items([0])[0].crop.endswith(first.split("/")[-1])
        assert g.crop_hashes([0])  # the hash recorded at ingest came with it
        assert [r.crop for r in g.rejected_crops()] == [r.crop for r in rows[1:]]
        with pytest.raises(GalleryError, match="not a rejected crop"):
            restore_rejected(g, m, [first])
        (g.root / rows[1].crop).write_bytes(b"not the same file")
        with pytest.raises(GalleryError, match="changed since ingest"):
            restore_rejected(g, m, [rows[1].crop])
        assert len(g) == 1
