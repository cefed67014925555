"""Bit layout of a structured DeepSSH code (pure Python/numpy, no torch).

Attribute ``i`` owns bits ``[i * k, (i + 1) * k)`` where ``k = bits_per_attr``; bits
``[A * k, nbits)`` carry identity. Bit ``j`` of a packed code is bit ``7 - j % 8`` of byte
``j // 8`` (numpy ``packbits`` big-endian order, as FAISS binary indexes expect).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_BITS, MAX_BITS = 128, 2048
MAX_BITS_PER_ATTR = 8
# k divides 8, so every attribute's bits lie inside one byte of the packed code: a masked
# query then reads exactly one byte per item per attribute.
ALLOWED_BITS_PER_ATTR = (1, 2, 4, 8)


def default_bits_per_attr(nbits: int, n_attrs: int) -> int:
    """About half the code for attributes (1, 2, 4 or 8 bits each), leaving >= 1/4 for identity."""
    k = max(1, min(MAX_BITS_PER_ATTR, nbits // (2 * n_attrs)))
    while k > 1 and (k not in ALLOWED_BITS_PER_ATTR or nbits - k * n_attrs < nbits // 4):
        k -= 1
    return k


@dataclass(frozen=True)
class CodeLayout:
    nbits: int
    n_attrs: int
    bits_per_attr: int

    def __post_init__(self) -> None:
        if self.nbits % 8 or not (MIN_BITS <= self.nbits <= MAX_BITS):
            raise ValueError(f"code length must be a multiple of 8 in [{MIN_BITS}, {MAX_BITS}], got {self.nbits}")
        if self.bits_per_attr not in ALLOWED_BITS_PER_ATTR:
            raise ValueError(f"bits per attribute must be one of {ALLOWED_BITS_PER_ATTR}, got {self.bits_per_attr}")
        if self.n_attrs * self.bits_per_attr >= self.nbits:
            raise ValueError(f"{self.n_attrs} attributes x {self.bits_per_attr} bits leave no identity bits "
                             f"in a {self.nbits}-bit code")

    @property
    def nbytes(self) -> int:
        return self.nbits // 8

    @property
    def n_attr_bits(self) -> int:
        return self.n_attrs * self.bits_per_attr

    def attr_bits(self, i: int) -> slice:
        return slice(i * self.bits_per_attr, (i + 1) * self.bits_per_attr)

    @property
    def n_attr_bytes(self) -> int:
        """Leading code bytes that hold attribute bits."""
        return -(-self.n_attr_bits // 8)

    def attr_byte(self, i: int) -> tuple[int, int]:
        """``(byte, shift)``: attribute ``i``'s segment is ``(code[byte] >> shift) & (2**k - 1)``."""
        start = i * self.bits_per_attr
        return start // 8, 8 - self.bits_per_attr - start % 8

    @property
    def identity_bits(self) -> slice:
        return slice(self.n_attr_bits, self.nbits)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """``bool/uint8 (N, nbits)`` of 0/1 -> ``uint8 (N, nbits // 8)``."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] % 8:
        raise ValueError(f"expected (N, nbits) with nbits a multiple of 8, got {bits.shape}")
    return np.packbits(bits.astype(bool), axis=1)


def unpack_bits(codes: np.ndarray, nbits: int | None = None) -> np.ndarray:
    """``uint8 (N, nbits // 8)`` -> ``uint8 (N, nbits)`` of 0/1."""
    codes = np.asarray(codes, dtype=np.uint8)
    if codes.ndim != 2:
        raise ValueError(f"expected packed codes (N, nbytes), got shape {codes.shape}")
    out = np.unpackbits(codes, axis=1)
    if nbits is not None and nbits != out.shape[1]:
        raise ValueError(f"codes hold {out.shape[1]} bits, expected {nbits}")
    return out


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming(q_codes: np.ndarray, g_codes: np.ndarray) -> np.ndarray:
    """Hamming distances ``int32 (Q, G)`` between packed ``uint8`` codes."""
    q = np.asarray(q_codes, dtype=np.uint8)
    g = np.asarray(g_codes, dtype=np.uint8)
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"code length mismatch: {q.shape[1] * 8} vs {g.shape[1] * 8} bits")
    out = np.empty((q.shape[0], g.shape[0]), dtype=np.int32)
    if q.shape[1] % 8 == 0 and hasattr(np, "bitwise_count"):
        # 64-bit words and a hardware popcount: about 10x faster than a byte table
        qw = np.ascontiguousarray(q).view(np.uint64)
        gw = np.ascontiguousarray(g).view(np.uint64)
        for i in range(q.shape[0]):
            out[i] = np.bitwise_count(np.bitwise_xor(gw, qw[i])).sum(axis=1, dtype=np.int32)
        return out
    for i in range(q.shape[0]):  # one row at a time keeps memory at O(G * nbytes)
        out[i] = _POPCOUNT[np.bitwise_xor(g, q[i])].sum(axis=1, dtype=np.int32)
    return out


def attribute_scores(segments: np.ndarray, bits_per_attr: int, step: float) -> np.ndarray:
    """Attribute probabilities ``float32 (N, A)`` read from attribute segments ``uint8 (N, A)``.

    The number of set bits is the thermometer level ``m`` (0..k): the logit lies between
    thresholds ``t_{m-1}`` and ``t_m``; the score is the sigmoid of that interval's centre.
    """
    k = bits_per_attr
    t = np.array([step * (j - (k - 1) // 2) for j in range(k)], dtype=np.float64)
    centres = np.concatenate([[t[0] - step / 2], (t[:-1] + t[1:]) / 2, [t[-1] + step / 2]])
    level = _POPCOUNT[segments]
    return (1.0 / (1.0 + np.exp(-centres[level]))).astype(np.float32)
