from collections import Counter

import numpy as np
import pytest

from deepssh_gui.learn.datasets import load_peta
from deepssh_gui.learn.datasets.peta import parse_peta_name
from deepssh_gui.common.errors import DatasetError
from tests.conftest import PETA_ROOT, need, write_png


@pytest.mark.parametrize("subset,name,pid,cam", [
    ("PRID", "0001_a.png", "0001", "a"),
    ("GRID", "0001_1_25004_107_32_106_221.jpeg", "0001", "1"),
    ("CAVIAR4REID", "0001_001.jpg", "0001", None),
    ("i-LID", "0059_003.jpg", "0059", None),
    ("SARC3D", "001_front.bmp", "001", None),
    ("TownCentre", "0_16.jpg", "0", "towncentre"),
    ("CUHK", "0002.png", "0002", None),
    ("MIT", "00001_male_back.jpg", "00001", None),
    ("VIPeR", "000_45_1.bmp", "000", "1"),
    ("VIPeR", "123_180_2.bmp", "123", "2"),
    ("3DPeS", "100_3_FRAME_26_RGB.bmp", "100", "3"),
])
def test_all_ten_subset_patterns(subset, name, pid, cam):
    assert parse_peta_name(subset, name) == (pid, cam)


def test_bad_names_rejected():
    with pytest.raises(ValueError, match="naming pattern"):
        parse_peta_name("VIPeR", "000_45.bmp")
    with pytest.raises(ValueError, match="unknown PETA subset"):
        parse_peta_name("Foo", "1.png")


def test_synthetic_viper_and_3dpes(tmp_path):
    """The two held-back subsets load from a generated tree with real naming."""
    v = tmp_path / "VIPeR" / "archive"
    for n in ("000_45_1.bmp", "000_90_2.bmp", "001_0_1.bmp"):
        write_png(v / n, (10, 20, 30))
    (v / "Label.txt").write_text("000 personalMale carryingBackpack\n001 lowerBodyBlack\n")
    d = tmp_path / "3DPeS" / "archive"
    for n in ("100_3_FRAME_26_RGB.bmp", "100_5_FRAME_40_RGB.bmp"):
        write_png(d / n, (30, 20, 10))
    (d / "Label.txt").write_text("100 personalMale\n")
    data = load_peta(tmp_path, ["VIPeR", "3DPeS"])
    assert len(data) == 5
    ids = [s.identity for s in data.samples]
    assert ids.count("VIPeR/000") == 2 and ids.count("3DPeS/100") == 2
    assert {s.camera for s in data.samples if s.subset == "VIPeR"} == {"1", "2"}
    row = data.labels[ids.index("VIPeR/000")]
    assert row[data.schema.index("carryingBackpack")] == 1 and row[data.schema.index("lowerBodyBlack")] == 0


def test_missing_root_is_specific(tmp_path):
    with pytest.raises(DatasetError, match="not a directory"):
        load_peta(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no PETA subsets"):
        load_peta(tmp_path)


@pytest.mark.shared
def test_real_peta_loads_all_visible_subsets():
    data = load_peta(need(PETA_ROOT))
    assert len(data) == 16724
    per = Counter(s.subset for s in data.samples)
    assert set(per) == {"CAVIAR4REID", "CUHK", "GRID", "MIT", "PRID", "SARC3D", "TownCentre", "i-LID"}
    # Identities are unique across subsets: "0001" in PRID and in GRID are different people.
    assert "PRID/0001" in {s.identity for s in data.samples}
    assert data.labels.dtype == np.int8 and set(np.unique(data.labels)) <= {0, 1}
    # every image but one (PRID 0298, whose label line has none of the 57) has attributes
    assert (data.labels.sum(1) == 0).sum() <= 1 and data.labels.sum(1).mean() > 5
