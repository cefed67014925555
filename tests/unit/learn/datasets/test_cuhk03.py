import numpy as np
import pytest

from deepssh_gui.learn.datasets import concat_sets, load_cuhk03, load_dataset, load_peta
from deepssh_gui.learn.datasets.cuhk03 import parse_cuhk03_name
from deepssh_gui.common.errors import DatasetError
from tests.conftest import PETA_ROOT, SHARED, need, write_png


def test_parse_names_camera_split_at_five():
    assert parse_cuhk03_name("0012_00.jpg") == ("0012", "a")
    assert parse_cuhk03_name("0012_04.jpg") == ("0012", "a")
    assert parse_cuhk03_name("0012_05.jpg") == ("0012", "b")
    with pytest.raises(ValueError):
        parse_cuhk03_name("0012_c1.jpg")


def test_loader_labels_unknown_and_skips_foreign_names(tmp_path):
    for name in ("0001_00.jpg", "0001_07.jpg", "0002_01.jpg", "notes_x.jpg"):
        write_png(tmp_path / name, (10, 20, 30))
    data = load_cuhk03(tmp_path)
    assert [s.identity for s in data.samples] == ["CUHK03/0001", "CUHK03/0001", "CUHK03/0002"]
    assert [s.camera for s in data.samples] == ["a", "b", "a"]
    assert (data.labels == -1).all() and data.labels.shape == (3, len(data.schema))
    assert any("skipped 1" in n for n in data.notes)
    assert len(load_dataset("cuhk03", str(tmp_path))) == 3


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="no CUHK03 crops"):
        load_cuhk03(tmp_path)


def test_concat_keeps_order_and_labels(tmp_path):
    write_png(tmp_path / "c" / "0001_00.jpg", (1, 2, 3))
    a = load_cuhk03(tmp_path / "c")
    both = concat_sets([a, a])
    assert len(both) == 2 and both.labels.shape == (2, len(a.schema))


@pytest.mark.shared
def test_real_cuhk03_train_folder():
    root = need(SHARED / "data" / "cuhk03" / "train")
    data = load_cuhk03(root)
    assert len(data) == 7239
    assert len({s.identity for s in data.samples}) == 743
    assert {s.camera for s in data.samples} == {"a", "b"}
    peta = load_peta(need(PETA_ROOT), ["PRID"])
    mixed = concat_sets([peta, data])
    assert (mixed.labels[len(peta):] == -1).all() and (mixed.labels[: len(peta)] >= 0).all()
    assert np.unique(mixed.labels).tolist() == [-1, 0, 1]


def test_cuhk01_names_cameras_and_loader(tmp_path):
    from deepssh_gui.learn.datasets import load_cuhk01
    from deepssh_gui.learn.datasets.cuhk01 import parse_cuhk01_name

    assert parse_cuhk01_name("0012001.jpg") == ("0012", "a")
    assert parse_cuhk01_name("0012002.jpg") == ("0012", "a")
    assert parse_cuhk01_name("0012003.jpg") == ("0012", "b")
    for bad in ("0012005.jpg", "0012_00.jpg", "12001.jpg"):
        with pytest.raises(ValueError):
            parse_cuhk01_name(bad)
    for name in ("0001001.jpg", "0001004.jpg", "0002002.jpg", "0002_00.jpg"):
        write_png(tmp_path / name, (10, 20, 30))
    data = load_cuhk01(tmp_path)
    assert [s.identity for s in data.samples] == ["CUHK01/0001", "CUHK01/0001", "CUHK01/0002"]
    assert [s.camera for s in data.samples] == ["a", "b", "a"]
    assert (data.labels == -1).all() and any("skipped 1" in n for n in data.notes)
    assert len(load_dataset("cuhk01", str(tmp_path))) == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no CUHK01 crops"):
        load_cuhk01(tmp_path / "empty")
    with pytest.raises(DatasetError, match="not a directory"):
        load_cuhk01(tmp_path / "nothing")


@pytest.mark.shared
def test_real_cuhk01_train_folder():
    from deepssh_gui.learn.datasets import load_cuhk01

    data = load_cuhk01(need(SHARED / "data" / "cuhk01" / "train"))
    assert len(data) == 3884 and len({s.identity for s in data.samples}) == 971
    assert {s.camera for s in data.samples} == {"a", "b"}
