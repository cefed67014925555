from deepssh_gui.search.ranking import Hit, TermMatch
from deepssh_gui.search.strength import LIKELY, UNKNOWN, WEAK, MatchCut, counts, cut_for, strength


def _hit(p=None, photo=None, matched=()):
    expl = tuple(TermMatch(f"t{i}", m, 0, 1) for i, m in enumerate(matched))
    return Hit(0, 1, 0.0, photo, None, expl, p)


def test_probability_photo_and_hybrid_rules():
    cut = MatchCut(photo_max_distance=100)
    assert strength(_hit(p=0.5), cut) == LIKELY and strength(_hit(p=0.49), cut) == WEAK
    assert strength(_hit(photo=100), cut) == LIKELY and strength(_hit(photo=101), cut) == WEAK
    assert strength(_hit(p=0.9, photo=150), cut) == WEAK  # hybrid: every part must pass
    assert strength(_hit(p=0.9, photo=50), cut) == LIKELY
    # Hamming ranking (no probabilities): likely when every term's bits match
    assert strength(_hit(matched=(True, True)), cut) == LIKELY
    assert strength(_hit(matched=(True, False)), cut) == WEAK


def test_a_model_without_a_photo_cut_says_unknown_not_likely():
    cut = cut_for({})
    assert strength(_hit(photo=3), cut) == UNKNOWN
    assert strength(_hit(p=0.1, photo=3), cut) == WEAK
    assert "no photo cut" in cut.describe()
    c = cut_for({"match_threshold": {"photo_max_distance": 120, "tpr": 0.8, "fpr": 0.05}})
    assert c.photo_max_distance == 120 and "80% of true matches" in c.describe()
    assert counts([_hit(p=0.7), _hit(p=0.2), _hit(photo=1)], cut) == {LIKELY: 1, WEAK: 1, UNKNOWN: 1}
