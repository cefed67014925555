"""Synthetic codes and a stand-in model for benchmarks and tests (numpy only).

Codes are random in their identity bits; their attribute bits are thermometer patterns drawn
from PETA-like attribute priors, so masked queries see realistic segment values.
"""

from __future__ import annotations

import numpy as np

from .decoder import Decoder
from .layout import CodeLayout, pack_bits
from .schema import PETA


def synthetic_codes(n: int, layout: CodeLayout, seed: int = 0, chunk: int = 200_000) -> np.ndarray:
    """``uint8 (n, nbytes)`` codes with prior-driven thermometer attribute bits."""
    rng = np.random.default_rng(seed)
    k, a = layout.bits_per_attr, layout.n_attrs
    prior = rng.uniform(0.03, 0.6, a)
    out = np.empty((n, layout.nbytes), np.uint8)
    for s in range(0, n, chunk):
        m = min(chunk, n - s)
        bits = rng.integers(0, 2, (m, layout.nbits), dtype=np.uint8)
        # level 0..k per attribute: 0 for "no", 1..k for "yes" with rising confidence
        yes = rng.random((m, a)) < prior
        level = np.where(yes, rng.integers(1, k + 1, (m, a)), 0)
        therm = (np.arange(k)[None, None, :] < level[:, :, None]).astype(np.uint8)
        bits[:, : a * k] = therm.reshape(m, a * k)
        out[s:s + m] = pack_bits(bits)
    return out


def synthetic_decoder(layout: CodeLayout) -> Decoder:
    k = layout.bits_per_attr
    prob = np.zeros((layout.n_attrs, 2, k), np.float32)
    prob[:, 0, :] = 0.05
    prob[:, 1, :] = np.linspace(0.95, 0.6, k)
    return Decoder(layout, prob, np.ones((layout.n_attrs, 2), np.int64))


class SyntheticModel:
    """Just enough of a LoadedModel for attribute and photo-code searches."""

    hash = "synthetic"

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.schema = PETA
