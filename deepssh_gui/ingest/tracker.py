"""A batched Kalman tracker: DeepSORT's motion model and matching, every track in one array.

deep-sort-realtime keeps one Python object and one Kalman filter per track and solves a small
linear system per track and frame; at ingest's 20-40 people per frame that dominated the calling
thread. Here the states of all tracks are stacked (``mean float64 (T, 8)``, ``cov float64
(T, 8, 8)``) and predicted, gated and updated together with batched numpy.

The model is DeepSORT's (Wojke et al., 2017): state ``(cx, cy, a, h)`` (centre, aspect w / h,
height) and their velocities, constant velocity, noise proportional to the height. Matching per
frame, also DeepSORT's:

1. confirmed tracks against detections by appearance (cosine distance of a cheap striped HSV
   histogram, the nearest of the track's last ``budget`` vectors), gated by the Mahalanobis
   distance of the detection to the predicted box (chi-square 95%, 4 degrees of freedom) and by
   ``max_cosine``, tracks seen more recently first (DeepSORT's matching cascade);
2. the rest, tentative tracks and tracks missed for one frame only, by IoU (``1 - IoU`` at
   most ``max_iou_distance``).

A track is confirmed after ``n_init`` consecutive hits, a tentative track missed once is dropped,
and a confirmed one after ``max_age`` missed frames. :meth:`KalmanTracker.update` reports the
confirmed tracks matched on this frame with their detection's box, as the DeepSORT path does.
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]

CHI2_95_4DOF = 9.4877  # DeepSORT's gate: the 95% quantile of chi-square with 4 degrees of freedom
_STD_POS, _STD_VEL = 1.0 / 20, 1.0 / 160

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)  # x' = x + v (one frame)
_H = np.eye(4, 8)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``float64 (len(a), len(b))`` IoU of ``(x, y, w, h)`` rows ``a (N, 4)`` and ``b (M, 4)``."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2])
    y1 = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return inter / np.maximum(union, 1e-9)


def appearance_vector(frame: np.ndarray, box: Box, cv2) -> np.ndarray:
    """``float32 (48,)`` unit vector of a box on a BGR frame: square-rooted hue x saturation
    histograms of three horizontal stripes (the cheap appearance both DeepSORT paths match on).
    ``cv2`` is passed in, as to ``video.crop_quality``: this runs for every detection."""
    x, y, w, h = box
    crop = frame[max(0, y):y + h, max(0, x):x + w]
    if crop.size == 0:
        return np.full(48, 1 / np.sqrt(48), np.float32)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    parts = [cv2.calcHist([s], [0, 1], None, [8, 2], [0, 180, 0, 256]).ravel() for s in np.array_split(hsv, 3, axis=0)]
    v = np.sqrt(np.concatenate(parts))
    return (v / max(float(np.linalg.norm(v)), 1e-6)).astype(np.float32)


def _xyah(boxes: np.ndarray) -> np.ndarray:
    """``(x, y, w, h)`` rows to ``(cx, cy, w / h, h)``."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2, b[:, 2] / np.maximum(b[:, 3], 1e-6), b[:, 3]], 1)


def _tlwh(mean: np.ndarray) -> np.ndarray:
    w = mean[:, 2] * mean[:, 3]
    return np.stack([mean[:, 0] - w / 2, mean[:, 1] - mean[:, 3] / 2, w, mean[:, 3]], 1)


def _assign(cost: np.ndarray, limit: float) -> list[tuple[int, int]]:
    """Optimal ``(row, col)`` pairs of ``cost`` at ``limit`` or below."""
    if cost.size == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    c = np.where(cost <= limit, cost, limit + 1e5)
    rows, cols = linear_sum_assignment(c)
    return [(int(r), int(k)) for r, k in zip(rows, cols) if cost[r, k] <= limit]


class KalmanTracker:
    """DeepSORT's tracker with every Kalman filter in one array (module docstring).

    ``update(detections, frame, frame_no)`` takes ``ingest.video.Detection`` objects and the BGR
    frame ``uint8 (H, W, 3)`` and returns ``[(track id, (x, y, w, h))]``.
    """

    def __init__(self, max_age: int = 15, n_init: int = 2, max_cosine: float = 0.3,
                 max_iou_distance: float = 0.7, budget: int = 30) -> None:
        from ..common.imageio import import_cv2

        self.cv2 = import_cv2()
        self.max_age, self.n_init, self.max_cosine = max_age, n_init, max_cosine
        self.max_iou_distance, self.budget = max_iou_distance, budget
        self.mean = np.zeros((0, 8))
        self.cov = np.zeros((0, 8, 8))
        self.ids = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int64)
        self.missed = np.zeros(0, np.int64)  # frames since the last update
        self.confirmed = np.zeros(0, bool)
        self.features: list[list[np.ndarray]] = []
        self.next_id = 1

    def _predict(self) -> None:
        if not len(self.ids):
            return
        h = self.mean[:, 3]
        std = np.concatenate([np.stack([_STD_POS * h, _STD_POS * h, np.full_like(h, 1e-2), _STD_POS * h], 1),
                              np.stack([_STD_VEL * h, _STD_VEL * h, np.full_like(h, 1e-5), _STD_VEL * h], 1)], 1)
        q = np.zeros_like(self.cov)
        q[:, np.arange(8), np.arange(8)] = std ** 2
        self.mean = self.mean @ _F.T
        self.cov = _F @ self.cov @ _F.T + q
        self.missed += 1

    def _project(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = self.mean[idx, 3]
        r = np.stack([_STD_POS * h, _STD_POS * h, np.full_like(h, 1e-1), _STD_POS * h], 1) ** 2
        s = self.cov[idx][:, :4, :4].copy()
        s[:, np.arange(4), np.arange(4)] += r
        return self.mean[idx, :4], s

    def _gate(self, idx: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``bool (len(idx), len(z))``: detection inside each track's 95% ellipse."""
        mean, s = self._project(idx)
        d = z[None, :, :] - mean[:, None, :]  # (T, D, 4)
        sol = np.linalg.solve(s[:, None, :, :], d[..., None])[..., 0]
        return np.einsum("tdk,tdk->td", d, sol) <= CHI2_95_4DOF

    def _update(self, idx: np.ndarray, z: np.ndarray) -> None:
        mean, s = self._project(idx)
        pht = self.cov[idx][:, :, :4]  # P H^T, (K, 8, 4)
        gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
        self.mean[idx] = self.mean[idx] + np.einsum("kij,kj->ki", gain, z - mean)
        self.cov[idx] = self.cov[idx] - gain @ s @ gain.transpose(0, 2, 1)

    def _appearance_cost(self, tracks: np.ndarray, feats: np.ndarray) -> np.ndarray:
        cost = np.empty((len(tracks), len(feats)))
        for r, t in enumerate(tracks):
            g = np.stack(self.features[t])
            cost[r] = 1.0 - (g @ feats.T).max(axis=0)
        return cost

    def update(self, dets, frame: np.ndarray, frame_no: int) -> list[tuple[int, Box]]:
        boxes = np.array([d.box for d in dets], np.float64).reshape(-1, 4)
        feats = np.stack([appearance_vector(frame, d.box, self.cv2) for d in dets]) if len(dets) else np.zeros((0, 48), np.float32)
        z = _xyah(boxes)
        self._predict()
        matches: list[tuple[int, int]] = []
        free = list(range(len(dets)))
        # 1. confirmed tracks by appearance, gated by motion, most recently seen first
        conf = np.flatnonzero(self.confirmed)
        if len(conf) and free:
            gate = self._gate(conf, z)
            cost = self._appearance_cost(conf, feats)
            cost[~gate] = np.inf
            for age in range(1, self.max_age + 1):
                rows = [r for r, t in enumerate(conf) if self.missed[t] == age]
                if not rows or not free:
                    continue
                pairs = _assign(cost[np.ix_(rows, free)], self.max_cosine)
                matches += [(int(conf[rows[r]]), free[k]) for r, k in pairs]
                taken = {free[k] for _, k in pairs}
                free = [d for d in free if d not in taken]
        # 2. tentative tracks and tracks missed for one frame, by IoU
        done = {t for t, _ in matches}
        rest = [t for t in range(len(self.ids)) if t not in done and (not self.confirmed[t] or self.missed[t] == 1)]
        if rest and free:
            cost = 1.0 - iou_matrix(_tlwh(self.mean[rest]), boxes[free])
            pairs = _assign(cost, self.max_iou_distance)
            matches += [(rest[r], free[k]) for r, k in pairs]
            taken = {free[k] for _, k in pairs}
            free = [d for d in free if d not in taken]
        if matches:
            t_idx = np.array([t for t, _ in matches])
            d_idx = np.array([d for _, d in matches])
            self._update(t_idx, z[d_idx])
            self.missed[t_idx] = 0
            self.hits[t_idx] += 1
            self.confirmed[t_idx] |= self.hits[t_idx] >= self.n_init
            for t, d in matches:
                self.features[t] = (self.features[t] + [feats[d]])[-self.budget:]
        self._start(z[free], feats[free])
        out = [(int(self.ids[t]), tuple(int(v) for v in boxes[d])) for t, d in sorted(matches, key=lambda m: m[1])
               if self.confirmed[t]]
        self._prune()
        return out

    def _start(self, z: np.ndarray, feats: np.ndarray) -> None:
        n = len(z)
        if not n:
            return
        mean = np.concatenate([z, np.zeros((n, 4))], 1)
        h = z[:, 3]
        std = np.stack([2 * _STD_POS * h, 2 * _STD_POS * h, np.full_like(h, 1e-2), 2 * _STD_POS * h,
                        10 * _STD_VEL * h, 10 * _STD_VEL * h, np.full_like(h, 1e-5), 10 * _STD_VEL * h], 1)
        cov = np.zeros((n, 8, 8))
        cov[:, np.arange(8), np.arange(8)] = std ** 2
        self.mean = np.concatenate([self.mean, mean])
        self.cov = np.concatenate([self.cov, cov])
        self.ids = np.concatenate([self.ids, np.arange(self.next_id, self.next_id + n)])
        self.next_id += n
        self.hits = np.concatenate([self.hits, np.ones(n, np.int64)])
        self.missed = np.concatenate([self.missed, np.zeros(n, np.int64)])
        self.confirmed = np.concatenate([self.confirmed, np.zeros(n, bool) | (self.n_init <= 1)])
        self.features += [[f] for f in feats]

    def _prune(self) -> None:
        keep = np.where(self.confirmed, self.missed <= self.max_age, self.missed == 0)
        if keep.all():
            return
        self.mean, self.cov = self.mean[keep], self.cov[keep]
        self.ids, self.hits, self.missed = self.ids[keep], self.hits[keep], self.missed[keep]
        self.confirmed = self.confirmed[keep]
        self.features = [f for f, k in zip(self.features, keep) if k]
