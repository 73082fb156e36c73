"""The value half of the grounding check: what an item claims must be written in its own quote.

A quote that is in the document proves only that the document says those words; these predicates
check that the words name what the item claims. Text is compared as **words**: Unicode NFKC,
case-folded, accents stripped, "&" read as "and", a possessive "'s" dropped, dots inside
abbreviations removed ("U.S." -> "us", "S.A." -> "sa"), then split on anything that is not a letter
or digit. A trailing plural "s" is ignored on both sides ("heads" matches "head").

- **people and parties** (`names_person`, `names_party`): every word of the name is in the quote;
  honorifics ("Dr.", "Mr.") may be left out, and so may a party's legal suffix ("Corp.", "GmbH").
- **titles and roles** (`states_role`): every significant word (not "of", "the", "and", ...) is in
  the quote; a C-level or VP acronym in either one stands for its expansion ("CFO" and "Chief
  Financial Officer" support each other).
- **locations** (`names_location`): each comma-separated part is named, a country also by another
  of its names ("US" for "United States").
- **technologies** (`names_technology`): the name's words are in the quote, or the quote names the
  same product by another of its names in scoring/data/technologies.yaml ("Amazon Web Services" for
  "AWS") or a product of the claimed family ("Amazon EC2" for "AWS"); a technology read from page
  markup may instead be one the markup fingerprints (`fingerprinted_technologies`).
- **industries** (`states_industry`): the quote states the industry word or one of its synonyms in
  scoring/data/industries.yaml ("manufacturer" for "manufacturing"). An industry the quote does not
  state is not grounded, however plausible the inference.

    >>> states_role("CFO", "Jane Roe, Chief Financial Officer of Acme")
    True
    >>> states_industry("software", "Acme makes industrial robots for car plants")
    False
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from agent.offline_tech import fingerprint_markup
from ingest.entities import LEGAL_SUFFIXES
from scoring.normalize import (
    INDUSTRY_SLUGS,
    normalize_country,
    normalize_industry,
    normalize_technology,
    technology_families,
)

__all__ = [
    "fingerprinted_technologies",
    "is_markup_span",
    "names_location",
    "names_party",
    "names_person",
    "names_technology",
    "states_industry",
    "states_role",
    "words",
]

_POSSESSIVE = re.compile(r"['’]s\b")
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['’](?=[^\W_])")
_ABBREVIATION_DOT = re.compile(r"(?<=\b[^\W\d_])\.(?=[^\W\d_]\b)")
_WORD = re.compile(r"[^\W_]+")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "jr", "sr"})
_ROLE_FILLERS = frozenset({"of", "the", "and", "for", "at", "a", "an", "in", "to", "on", "with", "our", "its", "their"})
_PARTY_FILLERS = frozenset({"the", "and"})
# C-level and VP acronyms: each stands for any of its expansions, in a role or in a quote.
_ACRONYMS: Mapping[str, tuple[str, ...]] = {
    "ceo": ("chief executive officer",),
    "cfo": ("chief financial officer",),
    "coo": ("chief operating officer",),
    "cto": ("chief technology officer", "chief technical officer"),
    "cio": ("chief information officer", "chief investment officer"),
    "cmo": ("chief marketing officer",),
    "cro": ("chief revenue officer", "chief risk officer"),
    "cpo": ("chief product officer", "chief people officer", "chief procurement officer"),
    "cso": ("chief strategy officer", "chief security officer", "chief sustainability officer"),
    "cdo": ("chief digital officer", "chief data officer"),
    "cco": ("chief commercial officer", "chief customer officer", "chief compliance officer"),
    "chro": ("chief human resources officer",),
    "ciso": ("chief information security officer",),
    "vp": ("vice president",),
    "svp": ("senior vice president",),
    "evp": ("executive vice president",),
    "gm": ("general manager",),
    "md": ("managing director",),
}
_MAX_NGRAM = 6


def words(text: str) -> list[str]:
    """Returns the words of a text as the value checks compare them (see the module docstring)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _POSSESSIVE.sub("", folded)
    folded = _INNER_APOSTROPHE.sub("", folded)
    folded = _ABBREVIATION_DOT.sub("", folded).replace("&", " and ")
    return _WORD.findall(folded)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _stems(text: str) -> list[str]:
    return [_stem(w) for w in words(text)]


def _all_in(needed: Iterable[str], available: Collection[str]) -> bool:
    return all(word in available for word in needed)


def names_person(name: str, quote: str) -> bool:
    """Tells whether every word of a person's name (honorifics aside) is in the quote."""
    needed = [w for w in _stems(name) if w not in _HONORIFICS]
    return bool(needed) and _all_in(needed, set(_stems(quote)))


def names_party(name: str, quote: str) -> bool:
    """Tells whether a company name (legal suffixes and "the" aside) is in the quote."""
    needed = [w for w in _stems(name) if w not in _PARTY_FILLERS]
    while len(needed) > 1 and needed[-1] in LEGAL_SUFFIXES:
        needed.pop()
    return bool(needed) and _all_in(needed, set(_stems(quote)))


def _role_words(text: str) -> set[str]:
    """Returns a text's words plus the words of every expansion of the acronyms it uses."""
    found = set(_stems(text))
    for acronym, expansions in _ACRONYMS.items():
        if acronym in found:
            found.update(w for expansion in expansions for w in _stems(expansion))
    return found


def states_role(role: str, quote: str) -> bool:
    """Tells whether every significant word of a title or role is in the quote (acronyms expanded)."""
    available = _role_words(quote)
    needed = [w for w in _stems(role) if w not in _ROLE_FILLERS]
    if not needed:
        return False
    for word in needed:
        if word in available:
            continue
        expansions = _ACRONYMS.get(word, ())
        if not any(_all_in(_stems(expansion), available) for expansion in expansions):
            return False
    return True


@lru_cache(maxsize=256)
def _ngrams(text: str, longest: int = _MAX_NGRAM) -> frozenset[str]:
    """Returns every run of 1 to `longest` consecutive words of a text, space-joined."""
    tokens = words(text)
    return frozenset(" ".join(tokens[i : i + n]) for n in range(1, longest + 1) for i in range(len(tokens) - n + 1))


def names_location(location: str, quote: str) -> bool:
    """Tells whether every comma-separated part of a place is named in the quote (a country by any of its names)."""
    available = set(_stems(quote))
    parts = [part for part in location.split(",") if words(part)]
    if not parts:
        return False
    for part in parts:
        if _all_in(_stems(part), available):
            continue
        code = normalize_country(part)
        if code is None or code not in _countries_named(quote):
            return False
    return True


def _countries_named(quote: str) -> set[str]:
    """Returns the countries a quote names; a code ("US", "U.S.") counts only written in capitals."""
    capitals = set(_ABBREVIATION_DOT.sub("", quote).split())
    found: set[str] = set()
    for gram in _ngrams(quote, 3):
        if len(gram) <= 3 and not any(word.strip(".,;:()") == gram.upper() for word in capitals):
            continue
        code = normalize_country(gram)
        if code is not None:
            found.add(code)
    return found


def names_technology(name: str, quote: str, *, fingerprinted: Collection[str] = ()) -> bool:
    """Tells whether the quote names a technology (by any of its names), or the page markup fingerprints it."""
    needed = _stems(name)
    if needed and _all_in(needed, set(_stems(quote))):
        return True
    canonical = normalize_technology(name)
    if canonical in fingerprinted:
        return True
    # a product of the claimed family counts: "runs on Amazon EC2" states use of AWS
    return any(canonical in _technology_names(gram) for gram in _ngrams(quote, 4))


@lru_cache(maxsize=8192)
def _technology_names(text: str) -> frozenset[str]:
    """Returns the canonical name of a technology and of every family it belongs to."""
    return frozenset((normalize_technology(text), *technology_families(text)))


def states_industry(value: str, quote: str) -> bool:
    """Tells whether the quote states an industry: its own words, or a synonym of the same canonical industry."""
    needed = _stems(value)
    if needed and _all_in(needed, set(_stems(quote))):
        return True
    slug = normalize_industry(value)
    if slug not in INDUSTRY_SLUGS:
        return False
    return any(normalize_industry(gram) == slug for gram in _ngrams(quote))


def fingerprinted_technologies(markup: str | None) -> frozenset[str]:
    """Returns the canonical names of the technologies whose fingerprints match the page markup."""
    return _fingerprinted(markup or "")


@lru_cache(maxsize=64)
def _fingerprinted(markup: str) -> frozenset[str]:
    if not markup:
        return frozenset()
    # grounding_sources writes response headers as "Name: value" lines after the HTML and JSON-LD
    headers = {m.group(1): m.group(2) for m in re.finditer(r"^([A-Za-z0-9-]{1,64}): ?(.*)$", markup, re.MULTILINE)}
    return frozenset(normalize_technology(fact.name) for fact in fingerprint_markup(markup, headers=headers))


_JSON_PAIR = re.compile(r'"[^"\n]{1,100}"\s*:\s*\S.*', re.DOTALL)


def is_markup_span(quote: str, markup: str) -> bool:
    """Tells whether a quote is a JSON-LD `"key": value` span or a whole JSON string value or meta-tag content."""
    if _JSON_PAIR.fullmatch(quote):
        return True
    escaped = re.escape(quote)
    enclosed = rf':\s*"{escaped}"|\bcontent\s*=\s*"{escaped}"|\bcontent\s*=\s*\'{escaped}\''
    return re.search(enclosed, markup, re.IGNORECASE) is not None
