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


def test_a_redacted_clip_verifies_and_lists_every_unredacted_frame(demo_copy, tmp_path):
    from deepssh_gui.common.imageio import import_cv2
    from deepssh_gui.ingest.redact import frame_sha256

    out = tmp_path / "rep" / "report"
    r = _cli("export", "--gallery", demo_copy, "--attributes", "personalMale", "--ranks", "1", "--clip-seconds", 1,
             "--redact", "outside", "--out", out)
    assert r.returncode == 0, r.stderr
    clip = next((tmp_path / "rep" / "report.clips").glob("*.avi"))
    assert _cli("verify", out).returncode == 0
    originals = (tmp_path / "rep" / "report.originals.sha256").read_text().splitlines()
    cv2 = import_cv2()
    n = int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
    assert n >= 11 and len([ln for ln in originals if "vtest.avi.frame" in ln]) >= n
    # a line is the hash of that source frame's pixels as decoded from the footage
    sha, name = originals[-1].split("  ")
    f = int(name.rsplit("frame", 1)[1].split(".")[0])
    cap = cv2.VideoCapture(str(VIDEO))
    cap.set(cv2.CAP_PROP_POS_FRAMES, f)
    ok, img = cap.read()
    assert ok and frame_sha256(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)) == sha
    assert "clip redacted" in (tmp_path / "rep" / "report.html").read_text()


def test_a_redacted_clip_keeps_only_the_followed_subject_sharp(tmp_path):
    import numpy as np

    from deepssh_gui.common.imageio import import_cv2

    cv2 = import_cv2()
    cap = cv2.VideoCapture(str(VIDEO))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 200)
    _, raw = cap.read()
    from deepssh_gui.ingest.clip import _clip_people

    people = _clip_people(str(VIDEO), 200, 0.0, 0.0)[200]
    subject = max(people, key=lambda b: b[2] * b[3])
    c = write_clip(str(VIDEO), 200, tmp_path / "c.avi", 0.5, 0.5, "outside", subject)
    assert c.redaction == "outside" and len(c.originals) == c.last - c.first + 1 and c.lost == 0
    got = cv2.VideoCapture(str(c.path))
    got.set(cv2.CAP_PROP_POS_FRAMES, 200 - c.first)
    _, img = got.read()
    x, y, w, h = subject
    inside = np.abs(img[y:y + h, x:x + w].astype(int) - raw[y:y + h, x:x + w]).mean()
    mask = np.ones(raw.shape[:2], bool)
    mask[max(0, y - h // 5):y + h + h // 5, max(0, x - w // 5):x + w + w // 5] = False
    outside = np.abs(img[mask].astype(int) - raw[mask]).mean()
    assert inside < 6 < outside  # JPEG noise inside the box; mosaic everywhere else


def test_follow_subject_tracks_overlapping_boxes_and_gives_up_after_a_gap():
    from deepssh_gui.ingest.clip import MAX_GAP, follow_subject

    start = (100, 100, 40, 100)
    dets = {f: [(100 + 4 * (f - 10), 100, 40, 100), (400, 100, 40, 100)] for f in range(0, 21)}
    path = follow_subject(dets, 10, start)
    assert path[10] == start and path[20] == (140, 100, 40, 100) and path[0] == (60, 100, 40, 100)
    gone = {f: ([] if f > 12 else [(100, 100, 40, 100)]) for f in range(10, 12 + MAX_GAP + 3)}
    path = follow_subject(gone, 10, start)
    assert path[12 + MAX_GAP] == start and path[12 + MAX_GAP + 1] is None  # the last box, then lost
