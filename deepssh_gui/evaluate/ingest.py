"""Detection measured against hand-labelled person boxes (``deepssh evaluate-ingest``).

Labels are plain text, one box per line: our CSV (``frame,person,x,y,w,h`` with 0-based frames,
``#`` comments) or MOTChallenge ``gt.txt`` (``frame,id,x,y,w,h,...`` with 1-based frames; a
file whose name ends in ``.txt``). Each detector runs over every frame up to the last labelled
one (background subtraction needs the frames before), and on the labelled frames its boxes are
matched one-to-one to the labelled ones at IoU >= 0.5 (optimal assignment): recall, precision
and the mean IoU of the matches, with its speed as a multiple of real time.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass

import numpy as np

from ..common.imageio import import_cv2
from ..common.progress import Progress, no_progress
from ..ingest.tracker import iou_matrix

Box = tuple[int, int, int, int]
Person = tuple[int, Box]  # (trajectory id, (x, y, w, h)); id 0: who it is cannot be told


@dataclass
class DetectionScore:
    detector: str
    frames: int
    people: int
    detections: int
    matched: int
    recall: float
    precision: float
    mean_iou: float
    x_real_time: float


def read_people(path: str) -> dict[int, list[Person]]:
    """``{0-based frame: [(person, (x, y, w, h))]}`` from our CSV or a MOT ``.txt`` (1-based frames)."""
    mot = str(path).lower().endswith(".txt")
    out: dict[int, list[Person]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.reader(fh), 1):
            if not row or row[0].lstrip().startswith("#"):
                continue
            try:
                frame = int(row[0]) - (1 if mot else 0)
                person = int(row[1])
                x, y, w, h = (int(round(float(v))) for v in row[2:6])
            except (ValueError, IndexError):
                raise ValueError(f"{path}, line {n}: expected frame,person,x,y,w,h; got {','.join(row)!r}") from None
            if mot and len(row) > 6 and row[6].strip() == "0":
                continue  # MOT marks boxes to ignore with 0 in the 7th column
            if w <= 0 or h <= 0 or frame < 0:
                raise ValueError(f"{path}, line {n}: an empty box or a negative frame")
            out.setdefault(frame, []).append((person, (x, y, w, h)))
    if not out:
        raise ValueError(f"{path} holds no boxes")
    return out


def read_labels(path: str) -> dict[int, list[Box]]:
    """``{0-based frame: [x, y, w, h]}`` from our CSV or a MOT ``.txt``; ValueError names a bad line."""
    return {f: [box for _, box in people] for f, people in read_people(path).items()}


def matched_pairs(truth: list[Box], found: list[Box], min_iou: float = 0.5) -> list[tuple[int, int, float]]:
    """``[(truth index, found index, IoU)]``: the one-to-one matches at ``min_iou`` or more that
    maximise the matched IoU (optimal assignment)."""
    if not truth or not found:
        return []
    from scipy.optimize import linear_sum_assignment

    m = iou_matrix(truth, found)
    rows, cols = linear_sum_assignment(-np.where(m >= min_iou, m, 0.0))
    return [(int(r), int(c), float(m[r, c])) for r, c in zip(rows, cols) if m[r, c] >= min_iou]


def match(truth: list[Box], found: list[Box], min_iou: float = 0.5) -> list[float]:
    """IoUs of the one-to-one matches at ``min_iou`` or more that maximise the matched IoU."""
    return [v for _, _, v in matched_pairs(truth, found, min_iou)]


def evaluate_detector(video: str, labels: dict[int, list[Box]], name: str, detector,
                      progress: Progress = no_progress) -> DetectionScore:
    cv2 = import_cv2()
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video!r}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    last = max(labels)
    people = found = 0
    ious: list[float] = []
    t0 = time.perf_counter()
    f = 0
    try:
        while f <= last:
            ok, frame = cap.read()
            if not ok:
                raise ValueError(f"{video!r} ends at frame {f}, before the labelled frame {last}")
            dets = [d.box for d in detector(frame)]
            if f in labels:
                people += len(labels[f])
                found += len(dets)
                ious += match(labels[f], dets)
            f += 1
            progress(f, last + 1, name)
    finally:
        cap.release()
    secs = time.perf_counter() - t0
    return DetectionScore(name, len(labels), people, found, len(ious), round(len(ious) / max(1, people), 4),
                          round(len(ious) / max(1, found), 4), round(float(np.mean(ious)) if ious else 0.0, 4),
                          round(f / fps / secs, 1) if secs else 0.0)
