import numpy as np
import pytest

from deepssh_gui.learn.datasets import load_dukemtmc, load_market1501
from deepssh_gui.learn.datasets.market import parse_reid_name, read_attribute_mat
from deepssh_gui.common.errors import DatasetError
from deepssh_gui.model.schema import MARKET1501
from tests.conftest import DUKE_MAT, MARKET_MAT, need, write_png


def test_parse_names():
    assert parse_reid_name("0002_c1s1_000451_03.jpg") == ("0002", "c1")
    assert parse_reid_name("0001_c2_f0046182.jpg") == ("0001", "c2")
    assert parse_reid_name("-1_c3s2_000001_00.jpg") == ("-1", "c3")
    assert parse_reid_name("readme.txt") is None


@pytest.mark.shared
def test_market_generated_tree_with_real_mat(tmp_path):
    mat = need(MARKET_MAT)
    attrs = read_attribute_mat(mat, MARKET1501)
    assert len(attrs) == 1501
    for folder, names in {
        "bounding_box_train": ["0002_c1s1_000451_03.jpg", "0002_c2s1_000301_01.jpg", "0000_c1s1_000001_00.jpg"],
        "bounding_box_test": ["0001_c1s1_001051_00.jpg", "-1_c1s1_000401_03.jpg"],
        "query": ["0001_c2s1_000301_00.jpg"],
    }.items():
        for n in names:
            write_png(tmp_path / folder / n, (100, 100, 100))
    (tmp_path / "attribute").mkdir()
    (tmp_path / "attribute" / "market_attribute.mat").write_bytes(mat.read_bytes())
    data = load_market1501(tmp_path)
    assert len(data) == 4  # junk 0000 and distractor -1 skipped
    assert {s.identity for s in data.samples} == {"market1501/0001", "market1501/0002"}
    assert {s.camera for s in data.samples} == {"c1", "c2"}
    # age is one-hot across the four expanded attributes for every annotated identity
    age = data.labels[:, [data.schema.index(n) for n in ("age_young", "age_teenager", "age_adult", "age_old")]]
    assert (age.sum(1) == 1).all()
    # both images of identity 0002 carry the identity's labels
    rows = data.labels[[s.identity == "market1501/0002" for s in data.samples]]
    assert (rows == rows[0]).all() and np.array_equal(rows[0], attrs["0002"])


@pytest.mark.shared
def test_duke_generated_tree(tmp_path):
    mat = need(DUKE_MAT)
    write_png(tmp_path / "bounding_box_train" / "0001_c2_f0046182.jpg", (1, 2, 3))
    data = load_dukemtmc(tmp_path, attributes_file=mat)
    assert len(data) == 1 and data.labels.shape == (1, 23)
    assert set(np.unique(data.labels)) <= {-1, 0, 1}


def test_missing_mat_is_specific(tmp_path):
    write_png(tmp_path / "query" / "0001_c1s1_000001_00.jpg", (1, 2, 3))
    with pytest.raises(DatasetError, match="market_attribute.mat not found"):
        load_market1501(tmp_path)
