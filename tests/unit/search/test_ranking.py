import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepssh_gui.model.decoder import Decoder
from deepssh_gui.model.layout import CodeLayout, pack_bits
from deepssh_gui.search.query import parse_query
from deepssh_gui.model.schema import PETA
from deepssh_gui.search.ranking import rank_codes, top_k

LAY = CodeLayout(256, len(PETA), 2)


def _decoder():
    prob = np.zeros((LAY.n_attrs, 2, 2), np.float32)
    prob[:, 1] = 0.9
    prob[:, 0] = 0.1
    return Decoder(LAY, prob, np.ones((LAY.n_attrs, 2), np.int64))


def _gallery(n=64, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, LAY.nbits), dtype=np.uint8)
    codes = pack_bits(bits)
    return codes, None, bits


@given(st.integers(0, 2**31 - 1), st.integers(1, 64))
@settings(max_examples=30, deadline=None)
def test_photo_ranking_matches_brute_force(seed, k):
    codes, seg, bits = _gallery(64, seed % 1000)
    probe = codes[seed % 64]
    hits = rank_codes(codes, None, probe=probe, k=k)
    brute = (bits != bits[seed % 64]).sum(1)
    assert [h.photo_distance for h in hits] == sorted(brute)[:k]  # same distances, ties allowed
    for h in hits:
        assert h.photo_distance == brute[h.index]
    # ties are broken by gallery index
    for a, b in zip(hits, hits[1:]):
        assert (a.score, a.index) < (b.score, b.index)


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_masked_distance_equals_brute_force_on_masked_bits(seed):
    codes, seg, bits = _gallery(64, seed % 1000)
    dec = _decoder()
    q = parse_query("carryingBackpack, personalMale, not accessoryHat", PETA)
    part = dec.decode(q.attribute_values())
    brute = ((bits != part.bits[None]) & (part.mask[None] == 1)).sum(1)
    hits = rank_codes(codes, dec, query=q, k=64)
    assert sorted(h.attribute_distance for h in hits) == sorted(brute)
    for h in hits:
        assert h.attribute_distance == brute[h.index]
        assert sum(m.distance for m in h.explanation) == h.attribute_distance


def test_explanation_and_hybrid():
    codes, seg, bits = _gallery(8)
    dec = _decoder()
    b = PETA.index("carryingBackpack")
    bits[3, LAY.attr_bits(b)] = 1
    bits[5, LAY.attr_bits(b)] = 0
    codes = pack_bits(bits)
    q = parse_query("carryingBackpack", PETA)
    hits = {h.index: h for h in rank_codes(codes, dec, query=q, k=8)}
    assert hits[3].explanation[0].matched is True and hits[3].explanation[0].distance == 0
    assert hits[5].explanation[0].matched is False and hits[5].explanation[0].distance == 2
    hy = rank_codes(codes, dec, probe=codes[5], query=q, k=8, alpha=0.5)
    for h in hy:
        assert h.score == pytest.approx(0.5 * h.photo_distance / 256 + 0.5 * h.attribute_distance / 2)


def test_errors():
    codes, seg, _ = _gallery(4)
    with pytest.raises(ValueError, match="needs a probe"):
        rank_codes(codes, None)
    with pytest.raises(ValueError, match="no attribute decoder"):
        rank_codes(codes, None, query=parse_query("personalMale", PETA))


def test_top_k_keeps_all_ties_at_the_cut_and_candidates():
    s = np.array([3, 1, 1, 1, 0, 2])
    assert top_k(s, 3).tolist() == [4, 1, 2]
    assert top_k(s, 2, candidates=np.array([0, 3, 5])).tolist() == [3, 5]


@pytest.mark.parametrize("nbytes", [16, 24, 32, 64, 256])
def test_photo_distances_equal_the_numpy_hamming_at_every_code_length(nbytes):
    from deepssh_gui.model.layout import hamming
    from deepssh_gui.search.ranking import photo_distances

    codes = np.random.default_rng(nbytes).integers(0, 256, (301, nbytes), dtype=np.uint8)
    probe = codes[7].copy()
    assert photo_distances(probe, codes).tolist() == hamming(probe[None], codes)[0].tolist()
    assert photo_distances(probe, codes[::2]).tolist() == hamming(probe[None], codes[::2])[0].tolist()  # a view
    assert photo_distances(probe, codes[:0]).shape == (0,)


def test_rank_labels_show_ties_as_ties():
    from deepssh_gui.search.ranking import Hit, rank_labels

    hits = [Hit(i, i + 1, s, None, None) for i, s in enumerate([1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 4.0])]
    assert rank_labels(hits) == ["1", "2=", "2=", "2=", "5", "6=", "6="]
    assert rank_labels([]) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_of_float_scores_is_a_stable_sort_even_on_the_sampled_path(seed):
    rng = np.random.default_rng(seed)
    s = rng.random(300_000).astype(np.float32)
    s[rng.integers(0, len(s), 5000)] = s[7]  # heavy ties, some of them at the cut
    s[:50] = np.float32(0.25)
    for k in (1, 20, 200):
        assert top_k(s, k).tolist() == np.argsort(s, kind="stable")[:k].tolist()
    worst_first = np.sort(s)[::-1].copy()  # the sample's threshold may be passed by too few: full partition
    assert top_k(worst_first, 20).tolist() == np.argsort(worst_first, kind="stable")[:20].tolist()


def _probability_gallery(n, seed, levels):
    """``n`` codes with many duplicates and logit bytes drawn from ``levels`` values (ties)."""
    rng = np.random.default_rng(seed)
    dec = _decoder()
    base = pack_bits(rng.random((n // 8, dec.layout.nbits)) > 0.5)
    codes = base[rng.integers(0, len(base), n)]
    logits = rng.choice(np.linspace(0, 255, levels).astype(np.uint8), size=(len(PETA), n))
    return dec, codes, logits


@pytest.mark.parametrize("seed,levels,text,alpha", [
    (0, 256, "carryingBackpack, personalMale, not accessoryHat", 0.5),
    (1, 4, "carryingBackpack, not accessoryHat|accessoryMuffler", 0.5),
    (2, 3, "personalMale", 0.3),
    (3, 256, "not upperBodyBlack, lowerBodyTrousers", 0.9),
    (4, 5, "lowerBody:dark, carryingBackpack", 0.5),  # a required OR: no bound, the full pass
])
@pytest.mark.parametrize("hybrid", [False, True])
def test_bounded_probability_ranking_equals_the_full_pass(monkeypatch, seed, levels, text, alpha, hybrid):
    import deepssh_gui.search.query as query_mod
    import deepssh_gui.search.ranking as ranking_mod

    dec, codes, logits = _probability_gallery(60_000, seed, levels)
    q = parse_query(text, PETA)
    probe = codes[7] if hybrid else None
    pruned = []

    def spy(*a, **kw):
        cand = query_mod.probability_candidates(*a, **kw)
        pruned.append(cand is not None and len(cand) < len(codes))
        return cand

    for k in (1, 20, 200):
        monkeypatch.setattr(ranking_mod, "probability_candidates", spy)
        fast = rank_codes(codes, dec, probe=probe, query=q, k=k, alpha=alpha, logits=logits)
        monkeypatch.setattr(query_mod, "PRUNE_MIN_ITEMS", 10**9)  # every item scored in float
        full = rank_codes(codes, dec, probe=probe, query=q, k=k, alpha=alpha, logits=logits)
        monkeypatch.undo()
        assert fast == full
    assert pruned[0::2] == [":dark" not in text] * 3  # the bound was used
    assert pruned[1::2] == [False] * 3  # and the reference pass scored everything


def test_candidates_hold_every_item_as_good_as_the_kth():
    from deepssh_gui.search.query import probability_candidates, score_probability

    dec, codes, logits = _probability_gallery(80_000, 5, 256)
    q = parse_query("carryingBackpack, not accessoryHat|personalMale", PETA)
    nll = score_probability(q, logits).nll
    for k in (1, 5, 50):
        cand = probability_candidates(q, logits, k)
        kth = np.sort(nll)[k - 1]
        assert set(np.flatnonzero(nll <= kth)) <= set(cand.tolist())
        assert len(cand) < len(nll) // 10  # the bound prunes: it is not "everything"
