"""Deterministic identity-disjoint train/validation split.

An identity goes to validation when a hash of its name falls below ``val_fraction``. Hashing
the name (not shuffling) keeps the split stable when subsets are added or files reordered.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .base import SampleSet


def is_validation_identity(identity: str, val_fraction: float = 0.2, salt: str = "deepssh-split-v1") -> bool:
    h = hashlib.sha256(f"{salt}:{identity}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < val_fraction


def split_train_val(data: SampleSet, val_fraction: float = 0.2) -> tuple[SampleSet, SampleSet]:
    """``(train, val)`` with no identity in both."""
    val = np.array([is_validation_identity(s.identity, val_fraction) for s in data.samples], dtype=bool)
    return data.subset(~val), data.subset(val)
