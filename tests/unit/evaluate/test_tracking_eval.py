"""Identity scores of ingest's tracking against labelled trajectories (evaluate/tracking.py)."""

import json
import subprocess
import sys

import pytest

from deepssh_gui.evaluate.ingest import read_people
from deepssh_gui.evaluate.tracking import match_tracks, score_identities
from tests.conftest import ROOT

A, B = (0, 0, 10, 20), (100, 0, 10, 20)


def test_people_are_read_with_their_trajectory_ids(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("# c\n3,7,0,0,10,20\n3,0,50,0,10,20\n")
    assert read_people(str(p)) == {3: [(7, (0, 0, 10, 20)), (0, (50, 0, 10, 20))]}
    bad = tmp_path / "bad.csv"
    bad.write_text("3,x,0,0,10,20\n")
    with pytest.raises(ValueError, match="line 1"):
        read_people(str(bad))


def test_a_track_on_an_unknown_person_is_not_given_to_a_neighbour():
    people = [(0, A), (5, (2, 0, 10, 20))]  # person 0 sits exactly where the track is
    assert match_tracks(people, [(9, A)]) == []
    assert match_tracks([(5, A)], [(9, A)]) == [(5, 9)]


def test_switches_fragments_and_mixing_are_counted():
    labels = {f: [(1, A), (2, B)] for f in range(6)}
    # person 1: track 10, 10, 11, 11, 10, missed -> 2 switches, 2 tracks, best track 3 of 6 boxes
    # person 2: track 20 throughout, except frame 5 where track 11 is on it -> 1 switch
    t1 = [10, 10, 11, 11, 10, None]
    t2 = [20, 20, 20, 20, 20, 11]
    tracked = {f: [(t, box) for t, box in ((t1[f], A), (t2[f], B)) if t is not None] for f in range(6)}
    s = score_identities(labels, tracked, crop_tracks=[10, 10, 11, 20, 99])
    assert s["people"] == 2 and s["people_covered"] == 2
    assert s["id_switches"] == 3
    assert s["tracks_per_person"] == 2.0  # (2 + 2) / 2
    assert s["id_recall"] == round((3 + 5) / 12, 4)
    assert s["tracks"] == 3 and s["tracks_on_two_people"] == 1  # track 11 was on both
    # crops: 10, 10 -> person 1; 11 -> its most-matched person (1, twice); 20 -> person 2; 99 on nobody
    assert s["crops"] == 5 and s["crops_per_person"] == 2.0 and s["crops_on_nobody"] == 1


def test_perfect_tracking_scores_perfectly():
    labels = {f: [(1, A), (2, B)] for f in range(4)}
    tracked = {f: [(10, A), (20, B)] for f in range(4)}
    s = score_identities(labels, tracked, [10, 20])
    assert (s["id_switches"], s["tracks_per_person"], s["id_recall"], s["tracks_on_two_people"]) == (0, 1.0, 1.0, 0)


def test_evaluate_ingest_scores_identities_on_the_demo_clip(tmp_path):
    """The shipped labels carry trajectory ids; a clip of the first 60 frames keeps the test short."""
    labels = tmp_path / "l.csv"
    rows = [ln for ln in (ROOT / "resources" / "eval" / "vtest_people.csv").read_text().splitlines()
            if ln and not ln.startswith("#") and int(ln.split(",")[0]) <= 60]
    labels.write_text("\n".join(rows) + "\n")
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "evaluate-ingest", "--labels", str(labels),
                        "--detector", "mog2", "--tracker", "kalman"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)["tracking"][0]
    assert row["tracker"] == "kalman" and row["people"] >= 5
    assert 0 < row["people_covered"] <= row["people"] and 0 <= row["id_recall"] <= 1 and row["crops"] > 0
    no_ids = tmp_path / "noid.csv"
    no_ids.write_text("40,0,300,150,30,80\n")
    r = subprocess.run([sys.executable, "-m", "deepssh_gui.cli", "evaluate-ingest", "--labels", str(no_ids),
                        "--detector", "mog2", "--tracker", "kalman"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "no person a trajectory id" in r.stderr
