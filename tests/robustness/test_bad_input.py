"""Robustness suite: each bad input gives a specific error and leaves gallery and session intact.

Cases covered elsewhere: malicious / corrupt / truncated / foreign model files
(tests/unit/learn/test_checkpoint.py, tests/unit/model/test_modelfile.py), truncated video (tests/unit/ingest/test_video.py),
full disk during a build, other model, read-only gallery (tests/unit/search/test_gallery_engine.py),
bad drop in the GUI (tests/unit/ui/test_main_window.py).
"""

import subprocess
import sys

import numpy as np
import pytest

from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.common.errors import ImageError
from deepssh_gui.search.gallery import Gallery, GalleryError
from deepssh_gui.common.imageio import read_rgb
from deepssh_gui.ingest.build import build_from_images
from tests.conftest import ROOT, write_png


def _bad_images(d):
    good = write_png(d / "good.png", (10, 200, 30))
    data = good.read_bytes()
    (d / "truncated.png").write_bytes(data[: len(data) // 2])
    from PIL import Image

    Image.fromarray(np.full((80, 40, 3), 128, np.uint8)).save(d / "ok.jpg", quality=90)
    jpg = (d / "ok.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (d / "zero.png").write_bytes(b"")
    (d / "text.jpg").write_text("hello, I am not a JPEG")
    Image.new("1", (20000, 20000)).save(d / "huge.png")  # 400 MP; tiny on disk
    return d


@pytest.mark.parametrize("name,reason", [
    ("truncated.png", "corrupt or truncated"),
    ("truncated.jpg", "corrupt or truncated"),
    ("zero.png", "empty"),
    ("text.jpg", "not an image"),
    ("huge.png", "pixel limit"),
])
def test_each_bad_image_has_a_specific_reason(tmp_path, name, reason):
    _bad_images(tmp_path)
    with pytest.raises(ImageError, match=reason):
        read_rgb(tmp_path / name)


def test_gallery_build_skips_and_lists_bad_files_then_searches(tmp_path, model_with_decoder):
    from deepssh_gui.learn.checkpoint import load_model

    d = _bad_images(tmp_path / "in")
    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        rep = build_from_images(g, m, str(d))
        assert rep.added == 2 and len(rep.failed) == 5
        assert len(g) == 2
        assert {s["status"] for s in g.sources()} == {"done", "failed"}
    eng = SearchEngine(tmp_path / "g", model_with_decoder)
    try:
        assert len(eng.search(SearchRequest(attributes="personalMale")).hits) == 2
    finally:
        eng.close()


def test_unicode_and_spaces_in_paths(tmp_path, model_with_decoder):
    from deepssh_gui.learn.checkpoint import load_model

    d = tmp_path / "Zeugen Aufnahmen ü 北京" / "Kamera 2"
    write_png(d / "Person Nr 1 é.png", (200, 10, 10))
    write_png(d / "Person Nr 2 ß.png", (10, 10, 200))
    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "galerie ö", m) as g:
        rep = build_from_images(g, m, str(tmp_path / "Zeugen Aufnahmen ü 北京"))
        assert rep.added == 2 and not rep.failed
    eng = SearchEngine(tmp_path / "galerie ö", model_with_decoder)
    try:
        res = eng.search(SearchRequest(probe_image=str(d / "Person Nr 1 é.png"), top=2))
        assert res.hits[0].hit.photo_distance == 0 and "Person Nr" in res.hits[0].meta.crop
    finally:
        eng.close()


def test_empty_gallery(tmp_path, model_with_decoder):
    from deepssh_gui.learn.checkpoint import load_model

    (tmp_path / "empty").mkdir()
    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        assert build_from_images(g, m, str(tmp_path / "empty")).added == 0
    eng = SearchEngine(tmp_path / "g", model_with_decoder)
    try:
        res = eng.search(SearchRequest(attributes="personalMale, lowerBody:dark"))
        assert res.hits == [] and res.n_searched == 0
    finally:
        eng.close()
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(tmp_path / "g"),
                        "--model", str(model_with_decoder), "--attributes", "personalMale"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "over 0 items" in r.stdout


def test_gallery_of_another_code_length(tmp_path, model_with_decoder, crops_dir):
    import torch

    from deepssh_gui.learn.checkpoint import load_model, save_model
    from deepssh_gui.learn.network import DeepSSHNet, ModelConfig
    from deepssh_gui.model.schema import PETA

    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_images(g, m, str(crops_dir))
    torch.manual_seed(1)
    net = DeepSSHNet(ModelConfig(nbits=256, n_attrs=len(PETA), bits_per_attr=2, input_hw=(64, 32)))
    save_model(tmp_path / "m256.pt", net, PETA, {})
    before = (tmp_path / "g" / "gallery.sqlite").read_bytes()
    with pytest.raises(GalleryError, match="holds 128-bit codes .* makes 256-bit codes"):
        Gallery.open(tmp_path / "g", load_model(tmp_path / "m256.pt"))
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(tmp_path / "g"),
                        "--model", str(tmp_path / "m256.pt"), "--attributes", "personalMale"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "128-bit" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "g" / "gallery.sqlite").read_bytes() == before


def test_unknown_attribute_in_cli_is_specific(small_gallery):
    model, gallery = small_gallery
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(gallery),
                        "--model", str(model), "--attributes", "carryingbackpack"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "did you mean 'carryingBackpack'" in r.stderr


def test_top_below_one_is_refused_not_silently_changed(small_gallery):
    model, gallery = small_gallery
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(gallery), "--model", str(model),
                        "--attributes", "personalMale", "--top", "-5"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "--top: must be at least 1, got -5" in r.stderr


def test_text_output_escapes_control_characters(model_with_decoder, crops_dir, tmp_path):
    """A file name with a newline stays on its own result line in the text output."""
    import shutil

    from deepssh_gui.model.modelfile import load_model_file

    src = next(iter(sorted(crops_dir.rglob("*.png"))))
    shutil.copy(src, crops_dir / "two\nlines.png")
    m = load_model_file(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_images(g, m, str(crops_dir))
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", str(tmp_path / "g"),
                        "--model", str(model_with_decoder), "--attributes", "personalMale", "--top", "9"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 + 9 and any("two\\nlines.png" in ln for ln in lines)


def test_exif_orientation_is_applied(tmp_path):
    """A photo stored sideways with an EXIF orientation tag reads upright, like the same photo saved upright."""
    from PIL import Image

    rng = np.random.default_rng(0)
    upright = np.repeat(np.repeat(rng.integers(0, 255, (8, 4, 3), dtype=np.uint8), 8, 0), 8, 1)  # 64x32
    Image.fromarray(upright).save(tmp_path / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view": the pixels are stored rotated 90 degrees counter-clockwise
    Image.fromarray(np.rot90(upright)).save(tmp_path / "sideways.png", exif=exif)
    a, b = read_rgb(tmp_path / "upright.png"), read_rgb(tmp_path / "sideways.png")
    assert a.shape == b.shape == (64, 32, 3) and np.array_equal(a, b)


@pytest.mark.parametrize("content,why", [
    (b"not a zip", "is not a `deepssh encode` output"),
    ("floats", "codes must be a non-empty uint8"),
])
def test_bench_ivf_codes_must_be_an_encode_output(tmp_path, content, why):
    path = tmp_path / "codes.npz"
    if content == "floats":
        np.savez(path, codes=np.zeros((4, 32), np.float32))
    else:
        path.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "bench", "--n", "100", "--ivf-codes", str(path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and why in r.stderr
