"""The k-th smallest of many scores, without partitioning all of them (numpy only)."""

from __future__ import annotations

import numpy as np


def kth_smallest(s: np.ndarray, k: int) -> float:
    """The k-th smallest of scores ``s`` (floats or integers), exactly, without partitioning all of them.

    A strided sample gives a threshold that about 4k items pass; when at least k do, the k-th
    smallest of those is the k-th smallest of all (everything below the threshold is among
    them). Otherwise, or for small arrays, a full partition. Only speed depends on the sample.
    """
    n = s.shape[0]
    if n >= 200_000 and k <= n // 1000:
        step = max(1, n // 20_000)
        sample = s[::step]
        j = min(len(sample) - 1, int(4 * k * len(sample) / n) + 8)
        t = np.partition(sample, j)[j]
        below = s[s <= t]
        if len(below) >= k:
            return np.partition(below, k - 1)[k - 1]
    return np.partition(s, k - 1)[k - 1]
