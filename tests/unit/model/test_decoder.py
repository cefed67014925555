import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepssh_gui.model.decoder import AttributeColumns, Decoder, attribute_segments
from deepssh_gui.model.layout import CodeLayout, pack_bits, unpack_bits

LAY = CodeLayout(128, 10, 4)


def _codes_with_attributes(n=200, seed=0):
    """Codes whose attribute bits are 111 for yes / 000 for no, with 10% bit noise."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, LAY.n_attrs)) < 0.4).astype(np.int8)
    bits = rng.integers(0, 2, (n, LAY.nbits), dtype=np.uint8)
    for i in range(LAY.n_attrs):
        bits[:, LAY.attr_bits(i)] = labels[:, i:i + 1]
    flip = rng.random(bits.shape) < 0.1
    return pack_bits(bits ^ flip), labels


@given(st.integers(0, 2**31 - 1), st.sampled_from([1, 2, 4, 8]))
@settings(max_examples=25, deadline=None)
def test_segments_match_unpacked_bits(seed, k):
    lay = CodeLayout(256, 20, k)
    codes = np.random.default_rng(seed).integers(0, 256, (5, 32), dtype=np.uint8)
    seg = attribute_segments(codes, lay)
    bits = unpack_bits(codes)
    for i in range(lay.n_attrs):
        expect = bits[:, lay.attr_bits(i)] @ (1 << np.arange(k - 1, -1, -1))
        assert np.array_equal(seg[:, i], expect)
    # the column store gives the same distances as the unpacked segments
    cols = AttributeColumns.from_codes(codes, lay)
    for i in range(lay.n_attrs):
        for pattern in (0, (1 << k) - 1, 1):
            brute = [bin(int(v) ^ pattern).count("1") for v in seg[:, i]]
            assert cols.distance(i, pattern).tolist() == brute


def test_fit_learns_patterns_and_reconstructs():
    codes, labels = _codes_with_attributes()
    dec = Decoder.fit(codes, labels, LAY)
    pat = dec.patterns()
    assert (pat[:, 1] == 0b1111).all() and (pat[:, 0] == 0).all()
    acc = dec.reconstruction_accuracy(codes, labels)
    assert 0.85 < acc["overall"] < 0.95  # 10% noise
    part = dec.decode({2: True, 5: False})
    assert part.mask.sum() == 8
    assert part.bits[LAY.attr_bits(2)].tolist() == [1, 1, 1, 1] and part.bits[LAY.attr_bits(5)].sum() == 0
    assert part.mask[LAY.identity_bits].sum() == 0
    assert Decoder.from_dict(dec.to_dict()).digest() == dec.digest()


def test_unseen_value_falls_back_to_opposite_pattern():
    codes, labels = _codes_with_attributes()
    labels[:, 0] = 1  # never "no"
    dec = Decoder.fit(codes, labels, LAY)
    assert dec.patterns()[0, 0] == (~dec.patterns()[0, 1]) & 0b1111


def test_bad_shapes():
    codes, labels = _codes_with_attributes(10)
    with pytest.raises(ValueError, match="do not match"):
        Decoder.fit(codes, labels[:, :3], LAY)
    with pytest.raises(ValueError, match="malformed|shapes"):
        Decoder.from_dict({"nbits": 128, "n_attrs": 10, "bits_per_attr": 3, "bit_prob": [], "support": []})
