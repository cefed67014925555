"""Redaction of bystanders in exported frames (ingest/redact.py), against hand-labelled people."""

import csv

import numpy as np
import pytest

from deepssh_gui.ingest.redact import frame_sha256, person_boxes, redact, redaction_mask
from tests.conftest import ROOT

VIDEO = ROOT / "resources" / "demo" / "vtest.avi"
LABELS = ROOT / "resources" / "eval" / "vtest_people.csv"


def _people() -> dict[int, list[tuple[int, int, int, int]]]:
    out: dict[int, list] = {}
    with open(LABELS) as f:
        for row in csv.reader(line for line in f if not line.startswith("#")):
            out.setdefault(int(row[0]), []).append(tuple(int(v) for v in row[2:6]))
    return out


def _core(box, frac=0.6):
    """The central ``frac`` of a box: a hand-drawn box is a few pixels off at its edges."""
    x, y, w, h = box
    dx, dy = int(w * (1 - frac) / 2), int(h * (1 - frac) / 2)
    return x + dx, y + dy, w - 2 * dx, h - 2 * dy


# Measured (docs/reliability.md, "Redacted frames for sharing"): of the bystander pairs that must be
# pixelated (each labelled person in turn the subject), 97.1% of 1457 are covered on the 40 frames
# that are multiples of 20 (and 164). On the 40 frames the people the detectors do not cover are
# listed here; a new one fails the test.
KNOWN_MISSES = {
    (20, (412, 170, 20, 80)), (120, (417, 180, 23, 79)), (340, (415, 175, 38, 92)),  # mostly behind the sign
    (680, (748, 38, 14, 45)), (760, (742, 58, 16, 40)), (780, (753, 53, 12, 44)),  # at the far car, half hidden
    (40, (735, 281, 33, 118)),  # cut by the frame's right edge
}
# The floors below are what `others` mode must keep; `outside` mode covers whatever the detectors miss.
MIN_COVERED_SHARE = 0.95
MIN_COVERED_SHARE_ALL_FRAMES = 0.95  # 95.4% measured (3524 of 3693)


def _coverage(frames: dict[int, list]) -> tuple[int, list]:
    """``(bystander pairs, [(frame, bystander box, covered share)] under 95%)`` for ``others`` mode."""
    pairs, missed = 0, []
    for frame, people in sorted(frames.items()):
        found = person_boxes(str(VIDEO), frame)
        for subject in people:  # each labelled person in turn is the subject
            mask = redaction_mask((576, 768), subject, "others", found)
            sx, sy, sw, sh = subject
            assert not mask[sy:sy + sh, sx:sx + sw].any()  # the subject stays sharp
            for other in people:
                if other == subject:
                    continue
                x, y, w, h = _core(other)
                core = np.zeros((576, 768), dtype=bool)
                core[y:y + h, x:x + w] = True
                core[sy:sy + sh, sx:sx + sw] = False  # a bystander inside the subject's box stays visible
                if core.any():
                    pairs += 1
                    covered = (mask & core).sum() / core.sum()
                    if covered < 0.95:
                        missed.append((frame, other, round(float(covered), 2)))
    print(f"others mode: {pairs - len(missed)} of {pairs} bystander pairs covered")  # the figures in docs/reliability.md
    return pairs, missed


def test_others_mode_redacts_the_labelled_bystanders_and_keeps_the_subject_sharp():
    pairs, missed = _coverage({f: p for f, p in _people().items() if f % 20 == 0 or f == 164})
    assert pairs > 1400
    assert 1 - len(missed) / pairs >= MIN_COVERED_SHARE, missed
    missed_people = {(f, o) for f, o, _ in missed}
    assert missed_people <= KNOWN_MISSES, missed_people - KNOWN_MISSES


@pytest.mark.slow
def test_others_mode_on_all_labelled_frames():
    pairs, missed = _coverage(_people())
    assert pairs > 3600
    assert 1 - len(missed) / pairs >= MIN_COVERED_SHARE_ALL_FRAMES, missed


def test_outside_mode_keeps_only_the_subject_and_hashes_the_original():
    from deepssh_gui.ingest.video import read_frame_rgb

    rgb = read_frame_rgb(str(VIDEO), 400)
    box = _people()[400][0]
    out = redact(rgb, box, "outside")
    x, y, w, h = box
    assert np.array_equal(out[y:y + h, x:x + w], rgb[y:y + h, x:x + w])
    assert not np.array_equal(out[:100, :100], rgb[:100, :100])
    assert frame_sha256(rgb) != frame_sha256(out) and len(frame_sha256(rgb)) == 64
    assert redact(rgb, box, "none") is rgb
    with pytest.raises(ValueError, match="unknown redaction"):
        redact(rgb, box, "blur-all")


def test_cli_export_redacts_and_lists_the_originals(tmp_path):
    """``deepssh export --redact outside`` on a copy of the demo gallery: the report says so, the
    unredacted frames' hashes are listed (and covered by the manifest), and verify passes."""
    import shutil
    import subprocess
    import sys

    from deepssh_gui.common.paths import DEMO_GALLERY

    g = tmp_path / "demo"
    shutil.copytree(DEMO_GALLERY, g)
    shutil.copy(VIDEO, tmp_path / "vtest.avi")  # the gallery refers to ../vtest.avi
    out = tmp_path / "rep" / "report"
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "export", "--gallery", str(g), "--attributes",
                        "personalMale", "--ranks", "1,2", "--redact", "outside", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    html = out.with_suffix(".html").read_text()
    assert "everything outside the subject" in html
    lines = (tmp_path / "rep" / "report.originals.sha256").read_text().splitlines()
    assert len(lines) == 2 and all(ln.split()[0] in html for ln in lines)
    frame = int(lines[0].split(".frame")[1][:6])
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "frame-hash", str(tmp_path / "vtest.avi"), str(frame)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.split()[0] == lines[0].split()[0]  # a second party recomputes the original's hash
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "verify", str(tmp_path / "rep")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout
