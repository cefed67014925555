"""Argument types shared by the ``deepssh`` and ``deepssh-gui`` command lines."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """``--top`` and friends: an integer of at least 1 (``-5`` is refused, not silently made 1)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def unit_float(text: str) -> float:
    """``--alpha``: a finite number from 0 to 1 (``nan``, ``inf`` and ``-1`` are refused)."""
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not math.isfinite(v) or not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text}")
    return v
