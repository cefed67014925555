"""Plain-language descriptions -> attribute queries (deepssh_gui/search/describe.py)."""

import pytest

from deepssh_gui.evaluate.descriptions import Case, evaluate_descriptions, load_cases
from deepssh_gui.model.schema import PETA
from deepssh_gui.search.describe import describe, tokens
from deepssh_gui.search.query import QueryError


def q(text):
    return describe(text, PETA).query_text


def test_the_issue_example():
    assert q("woman in a red coat with a backpack, dark trousers, no hat") == \
        "not personalMale, upperBodyRed, carryingBackpack, lowerBody:dark, not accessoryHat"


def test_gui_labels_and_query_language_pass_through():
    assert q("backpack, dark lower-body") == "carryingBackpack, lowerBody:dark"
    assert q("upperBody:red, not personalMale") == "upperBody:red, not personalMale"
    assert q("carryingBackpack, not male, no accessory") == "carryingBackpack, not personalMale, accessoryNothing"


@pytest.mark.parametrize("text, want", [
    ("trousers are black", "lowerBodyBlack"),  # the colour binds backwards when nothing follows
    ("black and white striped shirt", "upperBodyBlack, upperBodyWhite, upperBodyThinStripes"),
    ("all in black", "upperBodyBlack, lowerBodyBlack"),
    ("blue jeans", "lowerBodyBlue, lowerBodyJeans"),  # a specific garment keeps its attribute
    ("trousers", "lowerBodyTrousers"),  # a generic garment alone gives its own
    ("navy top, maroon skirt", "upperBodyBlue, lowerBodyRed, lowerBodyShortSkirt"),  # near colour names
    ("long blonde hair", "hairLong"),  # hair colour is no clothing colour
    ("approx 25 years old", "personalLess30"),
])
def test_colours_garments_and_ages(text, want):
    assert q(text) == want


def test_negation_scope_and_double_negation():
    assert q("no hat or sunglasses, with a backpack") == \
        "not accessoryHat, not accessorySunglasses, carryingBackpack"
    assert q("not a woman") == "personalMale"
    assert q("without a bag") == "not carryingBackpack|carryingMessengerBag|carryingPlasticBags|carryingOther"


def test_unknown_words_are_reported_never_dropped():
    d = describe("man with a zebra umbrella hat", PETA)
    assert d.unknown == ["zebra"]
    assert "personalMale" in d.query_text and "accessoryHat" in d.query_text
    with pytest.raises(QueryError, match="no attribute found.*zebra"):
        describe("zebra giraffe", PETA)


def test_contradiction_keeps_the_first_and_says_so():
    d = describe("man, woman", PETA)
    assert d.query_text == "personalMale"
    assert d.notes and "woman" in d.notes[0]


def test_user_text_is_only_matched():
    # markup, paths and format strings are words like any other: reported, never interpreted
    d = describe("<b>man</b> ../../etc/passwd {0} %s", PETA)
    assert d.query_text == "personalMale"
    assert tokens("T-shirt") == ["t", "shirt"]


def test_evaluation_counts_terms_and_lists_misses(tmp_path):
    cases = [Case("1", "man with a backpack", "personalMale, carryingBackpack"),
             Case("2", "woman", "not personalMale, hairLong")]
    rep = evaluate_descriptions(cases, PETA)
    assert rep["exact_match"] == 0.5 and rep["term_precision"] == 1.0 and rep["term_recall"] == 0.75
    assert rep["misses"][0]["missing"] == ["hairLong"]


def test_shipped_description_set_loads_and_is_large_enough():
    cases = load_cases()
    assert len(cases) >= 60 and all(c.expected for c in cases)
