import numpy as np
import pytest

from deepssh_gui.model.decoder import AttributeColumns, Decoder
from deepssh_gui.model.layout import CodeLayout, pack_bits
from deepssh_gui.search.query import QueryError, parse_query, score_terms
from deepssh_gui.model.schema import PETA

LAY = CodeLayout(256, len(PETA), 2)


def _decoder_ones_for_yes():
    prob = np.zeros((LAY.n_attrs, 2, 2), np.float32)
    prob[:, 1, :] = 0.9
    prob[:, 0, :] = 0.1
    return Decoder(LAY, prob, np.ones((LAY.n_attrs, 2), np.int64))


def _code(yes: set[str]):
    bits = np.zeros((1, LAY.nbits), np.uint8)
    for name in yes:
        bits[0, LAY.attr_bits(PETA.index(name))] = 1
    return pack_bits(bits)


def test_parse_and_composites():
    q = parse_query("carryingBackpack, lowerBody:dark, not accessoryHat, upperBodyRed|upperBodyPink", PETA)
    assert [t.negated for t in q.terms] == [False, False, True, False]
    assert q.terms[0].attrs == (PETA.index("carryingBackpack"),)
    assert set(q.terms[1].attrs) == {PETA.index(n) for n in PETA.composite("lowerBody:dark").any_of}
    assert q.terms[3].attrs == (PETA.index("upperBodyRed"), PETA.index("upperBodyPink"))
    assert parse_query("", PETA).terms == ()
    neg = parse_query("personalMale", PETA, negated="carryingBackpack,!accessoryHat")
    assert [t.negated for t in neg.terms] == [False, True, True]


@pytest.mark.parametrize("bad,match", [
    ("carryingbackpack", "did you mean 'carryingBackpack'"),
    ("nope", "unknown attribute 'nope'"),
    ("carryingBackpack||accessoryHat", "empty alternative"),
    ("not ", "must be followed"),
])
def test_parse_errors(bad, match):
    with pytest.raises(QueryError, match=match):
        parse_query(bad, PETA)


def test_scores_and_or_not():
    dec = _decoder_ones_for_yes()
    codes = np.concatenate([
        _code({"carryingBackpack", "lowerBodyBlack"}),   # matches all
        _code({"carryingBackpack"}),                     # not dark lower body
        _code({"lowerBodyBlue", "accessoryHat"}),        # dark lower, no backpack, hat
    ])
    seg = AttributeColumns.from_codes(codes, LAY)
    q = parse_query("carryingBackpack, lowerBody:dark", PETA)
    s = score_terms(q, seg, dec)
    assert s.terms_at(np.arange(3))[0].tolist() == [[0, 0, 2], [0, 2, 0]]
    assert s.total.tolist() == [0, 2, 2]
    assert s.masked_bits == 4
    # negation: the hat wearer is 2 bits from "no hat", the others 0
    s2 = score_terms(parse_query("not accessoryHat", PETA), seg, dec)
    d2, o2 = s2.terms_at(np.arange(3))
    assert d2.tolist() == [[0, 0, 2]] and o2.tolist() == [[2, 2, 0]]


@pytest.mark.parametrize("text, hint", [
    ("carryingbackpack", "did you mean 'carryingBackpack'"),
    ("backpak", "did you mean 'carryingBackpack'"),
    ("lowerbody:dark", "did you mean 'lowerBody:dark'"),
    ("upperBody:RED", "did you mean 'upperBody:red'"),
    ("flyingCarpet", "docs/query-language.md"),
])
def test_unknown_or_miscased_names_are_refused_with_a_hint(text, hint):
    with pytest.raises(QueryError, match="unknown attribute") as exc:
        parse_query(text, PETA)
    assert hint in str(exc.value)


@pytest.mark.parametrize("text", ["personalMale, not personalMale", "accessoryHat, carryingBackpack, not accessoryHat",
                                  "upperBody:dark, not upperBody:dark"])
def test_contradictions_are_refused(text):
    with pytest.raises(QueryError, match="contradictory"):
        parse_query(text, PETA)


def test_not_contradictory_when_only_one_alternative_is_excluded():
    q = parse_query("upperBodyRed|upperBodyBlue, not upperBodyRed", PETA)
    assert len(q.terms) == 2


def test_colour_shorthands_for_every_colour_and_both_schemas():
    from deepssh_gui.model.schema import MARKET1501
    from deepssh_gui.search.query import vocabulary

    for part in ("upperBody", "lowerBody"):
        for colour in ("black", "blue", "brown", "green", "grey", "orange", "pink", "purple", "red", "white", "yellow"):
            (term,) = parse_query(f"{part}:{colour}", PETA).terms
            assert PETA.names[term.attrs[0]].lower() == f"{part}{colour}".lower()
    assert MARKET1501.names[parse_query("upperBody:grey", MARKET1501).terms[0].attrs[0]] == "upgray"
    assert MARKET1501.names[parse_query("lowerBody:black", MARKET1501).terms[0].attrs[0]] == "downblack"
    assert "upperBody:red" in vocabulary(PETA) and "lowerBody:pink" in vocabulary(MARKET1501)


def test_the_fast_table_lookup_gives_exactly_numpys_floats():
    from deepssh_gui.model.calibration import LOG_NOT_P, LOG_P
    from deepssh_gui.search.query import LUT_MIN_ITEMS, _lookup

    codes = np.random.default_rng(0).integers(0, 256, LUT_MIN_ITEMS + 7, dtype=np.uint8)
    for table in (LOG_P, LOG_NOT_P):
        assert np.array_equal(_lookup(table, codes), table.take(codes))
        assert np.array_equal(_lookup(table, codes[:100]), table.take(codes[:100]))
