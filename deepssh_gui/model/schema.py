"""Attribute vocabularies (schemas) for the datasets DeepSSH is trained on.

A schema is plain data: it travels inside every checkpoint as a dict of lists
(see :meth:`AttributeSchema.to_dict`) so that nothing downstream hard-codes an
attribute list. The module-level schemas below are only the *defaults* used
when training a new model on a known dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Group keys and their human labels, in display order.
GROUPS: dict[str, str] = {
    "gender": "Gender",
    "age": "Age",
    "hair": "Hair",
    "upper": "Upper body",
    "lower": "Lower body",
    "footwear": "Footwear",
    "carrying": "Carrying",
    "accessories": "Accessories",
    "upper_colour": "Upper-body colour",
    "lower_colour": "Lower-body colour",
}


@dataclass(frozen=True)
class Attribute:
    """One binary attribute: ``name`` is the dataset's own spelling."""

    name: str
    label: str
    group: str


@dataclass(frozen=True)
class Composite:
    """A named OR of base attributes, e.g. ``lowerBody:dark``."""

    name: str
    label: str
    group: str
    any_of: tuple[str, ...]


@dataclass(frozen=True)
class AttributeSchema:
    """An ordered attribute vocabulary.

    ``attributes`` order defines the attribute index used by label arrays
    (``float32 (N, A)``) and by the bit layout of the hash code.
    """

    name: str
    attributes: tuple[Attribute, ...]
    one_of_groups: tuple[str, ...] = ()
    composites: tuple[Composite, ...] = ()
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [a.name for a in self.attributes]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r} has duplicate attribute names")
        for a in self.attributes:
            if a.group not in GROUPS:
                raise ValueError(f"attribute {a.name!r} has unknown group {a.group!r}")
        self._index.update({n: i for i, n in enumerate(names)})
        for c in self.composites:
            missing = [n for n in c.any_of if n not in self._index]
            if missing:
                raise ValueError(f"composite {c.name!r} refers to unknown attributes {missing}")

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.attributes]

    def __len__(self) -> int:
        return len(self.attributes)

    def index(self, name: str) -> int:
        """Index of base attribute ``name``; raises ``KeyError`` with the known names."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"unknown attribute {name!r} for schema {self.name!r}") from None

    def composite(self, name: str) -> Composite:
        for c in self.composites:
            if c.name == name:
                return c
        raise KeyError(f"unknown composite {name!r} for schema {self.name!r}")

    def by_group(self) -> dict[str, list[Attribute]]:
        """Attributes grouped by group key, in :data:`GROUPS` order (empty groups omitted)."""
        out: dict[str, list[Attribute]] = {}
        for g in GROUPS:
            members = [a for a in self.attributes if a.group == g]
            if members:
                out[g] = members
        return out

    def to_dict(self) -> dict:
        """Plain-data form (str/list only), safe for ``torch.load(weights_only=True)``."""
        return {
            "name": self.name,
            "attributes": [[a.name, a.label, a.group] for a in self.attributes],
            "one_of_groups": list(self.one_of_groups),
            "composites": [[c.name, c.label, c.group, list(c.any_of)] for c in self.composites],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "AttributeSchema":
        try:
            return cls(
                name=str(d["name"]),
                attributes=tuple(Attribute(str(n), str(l), str(g)) for n, l, g in d["attributes"]),
                one_of_groups=tuple(str(g) for g in d.get("one_of_groups", ())),
                composites=tuple(
                    Composite(str(n), str(l), str(g), tuple(str(x) for x in anyof))
                    for n, l, g, anyof in d.get("composites", ())
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed attribute schema: {exc}") from exc


# --------------------------------------------------------------------------- helpers

_COLOURS = ("Black", "Blue", "Brown", "Green", "Grey", "Orange", "Pink", "Purple", "Red", "White", "Yellow")
# Why grey is "dark": in CCTV footage grey trousers and coats read as dark; analysts asking
# for "dark lower-body" expect them. Red is neither dark nor light.
_DARK = ("Black", "Blue", "Brown", "Green", "Grey", "Purple")
_LIGHT = ("White", "Yellow", "Pink", "Orange")


def _colour_composites(prefix: str, region: str, group: str, available: list[str], spell) -> list[Composite]:
    out = []
    for tone, members in (("dark", _DARK), ("light", _LIGHT)):
        names = tuple(spell(c) for c in members if spell(c) in available)
        out.append(Composite(f"{prefix}:{tone}", f"{tone} {region}", group, names))
    return out


def _a(name: str, label: str, group: str) -> Attribute:
    return Attribute(name, label, group)


# --------------------------------------------------------------------------- PETA

_PETA_35 = [
    _a("personalMale", "male", "gender"),
    _a("personalLess30", "age under 30", "age"),
    _a("personalLess45", "age 30-45", "age"),
    _a("personalLess60", "age 45-60", "age"),
    _a("personalLarger60", "age over 60", "age"),
    _a("hairLong", "long hair", "hair"),
    _a("accessoryHat", "hat", "accessories"),
    _a("accessoryMuffler", "muffler / scarf", "accessories"),
    _a("accessorySunglasses", "sunglasses", "accessories"),
    _a("accessoryNothing", "no accessory", "accessories"),
    _a("upperBodyCasual", "casual upper", "upper"),
    _a("upperBodyFormal", "formal upper", "upper"),
    _a("upperBodyJacket", "jacket", "upper"),
    _a("upperBodyLogo", "logo", "upper"),
    _a("upperBodyPlaid", "plaid", "upper"),
    _a("upperBodyShortSleeve", "short sleeves", "upper"),
    _a("upperBodyThinStripes", "thin stripes", "upper"),
    _a("upperBodyTshirt", "T-shirt", "upper"),
    _a("upperBodyOther", "other upper", "upper"),
    _a("upperBodyVNeck", "V-neck", "upper"),
    _a("lowerBodyCasual", "casual lower", "lower"),
    _a("lowerBodyFormal", "formal lower", "lower"),
    _a("lowerBodyJeans", "jeans", "lower"),
    _a("lowerBodyShorts", "shorts", "lower"),
    _a("lowerBodyShortSkirt", "short skirt", "lower"),
    _a("lowerBodyTrousers", "trousers", "lower"),
    _a("footwearLeatherShoes", "leather shoes", "footwear"),
    _a("footwearSandals", "sandals", "footwear"),
    _a("footwearShoes", "shoes", "footwear"),
    _a("footwearSneakers", "sneakers", "footwear"),
    _a("carryingBackpack", "backpack", "carrying"),
    _a("carryingOther", "other carried item", "carrying"),
    _a("carryingMessengerBag", "messenger bag", "carrying"),
    _a("carryingNothing", "carrying nothing", "carrying"),
    _a("carryingPlasticBags", "plastic bags", "carrying"),
]
_PETA_COLOURS = [_a(f"upperBody{c}", f"{c.lower()} upper", "upper_colour") for c in _COLOURS] + [
    _a(f"lowerBody{c}", f"{c.lower()} lower", "lower_colour") for c in _COLOURS
]
_peta_names = [a.name for a in _PETA_35 + _PETA_COLOURS]

PETA = AttributeSchema(
    name="peta",
    attributes=tuple(_PETA_35 + _PETA_COLOURS),
    # PETA's four age bins are mutually exclusive; gender is a single bit (male / not male).
    one_of_groups=("gender", "age"),
    composites=tuple(
        _colour_composites("lowerBody", "lower-body", "lower_colour", _peta_names, lambda c: f"lowerBody{c}")
        + _colour_composites("upperBody", "upper-body", "upper_colour", _peta_names, lambda c: f"upperBody{c}")
    ),
)

# --------------------------------------------------------------------------- Market-1501

# Market-1501 annotates 27 attributes; ``age`` has four classes and is expanded here to
# four binary attributes, giving 30 binary entries. ``gender`` 2 = female, so the binary
# attribute is "female". Field semantics from Lin et al. 2019 (the .mat's README).
_MARKET_COLOURS_UP = ("black", "white", "red", "purple", "yellow", "gray", "blue", "green")
_MARKET_COLOURS_DOWN = ("black", "white", "pink", "purple", "yellow", "gray", "blue", "green", "brown")

_MARKET = (
    [
        _a("female", "female", "gender"),
        _a("age_young", "young (child)", "age"),
        _a("age_teenager", "teenager", "age"),
        _a("age_adult", "adult", "age"),
        _a("age_old", "old", "age"),
        _a("hair", "long hair", "hair"),
        _a("up", "short sleeves", "upper"),
        _a("down", "short lower-body clothing", "lower"),
        _a("clothes", "pants (not dress)", "lower"),
        _a("hat", "hat", "accessories"),
        _a("backpack", "backpack", "carrying"),
        _a("bag", "bag", "carrying"),
        _a("handbag", "handbag", "carrying"),
    ]
    + [_a(f"up{c}", f"{c} upper", "upper_colour") for c in _MARKET_COLOURS_UP]
    + [_a(f"down{c}", f"{c} lower", "lower_colour") for c in _MARKET_COLOURS_DOWN]
)
_market_names = [a.name for a in _MARKET]
_market_spell = {"Grey": "gray"}

MARKET1501 = AttributeSchema(
    name="market1501",
    attributes=tuple(_MARKET),
    one_of_groups=("gender", "age"),
    composites=tuple(
        _colour_composites("lowerBody", "lower-body", "lower_colour", _market_names,
                           lambda c: "down" + _market_spell.get(c, c.lower()))
        + _colour_composites("upperBody", "upper-body", "upper_colour", _market_names,
                             lambda c: "up" + _market_spell.get(c, c.lower()))
    ),
)

# --------------------------------------------------------------------------- DukeMTMC-reID

_DUKE_COLOURS_UP = ("black", "white", "red", "purple", "gray", "blue", "green", "brown")
_DUKE_COLOURS_DOWN = ("black", "white", "red", "gray", "blue", "green", "brown")
_DUKE = (
    [
        _a("female", "female", "gender"),
        _a("top", "long upper-body clothing", "upper"),
        _a("boots", "boots", "footwear"),
        _a("shoes", "light shoes", "footwear"),
        _a("hat", "hat", "accessories"),
        _a("backpack", "backpack", "carrying"),
        _a("bag", "bag", "carrying"),
        _a("handbag", "handbag", "carrying"),
    ]
    + [_a(f"up{c}", f"{c} upper", "upper_colour") for c in _DUKE_COLOURS_UP]
    + [_a(f"down{c}", f"{c} lower", "lower_colour") for c in _DUKE_COLOURS_DOWN]
)
_duke_names = [a.name for a in _DUKE]

DUKEMTMC = AttributeSchema(
    name="dukemtmc",
    attributes=tuple(_DUKE),
    one_of_groups=("gender",),
    composites=tuple(
        _colour_composites("lowerBody", "lower-body", "lower_colour", _duke_names,
                           lambda c: "down" + _market_spell.get(c, c.lower()))
        + _colour_composites("upperBody", "upper-body", "upper_colour", _duke_names,
                             lambda c: "up" + _market_spell.get(c, c.lower()))
    ),
)

SCHEMAS: dict[str, AttributeSchema] = {s.name: s for s in (PETA, MARKET1501, DUKEMTMC)}


def get_schema(name: str) -> AttributeSchema:
    try:
        return SCHEMAS[name]
    except KeyError:
        raise KeyError(f"no built-in schema {name!r}; known: {sorted(SCHEMAS)}") from None
