"""Identities through ingest, measured against labelled trajectories (``deepssh evaluate-ingest``).

The labels give every person's box on some frames and, in the person column, a trajectory id
that is the same for one person on every labelled frame (0: who it is cannot be told; such
boxes are left out here). Ingest's own detection, tracking and crop choice run over the video
(``ingest.video.iter_video_tracks``), and on each labelled frame the boxes the tracker reports
are matched one-to-one to the labelled people at IoU >= 0.5 (optimal assignment). From the
matches, per labelled person in frame order:

- ``id_switches``: times the track matched to a person differs from the track matched the last
  time that person was matched (MOT's IDSW, counted on labelled frames only, so a lower bound);
- ``tracks_per_person``: distinct tracks matched to a person, over the people matched at all;
- ``id_recall``: the share of labelled boxes matched to their person's most-matched track
  (IDF1's recall with a greedy track-to-person pairing);
- ``tracks_on_two_people``: tracks matched to two or more different people (identity mixing);
- ``crops_per_person``: gallery crops whose track's most-matched person is that person, over the
  people with any such crop; ``crops_on_nobody``: crops whose track matched no labelled person.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..common.progress import Progress, no_progress
from .ingest import Box, Person, matched_pairs


@dataclass
class TrackingScore:
    detector: str
    tracker: str
    people: int  # labelled people with a trajectory id
    people_covered: int  # of those, matched at least once
    id_switches: int
    tracks_per_person: float
    id_recall: float
    tracks: int  # tracks matched to any labelled person
    tracks_on_two_people: int
    crops: int
    crops_per_person: float
    crops_on_nobody: int
    x_real_time: float


def match_tracks(people: list[Person], tracked: list[tuple[int, Box]], min_iou: float = 0.5
                 ) -> list[tuple[int, int]]:
    """``[(person, track)]``: the one-to-one matches at ``min_iou`` or more maximising the matched IoU.

    Every labelled box takes part (so a track on an unknown person is not given to a neighbour);
    matches to person 0 are then dropped.
    """
    pairs = matched_pairs([b for _, b in people], [b for _, b in tracked], min_iou)
    return [(people[r][0], tracked[c][0]) for r, c, _ in pairs if people[r][0] > 0]


def score_identities(labels: dict[int, list[Person]], tracked: dict[int, list[tuple[int, Box]]],
                     crop_tracks: list[int]) -> dict:
    """The identity figures of the module docstring from the tracker's boxes per labelled frame
    (``{frame: [(track, box)]}``) and the track of each gallery crop."""
    per_person: dict[int, list[int | None]] = {}
    matched: dict[int, Counter] = {}  # track -> Counter of people
    for f in sorted(labels):
        pairs = dict(match_tracks(labels[f], tracked.get(f, [])))
        for p, _ in labels[f]:
            if p > 0:
                per_person.setdefault(p, []).append(pairs.get(p))
        for p, t in pairs.items():
            matched.setdefault(t, Counter())[p] += 1
    switches = 0
    tracks_of: dict[int, set[int]] = {}
    best_hits = boxes = 0
    for p, seq in per_person.items():
        last = None
        hits = Counter(t for t in seq if t is not None)
        boxes += len(seq)
        best_hits += max(hits.values()) if hits else 0
        tracks_of[p] = set(hits)
        for t in seq:
            if t is None:
                continue
            if last is not None and t != last:
                switches += 1
            last = t
    covered = [p for p, ts in tracks_of.items() if ts]
    owner = {t: c.most_common(1)[0][0] for t, c in matched.items()}
    crops_of = Counter(owner[t] for t in crop_tracks if t in owner)
    return {
        "people": len(per_person),
        "people_covered": len(covered),
        "id_switches": switches,
        "tracks_per_person": round(float(np.mean([len(tracks_of[p]) for p in covered])) if covered else 0.0, 2),
        "id_recall": round(best_hits / max(1, boxes), 4),
        "tracks": len(matched),
        "tracks_on_two_people": sum(1 for c in matched.values() if len(c) >= 2),
        "crops": len(crop_tracks),
        "crops_per_person": round(float(np.mean(list(crops_of.values()))) if crops_of else 0.0, 2),
        "crops_on_nobody": sum(1 for t in crop_tracks if t not in owner),
    }


def evaluate_tracking(video: str, labels: dict[int, list[Person]], detector: str, tracker: str,
                      progress: Progress = no_progress) -> TrackingScore:
    """Run ingest's detection, tracking and crop choice over ``video`` and score its identities."""
    from ..ingest.video import VideoReport, iter_video_tracks

    tracked: dict[int, list[tuple[int, Box]]] = {}

    def observe(frame_no: int, boxes: list[tuple[int, Box]]) -> None:
        if frame_no in labels:
            tracked[frame_no] = list(boxes)

    rep = VideoReport()
    crop_tracks: list[int] = []
    t0 = time.perf_counter()
    for _, crops, _ in iter_video_tracks(video, detector, tracker, report=rep, progress=progress,
                                         observe=observe):
        crop_tracks.extend(c.track for c in crops)
    secs = time.perf_counter() - t0
    s = score_identities(labels, tracked, crop_tracks)
    return TrackingScore(detector, tracker, x_real_time=round(rep.frames_read / rep.fps / secs, 1) if secs else 0.0,
                         **s)
