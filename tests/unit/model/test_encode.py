import subprocess
import sys

import numpy as np

from deepssh_gui.ingest.folder import load_folder
from deepssh_gui.model.encode import encode_paths
from deepssh_gui.common.progress import Cancelled
from tests.conftest import ROOT


def _bad_files(d):
    (d / "empty.png").write_bytes(b"")
    (d / "fake.jpg").write_text("this is not a jpeg")
    good = (d / "a" / "0000_c1s1_000001_01.png").read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 3])


def test_encode_skips_bad_files_and_keeps_order(tiny_model_file, crops_dir):
    _bad_files(crops_dir)
    paths = load_folder(crops_dir)
    calls = []
    enc = encode_paths(tiny_model_file.encoder(), paths, batch_size=3, progress=lambda d, t, m="": calls.append((d, t)))
    assert enc.codes.shape == (8, 16) and enc.codes.dtype == np.uint8
    assert enc.attr_scores.shape == (8, 57) and enc.attr_scores.dtype == np.float32
    assert ((enc.attr_scores >= 0) & (enc.attr_scores <= 1)).all()
    assert enc.paths == [p for p in paths if p not in dict(enc.failed)]
    reasons = dict(enc.failed)
    assert len(reasons) == 3
    assert "empty" in reasons[str(crops_dir / "empty.png")]
    assert "not an image" in reasons[str(crops_dir / "fake.jpg")]
    assert calls[-1] == (len(paths), len(paths))


def test_encode_is_deterministic_and_identical_images_match(tiny_model_file, crops_dir):
    paths = load_folder(crops_dir)
    a = encode_paths(tiny_model_file.encoder(), paths + paths[:1])
    b = encode_paths(tiny_model_file.encoder(), paths)
    assert np.array_equal(a.codes[:-1], b.codes)
    assert np.array_equal(a.codes[0], a.codes[-1])


def test_encode_can_be_cancelled(tiny_model_file, crops_dir):
    import pytest

    with pytest.raises(Cancelled):
        encode_paths(tiny_model_file.encoder(), load_folder(crops_dir), batch_size=2, cancel=lambda: True)


def test_cli_encode_contract(tiny_model_path, crops_dir, tmp_path):
    _bad_files(crops_dir)
    out = tmp_path / "codes.npz"
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "encode", "--model", str(tiny_model_path),
                        "--images", str(crops_dir), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "skipped 3 unreadable files" in r.stderr and "fake.jpg" in r.stderr
    z = np.load(out)
    assert set(z.files) == {"codes", "paths", "attr_scores", "attr_names"}
    assert z["codes"].shape == (8, 16) and z["codes"].dtype == np.uint8
    assert z["attr_scores"].shape == (8, 57)
    assert list(z["attr_names"])[:1] == ["personalMale"]
    assert list(z["paths"]) == sorted(z["paths"])  # folder order, bad files left out


def test_cli_encode_foreign_model_is_clear_error(tmp_path, crops_dir):
    bad = tmp_path / "m.pt"
    bad.write_bytes(b"junk")
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "encode", "--model", str(bad),
                        "--images", str(crops_dir), "--out", str(tmp_path / "o.npz")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.npz").exists()
