"""Detection against hand-labelled boxes (evaluate/ingest.py) and the MOG2 blob splitting it measured."""

import subprocess
import sys

import numpy as np
import pytest

from deepssh_gui.evaluate.ingest import iou_matrix, match, read_labels
from deepssh_gui.ingest.video import BackgroundDetector
from tests.conftest import ROOT


def test_labels_read_in_both_formats_and_bad_lines_are_named(tmp_path):
    csv_ = tmp_path / "l.csv"
    csv_.write_text("# comment\n4,1,10,20,30,60\n4,2,50,20,30,60\n9,1,0,0,5,5\n")
    assert read_labels(str(csv_)) == {4: [(10, 20, 30, 60), (50, 20, 30, 60)], 9: [(0, 0, 5, 5)]}
    mot = tmp_path / "gt.txt"
    mot.write_text("5,1,10,20,30,60,1,-1,-1\n5,2,1,1,9,9,0,-1,-1\n")  # 1-based; the second is ignored
    assert read_labels(str(mot)) == {4: [(10, 20, 30, 60)]}
    bad = tmp_path / "bad.csv"
    bad.write_text("4,1,10,20,thirty,60\n")
    with pytest.raises(ValueError, match="line 1"):
        read_labels(str(bad))


def test_matching_is_one_to_one_at_iou_half():
    truth = [(0, 0, 10, 20), (100, 0, 10, 20)]
    assert iou_matrix(truth, [(0, 0, 10, 20)])[:, 0].tolist() == [1.0, 0.0]
    # one wide box over both people matches neither; two boxes on one person match once
    assert match(truth, [(0, 0, 110, 20)]) == []
    assert len(match(truth, [(0, 0, 10, 20), (1, 0, 10, 20)])) == 1


def test_a_blob_of_two_people_side_by_side_is_split_at_the_gap():
    det = BackgroundDetector()
    blob = np.zeros((60, 50), bool)
    blob[:, 2:22] = True  # one person
    blob[5:, 28:48] = True  # another, a little shorter
    parts = det._parts(blob)
    assert len(parts) == 2
    (xa, ya, wa, ha), (xb, yb, wb, hb) = parts
    assert xa + wa <= 28 and xb >= 22 and (ya, ha) == (0, 60) and (yb, hb) == (5, 55)
    assert BackgroundDetector(split=False)._parts(blob) == [(0, 0, 50, 60)]
    tall = np.ones((60, 22), bool)
    assert det._parts(tall) == [(0, 0, 22, 60)]  # one person's shape is left alone


def test_evaluate_ingest_cli_on_the_demo_clip(tmp_path):
    labels = tmp_path / "l.csv"
    labels.write_text("40,1,300,150,30,80\n")
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "evaluate-ingest", "--labels", str(labels),
                        "--detector", "mog2"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    import json

    row = json.loads(r.stdout)["detectors"][0]
    assert row["detector"] == "mog2" and row["frames"] == 1 and row["people"] == 1 and 0 <= row["recall"] <= 1
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "evaluate-ingest", "--labels", str(tmp_path / "no.csv")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "cannot read the labels" in r.stderr
