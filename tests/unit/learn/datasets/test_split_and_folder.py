from deepssh_gui.learn.datasets import load_folder, load_peta
from deepssh_gui.learn.datasets.split import is_validation_identity, split_train_val
from tests.conftest import PETA_ROOT, need, write_png


def test_split_is_identity_disjoint_and_deterministic():
    ids = [f"S/{i}" for i in range(2000)]
    val = [is_validation_identity(i) for i in ids]
    assert val == [is_validation_identity(i) for i in ids]
    assert 0.15 < sum(val) / len(val) < 0.25


def test_real_split_counts():
    data = load_peta(need(PETA_ROOT))
    tr, va = split_train_val(data)
    assert not ({s.identity for s in tr.samples} & {s.identity for s in va.samples})
    # the counts documented in docs/datasets.md
    assert (len(tr), len(va)) == (13458, 3266)


def test_folder_recursive_and_filelist(tmp_path):
    write_png(tmp_path / "d" / "b" / "2.png", (1, 1, 1))
    write_png(tmp_path / "d" / "a" / "1.jpg", (1, 1, 1))
    (tmp_path / "d" / "notes.txt").write_text("x")
    paths = load_folder(tmp_path / "d")
    assert [p.split("/")[-2:] for p in paths] == [["a", "1.jpg"], ["b", "2.png"]]
    lst = tmp_path / "list.txt"
    lst.write_text(f"{paths[1]}\n# comment\n\n{paths[0]}\n")
    assert load_folder(lst) == [paths[1], paths[0]]
