import pytest

from deepssh_gui.model.schema import DUKEMTMC, GROUPS, MARKET1501, PETA, AttributeSchema, get_schema


def test_peta_has_35_plus_22_colours():
    names = PETA.names
    assert len(names) == 57
    upper = [n for n in names if n.startswith("upperBody") and PETA.attributes[PETA.index(n)].group == "upper_colour"]
    lower = [n for n in names if n.startswith("lowerBody") and PETA.attributes[PETA.index(n)].group == "lower_colour"]
    assert len(upper) == 11 and len(lower) == 11
    assert {"carryingBackpack", "lowerBodyBlack", "personalMale", "footwearSneakers"} <= set(names)


def test_market_age_expanded_and_duke_23():
    assert len(MARKET1501) == 30  # 26 binary + age's 4 classes
    assert [a.name for a in MARKET1501.attributes if a.group == "age"] == [
        "age_young", "age_teenager", "age_adult", "age_old"]
    assert len(DUKEMTMC) == 23


@pytest.mark.parametrize("schema", [PETA, MARKET1501, DUKEMTMC])
def test_composites_and_roundtrip(schema):
    wanted = {"lowerBody:dark", "lowerBody:light", "upperBody:dark", "upperBody:light"}
    assert wanted <= {c.name for c in schema.composites}
    for c in schema.composites:
        assert c.any_of, c.name
        for n in c.any_of:
            schema.index(n)
    assert AttributeSchema.from_dict(schema.to_dict()) == schema
    assert set(schema.by_group()) <= set(GROUPS)
    assert "gender" in schema.one_of_groups


def test_dark_lower_body_members():
    dark = PETA.composite("lowerBody:dark").any_of
    assert "lowerBodyBlack" in dark and "lowerBodyWhite" not in dark


def test_unknown_names_are_specific_errors():
    with pytest.raises(KeyError, match="unknown attribute 'nope'"):
        PETA.index("nope")
    with pytest.raises(KeyError, match="no built-in schema"):
        get_schema("x")
    with pytest.raises(ValueError, match="malformed"):
        AttributeSchema.from_dict({"name": "x"})
