"""One writer per gallery: parallel builds with real processes never duplicate or mix items."""

import subprocess
import sys

from deepssh_gui.common.imageio import read_rgb
from deepssh_gui.search.gallery import Gallery
from tests.conftest import ROOT, write_png


def _build(model, gallery, folder, *extra):
    return subprocess.Popen([sys.executable, "-m", "deepssh_gui.cli", "gallery", "build", "--model", str(model),
                             "--images", str(folder), "--out", str(gallery), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _folder(root, n, base_colour):
    for i in range(n):
        write_png(root / f"{i:04d}_c1s1_000001_01.png", (base_colour, 20 * i % 255, 255 - base_colour), seed=i)
    return root


def test_same_folder_twice_at_once_adds_each_crop_once(model_with_decoder, tmp_path):
    src = _folder(tmp_path / "crops", 12, 40)
    procs = [_build(model_with_decoder, tmp_path / "g", src) for _ in range(2)]
    assert all(p.wait(timeout=300) == 0 for p in procs), [p.stderr.read() for p in procs]
    with Gallery.open(tmp_path / "g", read_only=True) as g:
        crops = [m.crop for m in g.items(range(len(g)))]
    assert len(crops) == 12 and len(set(crops)) == 12


def test_two_folders_at_once_keep_each_thumbnail_with_its_item(model_with_decoder, tmp_path):
    a = _folder(tmp_path / "a", 10, 30)
    b = _folder(tmp_path / "b", 10, 220)
    procs = [_build(model_with_decoder, tmp_path / "g", a), _build(model_with_decoder, tmp_path / "g", b)]
    assert all(p.wait(timeout=300) == 0 for p in procs), [p.stderr.read() for p in procs]
    with Gallery.open(tmp_path / "g", read_only=True) as g:
        metas = g.items(range(len(g)))
    assert len(metas) == 20
    for m in metas:  # the thumbnail shows the item's own crop (red channel tells the folders apart)
        thumb, crop = read_rgb(m.thumb), read_rgb(m.crop)
        assert abs(float(thumb[..., 0].mean()) - float(crop[..., 0].mean())) < 25
    assert not list((tmp_path / "g").rglob("*.tmp"))


def test_no_wait_refuses_while_another_build_writes(model_with_decoder, tmp_path):
    src = _folder(tmp_path / "crops", 4, 90)
    from deepssh_gui.model.modelfile import load_model_file

    with Gallery.create(tmp_path / "g", load_model_file(model_with_decoder)) as g, g.writer():
        p = _build(model_with_decoder, tmp_path / "g", src, "--no-wait")
        assert p.wait(timeout=120) == 2 and "another build is writing" in p.stderr.read()
    with Gallery.open(tmp_path / "g", read_only=True) as g:
        assert len(g) == 0  # the refused build wrote nothing


def test_resume_repairs_missing_thumbnails_and_stray_temp_files(model_with_decoder, tmp_path):
    """A crash between the commit and the thumbnail rename leaves a missing thumbnail and a .tmp file."""
    src = _folder(tmp_path / "crops", 6, 120)
    assert _build(model_with_decoder, tmp_path / "g", src).wait(timeout=300) == 0
    with Gallery.open(tmp_path / "g", read_only=True) as g:
        thumb = g.items([2])[0].thumb
    import os

    os.replace(thumb, thumb + f".{os.getpid()}.tmp")  # as if the process died before the rename
    write_png(src / "0099_c1s1_000001_01.png", (5, 5, 5))
    p = _build(model_with_decoder, tmp_path / "g", src)
    assert p.wait(timeout=300) == 0
    out = p.stdout.read()
    assert "re-created 1 missing thumbnails" in out and "removed 1 temporary files" in out
    assert os.path.isfile(thumb) and not list((tmp_path / "g").rglob("*.tmp"))
    assert abs(float(read_rgb(thumb)[..., 0].mean()) - 120) < 25
