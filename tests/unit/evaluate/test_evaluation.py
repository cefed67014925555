"""The evaluation report on a tiny synthetic set with a random-weight model."""

import json

import numpy as np
import pytest

from deepssh_gui.learn.datasets.base import Sample, SampleSet
from deepssh_gui.model.decoder import AttributeColumns, Decoder
from deepssh_gui.learn.encode import encode_arrays
from deepssh_gui.evaluate.evaluation import evaluate, semantic_report
from deepssh_gui.evaluate.plots import plot_cmc, plot_semantic
from deepssh_gui.model.schema import PETA


@pytest.fixture()
def tiny_eval(tiny_model):
    rng = np.random.default_rng(1)
    samples, rows, imgs = [], [], []
    for pid in range(8):
        row = (rng.random(len(PETA)) < 0.3).astype(np.int8)
        base = rng.integers(0, 255, (64, 32, 3))
        for j in range(3):
            samples.append(Sample(f"p{pid}_{j}.png", f"S/{pid}", "S" if pid < 5 else "T", f"c{j % 2}"))
            rows.append(row)
            imgs.append(np.clip(base + rng.integers(-10, 10, base.shape), 0, 255).astype(np.uint8))
    return SampleSet(PETA, samples, np.stack(rows)), np.stack(imgs)


def test_report_structure_and_bounds(tiny_model, tiny_eval, tmp_path):
    data, images = tiny_eval
    codes, _, _ = encode_arrays(tiny_model.net, images)
    tiny_model.decoder = Decoder.fit(codes, data.labels, tiny_model.config.layout)
    try:
        rep = evaluate(tiny_model, data, images, baselines=True, n_attrs=(1, 4, 57))
    finally:
        tiny_model.decoder = None
    json.dumps(rep, default=float)  # serialisable
    for key in ("binary_hamming", "float_cosine", "imagenet_lsh", "hsv_histogram"):
        r = rep["retrieval"][key]
        assert r["n_queries"] == 24
        assert 0 < r["mAP"] <= 1 and 0 <= r["rank1"] <= r["rank5"] <= r["rank10"] <= 1
        assert set(r["subsets"]) == {"S", "T"}
        assert set(r["cam1_to_cam2"]) == {"S", "T"}
    # near-duplicate images of one person: the colour histogram finds them
    assert rep["retrieval"]["hsv_histogram"]["rank1"] > 0.9
    assert 0 <= rep["attributes"]["mA"] <= 1
    sem = rep["semantic_queries"]
    assert sem["n_attributes"] == [1, 4, 57] and len(sem["rank5"]) == 3
    assert 0 <= rep["decoder_reconstruction"]["overall"] <= 1
    rep["model"]["name"] = "tiny"
    plot_cmc(rep, tmp_path / "cmc.png")
    plot_semantic(rep, tmp_path / "sem.png")
    assert (tmp_path / "cmc.png").stat().st_size > 1000 and (tmp_path / "sem.png").stat().st_size > 1000


def test_semantic_queries_find_people_with_distinct_codes():
    """When attribute bits equal the labels, full-attribute queries find the person at rank 1."""
    from deepssh_gui.model.layout import CodeLayout, pack_bits

    lay = CodeLayout(128, 10, 1)
    labels = np.array([[int(b) for b in f"{i:010b}"] for i in range(16)], dtype=np.int8)
    bits = np.zeros((16, 128), np.uint8)
    bits[:, :10] = labels
    codes = pack_bits(bits)
    dec = Decoder.fit(codes, labels, lay)
    samples = [Sample(str(i), f"X/{i}", "X") for i in range(16)]
    rep = semantic_report(samples, labels, AttributeColumns.from_codes(codes, lay), dec, n_attrs=(1, 10))
    assert rep["n_attributes"] == [1, 10]
    assert rep["rank1"][1] == 1.0 and rep["precision_at_10"][1] == pytest.approx(0.1)
    assert rep["rank1"][0] < 1.0  # one attribute cannot single out one of 16 people
