"""Short clips of the footage around a hit, exported beside an evidence report (issue #22).

A clip is the source's own frames from ``before`` seconds before the hit's frame to ``after``
seconds after it, written unannotated as Motion-JPEG in an AVI container (every OpenCV build
writes it and common players read it). The report states each clip's frame range and SHA-256,
and the report's manifest lists it, so a second party re-hashes it with ``sha256sum``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..common.imageio import import_cv2
from ..search.gallery import sha256_file


@dataclass(frozen=True)
class Clip:
    path: Path
    first: int  # first and last frame of the source (0-based, inclusive)
    last: int
    fps: float
    sha256: str


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


def write_clip(video: str, frame: int, out: str | os.PathLike, before: float = 3.0, after: float = 3.0) -> Clip:
    """Write frames ``frame - before * fps`` to ``frame + after * fps`` of ``video`` to ``out``
    (written under a temporary name, then renamed). ValueError when the video cannot be read there."""
    cv2 = import_cv2()
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video!r}")
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.avi")
    writer = None
    try:
        fps, first, frames = clip_frames(cap, frame, before, after)
        n = 0
        for img in frames:
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
        return Clip(out, first, first + n - 1, float(fps), digest)
    finally:
        if writer is not None:
            writer.release()
        cap.release()
        if tmp.exists():
            tmp.unlink()
