"""People in video: detection, tracking, and choosing the best crops of each track.

Detectors
- ``mog2`` (default, for fixed cameras): OpenCV MOG2 background subtraction at half
  resolution; foreground blobs of person-like size and aspect become detections.
- ``hog``: OpenCV's HOG + linear SVM people detector (slower; for moving cameras).
- ``*.onnx``: a user-supplied detector run through ``cv2.dnn`` (YOLO-style output
  ``(1, N, 5 + classes)`` or ``(1, 4 + classes, N)``; class 0 = person).

Trackers
- ``kalman`` (default): DeepSORT's motion model and matching with every track's Kalman filter in
  one array (ingest/tracker.py), fed with a cheap appearance vector (a striped HSV histogram).
- ``deepsort``: DeepSORT from ``deep-sort-realtime`` with the same appearance vector (the
  default before 2026-12; partial builds started with it resume with it).
- ``iou``: greedy IoU matching.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..common.imageio import import_cv2
from ..common.progress import Progress, check_cancel, no_progress
from .tracker import KalmanTracker, appearance_vector


@dataclass
class Detection:
    box: tuple[int, int, int, int]  # x, y, w, h in full-frame pixels
    score: float


@dataclass
class TrackCrop:
    track: int
    frame: int
    timestamp: float  # seconds from the start of the video
    box: tuple[int, int, int, int]
    quality: float
    crop_bgr: np.ndarray  # uint8 (h, w, 3)


@dataclass
class VideoReport:
    frames_read: int = 0
    frames_expected: int = 0
    fps: float = 0.0
    tracks: int = 0
    crops: int = 0
    damaged: bool = False
    notes: list[str] = field(default_factory=list)


class BackgroundDetector:
    """MOG2 foreground blobs of person-like shape (height > width, enough pixels).

    People walking side by side make one blob. With ``split`` a blob wider than one person
    (height under ``SPLIT_BELOW`` widths) is cut into ``round(PERSON_RATIO * width / height)``
    people at the emptiest columns of its mask near the even cuts, each part then fitted to
    its own rows (issue #22: on 15 labelled frames of vtest.avi, recall 0.63 -> 0.70 and
    precision 0.87 -> 0.92, `deepssh evaluate-ingest`; docs/gallery.md).
    """

    PERSON_RATIO = 2.6  # height / width of one walking person in fixed-camera footage
    SPLIT_BELOW = 2.0  # blobs with height / width below this may hold several people

    def __init__(self, min_height: int = 60, scale: float = 0.5, split: bool = True, any_shape: bool = False) -> None:
        cv2 = import_cv2()
        self.cv2 = cv2
        self.sub = cv2.createBackgroundSubtractorMOG2(history=200, varThreshold=25, detectShadows=True)
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 5))
        # any_shape: every blob at least min_height tall, however wide or sparse (redaction: a person
        # half behind a car or merged with a neighbour makes an odd blob, and a false box only costs a mosaic)
        self.min_height, self.scale, self.split, self.any_shape = min_height, scale, split, any_shape

    def _parts(self, blob: np.ndarray) -> list[tuple[int, int, int, int]]:
        """``(x, y, w, h)`` of each person in the binary mask ``blob`` (one component's box)."""
        h, w = blob.shape
        k = int(round(self.PERSON_RATIO * w / max(h, 1)))
        if not self.split or h / max(w, 1) >= self.SPLIT_BELOW or k < 2:
            return [(0, 0, w, h)]
        cols = np.convolve(blob.sum(axis=0).astype(np.float64), np.ones(3) / 3, mode="same")
        cuts = [0]
        for j in range(1, k):
            lo, hi = int((j - 0.5) * w / k), int((j + 0.5) * w / k)
            lo = max(lo, cuts[-1] + 2)
            if hi <= lo:
                continue
            cuts.append(lo + int(np.argmin(cols[lo:hi])))
        cuts.append(w)
        out = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            rows = np.flatnonzero(blob[:, a:b].any(axis=1))
            if len(rows):
                out.append((a, int(rows[0]), b - a, int(rows[-1] - rows[0] + 1)))
        return out

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        cv2 = self.cv2
        small = cv2.resize(frame, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        mask = self.sub.apply(small)
        mask = (mask == 255).astype(np.uint8) * 255  # drop shadows (127)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.kernel)
        mask = cv2.dilate(mask, self.kernel, iterations=2)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        out = []
        s = 1.0 / self.scale
        for c, (x, y, w, h, area) in enumerate(stats[1:], 1):
            if h * s < self.min_height or (area < 0.35 * w * h and not self.any_shape):
                continue
            for px, py, pw, ph in self._parts(labels[y:y + h, x:x + w] == c):
                H, W = ph * s, pw * s
                if H < self.min_height or not (self.any_shape or 1.2 <= H / max(W, 1) <= 5.0):
                    continue
                out.append(Detection((int((x + px) * s), int((y + py) * s), int(W), int(H)),
                                     float(min(1.0, area / (w * h)))))
        return out


class HogDetector:
    def __init__(self, min_score: float = 0.5) -> None:
        cv2 = import_cv2()
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.min_score = min_score

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        rects, weights = self.hog.detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=1.05)
        return [Detection(tuple(int(v) for v in r), float(s)) for r, s in zip(rects, np.ravel(weights))
                if s >= self.min_score]


class SplitDetector:
    """MOG2 blobs, each searched by the HOG people detector: a blob holding two or more HOG people
    (a group walking together) becomes those people; any other blob stays as it is.

    HOG's window is 64x128, larger than most people in fixed-camera footage, so each blob's
    region (with a margin) is enlarged to at least ``min_hog_height`` pixels before the search.
    Only blob regions are searched: the cost follows the moving area, not the frame.
    """

    def __init__(self, min_hog_height: int = 256, min_score: float = 0.3) -> None:
        cv2 = import_cv2()
        self.cv2 = cv2
        self.mog = BackgroundDetector()
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.min_hog_height, self.min_score = min_hog_height, min_score

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        cv2 = self.cv2
        fh, fw = frame.shape[:2]
        out = []
        for d in self.mog(frame):
            x, y, w, h = d.box
            mx, my = int(0.25 * w) + 8, int(0.1 * h) + 8
            x0, y0, x1, y1 = max(0, x - mx), max(0, y - my), min(fw, x + w + mx), min(fh, y + h + my)
            region = frame[y0:y1, x0:x1]
            s = max(1.0, self.min_hog_height / max(1, y1 - y0))
            if region.shape[0] < 16 or region.shape[1] < 8:
                out.append(d)
                continue
            big = cv2.resize(region, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR) if s > 1 else region
            if big.shape[0] < 128 or big.shape[1] < 64:
                out.append(d)
                continue
            rects, weights = self.hog.detectMultiScale(big, winStride=(8, 8), padding=(8, 8), scale=1.05)
            people = [(r, float(wt)) for r, wt in zip(rects, np.ravel(weights)) if wt >= self.min_score]
            people = _suppress(people)
            if len(people) >= 2:
                for (rx, ry, rw, rh), wt in people:
                    out.append(Detection((x0 + int(rx / s), y0 + int(ry / s), int(rw / s), int(rh / s)), wt))
            else:
                out.append(d)
        return out


def _suppress(people: list[tuple[tuple, float]], limit: float = 0.3) -> list[tuple[tuple, float]]:
    """Greedy non-maximum suppression of ``[(box, score)]`` by IoU (HOG repeats itself across scales)."""
    kept: list[tuple[tuple, float]] = []
    for box, sc in sorted(people, key=lambda p: -p[1]):
        if all(box_iou(tuple(box), tuple(k)) < limit for k, _ in kept):
            kept.append((tuple(int(v) for v in box), sc))
    return kept


class OnnxDetector:
    """A user-supplied ONNX person detector through ``cv2.dnn`` (YOLO-style output)."""

    def __init__(self, path: str, input_size: int = 640, conf: float = 0.4) -> None:
        cv2 = import_cv2()
        self.cv2 = cv2
        try:
            self.net = cv2.dnn.readNetFromONNX(path)
        except cv2.error as exc:
            from ..common.errors import DeepSSHError

            raise DeepSSHError(f"cannot load ONNX detector {path!r}: {exc}") from None
        self.size, self.conf = input_size, conf

    def __call__(self, frame: np.ndarray) -> list[Detection]:
        cv2 = self.cv2
        h, w = frame.shape[:2]
        blob = cv2.dnn.blobFromImage(frame, 1 / 255.0, (self.size, self.size), swapRB=True)
        self.net.setInput(blob)
        out = np.asarray(self.net.forward())
        if out.ndim == 3:
            out = out[0]
        if out.ndim != 2:
            return []
        if out.shape[1] > out.shape[0] and out.shape[1] > 100:
            out = out.T  # YOLOv8 layout (4 + classes, N anchors) -> (N, 4 + classes)
        has_obj = out.shape[1] in (6, 85)  # YOLOv5-style objectness column
        boxes, scores = [], []
        for row in out:
            cls = row[5:] if has_obj else row[4:]
            score = float(cls[0] * (row[4] if has_obj else 1.0))
            if score < self.conf:
                continue
            cx, cy, bw, bh = row[:4] * np.array([w / self.size, h / self.size, w / self.size, h / self.size])
            boxes.append([int(cx - bw / 2), int(cy - bh / 2), int(bw), int(bh)])
            scores.append(score)
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.conf, 0.45) if boxes else []
        return [Detection(tuple(boxes[i]), scores[i]) for i in np.ravel(keep)]


def read_frame_rgb(video: str, frame: int) -> np.ndarray | None:
    """RGB frame ``uint8 (H, W, 3)`` number ``frame`` of a video, or None when it cannot be decoded."""
    cv2 = import_cv2()
    cap = cv2.VideoCapture(video)
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(frame))
        ok, img = cap.read()
    finally:
        cap.release()
    return img[:, :, ::-1].copy() if ok else None


def make_detector(name: str) -> Callable[[np.ndarray], list[Detection]]:
    if name == "mog2":
        return BackgroundDetector()
    if name == "hog":
        return HogDetector()
    if name == "mog2+hog":
        return SplitDetector()
    if name == "mog2-blobs":  # one box per blob, as before issue #22 (kept for measuring against)
        return BackgroundDetector(split=False)
    if name.lower().endswith(".onnx"):
        return OnnxDetector(name)
    raise ValueError(f"unknown detector {name!r}: use mog2, hog, mog2+hog, mog2-blobs or a path to an .onnx "
                     f"file")


def box_iou(a, b) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / max(1, aw * ah + bw * bh - inter)


class IouTracker:
    def __init__(self, min_iou: float = 0.3, max_age: int = 10) -> None:
        self.min_iou, self.max_age = min_iou, max_age
        self.tracks: dict[int, tuple[tuple, int]] = {}  # id -> (box, last frame)
        self.next_id = 1

    def update(self, dets: list[Detection], frame: np.ndarray, frame_no: int) -> list[tuple[int, tuple]]:
        out, used = [], set()
        for d in sorted(dets, key=lambda d: -d.score):
            best, best_iou = None, self.min_iou
            for tid, (box, _) in self.tracks.items():
                if tid in used:
                    continue
                v = box_iou(d.box, box)
                if v >= best_iou:
                    best, best_iou = tid, v
            if best is None:
                best = self.next_id
                self.next_id += 1
            used.add(best)
            self.tracks[best] = (d.box, frame_no)
            out.append((best, d.box))
        self.tracks = {t: v for t, v in self.tracks.items() if frame_no - v[1] <= self.max_age}
        return out


class DeepSortTracker:
    """deep-sort-realtime's DeepSORT with HSV-histogram appearance vectors."""

    def __init__(self, max_age: int = 15) -> None:
        from deep_sort_realtime.deepsort_tracker import DeepSort

        self.ds = DeepSort(max_age=max_age, n_init=2, embedder=None, max_cosine_distance=0.3)
        self.cv2 = import_cv2()
        self._blas = _blas_controller()

    def update(self, dets: list[Detection], frame: np.ndarray, frame_no: int) -> list[tuple[int, tuple]]:
        raw = [([*d.box], d.score, 0) for d in dets]
        embeds = [appearance_vector(frame, d.box, self.cv2) for d in dets]
        # DeepSORT's Kalman gating solves tiny (4 x 4) systems; a multi-threaded BLAS makes each
        # call wait for a second core, 1.3 ms instead of microseconds when another process holds it
        # (docs/gallery.md, "Ingest speed"). One thread for these calls only.
        with self._blas.limit(limits=1, user_api="blas"):
            tracks = self.ds.update_tracks(raw, embeds=embeds, frame=frame)
        out = []
        for t in tracks:
            if not t.is_confirmed() or t.time_since_update > 0:
                continue
            det = t.get_det_ltwh() if hasattr(t, "get_det_ltwh") else None
            l, tp, w, h = (det if det is not None else t.to_ltwh())
            out.append((int(t.track_id), (int(l), int(tp), int(w), int(h))))
        return out


def _blas_controller():
    from threadpoolctl import ThreadpoolController

    import scipy.linalg  # noqa: F401  (loaded first, so that the controller sees its BLAS)

    return ThreadpoolController()


TRACKERS = ("kalman", "deepsort", "iou")  # the first is the default


def make_tracker(name: str):
    if name == "kalman":
        return KalmanTracker()
    if name == "deepsort":
        return DeepSortTracker()
    if name == "iou":
        return IouTracker()
    raise ValueError(f"unknown tracker {name!r}: use {', '.join(TRACKERS)}")


def crop_quality(crop: np.ndarray, cv2) -> float:
    """Bigger, sharper, person-shaped crops score higher."""
    h, w = crop.shape[:2]
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    sharp = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    aspect = h / max(w, 1)
    shape = np.exp(-((aspect - 2.4) ** 2) / 2.0)
    return float(np.sqrt(h * w) * np.log1p(sharp) * shape)


class DetectedFrames:
    """Frames decoded on one worker thread and passed through the detector on another.

    Decoding and background subtraction release the GIL, so they overlap with each other and
    with tracking, crop scoring and encoding on the calling thread (docs/gallery.md, "Ingest
    speed"). Iterating yields ``(frame_no, frame uint8 (H, W, 3) BGR, detections)`` for frames
    from ``start_frame`` on, in order. The 50 frames before ``start_frame`` still feed the
    detector's background model; earlier ones are only skipped. ``frames_read`` counts every
    frame taken from the file. The capture is released when the iteration ends, also when it
    is abandoned (cancel), and an error on a worker is raised on the calling thread.
    """

    _END = object()

    def __init__(self, cap, detector: Callable[[np.ndarray], list[Detection]], start_frame: int = 0,
                 ahead: int = 8) -> None:
        self.cap, self.detector, self.start_frame = cap, detector, start_frame
        self.frames_read = 0
        # bounded queues: memory stays flat however long the video is
        self._decoded: queue.Queue = queue.Queue(maxsize=ahead)
        self._detected: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()

    def _put(self, q: queue.Queue, item) -> None:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue):
        while not self._stop.is_set():
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                continue
        return self._END

    def _decode(self) -> None:
        try:
            warm = max(0, self.start_frame - 50)
            n = 0
            while not self._stop.is_set():
                if n < warm:
                    if not self.cap.grab():
                        break
                else:
                    ok, frame = self.cap.read()
                    if not ok or frame is None:
                        break
                    self._put(self._decoded, (n, frame))
                n += 1
                self.frames_read = n
            self._put(self._decoded, self._END)
        except BaseException as exc:  # handed on to the calling thread, which raises it
            self._put(self._decoded, exc)
        finally:
            self.cap.release()

    def _detect(self) -> None:
        try:
            while True:
                item = self._get(self._decoded)
                if item is self._END or isinstance(item, BaseException):
                    self._put(self._detected, item)
                    return
                n, frame = item
                dets = self.detector(frame)  # every frame read updates the background model
                if n >= self.start_frame:
                    self._put(self._detected, (n, frame, dets))
        except BaseException as exc:
            self._put(self._detected, exc)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, list[Detection]]]:
        workers = [threading.Thread(target=f, name=f"deepssh-video-{f.__name__.strip('_')}", daemon=True)
                   for f in (self._decode, self._detect)]
        for w in workers:
            w.start()
        try:
            while True:
                item = self._get(self._detected)
                if item is self._END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            for w in workers:
                w.join()


def iter_video_tracks(path: str, detector: str = "mog2", tracker: str = TRACKERS[0], best_per_track: int = 3,
                      min_track_len: int = 3, start_frame: int = 0, report: VideoReport | None = None,
                      progress: Progress = no_progress, cancel: Callable[[], bool] | None = None,
                      observe: Callable[[int, list[tuple[int, tuple]]], None] | None = None,
                      ) -> Iterator[tuple[int, list[TrackCrop], bool]]:
    """Yield ``(last_frame_done, finished track crops, is_final)`` as tracks end, and once at the end.

    A read failure before the expected frame count is reported as damage, and what was read
    is kept. ``start_frame`` resumes an interrupted ingest (earlier frames still feed the
    background model, but are not detected). ``observe(frame_no, [(track, (x, y, w, h))])`` is
    called with the tracker's boxes on every frame (evaluate/tracking.py scores identities with it).
    """
    cv2 = import_cv2()
    rep = report if report is not None else VideoReport()
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        from ..common.errors import DeepSSHError

        raise DeepSSHError(f"cannot open video {path!r}: not a video file, or a codec OpenCV lacks")
    rep.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
    rep.frames_expected = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    det = make_detector(detector)
    trk = make_tracker(tracker)
    best: dict[int, list[TrackCrop]] = {}
    seen: dict[int, int] = {}  # track -> frames seen
    last_seen: dict[int, int] = {}
    frames = DetectedFrames(cap, det, start_frame)
    for frame_no, frame, dets in frames:
        check_cancel(cancel)
        H, W = frame.shape[:2]
        boxes = trk.update(dets, frame, frame_no)
        if observe is not None:
            observe(frame_no, boxes)
        for tid, (x, y, w, h) in boxes:
            x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
            if x1 - x0 < 16 or y1 - y0 < 32:
                continue
            seen[tid] = seen.get(tid, 0) + 1
            last_seen[tid] = frame_no
            crop = frame[y0:y1, x0:x1]
            q = crop_quality(crop, cv2)
            lst = best.setdefault(tid, [])
            if len(lst) < best_per_track or q > min(c.quality for c in lst):
                # keep crops apart in time so the best few are not near-duplicates
                if all(abs(c.frame - frame_no) >= 5 for c in lst) or len(lst) < best_per_track:
                    lst.append(TrackCrop(tid, frame_no, frame_no / rep.fps, (x0, y0, x1 - x0, y1 - y0), q, crop.copy()))
                    lst.sort(key=lambda c: -c.quality)
                    del lst[best_per_track:]
        ended = [t for t, f in last_seen.items() if frame_no - f > 30]
        done = []
        for t in ended:
            if seen.get(t, 0) >= min_track_len:
                done.extend(sorted(best[t], key=lambda c: c.frame))
                rep.tracks += 1
            best.pop(t, None)
            last_seen.pop(t, None)
        if done:
            rep.crops += len(done)
            yield frame_no, done, False
        if frame_no % 10 == 0:
            progress(frame_no + 1, max(rep.frames_expected, frame_no + 1), f"{rep.tracks} tracks")
    rep.frames_read = frames.frames_read
    if rep.frames_expected and rep.frames_read < rep.frames_expected:
        rep.damaged = True
        rep.notes.append(f"read {rep.frames_read} of {rep.frames_expected} frames: the file is truncated or "
                         f"damaged; everything before frame {rep.frames_read} was ingested")
    done = []
    for t, lst in best.items():
        if seen.get(t, 0) >= min_track_len:
            done.extend(sorted(lst, key=lambda c: c.frame))
            rep.tracks += 1
    rep.crops += len(done)
    progress(rep.frames_read, max(rep.frames_expected, rep.frames_read), f"{rep.tracks} tracks")
    yield rep.frames_read, done, True
