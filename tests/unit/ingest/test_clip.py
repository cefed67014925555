"""Clips of the footage around reported hits (ingest/clip.py; `deepssh export --clip-seconds`)."""

import shutil
import subprocess
import sys

import pytest

from deepssh_gui.ingest.clip import write_clip
from tests.conftest import ROOT

VIDEO = ROOT / "resources" / "demo" / "vtest.avi"


def test_a_clip_holds_the_frames_around_the_hit(tmp_path):
    from deepssh_gui.common.imageio import import_cv2
    from deepssh_gui.search.gallery import sha256_file

    c = write_clip(str(VIDEO), 5, tmp_path / "c.avi", before=1.0, after=0.5)
    assert (c.first, c.last, c.fps) == (0, 10, 10.0)  # clamped at the start: 1 s before frame 5 is frame -5
    assert sha256_file(c.path) == c.sha256 and not list(tmp_path.glob(".*tmp*"))
    cap = import_cv2().VideoCapture(str(c.path))
    assert int(cap.get(7)) == 11  # CAP_PROP_FRAME_COUNT
    with pytest.raises(ValueError, match="cannot open"):
        write_clip(str(tmp_path / "none.avi"), 5, tmp_path / "d.avi")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


@pytest.fixture()
def demo_copy(tmp_path):
    shutil.copytree(ROOT / "resources" / "demo" / "gallery", tmp_path / "gallery")
    shutil.copy(VIDEO, tmp_path / "vtest.avi")  # the gallery names its footage relative to itself
    return tmp_path / "gallery"


def test_export_with_clips_verifies_and_a_swapped_clip_is_caught(demo_copy, tmp_path):
    out = tmp_path / "rep" / "report"
    r = _cli("export", "--gallery", demo_copy, "--attributes", "personalMale", "--ranks", "1", "--clip-seconds", 1,
             "--out", out)
    assert r.returncode == 0, r.stderr
    clips = list((tmp_path / "rep" / "report.clips").glob("*.avi"))
    assert len(clips) == 1
    assert f"report.clips/{clips[0].name}" in (tmp_path / "rep" / "report.sha256").read_text()
    r = subprocess.run(["sha256sum", "-c", "report.sha256"], cwd=tmp_path / "rep", capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert _cli("verify", out).returncode == 0
    # another clip with its hash rewritten into the manifest: the report's HTML still names the first
    other = write_clip(str(VIDEO), 300, tmp_path / "other.avi", 1, 1)
    shutil.copy(other.path, clips[0])
    man = tmp_path / "rep" / "report.sha256"
    lines = [ln for ln in man.read_text().splitlines() if "report.clips/" not in ln]
    man.write_text("\n".join(lines + [f"{other.sha256}  report.clips/{clips[0].name}"]) + "\n")
    r = _cli("verify", out)
    assert r.returncode == 1 and "NOT IN REPORT" in r.stdout


def test_clips_are_refused_with_redaction(demo_copy, tmp_path):
    r = _cli("export", "--gallery", demo_copy, "--attributes", "personalMale", "--ranks", "1", "--clip-seconds", 1,
             "--redact", "others", "--out", tmp_path / "rep" / "report")
    assert r.returncode == 2 and "cannot be redacted" in r.stderr
    assert not (tmp_path / "rep").exists() or not list((tmp_path / "rep").iterdir())  # nothing half-written
