"""Redacting bystanders in exported frames, and the hashes that let a second party check it.

Modes:
- ``none``: the frame as decoded.
- ``others``: every person found on the frame except the subject is pixelated. People are
  found by the product's own detector run up to that frame (MOG2 background subtraction over
  the preceding frames, so it has a background model) together with OpenCV's HOG people
  detector on the frame enlarged 2x (people who stand still), both tuned to find people down
  to 20 px tall, and every moving blob of that height whatever its shape (a person half
  hidden or merged with a neighbour): a false box only costs a mosaic. Boxes are padded by 15%.
  Pixels inside the subject's own box stay sharp. A detector can miss a person, so this
  mode is the lighter one.
- ``outside``: everything outside the subject's box (padded 10%) is pixelated: nobody else
  can remain recognisable, whatever the detectors missed.

The unredacted frame's hash is the SHA-256 of its decoded RGB24 pixels, which a second party
who holds the footage computes with standard tools (docs/reliability.md gives the ffmpeg line)
and checks with ``sha256sum -c`` against ``REPORT.originals.sha256``.
"""

from __future__ import annotations

import hashlib
from typing import Iterator

import numpy as np

from ..common.imageio import import_cv2

MODES = ("none", "others", "outside")
Box = tuple[int, int, int, int]  # x, y, w, h


def frame_sha256(rgb: np.ndarray) -> str:
    """SHA-256 of ``uint8 (H, W, 3)`` RGB pixels, row-major (ffmpeg's ``-f rawvideo -pix_fmt rgb24``)."""
    return hashlib.sha256(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()).hexdigest()


def original_frame_name(video: str, frame: int) -> str:
    """The name a redacted report's ``originals.sha256`` gives an unredacted frame's pixels."""
    from pathlib import Path

    return f"{Path(video).name}.frame{int(frame):06d}.rgb24"


def pad(box: Box, frac: float, shape: tuple[int, ...]) -> Box:
    """``box`` grown by ``frac`` of its size on every side, clipped to the frame."""
    x, y, w, h = box
    dx, dy = int(round(w * frac)), int(round(h * frac))
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(shape[1], x + w + dx), min(shape[0], y + h + dy)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def pixelate(rgb: np.ndarray, mask: np.ndarray, block: int = 12) -> np.ndarray:
    """``rgb`` with the pixels under ``bool (H, W) mask`` replaced by ``block``-pixel mosaic cells."""
    cv2 = import_cv2()
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
    mosaic = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    out = rgb.copy()
    out[mask] = mosaic[mask]
    return out


def motion_frames(video: str, first: int, last: int, history: int, **detector_options
                  ) -> Iterator[tuple[int, np.ndarray, list[Box]]]:
    """``(frame, BGR uint8 (H, W, 3), MOG2 boxes)`` for frames ``first`` to ``last`` of ``video``
    (fewer where it ends), the detector's background model trained on the ``history`` frames
    before ``first``. ``detector_options`` go to ``video.BackgroundDetector``."""
    from .video import BackgroundDetector

    cv2 = import_cv2()
    cap = cv2.VideoCapture(str(video))
    try:
        start = max(0, int(first) - history)
        cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        det = BackgroundDetector(**detector_options)
        for f in range(start, int(last) + 1):
            ok, img = cap.read()
            if not ok:
                return
            dets = det(img)  # every frame read trains the background model
            if f >= first:
                yield f, img, [d.box for d in dets]
    finally:
        cap.release()


def person_boxes(video: str, frame: int, history: int = 60) -> list[Box]:
    """People on ``frame`` of ``video``: MOG2 over the ``history`` frames before it, plus HOG."""
    from .video import HogDetector

    cv2 = import_cv2()
    # far bystanders are small, and a false box only costs a mosaic; whole blobs of any shape, not split
    # into people: a group or a half-hidden person is covered however the blob looks
    for _, img, boxes in motion_frames(video, frame, frame, history, min_height=20, split=False, any_shape=True):
        big = cv2.resize(img, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
        return boxes + [tuple(int(round(v / 2.0)) for v in d.box) for d in HogDetector(min_score=0.0)(big)]
    return []


def redaction_mask(shape: tuple[int, ...], subject: Box | None, mode: str, others: list[Box] = ()) -> np.ndarray:
    """``bool (H, W)``: the pixels ``mode`` pixelates (see the module text)."""
    if mode not in MODES:
        raise ValueError(f"unknown redaction {mode!r}; choose one of {', '.join(MODES)}")
    h, w = shape[:2]
    keep = np.zeros((h, w), dtype=bool)
    if mode == "none":
        return keep
    if subject is not None:
        x, y, bw, bh = pad(subject, 0.10 if mode == "outside" else 0.0, shape)
        keep[y:y + bh, x:x + bw] = True
    if mode == "outside":
        return ~keep
    mask = np.zeros((h, w), dtype=bool)
    for b in others:
        x, y, bw, bh = pad(b, 0.15, shape)
        mask[y:y + bh, x:x + bw] = True
    return mask & ~keep


def redact(rgb: np.ndarray, subject: Box | None, mode: str, others: list[Box] = ()) -> np.ndarray:
    """The frame redacted by ``mode``; ``others`` are the people found on it (``person_boxes``)."""
    mask = redaction_mask(rgb.shape, subject, mode, others)
    return pixelate(rgb, mask) if mask.any() else rgb
