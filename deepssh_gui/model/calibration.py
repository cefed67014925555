"""Calibrated attribute probabilities, and their one-byte storage in galleries (numpy only).

The network's attribute classifier gives a logit ``z`` per attribute. Platt scaling, fitted
per attribute on held-out labelled crops, maps it to a calibrated logit ``a * z + b`` so that
a probability of 0.8 is right about 80% of the time (:func:`fit_platt`, measured by
:func:`expected_calibration_error`). The parameters live in the model file beside the
decoder; like it, they are derived from the weights and not part of the model hash.

Galleries store each crop's calibrated logit in one byte (in the database row and, column-major,
in ``attr_logits.npy``): ``q = round((clip(z, -L, L) + L)
/ (2 L) * 255)`` with ``L = 8`` (a step of 0.063 in logit; probabilities from 3.4e-4 to
1 - 3.4e-4). Ranking reads ``log p`` and ``log(1 - p)`` from 256-entry tables, so a query
touches one byte per queried attribute and item, like the Hamming path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOGIT_LIMIT = 8.0


@dataclass(frozen=True)
class Calibration:
    """Per-attribute Platt parameters: ``a``, ``b`` ``float32 (A,)``; ``p = sigmoid(a * z + b)``."""

    a: np.ndarray
    b: np.ndarray
    fitted_on: int = 0
    ece_before: float | None = None
    ece_after: float | None = None

    @classmethod
    def identity(cls, n_attrs: int) -> "Calibration":
        return cls(np.ones(n_attrs, np.float32), np.zeros(n_attrs, np.float32))

    def logits(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated logits ``float32 (N, A)`` from the classifier's raw logits."""
        return (raw * self.a + self.b).astype(np.float32)

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(raw))

    def to_dict(self) -> dict:
        return {"a": [float(x) for x in self.a], "b": [float(x) for x in self.b], "fitted_on": int(self.fitted_on),
                "ece_before": self.ece_before, "ece_after": self.ece_after}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        a, b = np.asarray(d["a"], np.float32), np.asarray(d["b"], np.float32)
        if a.shape != b.shape or a.ndim != 1 or not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError("calibration parameters are malformed")
        return cls(a, b, int(d.get("fitted_on", 0)), d.get("ece_before"), d.get("ece_after"))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return (0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, np.float64)))).astype(np.float32)


def fit_platt(raw: np.ndarray, labels: np.ndarray, l2: float = 1e-2, iters: int = 100,
              min_each: int = 5) -> Calibration:
    """Fit ``a``, ``b`` per attribute by damped Newton steps on the logistic loss.

    ``raw`` ``float32 (N, A)`` logits; ``labels`` ``int8 (N, A)`` 1 / 0 / -1 unknown (ignored).
    An attribute with fewer than ``min_each`` yes or no labels keeps ``a = 1, b = 0`` (too
    little evidence to move it). An L2 pull towards (1, 0) and steps of at most 1 keep
    (nearly) separable attributes finite.
    """
    n, na = raw.shape
    a = np.ones(na, np.float64)
    b = np.zeros(na, np.float64)
    for i in range(na):
        known = labels[:, i] >= 0
        y = labels[known, i].astype(np.float64)
        if min(y.sum(), y.size - y.sum()) < min_each:
            continue
        z = raw[known, i].astype(np.float64)
        w = np.array([1.0, 0.0])
        for _ in range(iters):
            p = 0.5 * (1.0 + np.tanh(0.5 * (w[0] * z + w[1])))
            g = np.array([np.dot(p - y, z), np.sum(p - y)]) / y.size + l2 * (w - [1.0, 0.0])
            s = p * (1 - p)
            h = np.array([[np.dot(s, z * z), np.dot(s, z)], [np.dot(s, z), s.sum()]]) / y.size + l2 * np.eye(2)
            step = np.linalg.solve(h, g)
            step *= min(1.0, 1.0 / max(1e-12, float(np.abs(step).max())))
            w -= step
            if np.abs(step).max() < 1e-7:
                break
        a[i], b[i] = w
    return Calibration(a.astype(np.float32), b.astype(np.float32), fitted_on=n)


def expected_calibration_error(p: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE over every known (crop, attribute) decision: ``sum_b |acc_b - conf_b| * n_b / n``.

    ``p`` is the probability of "yes"; each decision is binned by that probability and compared
    with the fraction of "yes" labels in the bin (the reliability-diagram form for binary labels).
    """
    known = labels >= 0
    pv, yv = p[known].astype(np.float64), labels[known].astype(np.float64)
    if not pv.size:
        return float("nan")
    edges = np.minimum((pv * bins).astype(np.int64), bins - 1)
    err = 0.0
    for k in range(bins):
        sel = edges == k
        if sel.any():
            err += abs(yv[sel].mean() - pv[sel].mean()) * sel.sum()
    return float(err / pv.size)


# ----------------------------------------------------------------------------- one-byte storage

def quantise_logits(z: np.ndarray) -> np.ndarray:
    """``uint8`` bytes of calibrated logits (clipped to +-LOGIT_LIMIT)."""
    q = (np.clip(z, -LOGIT_LIMIT, LOGIT_LIMIT) + LOGIT_LIMIT) * (255.0 / (2 * LOGIT_LIMIT))
    return np.rint(q).astype(np.uint8)


def logit_columns(probs: np.ndarray) -> np.ndarray:
    """``uint8 (A, N)``: the stored form (column-major logit bytes) of probabilities ``(N, A)``."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1 - 1e-12)
    return np.ascontiguousarray(quantise_logits(np.log(p) - np.log1p(-p)).T)


def probability_bytes(probs: np.ndarray) -> np.ndarray:
    """``uint8 (N, A)``: probabilities ``(N, A)`` as the logit bytes a gallery row stores (row-major)."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1 - 1e-12)
    return quantise_logits(np.log(p) - np.log1p(-p))


def scores_from_blobs(blobs: list[bytes], n_attrs: int) -> np.ndarray:
    """``float32 (len(blobs), A)`` probabilities from stored rows: ``A`` logit bytes each, or (rows
    written before issue #24) ``A`` float32 probabilities. ValueError on any other length."""
    out = np.empty((len(blobs), n_attrs), np.float32)
    for i, b in enumerate(blobs):
        if len(b) == n_attrs:
            out[i] = byte_probabilities(np.frombuffer(b, np.uint8))
        elif len(b) == 4 * n_attrs:
            out[i] = np.frombuffer(b, np.float32)
        else:
            raise ValueError(f"a stored probability row has {len(b)} bytes; {n_attrs} or {4 * n_attrs} expected")
    return out


def logit_columns_from_blobs(blobs: list[bytes], n_attrs: int) -> np.ndarray:
    """``uint8 (A, N)`` column-major logit bytes of stored rows (see :func:`scores_from_blobs`)."""
    buf = b"".join(blobs)
    if len(buf) == len(blobs) * n_attrs and all(len(b) == n_attrs for b in blobs):
        return np.ascontiguousarray(np.frombuffer(buf, np.uint8).reshape(len(blobs), n_attrs).T)
    out = np.empty((n_attrs, len(blobs)), np.uint8)
    for i, b in enumerate(blobs):
        if len(b) == n_attrs:
            out[:, i] = np.frombuffer(b, np.uint8)
        else:
            out[:, i] = logit_columns(scores_from_blobs([b], n_attrs))[:, 0]
    return out


def byte_logits() -> np.ndarray:
    """``float64 (256,)``: the logit each byte stands for."""
    return np.arange(256) * (2 * LOGIT_LIMIT / 255.0) - LOGIT_LIMIT


def byte_probabilities(q: np.ndarray) -> np.ndarray:
    """``float64``: the probability each byte of ``q`` stands for (a table lookup)."""
    return _BYTE_P[q]


# log p and log(1 - p) per byte, -softplus(-z) and -softplus(z), exact in float64
_Z = byte_logits()
LOG_P = (-np.logaddexp(0.0, -_Z)).astype(np.float32)
LOG_NOT_P = (-np.logaddexp(0.0, _Z)).astype(np.float32)
_BYTE_P = sigmoid(_Z)
# the most a term can add to -log P: bounds the normalised part of the hybrid score
MAX_TERM_NLL = float(-LOG_P[0])
