import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepssh_gui.model.layout import CodeLayout, default_bits_per_attr, hamming, pack_bits, unpack_bits


@given(st.integers(1, 20), st.sampled_from([128, 256, 512]), st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_pack_unpack_roundtrip_and_hamming(n, nbits, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, nbits), dtype=np.uint8)
    codes = pack_bits(bits)
    assert codes.shape == (n, nbits // 8) and codes.dtype == np.uint8
    assert np.array_equal(unpack_bits(codes, nbits), bits)
    brute = (bits[:, None, :] != bits[None, :, :]).sum(2)
    assert np.array_equal(hamming(codes, codes), brute)


def test_bit_order_is_big_endian_per_byte():
    bits = np.zeros((1, 128), np.uint8)
    bits[0, 0] = 1
    assert pack_bits(bits)[0, 0] == 0b1000_0000


@pytest.mark.parametrize("nbits", [128, 256, 512, 1024, 2048])
def test_default_layout_leaves_identity_bits(nbits):
    k = default_bits_per_attr(nbits, 57)
    lay = CodeLayout(nbits, 57, k)
    assert k in (1, 2, 4, 8)
    assert nbits - lay.n_attr_bits >= nbits // 4
    assert lay.attr_bits(56).stop == lay.identity_bits.start


def test_layout_validation():
    with pytest.raises(ValueError, match="multiple of 8"):
        CodeLayout(100, 10, 1)
    with pytest.raises(ValueError, match="no identity bits"):
        CodeLayout(128, 64, 2)
    with pytest.raises(ValueError, match="one of"):
        CodeLayout(256, 10, 3)
    with pytest.raises(ValueError, match="mismatch"):
        hamming(np.zeros((1, 16), np.uint8), np.zeros((1, 32), np.uint8))
