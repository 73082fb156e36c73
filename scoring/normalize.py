"""Normalisation of firmographic values: industries, countries, money, headcounts, domains, technologies.

Pure functions over strings; importers and the scorer share them so that a criterion written
as `one_of: [Technology]` matches a CRM value "technolgy". The lookup tables live in
`scoring/data/*.yaml`; fuzzy matching is deliberately conservative: at most one edit for values of
5-9 characters and two from 10 on, the first letter must agree, and a tie between two different
answers gives no answer.

    >>> normalize_industry("Semiconductors and Other Electronic Components")
    'electronics'
    >>> normalize_country("Philipines")
    'PH'
    >>> parse_money("1,100.04", unit="millions")
    (1100040000.0, None)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit

import idna
import pycountry
import yaml

__all__ = [
    "INDUSTRY_SLUGS",
    "Unit",
    "canonical_value",
    "industry_groups",
    "normalize_country",
    "normalize_currency",
    "normalize_domain",
    "normalize_industry",
    "normalize_product",
    "normalize_technology",
    "parse_employees",
    "parse_money",
    "technology_families",
    "technology_family",
]

Unit = Literal["units", "thousands", "millions", "billions"]
_UNIT_EXPONENT: dict[str, int] = {"units": 0, "thousands": 3, "millions": 6, "billions": 9}


# --- shared text helpers ----------------------------------------------------------------------


def _fold(text: str) -> str:
    """Casefolds and strips accents, so "Türkiye" and "turkiye" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _key(text: str) -> str:
    """Returns a comparison key: folded, "&" read as "and", punctuation as spaces."""
    text = _fold(text).replace("&", " and ").replace("+", " and ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _load_table(name: str) -> dict[str, Any]:
    text = resources.files("scoring.data").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TypeError(f"scoring/data/{name} must hold a mapping")
    return data


def _max_edits(length: int) -> int:
    if length < 5:
        return 0
    return 1 if length < 10 else 2


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Returns the optimal-string-alignment distance, or limit + 1 as soon as it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _closest(key: str, candidates: Mapping[str, str]) -> str | None:
    """Returns the value of the unique nearest candidate key within the edit budget, else None."""
    limit = _max_edits(len(key))
    if limit == 0:
        return None
    best = limit + 1
    found: set[str] = set()
    for cand, value in candidates.items():
        # A typo in the first letter is rare; requiring it avoids "wealth" -> "health".
        if not cand or cand[0] != key[0]:
            continue
        dist = _edit_distance(key, cand, best)
        if dist < best:
            best, found = dist, {value}
        elif dist == best:
            found.add(value)
    return next(iter(found)) if best <= limit and len(found) == 1 else None


# --- industries -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _IndustryTable:
    aliases: dict[str, str]
    keywords: dict[str, str]
    groups: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _industries() -> _IndustryTable:
    raw = _load_table("industries.yaml")
    aliases: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for slug, spec in raw["industries"].items():
        groups[slug] = tuple(spec.get("groups", ()))
        for alias in [slug, *spec.get("aliases", ())]:
            key = _key(str(alias))
            if aliases.setdefault(key, slug) != slug:
                raise ValueError(f"industries.yaml: alias {alias!r} names both {aliases[key]} and {slug}")
    keywords = {str(word): str(slug) for word, slug in raw["keywords"].items()}
    unknown = {g for gs in groups.values() for g in gs} | set(keywords.values())
    if unknown - set(groups):
        raise ValueError(f"industries.yaml names unknown slugs: {sorted(unknown - set(groups))}")
    return _IndustryTable(aliases, keywords, groups)


def _industry_slugs() -> tuple[str, ...]:
    return tuple(_industries().groups)


INDUSTRY_SLUGS: tuple[str, ...] = _industry_slugs()
"""The canonical industry slugs, in the order of scoring/data/industries.yaml."""


def normalize_industry(raw: str | None) -> str | None:
    """Returns the canonical industry slug for a raw industry or sector name, or None when blank.

    Input no alias, typo or keyword rule recognises comes back cleaned (whitespace collapsed,
    casefolded) rather than dropped, so nothing is lost: `normalize_industry("Quantum  Widgets")`
    returns "quantum widgets". Canonical slugs come back unchanged.
    """
    if raw is None:
        return None
    cleaned = _collapse(raw)
    return _industry_for(cleaned) if cleaned else None


@lru_cache(maxsize=8192)
def _industry_for(cleaned: str) -> str:
    table = _industries()
    key = _key(cleaned)
    if not key:
        return cleaned
    slug = table.aliases.get(key) or _closest(key, table.aliases)
    if slug is not None:
        return slug
    hits = {table.keywords[w] for w in key.split() if w in table.keywords}
    return hits.pop() if len(hits) == 1 else cleaned


def industry_groups(industry: str) -> tuple[str, ...]:
    """Returns the broader industries an industry belongs to, nearest first ("software" -> ("technology",))."""
    slug = normalize_industry(industry)
    groups = _industries().groups
    found: list[str] = []
    todo = list(groups.get(slug or "", ()))
    while todo:
        group = todo.pop(0)
        if group not in found:
            found.append(group)
            todo.extend(groups.get(group, ()))
    return tuple(found)


# --- countries --------------------------------------------------------------------------------


def _country_key(text: str) -> str:
    # Dots and apostrophes vanish ("U.S.A." -> "usa", "Côte d'Ivoire" -> "cote divoire").
    key = _key(re.sub(r"[.'’]", "", text))
    return key.removeprefix("the ") if key.startswith("the ") else key


@dataclass(frozen=True, slots=True)
class _CountryTable:
    exact: dict[str, str]  # names, aliases and codes
    names: dict[str, str]  # names and aliases only: safe inside free text such as "Paris, IN"


@lru_cache(maxsize=1)
def _countries() -> _CountryTable:
    names: dict[str, str] = {}
    partial: dict[str, set[str]] = {}
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        codes[code.casefold()] = code
        codes[str(country.alpha_3).casefold()] = code
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if not name:
                continue
            names[_country_key(name)] = code
            if ", " in name:  # "Korea, Republic of" -> "korea" and "republic of korea"
                head, tail = name.split(", ", 1)
                for variant in (head, f"{tail} {head}"):
                    partial.setdefault(_country_key(variant), set()).add(code)
    for key, found in partial.items():
        if len(found) == 1 and key not in names:
            names[key] = found.pop()
    for code, aliases in _load_table("countries.yaml")["aliases"].items():
        for alias in aliases:
            names[_country_key(str(alias))] = str(code)
    return _CountryTable(exact={**codes, **names}, names=names)


def normalize_country(raw: str | None) -> str | None:
    """Returns the ISO 3166 alpha-2 code for a country name, code or common variant, or None.

    Accepts alpha-2 and alpha-3 codes, official and common names, variants ("USA", "UK",
    "Holland", "Korea"), a typo or two ("Philipines"), and a country at the end or start of a
    place ("Seattle, WA, USA"); two-letter codes count only as the whole value.
    """
    if raw is None:
        return None
    return _country_for(raw.strip()) if raw.strip() else None


@lru_cache(maxsize=4096)
def _country_for(text: str) -> str | None:
    table = _countries()
    key = _country_key(text)
    if not key:
        return None
    found = table.exact.get(key) or _closest(key, table.names)
    if found is not None:
        return found
    parts = [p for p in re.split(r"[,;/|()]", text) if p.strip()]
    if len(parts) > 1:
        for part in (parts[-1], parts[0]):
            part_key = _country_key(part)
            hit = table.names.get(part_key) or (_closest(part_key, table.names) if part_key else None)
            if hit is not None:
                return hit
    return None


# --- money and headcounts ---------------------------------------------------------------------

_SCALE_WORDS: dict[str, int] = {
    "k": 3, "thousand": 3, "thousands": 3, "tsd": 3, "tausend": 3,
    "lakh": 5, "lakhs": 5, "crore": 7, "crores": 7,
    "m": 6, "mm": 6, "mn": 6, "mln": 6, "mio": 6, "million": 6, "millions": 6, "millionen": 6,
    "b": 9, "bn": 9, "bln": 9, "billion": 9, "billions": 9, "mrd": 9, "mrds": 9, "milliard": 9, "milliarden": 9,
    "tn": 12, "trillion": 12, "trillions": 12,
}  # fmt: skip
_CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS",
}  # fmt: skip
_CURRENCY_WORDS: dict[str, str] = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
    "sterling": "GBP", "yen": "JPY", "yuan": "CNY", "rmb": "CNY", "rupee": "INR", "rupees": "INR",
}  # fmt: skip
_DOLLAR_PREFIXES: dict[str, str] = {
    "us": "USD", "usd": "USD", "c": "CAD", "ca": "CAD", "cad": "CAD", "a": "AUD", "au": "AUD", "aud": "AUD",
    "nz": "NZD", "hk": "HKD", "s": "SGD", "r": "BRL",
}  # fmt: skip
_DOLLAR_PREFIX_RE = re.compile(r"\b(" + "|".join(_DOLLAR_PREFIXES) + r")\$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d(?:[\d.,'’\u00a0\u202f ]*\d)?")
_TOKEN_RE = re.compile(r"[^\W\d_]+\.?|\S")


def normalize_currency(raw: str | None) -> str | None:
    """Returns the ISO 4217 code for a currency code, symbol or word ("€", "usd", "euros"), or None."""
    if raw is None:
        return None
    text = _DOLLAR_PREFIX_RE.sub(lambda m: _DOLLAR_PREFIXES[m.group(1).casefold()], raw.strip())
    if text in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[text]
    word = text.casefold().rstrip(".")
    if word in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[word]
    if len(word) == 3 and word.isalpha() and pycountry.currencies.get(alpha_3=word.upper()) is not None:
        return word.upper()
    return None


def _parse_decimal(text: str, *, whole: bool) -> Decimal:
    """Reads a number written with US or European separators.

    Both "," and "." present: the last one is the decimal mark. One "," followed by exactly three
    digits is a thousands separator ("1,100" is 1100), otherwise a decimal mark ("2,5").
    One "." is a decimal mark, except for whole quantities (`whole`), where "1.556" is 1556.
    Several of the same mark are thousands separators.
    """
    t = re.sub(r"[\s\u00a0\u202f'’]", "", text)
    if "," in t and "." in t:
        decimal_mark = "," if t.rfind(",") > t.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        if t.count(decimal_mark) > 1:
            raise ValueError(f"{text!r} has more than one decimal mark")
        head, tail = t.split(decimal_mark)
        _check_groups(head, grouping, text)
        t = head.replace(grouping, "") + "." + tail
    elif "," in t:
        groups = t.split(",")
        if len(groups) == 2 and len(groups[1]) != 3:
            t = t.replace(",", ".")
        else:
            _check_groups(t, ",", text)
            t = t.replace(",", "")
    elif t.count(".") > 1 or (whole and re.fullmatch(r"\d{1,3}\.\d{3}", t)):
        _check_groups(t, ".", text)
        t = t.replace(".", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?", t):
        raise ValueError(f"{text!r} is not a number")
    return Decimal(t)


def _check_groups(number: str, mark: str, original: str) -> None:
    groups = number.split(mark)
    if len(groups) == 1:
        return
    # Three-digit groups, or the Indian lakh style (12,34,567): two-digit groups then three.
    if not (1 <= len(groups[0]) <= 3 and len(groups[-1]) == 3 and all(len(g) in (2, 3) for g in groups[1:-1])):
        raise ValueError(f"{original!r} has misplaced thousands separators")


def parse_money(raw: str | float, *, unit: Unit = "units") -> tuple[float, str | None]:
    """Returns an amount in units of currency and its ISO currency code (None when not stated).

    Reads "€50M", "$1.2B", "USD 3.4 million", "2,5 Mio. €", "716,924,000,000", "50k". `unit` is
    the scale of a bare number ("1,100.04" in millions is 1,100,040,000); a scale written in the
    value ("3.4 million") wins over it. A bare "$" is read as USD and "¥" as JPY. Raises
    ValueError, naming the value, for anything else.
    """
    if isinstance(raw, bool):
        raise ValueError(f"cannot read {raw!r} as an amount of money")
    exponent = _UNIT_EXPONENT[unit]
    if isinstance(raw, int | float):
        return float(Decimal(str(raw)).scaleb(exponent)), None
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _DOLLAR_PREFIX_RE.sub(lambda m: " " + _DOLLAR_PREFIXES[m.group(1).casefold()] + " ", text).strip()
    negative = len(text) > 2 and text[0] == "(" and text[-1] == ")"  # accounting style
    if negative:
        text = text[1:-1].strip()
    numbers = list(_NUMBER_RE.finditer(text))
    if len(numbers) != 1:
        what = "no number" if not numbers else "more than one number"
        raise ValueError(f"cannot read {raw!r} as an amount of money: {what}")
    number = numbers[0]
    prefix = text[: number.start()].rstrip()
    if prefix.endswith(("-", "−")):
        negative, prefix = not negative, prefix[:-1]
    currency: str | None = None
    scale: int | None = None
    for token in _TOKEN_RE.findall(prefix + " " + text[number.end() :]):
        word = token.casefold().rstrip(".") or token
        if word in _SCALE_WORDS and scale is None:
            scale = _SCALE_WORDS[word]
        elif (code := normalize_currency(token)) is not None and currency in (None, code):
            currency = code
        else:
            raise ValueError(f"cannot read {raw!r} as an amount of money: unexpected {token!r}")
    try:
        amount = _parse_decimal(number.group(), whole=False)
    except ValueError as exc:
        raise ValueError(f"cannot read {raw!r} as an amount of money: {exc}") from exc
    amount = amount.scaleb(exponent if scale is None else scale)
    return float(-amount if negative else amount), currency


_HEADCOUNT_PREFIX = re.compile(
    r"^(?:~|≈|±|ca\.?|c\.|circa|approx\.?|approximately|about|around|over|more than|at least|>=?|≥)\s*"
)
_HEADCOUNT_SUFFIX = re.compile(r"(?:\s*(?:\+|plus|or more|employees?|staff|people|ftes?|persons|headcount))+\s*$")
_HEADCOUNT_RANGE = re.compile(r"\s*(?:[-–—]|\bto\b|\bbis\b)\s*")
_HEADCOUNT_PART = re.compile(r"(\d(?:[\d.,'’\u00a0\u202f ]*\d)?)\s*([a-z]+\.?)?")


def parse_employees(raw: str | int) -> int:
    """Returns a headcount from "1,556,000", "10k+", "5000+", "~300" or a band such as "201-500".

    A band gives its midpoint rounded down ("201-500" -> 350): the best single estimate for
    range criteria. An open band ("10,001+") gives its lower bound. Fractions (FTEs) are rounded.
    Raises ValueError, naming the value, for anything else.
    """
    if isinstance(raw, bool):
        raise ValueError(f"cannot read {raw!r} as a number of employees")
    if isinstance(raw, int):
        if raw < 0:
            raise ValueError(f"cannot read {raw!r} as a number of employees: negative")
        return raw
    text = unicodedata.normalize("NFKC", raw).strip().casefold()
    if text.startswith(("-", "−")):
        raise ValueError(f"cannot read {raw!r} as a number of employees: negative")
    text = _HEADCOUNT_SUFFIX.sub("", _HEADCOUNT_PREFIX.sub("", text))
    parts = _HEADCOUNT_RANGE.split(text)
    try:
        values = [_parse_headcount_part(p) for p in parts]
    except ValueError as exc:
        raise ValueError(f"cannot read {raw!r} as a number of employees: {exc}") from exc
    if len(values) == 2 and values[0] <= values[1]:
        return int(((values[0] + values[1]) / 2).to_integral_value(rounding=ROUND_FLOOR))
    if len(values) != 1:
        raise ValueError(f"cannot read {raw!r} as a number of employees")
    return int(values[0].to_integral_value(rounding=ROUND_HALF_UP))


def _parse_headcount_part(part: str) -> Decimal:
    m = _HEADCOUNT_PART.fullmatch(part.strip())
    if m is None:
        raise ValueError(f"{part!r} is not a number")
    word = (m.group(2) or "").rstrip(".")
    if word and (word not in _SCALE_WORDS or _SCALE_WORDS[word] > 6):
        raise ValueError(f"unexpected {m.group(2)!r}")
    exponent = _SCALE_WORDS.get(word, 0)
    return _parse_decimal(m.group(1), whole=exponent == 0).scaleb(exponent)


# --- domains ----------------------------------------------------------------------------------

_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def normalize_domain(raw: str | None) -> str | None:
    """Returns the registrable host of a URL, e-mail address or bare domain, or None if it is not one.

    "https://www.Acme.com/about" -> "acme.com", "info@acme.co.uk" -> "acme.co.uk". A leading
    "www." goes; internationalised names come back in their ASCII (punycode) form, which is what
    DNS and the fetcher use. IP addresses, single labels and text with spaces give None.
    """
    if raw is None:
        return None
    text = raw.strip().strip("<>\"'")
    if not text or any(ch.isspace() for ch in text):
        return None
    if text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :]
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = re.sub(r"^www\d*\.", "", host.rstrip("."))
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or len(ascii_host) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        return None
    tld = labels[-1]
    return ascii_host if tld.isalpha() or tld.startswith("xn--") else None


# --- technologies and products ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TechTable:
    aliases: dict[str, str]  # alphanumeric key -> canonical name
    families: dict[str, str]  # canonical name -> family
    roots: tuple[str, ...]  # family names, longest first


def _tech_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", _fold(text))


@lru_cache(maxsize=1)
def _technologies() -> _TechTable:
    aliases: dict[str, str] = {}
    families: dict[str, str] = {}
    for name, spec in _load_table("technologies.yaml")["technologies"].items():
        canonical = str(name)
        if spec.get("family"):
            families[canonical] = str(spec["family"])
        for alias in [canonical, *spec.get("aliases", ())]:
            key = _tech_key(str(alias))
            if aliases.setdefault(key, canonical) != canonical:
                raise ValueError(f"technologies.yaml: alias {alias!r} names both {aliases[key]} and {canonical}")
    missing = set(families.values()) - set(aliases.values())
    if missing:
        raise ValueError(f"technologies.yaml: families without an entry: {sorted(missing)}")
    roots = tuple(sorted(set(families.values()), key=len, reverse=True))
    return _TechTable(aliases, families, roots)


def normalize_technology(raw: str) -> str:
    """Returns the canonical name of a technology ("AWS", "Amazon Web Services" -> "aws").

    Names not in scoring/data/technologies.yaml come back cleaned (casefolded, ™/® dropped,
    whitespace collapsed).
    """
    return _technology_for(raw)


@lru_cache(maxsize=8192)
def _technology_for(raw: str) -> str:
    cleaned = _collapse(re.sub(r"[™®©]", "", raw))
    return _technologies().aliases.get(_tech_key(cleaned), cleaned)


def technology_families(name: str) -> tuple[str, ...]:
    """Returns the families a technology belongs to, nearest first ("D365 BC" -> ("microsoft dynamics 365", "microsoft dynamics")).

    A criterion naming a family ("SAP") should match an account whose technology has that family
    ("sap s/4hana"); a criterion naming a product matches only that product.
    """
    table = _technologies()
    canonical = normalize_technology(name)
    family = table.families.get(canonical)
    if family is None and canonical not in table.aliases.values():
        family = next((root for root in table.roots if canonical.startswith(root + " ")), None)
    chain: list[str] = []
    while family is not None and family not in chain:
        chain.append(family)
        family = table.families.get(family)
    return tuple(chain)


def technology_family(name: str) -> str | None:
    """Returns the nearest family of a technology ("SAP S/4HANA" -> "sap"), or None."""
    families = technology_families(name)
    return families[0] if families else None


def normalize_product(raw: str) -> str:
    """Returns a product name as a comparison key: "GTXPro", "GTX Pro" and "gtx-pro" all give "gtx pro"."""
    text = unicodedata.normalize("NFKC", raw)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return " ".join(re.sub(r"[-_./]+", " ", text).split()).casefold()


# --- the matcher's entry point ----------------------------------------------------------------


@lru_cache(maxsize=65536)
def canonical_value(field: str, raw: str) -> str:
    """Returns a value in the canonical form of its field, for comparisons in criteria.

    industry -> industry slug, country -> lowercase alpha-2 (or the cleaned text when unknown),
    technologies and legacy_systems -> canonical technology name, anything else -> whitespace
    collapsed and casefolded.
    """
    if field == "industry":
        return normalize_industry(raw) or _collapse(raw)
    if field == "country":
        return (normalize_country(raw) or _collapse(raw)).casefold()
    if field in {"technologies", "legacy_systems"}:
        return normalize_technology(raw)
    return _collapse(raw)
