"""Plain-language descriptions to attribute queries: "woman in a red coat with a backpack, no hat".

:func:`describe` turns a description into the query language of :mod:`.query` with a lexicon
(:mod:`.lexicon`) and a few rules, and says what it did with every word:

- Comma-separated parts that already are query-language terms (``carryingBackpack``,
  ``not personalMale``, ``lowerBody:dark``) or attribute labels shown by the GUI ("backpack",
  "dark lower-body") are taken as they are.
- Other text is split into words; the longest lexicon phrase wins at each position
  ("short skirt" before "short", "no accessory" before "no").
- A colour binds to the nearest garment or body region after it ("red coat"), else the one
  before it ("trousers are black"); "in black" or "all in black" with no garment means the
  whole outfit. Generic garments (coat, top, trousers) only place a colour; alone, the ones
  that have an attribute ("trousers") give it. Specific garments (jeans, jacket, T-shirt,
  skirt) always give their attribute.
- Negation words ("no", "not", "without", "never") negate the terms that follow them up to the
  next comma or connective ("with", "and a", "but"); a negated description of a negative
  ("not a woman") is positive.
- Words it did not use are returned in ``unknown`` (common filler words are not), and an
  attribute that comes out both required and excluded is kept once, as first said, with a note.
  Nothing is dropped silently.

User text is only matched against the lexicon; it is never evaluated or used as a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model.schema import AttributeSchema
from .lexicon import (AGE_BANDS, BOUNDARIES, COLOURS, FILLER, GARMENTS, NEGATIONS, PHRASES, REGIONS, WHOLE_OUTFIT,
                      Garment)
from .query import AttributeQuery, QueryError, parse_query


@dataclass(frozen=True)
class DescribedTerm:
    """One query term and the words it came from."""

    term: str  # query language, e.g. "not accessoryHat" or "lowerBody:dark"
    words: str  # the description's words that gave it


@dataclass
class Description:
    """What :func:`describe` understood: the query, the term per phrase, and the words it did not use."""

    text: str
    terms: list[DescribedTerm] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    query: AttributeQuery = field(default_factory=AttributeQuery)

    @property
    def query_text(self) -> str:
        return ", ".join(t.term for t in self.terms)


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MAX_PHRASE = 4


def tokens(text: str) -> list[str]:
    """Lower-case words; hyphens and punctuation separate words ("T-shirt" -> ``["t", "shirt"]``)."""
    return _WORD.findall(text.lower().replace("’", "'"))


@dataclass
class _Item:
    kind: str  # "term" | "colour" | "garment" | "region" | "neg" | "boundary" | "outfit"
    words: str
    value: object = None
    negated: bool = False
    used: bool = False


def describe(text: str, schema: AttributeSchema) -> Description:
    """Parse a description (or a query, or GUI labels) against ``schema``; never raises on words.

    Raises :class:`QueryError` only when the text holds nothing the lexicon understands.
    """
    out = Description(text=text)
    labels = _label_index(schema)
    for part in re.split(r"[,;\n]+", text):
        part = part.strip()
        if not part:
            continue
        direct = _direct_term(part, schema, labels)
        if direct is not None:
            _add(out, direct, part, schema)
            continue
        for term, words in _free_text(part, schema, out):
            _add(out, term, words, schema)
    if not out.terms:
        said = f"; words not understood: {', '.join(out.unknown)}" if out.unknown else ""
        raise QueryError(f"no attribute found in {text.strip()!r}{said}")
    out.query = parse_query(out.query_text, schema)
    return out


def _label_index(schema: AttributeSchema) -> dict[str, str]:
    """GUI labels and attribute names, as word tuples joined by spaces -> query term."""
    idx: dict[str, str] = {}
    for a in schema.attributes:
        idx[" ".join(tokens(a.label))] = a.name
        idx[a.name.lower()] = a.name
    for c in schema.composites:
        idx[" ".join(tokens(c.label))] = c.name
    return idx


def _direct_term(part: str, schema: AttributeSchema, labels: dict[str, str]) -> str | None:
    """``part`` as one query-language term or one GUI label (optionally negated), else None."""
    try:
        q = parse_query(part, schema)
        if len(q.terms) == 1:
            return q.terms[0].text
    except QueryError:
        pass
    words = tokens(part)
    neg = bool(words) and words[0] in ("not", "no")
    key = " ".join(words[1:] if neg else words)
    if key in labels and not (neg and words[0] == "no" and " ".join(words) in labels):
        return ("not " if neg else "") + labels[key]
    if " ".join(words) in labels:  # "no accessory", "carrying nothing": labels that start with a negation
        return labels[" ".join(words)]
    return None


def _add(out: Description, term: str, words: str, schema: AttributeSchema) -> None:
    """Append ``term`` unless it repeats or contradicts an earlier one (then say so)."""
    try:
        parse_query(", ".join([t.term for t in out.terms] + [term]), schema)
    except QueryError as exc:
        if term in (t.term for t in out.terms):
            return  # said twice: once is enough
        out.notes.append(f"'{words}' ({term}) was left out: {exc}")
        return
    if term not in (t.term for t in out.terms):
        out.terms.append(DescribedTerm(term, words))


def _lex(words: list[str]) -> list[_Item]:
    """Longest-phrase lexicon matching over ``words``; unmatched words become ``unknown`` items."""
    items: list[_Item] = []
    i = 0
    while i < len(words):
        for n in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            item = _lookup(phrase)
            if item is not None:
                items.append(item)
                i += n
                break
        else:
            items.append(_Item("unknown", words[i]))
            i += 1
    return items


def _lookup(phrase: str) -> _Item | None:
    if phrase in PHRASES:
        return _Item("term", phrase, PHRASES[phrase])
    if phrase in GARMENTS:
        return _Item("garment", phrase, GARMENTS[phrase])
    if phrase in COLOURS:
        return _Item("colour", phrase, COLOURS[phrase])
    if phrase in REGIONS:
        return _Item("region", phrase, REGIONS[phrase])
    if phrase in WHOLE_OUTFIT:
        return _Item("outfit", phrase)
    if phrase in NEGATIONS:
        return _Item("neg", phrase)
    if phrase in BOUNDARIES:
        return _Item("boundary", phrase)
    if phrase in FILLER:
        return _Item("filler", phrase)
    if phrase.isdigit() and 5 <= int(phrase) < 120:
        return _Item("term", phrase, tuple(t for lo, hi, t in AGE_BANDS if lo <= int(phrase) < hi))
    return None


def _free_text(part: str, schema: AttributeSchema, out: Description) -> list[tuple[str, str]]:
    """Terms from one comma-free part of a description, in the order they were said."""
    items = _lex(tokens(part))
    _mark_negation(items)
    found: list[tuple[int, str, str]] = []  # (position, term, words)
    for pos, it in enumerate(items):
        if it.kind == "colour":
            for region, gi in _colour_targets(items, pos):
                found.append((pos, _colour_term(it.value, region, schema, it.negated), f"{it.words} {gi}".strip()))
            it.used = True
    for pos, it in enumerate(items):
        if it.kind == "term":
            for term in it.value:
                found.append((pos, _negate(term, it.negated), it.words))
            it.used = True
        elif it.kind == "garment":
            g: Garment = it.value
            if g.terms and (g.specific or not it.used):
                found.extend((pos, _negate(t, it.negated), it.words) for t in g.terms)
            it.used = True
        elif it.kind == "unknown":
            out.unknown.append(it.words)
    return [(t, w) for _, t, w in sorted(found, key=lambda x: x[0]) if t]


def _mark_negation(items: list[_Item]) -> None:
    """Negate items after a negation word up to a boundary that follows a negated item."""
    active = seen_negated = False
    for it in items:
        if it.kind == "neg":
            active, seen_negated = True, False
        elif it.kind == "boundary":
            if active and seen_negated:
                active = False
        elif active and it.kind in ("term", "garment", "colour"):
            it.negated = True
            seen_negated = True


def _colour_targets(items: list[_Item], pos: int) -> list[tuple[str, str]]:
    """Regions (``"upper"``/``"lower"``) a colour at ``pos`` describes, with the garment words.

    Looks forward past other colours and "and"/filler words ("black and white striped top"),
    then backward ("trousers are black"); "all in black" with nothing else is both regions.
    A garment it lands on is marked used, so a generic garment no longer gives its own term.
    """
    def region_of(it: _Item) -> str | None:
        return it.value.region if it.kind == "garment" else it.value if it.kind == "region" else None

    for step in (1, -1):
        j = pos + step
        while 0 <= j < len(items):
            it = items[j]
            r = region_of(it)
            if r is not None:
                it.used = True
                return [(x, it.words) for x in (("upper", "lower") if r == "both" else (r,))]
            if it.kind in ("colour", "filler", "unknown") or (it.kind == "term" and step == 1 and _is_pattern(it)):
                j += step
                continue
            break
    near = items[max(0, pos - 2):pos]
    if any(it.kind == "outfit" for it in near) or pos == len(items) - 1 or items[pos + 1].kind == "boundary":
        return [("upper", ""), ("lower", "")]  # "in black", "all in black", "dressed in grey, ..."
    return []


def _is_pattern(it: _Item) -> bool:
    """Upper-body pattern words between a colour and its garment ("white striped shirt")."""
    return all(t.startswith("upperBody") for t in it.value)


def _colour_term(colour: str, region: str, schema: AttributeSchema, negated: bool) -> str:
    """``upperBody:red`` -> the schema's attribute (``upperBodyRed``); dark/light -> the composite."""
    if colour == "hair" or region == "hair":
        return ""  # hair colours and coloured hair name no clothing attribute
    part = "upperBody" if region == "upper" else "lowerBody"
    name = f"{part}:{colour}"
    try:
        q = parse_query(name, schema)
    except QueryError:
        return ""
    t = q.terms[0]
    text = schema.names[t.attrs[0]] if len(t.attrs) == 1 else name
    return _negate(text, negated)


def _negate(term: str, negated: bool) -> str:
    if not negated:
        return term
    return term[4:] if term.startswith("not ") else f"not {term}"
