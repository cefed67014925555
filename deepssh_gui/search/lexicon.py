"""The words :mod:`.describe` understands, for the PETA attribute schema.

Phrases are lower-case words separated by single spaces, as :func:`.describe.tokens` makes
them ("t-shirt" is ``"t shirt"``). Query terms are written in the query language of
:mod:`.query`, so a schema without an attribute simply refuses that term (and the word is
reported as not understood), never a silent wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Garment:
    region: str  # "upper", "lower" or "both": where its colour goes
    terms: tuple[str, ...] = ()  # the attribute(s) it names
    specific: bool = False  # True: names its attribute even when it carries a colour ("blue jeans")


_BAG_ANY = "carryingBackpack|carryingMessengerBag|carryingPlasticBags|carryingOther"
_MALE, _FEMALE = ("personalMale",), ("not personalMale",)
_YOUNG, _OLD = ("personalLess30",), ("personalLarger60",)


def _many(words: str, terms: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {w.strip(): terms for w in words.split(",")}


PHRASES: dict[str, tuple[str, ...]] = {
    **_many("man, men, male, guy, gentleman, gent, bloke, mr", _MALE),
    **_many("woman, women, female, lady, ladies, mrs, ms, miss", _FEMALE),
    **_many("boy, schoolboy, lad", _MALE + _YOUNG),
    **_many("girl, schoolgirl", _FEMALE + _YOUNG),
    **_many("young, younger, teen, teens, teenager, teenage, youth, student, kid, child, in his twenties, "
            "in her twenties, in their twenties, twenties, 20s, under 30", _YOUNG),
    **_many("thirties, in his thirties, in her thirties, 30s, about 35, about 40, aged about 35, aged about 40",
            ("personalLess45",)),
    **_many("forties, fifties, in his forties, in her forties, in his fifties, in her fifties, 40s, 50s, older, "
            "about 50, aged about 50, about 55, aged about 55", ("personalLess60",)),
    **_many("middle aged, middle age", ("personalLess45|personalLess60",)),
    **_many("old, elderly, senior, pensioner, over 60, sixties, seventies, in his sixties, in her sixties", _OLD),
    **_many("long hair, long haired, ponytail, pony tail, shoulder length hair, long blonde hair, long dark hair, "
            "long brown hair, long black hair, long red hair, long grey hair, long fair hair", ("hairLong",)),
    **_many("short hair, short haired, bald, crew cut, shaved head", ("not hairLong",)),
    **_many("hat, cap, beanie, baseball cap, woolly hat, bobble hat, beret, helmet", ("accessoryHat",)),
    **_many("scarf, muffler, shawl", ("accessoryMuffler",)),
    **_many("sunglasses, shades, sun glasses, dark glasses", ("accessorySunglasses",)),
    **_many("logo, logos, print, printed, graphic, slogan", ("upperBodyLogo",)),
    **_many("plaid, checked, checkered, chequered, tartan", ("upperBodyPlaid",)),
    **_many("striped, stripes, stripey, stripy, pinstripe, pinstriped", ("upperBodyThinStripes",)),
    **_many("short sleeves, short sleeved, short sleeve, sleeveless", ("upperBodyShortSleeve",)),
    **_many("v neck, v necked", ("upperBodyVNeck",)),
    **_many("formal, formally dressed, formal wear, formal clothes, business clothes, smart, smartly dressed",
            ("upperBodyFormal", "lowerBodyFormal")),
    **_many("casual, casually dressed, casual clothes, sporty", ("upperBodyCasual", "lowerBodyCasual")),
    **_many("backpack, rucksack, knapsack, back pack, school bag, schoolbag", ("carryingBackpack",)),
    **_many("messenger bag, shoulder bag, satchel, handbag over the shoulder, bag over the shoulder, "
            "bag on the shoulder, handbag on the shoulder, laptop bag, side bag, crossbody bag", ("carryingMessengerBag",)),
    **_many("plastic bag, plastic bags, shopping bag, shopping bags, carrier bag, carrier bags, grocery bag, "
            "grocery bags", ("carryingPlasticBags",)),
    **_many("holdall, tote bag, tote, walking stick, walking frame, pram, buggy, pushchair, stroller, "
            "suitcase, luggage, trolley, umbrella, box, briefcase, handbag, purse, something else, "
            "something else in her hand, something else in his hand, something in hand", ("carryingOther",)),
    **_many("bag, bags", (_BAG_ANY,)),
    **_many("empty handed, hands empty, nothing in hand, nothing in her hands, nothing in his hands, "
            "nothing in her hand, nothing in his hand, nothing carried, carrying nothing, not carrying anything, "
            "no luggage, nothing in hands", ("carryingNothing",)),
    **_many("sneakers, trainers, running shoes, sports shoes, tennis shoes, sneaker, trainer", ("footwearSneakers",)),
    **_many("sandals, flip flops, sandal", ("footwearSandals",)),
    **_many("leather shoes, dress shoes, loafers, smart shoes, brogues, oxfords", ("footwearLeatherShoes",)),
    **_many("shoes", ("footwearShoes",)),
    **_many("no accessory, no accessories", ("accessoryNothing",)),
}

GARMENTS: dict[str, Garment] = {
    # specific garments: their attribute is part of the description even with a colour
    **{w: Garment("upper", ("upperBodyJacket",), True) for w in ("jacket", "anorak", "parka", "windbreaker", "blazer",
                                                                  "bomber jacket", "puffer jacket", "puffer")},
    **{w: Garment("upper", ("upperBodyTshirt",), True) for w in ("t shirt", "tshirt", "tee", "tee shirt", "tees")},
    **{w: Garment("upper", ("upperBodyTshirt", "upperBodyLogo"), True) for w in ("logo tee", "logo t shirt")},
    **{w: Garment("lower", ("lowerBodyJeans",), True) for w in ("jeans", "denims", "denim")},
    **{w: Garment("lower", ("lowerBodyShorts",), True) for w in ("shorts", "short trousers")},
    **{w: Garment("lower", ("lowerBodyShortSkirt",), True) for w in ("skirt", "short skirt", "miniskirt",
                                                                      "mini skirt", "dress")},
    **{w: Garment("both", ("upperBodyFormal", "lowerBodyFormal"), True) for w in ("suit", "business suit")},
    **{w: Garment("lower", ("lowerBodyFormal",), True) for w in ("formal trousers", "suit trousers", "dress trousers",
                                                                  "formal pants")},
    **{w: Garment("upper", ("upperBodyFormal", "upperBodyJacket"), True) for w in ("formal jacket", "suit jacket")},
    # generic garments: they place a colour; alone, the ones with an attribute give it
    **{w: Garment("lower", ("lowerBodyTrousers",)) for w in ("trousers", "pants", "slacks", "chinos", "leggings",
                                                              "joggers", "tracksuit bottoms", "sweatpants")},
    **{w: Garment("upper") for w in ("coat", "overcoat", "raincoat", "top", "shirt", "blouse", "sweater", "jumper",
                                     "hoodie", "hooded top", "sweatshirt", "pullover", "cardigan", "fleece", "vest",
                                     "polo", "polo shirt", "tank top", "tunic", "gilet", "body warmer")},
    **{w: Garment("lower") for w in ("bottoms",)},
    **{w: Garment("both") for w in ("clothes", "clothing", "outfit", "clothes top and bottom", "tracksuit")},
}

REGIONS: dict[str, str] = {
    **{w: "upper" for w in ("upper", "upper body", "upper half", "top half", "torso", "chest")},
    **{w: "lower" for w in ("lower", "lower body", "lower half", "bottom half", "legs")},
    # hair colour is no clothing colour: "blonde hair" binds the colour here, where it gives no term
    **{w: "hair" for w in ("hair", "haired")},
}

COLOURS: dict[str, str] = {
    **{w: "black" for w in ("black", "jet black")},
    **{w: "blue" for w in ("blue", "navy", "navy blue", "dark blue", "light blue", "sky blue", "royal blue",
                           "turquoise", "teal", "denim blue")},
    **{w: "brown" for w in ("brown", "tan", "beige", "khaki", "camel", "chocolate", "coffee")},
    **{w: "green" for w in ("green", "olive", "dark green", "light green", "lime", "khaki green")},
    **{w: "grey" for w in ("grey", "gray", "silver", "charcoal", "dark grey", "light grey", "dark gray", "light gray")},
    **{w: "orange" for w in ("orange", "amber", "peach")},
    **{w: "pink" for w in ("pink", "magenta", "fuchsia", "rose", "salmon")},
    **{w: "purple" for w in ("purple", "violet", "lilac", "lavender", "mauve")},
    **{w: "red" for w in ("red", "maroon", "burgundy", "crimson", "scarlet", "wine", "dark red")},
    **{w: "white" for w in ("white", "cream", "ivory", "off white")},
    **{w: "yellow" for w in ("yellow", "gold", "golden", "mustard")},
    **{w: "hair" for w in ("blonde", "blond", "fair", "ginger", "auburn", "brunette")},  # hair only
    **{w: "dark" for w in ("dark", "dark coloured", "dark colored")},
    **{w: "light" for w in ("light", "pale", "light coloured", "light colored", "bright")},
}

# "all in black", "dressed in grey": a colour with no garment describes the whole outfit
WHOLE_OUTFIT = {"all in", "dressed in", "dressed all in", "head to toe in", "in", "all"}

NEGATIONS = {"no", "not", "without", "never", "non", "isn't", "isnt", "doesn't", "not wearing", "no visible",
             "nor", "neither"}

# words after which a negation stops ("no hat, with a backpack": the backpack is required)
BOUNDARIES = {"with", "and a", "and an", "but", "wearing", "carrying", "has", "holding", "while", "and with"}

# words that carry no attribute; they are neither terms nor reported as not understood
FILLER = {
    "a", "an", "the", "and", "or", "of", "on", "at", "to", "for", "by", "over", "under", "his", "her", "their",
    "is", "are", "was", "were", "be", "who", "which", "that", "person", "someone", "somebody", "people",
    "individual", "subject", "suspect", "pedestrian", "walking", "wears", "wore", "dressed", "carries", "carried",
    "having", "had", "seen", "looks", "like", "about", "around", "maybe", "probably", "possibly", "some", "pair",
    "pairs", "also", "colour", "color", "coloured", "colored", "top and bottom", "both", "very", "quite", "fairly",
    "any", "anything", "it", "them", "he", "she", "they", "him", "hand", "hands", "shoulder", "back", "from",
    "behind", "front", "side", "up", "down", "light weight", "big", "small", "large", "little", "tall", "short",
    "long", "thin", "slim", "heavy", "medium", "aged", "approximately", "approx", "years", "year", "yrs",
    "years old", "year old", "yrs old", "y o", "yo",
}

# a number in a description is an age ("approx 25 years old", "60+"): PETA's age bands
AGE_BANDS = ((0, 30, "personalLess30"), (30, 45, "personalLess45"), (45, 60, "personalLess60"),
             (60, 120, "personalLarger60"))
