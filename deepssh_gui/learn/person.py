"""Fitting the person filter (model/person.py): person crops against what ingest wrongly cuts.

Positives are person crops of the training sources (PETA, CUHK). Negatives are of two kinds,
both of what background subtraction cuts by mistake:

- patches of real frames (floor, wall, window, sign, parked things), at the sizes and shapes
  of person boxes, away from every box the detectors find within a few frames;
- fragments of people (a head, legs, a side sliver), resized as ingest would resize them.

The filter is L2-regularised logistic regression on the network's pooled feature; the score
threshold is chosen on held-out crops for a person recall target (dropping a real person costs
an investigation more than indexing a floor tile), and both figures are recorded with it.
"""

from __future__ import annotations

import numpy as np

from ..common.imageio import import_cv2, resize_rgb
from ..common.progress import Progress, no_progress
from ..model.person import PersonFilter

FRAGMENTS = ("head", "legs", "left", "right")


def fragments(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``uint8 (N, H, W, 3)``: one fragment of each person image (a head, legs or a side sliver,
    chosen at random), resized back to ``H x W``."""
    n, h, w = images.shape[:3]
    out = np.empty_like(images)
    for i in range(n):
        kind = FRAGMENTS[int(rng.integers(len(FRAGMENTS)))]
        f = rng.uniform(0.25, 0.45)
        if kind == "head":
            part = images[i, : max(8, int(h * f))]
        elif kind == "legs":
            part = images[i, h - max(8, int(h * f)):]
        elif kind == "left":
            part = images[i, :, : max(4, int(w * f * 0.8))]
        else:
            part = images[i, :, w - max(4, int(w * f * 0.8)):]
        out[i] = resize_rgb(np.ascontiguousarray(part), (h, w))
    return out


def _overlaps(box: tuple[int, int, int, int], others: list[tuple[int, int, int, int]], limit: float = 0.15) -> bool:
    """Whether more than ``limit`` of ``box`` (x, y, w, h) lies inside any of ``others``."""
    x, y, w, h = box
    for ox, oy, ow, oh in others:
        ix = max(0, min(x + w, ox + ow) - max(x, ox))
        iy = max(0, min(y + h, oy + oh) - max(y, oy))
        if ix * iy > limit * w * h:
            return True
    return False


def frame_patches(video: str, n: int, hw: tuple[int, int], rng: np.random.Generator, frame_range: tuple[int, int] | None = None,
                  step: int = 5, progress: Progress = no_progress) -> np.ndarray:
    """``uint8 (n, H, W, 3)`` RGB patches of ``video`` shaped like person boxes, away from people.

    Every ``step``-th frame of ``frame_range`` is searched by background subtraction (fed every
    frame) and the HOG people detector; a patch is kept when no more than 15% of it lies inside
    any box found within 10 frames of it. People who never move and are never found can still
    fall inside a patch: the held-out figures count them as non-people.
    """
    from ..ingest.video import BackgroundDetector, HogDetector

    cv2 = import_cv2()
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video!r}")
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 10**9
    lo, hi = frame_range or (0, total)
    mog, hog = BackgroundDetector(), HogDetector()
    boxes: dict[int, list] = {}
    frames: dict[int, np.ndarray] = {}
    i = 0
    while i < hi:
        ok, bgr = cap.read()
        if not ok:
            break
        dets = mog(bgr)
        if i >= lo and (i - lo) % step == 0:
            dets = dets + hog(bgr)
            frames[i] = bgr
        boxes[i] = [d.box for d in dets]
        i += 1
        progress(i, hi, "reading frames for background patches")
    cap.release()
    if not frames:
        raise ValueError(f"video {video!r} has no frames in {lo}-{hi}")
    keys = sorted(frames)
    out = []
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        f = keys[int(rng.integers(len(keys)))]
        img = frames[f]
        fh, fw = img.shape[:2]
        ph = int(rng.uniform(0.1, 0.5) * fh)
        pw = max(8, int(ph / rng.uniform(1.6, 3.0)))
        if ph >= fh or pw >= fw:
            continue
        x, y = int(rng.integers(0, fw - pw)), int(rng.integers(0, fh - ph))
        near = [b for g in range(f - 10, f + 11) for b in boxes.get(g, [])]
        if _overlaps((x, y, pw, ph), near):
            continue
        rgb = np.ascontiguousarray(img[y:y + ph, x:x + pw, ::-1])
        out.append(resize_rgb(rgb, hw))
    if len(out) < n:
        raise ValueError(f"only {len(out)} background patches away from people found in {video!r}")
    return np.stack(out)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 25) -> tuple[np.ndarray, float]:
    """``(w float32 (D,), b)`` of L2-regularised logistic regression by Newton's method.

    Features are standardised inside and the weights folded back, so ``w`` applies to raw
    features ``float (N, D)``; ``y`` is 0/1 ``(N,)``; classes are weighted to equal total weight.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    wt = np.where(y > 0, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    theta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2 / len(x))
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ theta, -30, 30)))
        g = z.T @ (wt * (p - y)) + reg * theta
        hess = (z * (wt * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, g)
        theta -= step
        if np.abs(step).max() < 1e-6:
            break
    w = theta[:-1] / sd
    b = theta[-1] - float((mu / sd) @ theta[:-1])
    return w.astype(np.float32), float(b)


def precision_recall_at(scores: np.ndarray, y: np.ndarray, t: float) -> tuple[float, float]:
    keep = scores >= t
    tp = float((keep & (y > 0)).sum())
    return tp / max(1.0, float(keep.sum())), tp / max(1.0, float((y > 0).sum()))


def threshold_for_recall(scores: np.ndarray, y: np.ndarray, recall: float) -> float:
    """The highest threshold whose recall of positives is at least ``recall``."""
    pos = np.sort(scores[y > 0])
    if not len(pos):
        raise ValueError("no positives to choose a threshold on")
    k = int(np.floor((1.0 - recall) * len(pos)))
    return float(pos[min(k, len(pos) - 1)])


def fit_person_filter(features: np.ndarray, labels: np.ndarray, kinds: np.ndarray, recall: float = 0.98,
                      holdout: float = 0.25, seed: int = 0, l2: float = 1.0) -> PersonFilter:
    """Fit on ``features float32 (N, D)`` with ``labels`` 1 person / 0 not and ``kinds`` (str (N,):
    where each came from), less a held-out part on which the threshold is chosen for ``recall``.
    The report holds the held-out precision and recall and the share kept of each kind."""
    rng = np.random.default_rng(seed)
    held = rng.random(len(labels)) < holdout
    w, b = fit_logistic(features[~held], labels[~held], l2)
    s = 1.0 / (1.0 + np.exp(-np.clip(features[held] @ w + b, -30, 30)))
    t = threshold_for_recall(s, labels[held], recall)
    prec, rec = precision_recall_at(s, labels[held], t)
    per_kind = {}
    for k in sorted(set(kinds[held].tolist())):
        sel = kinds[held] == k
        per_kind[k] = {"n": int(sel.sum()), "kept": round(float((s[sel] >= t).mean()), 4)}
    # no refit on everything: the filter shipped is the one these held-out figures measured
    report = {"n": int(len(labels)), "n_person": int(labels.sum()), "held_out": int(held.sum()),
              "recall_target": recall, "held_out_precision": round(prec, 4), "held_out_recall": round(rec, 4),
              "kept_per_kind": per_kind, "l2": l2}
    return PersonFilter(w, b, t, report)
