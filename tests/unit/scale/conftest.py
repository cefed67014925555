"""A 160-item gallery claimed by the tiny model: random codes with many Hamming ties, eight
cameras, timestamps and probabilities, so shard merging is checked where ties are common."""

import numpy as np
import pytest


@pytest.fixture()
def synthetic_gallery(model_with_decoder, tmp_path):
    """``(model path, gallery path)``; item ``i`` is on camera ``c{i % 8}`` at ``t = i / 10`` s."""
    from deepssh_gui.evaluate.bench import write_synthetic_gallery
    from deepssh_gui.model.synthetic import synthetic_codes
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery

    m = load_model_file(model_with_decoder)
    codes = synthetic_codes(160, m.config.layout, seed=3)
    # a few exact duplicates and near-duplicates: ties across shard boundaries
    codes[100:110] = codes[5]
    codes[40:44] = codes[7]
    root = tmp_path / "gallery"
    write_synthetic_gallery(root, codes, m.config.layout, lambda *a: None, model=m)
    with Gallery.open(root, m) as g:
        g.finalize()
    return model_with_decoder, root


def same_hits(a, b):
    """The ranked hits of two results, compared field by field (ids, ranks, scores, explanations,
    metadata; a shard keeps its own copy of a crop, so crops are compared by name)."""
    from pathlib import Path

    def key(res):
        return [(rh.hit.index, rh.hit.rank, rh.hit.score, rh.hit.photo_distance, rh.hit.attribute_distance,
                 rh.hit.query_probability, tuple(t.matched for t in rh.hit.explanation), rh.meta.id,
                 Path(rh.meta.crop).name, rh.meta.source_sha256, rh.meta.camera, rh.meta.frame, rh.meta.timestamp,
                 rh.meta.track, rh.code.tobytes(), np.asarray(rh.attr_scores).tobytes()) for rh in res.hits]
    return key(a) == key(b)


QUERIES = {
    "photo": dict(probe_from=5),
    "attributes": dict(attributes="personalMale, carryingBackpack"),
    "attributes_hamming": dict(attributes="personalMale, carryingBackpack", rank="hamming"),
    "hybrid": dict(probe_from=7, attributes="personalMale"),
    "filtered_photo": dict(probe_from=5, camera="c5"),
    "filtered_time": dict(attributes="personalMale", t_from=3.0, t_to=12.0),
    "confirmed_and_rejected": dict(probes_from=[5, 120], exclude_ids=(7, 60, 100, 130)),
}


def request(codes, spec, top=25):
    from deepssh_gui.search.engine import SearchRequest

    spec = dict(spec)
    src, several = spec.pop("probe_from", None), spec.pop("probes_from", None)
    return SearchRequest(probe_code=None if src is None else codes[src].copy(),
                         probe_codes=None if several is None else codes[several].copy(), top=top, **spec)
