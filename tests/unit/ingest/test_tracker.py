"""The batched Kalman tracker (ingest/tracker.py)."""

import numpy as np

from deepssh_gui.ingest.tracker import KalmanTracker, iou_matrix
from deepssh_gui.ingest.video import TRACKERS, Detection


def _frame(people):
    """A grey frame with each ``(x, y, w, h, bgr)`` drawn as a filled box."""
    img = np.full((300, 400, 3), 120, np.uint8)
    for x, y, w, h, color in people:
        img[y:y + h, x:x + w] = color
    return img


def test_two_people_crossing_keep_their_identities():
    """Two differently dressed people walk towards each other and overlap for a few frames; motion
    and appearance keep each on their own track (deep-sort-realtime's DeepSORT gives the blue one a
    second track in this scene)."""
    t = KalmanTracker()
    red, blue = (30, 30, 200), (200, 60, 30)
    ids = {}
    for f in range(40):
        a = (20 + 8 * f, 100, 30, 80, red)
        b = (340 - 8 * f, 104, 30, 80, blue)
        out = t.update([Detection(a[:4], 1.0), Detection(b[:4], 1.0)], _frame([a, b]), f)
        for tid, box in out:
            who = "red" if abs(box[0] - a[0]) < abs(box[0] - b[0]) else "blue"
            if box[0] == a[0] and box[0] == b[0]:
                continue  # fully overlapping: either is right
            ids.setdefault(who, set()).add(tid)
    assert ids["red"] and ids["blue"]
    assert len(ids["red"]) == 1 and len(ids["blue"]) == 1 and ids["red"] != ids["blue"]


def test_tracks_are_confirmed_after_two_hits_and_survive_a_short_gap():
    t = KalmanTracker(max_age=5)
    box = lambda f: (50 + 4 * f, 60, 30, 80)  # noqa: E731
    img = lambda f: _frame([(*box(f), (0, 200, 0))])  # noqa: E731
    assert t.update([Detection(box(0), 1.0)], img(0), 0) == []  # tentative
    first = t.update([Detection(box(1), 1.0)], img(1), 1)
    assert len(first) == 1 and first[0][1] == box(1)
    for f in range(2, 5):  # missed for three frames: kept, not reported
        assert t.update([], img(f), f) == []
    again = t.update([Detection(box(5), 1.0)], img(5), 5)
    assert [i for i, _ in again] == [first[0][0]]
    for f in range(6, 13):  # gone for longer than max_age
        t.update([], img(f), f)
    assert len(t.ids) == 0


def test_a_tentative_track_missed_once_is_dropped():
    t = KalmanTracker()
    t.update([Detection((10, 10, 30, 80), 1.0)], _frame([]), 0)
    t.update([], _frame([]), 1)
    assert len(t.ids) == 0


def test_iou_matrix_and_the_tracker_list():
    m = iou_matrix(np.array([[0, 0, 10, 10], [20, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 10, 10]]))
    assert m.shape == (2, 2) and m[0, 0] == 1.0 and m[1, 0] == 0.0 and abs(m[0, 1] - 50 / 150) < 1e-9
    from deepssh_gui.cli.args import TRACKERS as CLI_TRACKERS

    assert TRACKERS == CLI_TRACKERS and TRACKERS[0] == "kalman"  # the CLI's copy, and the default first
