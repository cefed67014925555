"""Short clips of the footage around a hit, exported beside an evidence report (issue #22).

A clip is the source's own frames from ``before`` seconds before the hit's frame to ``after``
seconds after it, written unannotated as Motion-JPEG in an AVI container (every OpenCV build
writes it and common players read it). The report states each clip's frame range and SHA-256,
and the report's manifest lists it, so a second party re-hashes it with ``sha256sum``.

A redacted clip (``redaction`` ``others`` or ``outside``, as for frames: ingest/redact.py)
follows the subject from the hit's box through the clip: the product's MOG2 detector runs over
the clip (and ``HISTORY`` frames before it, for its background model), and on each frame the
subject is the detection overlapping its box on the neighbouring frame most (IoU >= 0.3),
forward and backward from the hit. Where it cannot be followed for more than ``MAX_GAP``
frames, ``outside`` pixelates the whole frame (nobody stays recognisable) and ``others`` keeps
no box sharp. Each unredacted frame's RGB24 SHA-256 is returned for the report's originals list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..common.imageio import import_cv2
from ..search.gallery import sha256_file
from .redact import MODES, Box, frame_sha256, motion_frames, redact
from .video import box_iou

HISTORY = 60  # frames before the clip that only train the background model (as redact.person_boxes)
MAX_GAP = 5  # frames the subject may go unmatched (merged with a passer-by, missed) keeping its last box
FOLLOW_IOU = 0.3


@dataclass(frozen=True)
class Clip:
    path: Path
    first: int  # first and last frame of the source (0-based, inclusive)
    last: int
    fps: float
    sha256: str
    redaction: str = "none"
    # redacted clips: (source frame, SHA-256 of its unredacted RGB24 pixels) per frame, and how
    # many frames the subject could not be followed on (whole frame pixelated by "outside")
    originals: tuple[tuple[int, str], ...] = field(default=())
    lost: int = 0


def clip_frames(cap, frame: int, before: float, after: float) -> tuple[float, int, Iterator]:
    """``(fps, first frame, BGR frames)`` of an open ``cv2.VideoCapture`` from ``before`` seconds
    before ``frame`` to ``after`` seconds after it (fewer where the video ends)."""
    cv2 = import_cv2()
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    first = max(0, int(frame - round(before * fps)))
    last = int(frame + round(after * fps))
    cap.set(cv2.CAP_PROP_POS_FRAMES, first)

    def frames():
        for _ in range(first, last + 1):
            ok, img = cap.read()
            if not ok:
                return
            yield img
    return float(fps), first, frames()


def follow_subject(dets: dict[int, list[Box]], frame: int, box: Box) -> dict[int, Box | None]:
    """The subject's box on each frame of ``dets`` (frame -> people found), starting from ``box``
    on ``frame`` and following the best-overlapping detection forward and backward; a frame
    without a match keeps the last box for up to ``MAX_GAP`` frames, then the subject is lost
    (None) until a detection overlaps its last box again."""
    out: dict[int, Box | None] = {}
    for order in (sorted(f for f in dets if f >= frame), sorted((f for f in dets if f < frame), reverse=True)):
        cur, gap = tuple(box), 0
        for f in order:
            best = max(dets[f], key=lambda d: box_iou(cur, d), default=None)
            if best is not None and box_iou(cur, best) >= FOLLOW_IOU:
                cur, gap = tuple(best), 0
                out[f] = cur
            else:
                gap += 1
                out[f] = cur if gap <= MAX_GAP else None
    return out


def _clip_people(video: str, frame: int, before: float, after: float) -> dict[int, list[Box]]:
    """People found on every frame of the clip (MOG2 trained on ``HISTORY`` frames before it)."""
    cv2 = import_cv2()
    cap = cv2.VideoCapture(str(video))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    finally:
        cap.release()
    first, last = max(0, int(frame - round(before * fps))), int(frame + round(after * fps))
    # far bystanders are small, and a false box only costs a mosaic (as redact.person_boxes); split
    # boxes, so that the subject is followed apart from a neighbour
    return {f: boxes for f, _, boxes in motion_frames(video, first, last, HISTORY, min_height=20)}


def write_clip(video: str, frame: int, out: str | os.PathLike, before: float = 3.0, after: float = 3.0,
               redaction: str = "none", subject: Box | None = None) -> Clip:
    """Write frames ``frame - before * fps`` to ``frame + after * fps`` of ``video`` to ``out``
    (written under a temporary name, then renamed), redacted by ``redaction`` around the
    ``subject`` (its box on ``frame``). ValueError when the video cannot be read there."""
    if redaction not in MODES:
        raise ValueError(f"unknown redaction {redaction!r}; choose one of {', '.join(MODES)}")
    cv2 = import_cv2()
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video!r}")
    people = _clip_people(video, frame, before, after) if redaction != "none" else {}
    path = follow_subject(people, frame, subject) if subject is not None and people else {}
    originals: list[tuple[int, str]] = []
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.avi")
    writer = None
    try:
        fps, first, frames = clip_frames(cap, frame, before, after)
        n = 0
        for img in frames:
            if redaction != "none":
                f = first + n
                originals.append((f, frame_sha256(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))))
                img = redact(img, path.get(f), redaction, people.get(f, []))
            if writer is None:
                out.parent.mkdir(parents=True, exist_ok=True)
                h, w = img.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
                if not writer.isOpened():
                    raise ValueError(f"cannot write a clip to {str(out)!r}")
            writer.write(img)
            n += 1
        if writer is None:
            raise ValueError(f"{video!r} has no frames from {first}")
        writer.release()
        writer = None
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        digest = sha256_file(tmp)
        os.replace(tmp, out)
        lost = sum(path.get(first + i) is None for i in range(n)) if redaction != "none" else 0
        return Clip(out, first, first + n - 1, float(fps), digest, redaction, tuple(originals), lost)
    finally:
        if writer is not None:
            writer.release()
        cap.release()
        if tmp.exists():
            tmp.unlink()
