"""The grounding check (RELIABILITY.md PI-3): keep an extracted item only if its quote is in the source.

An item survives when

1. its `quote` is a substring of the document after both sides are normalised the same way;
2. the quote is long enough to state something: 12+ characters and 2+ words when it is from the
   text; a quote from the markup needs 12+ characters, or must be a JSON-LD `"key": value` span, a
   whole JSON string value or a whole meta-tag content (`"Odoo"`);
3. every number and date it carries is written inside that quote, and so is every number and day
   in an event's `summary`;
4. the key words of its values are in the quote (`agent.grounding_values`): a person's name and
   title, an event's `person`, `role`, `location`, `acquirer` and `target`, a technology's name
   (or, for a markup quote, a technology the markup fingerprints) and an industry (its word or a
   synonym: an inferred industry is dropped).

Each dropped item is counted under a `DropReason`.

**Normalisation** (`normalise_for_match`, applied identically to quote and document): Unicode NFKC
(full-width forms, ligatures, "…" -> "...", NBSP and other fixed-width spaces -> space); typographic
single quotes and primes (‘ ’ ‚ ‛ ′ ‹ ›) -> `'`; double quotes (“ ” „ ‟ ″ « ») -> `"`; hyphens and
dashes (‐ ‑ ‒ – — ― − and the small/full-width hyphen-minus forms) -> `-`; zero-width characters,
word joiners, BOMs and soft hyphens removed; every run of whitespace (newlines included) -> one
space; leading and trailing space dropped. Case is NOT folded and nothing else is forgiven: a quote
that drops, adds or reorders words is not in the document.

**Where a quote may come from.** Events and strategic notes must quote the document's text
(`document_text`). Firmographics, technographics and people may also quote the page markup
(`document_html_text`: the raw HTML, JSON-LD script bodies and response-header lines, see
`grounding_sources`), because facts read from schema.org JSON-LD, meta tags, script URLs or headers
rest on markup, not on visible text. Markup is compared after HTML entities are unescaped on both
sides (attribute values and JSON-LD are entity-escaped in markup, e.g. `&amp;`).

**Numbers.** An amount (event `amount`, `revenue.amount`) is supported when the quote writes the
same value, with or without a scale word or currency: 25_000_000 by "$25 million", "25M",
"25,000,000", "€25 mln", "USD 25mn", "25 million dollars" (relative tolerance 1e-6, so "$24.9
million" does not support 25_000_000; a lower-case "25m" counts only beside a currency, "$25m", since
"25 m" may be metres). When the quote states a currency and the item names another
(EUR for "$25 million"), the item is dropped too. Counts (`employees`) must appear as the number
("2,800", "2800", "2.8k"); a founding year as a four-digit token ("1996", "1996-03-01").

**Dates** (`event_date`). Supported by an explicit date in the quote that names that day: ISO
"2025-07-28", "July 28, 2025", "Jul. 28 2025", "28 July 2025", "7/28/2025" or "28/7/2025" and
"28.07.2025". A date without a year ("July 28", "28 July") takes the publication year (the year
before when that would put it more than 183 days after publication). Relative words need the
publication date (`published_at`, its calendar date as stored, no time-zone shift): "today",
"tonight", "this morning/afternoon/evening" support only the publication date; "yesterday" the day
before; "tomorrow" the day after; a weekday ("on Monday") the latest such day on or before
publication. Without a publication date, year-less and relative dates support nothing. A month
alone ("in July 2025"), a quarter or "last week" supports no day.

    >>> from agent.schemas import Event, Extraction
    >>> doc = "Acme raised $25 million on July 28, 2025."
    >>> ok = Event(type="funding", summary="Acme raised money", quote="Acme raised $25 million", amount=25e6)
    >>> bad = Event(type="funding", summary="Acme raised money", quote="Acme raised $25 million", amount=30e6)
    >>> result = ground_extraction(Extraction(events=[ok, bad]), document_text=doc)
    >>> (len(result.extraction.events), result.counts())
    (1, {'number_not_in_quote': 1})
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from agent.extractors import ExtractionInput
from agent.grounding_values import (
    fingerprinted_technologies,
    is_markup_span,
    names_location,
    names_party,
    names_person,
    names_technology,
    states_industry,
    states_role,
)
from agent.schemas import (
    TEXT_QUOTE_MIN_CHARS,
    TEXT_QUOTE_MIN_WORDS,
    CountFact,
    Event,
    Extraction,
    IndustryFact,
    MoneyFact,
    Person,
    Quoted,
    TechFact,
)

__all__ = [
    "DropReason",
    "DroppedItem",
    "GroundingResult",
    "ParsedAmount",
    "ParsedDate",
    "check_fact_quote",
    "ground_document",
    "ground_extraction",
    "grounding_sources",
    "iter_quoted",
    "normalise_for_match",
    "parse_amounts",
    "parse_dates",
]


class DropReason(StrEnum):
    """Why the grounding check dropped an item."""

    QUOTE_NOT_FOUND = "quote_not_found"
    QUOTE_TOO_SHORT = "quote_too_short"
    NUMBER_NOT_IN_QUOTE = "number_not_in_quote"
    CURRENCY_MISMATCH = "currency_mismatch"
    DATE_NOT_IN_QUOTE = "date_not_in_quote"
    SUMMARY_NOT_IN_QUOTE = "summary_not_in_quote"
    PERSON_NOT_IN_QUOTE = "person_not_in_quote"
    ROLE_NOT_IN_QUOTE = "role_not_in_quote"
    LOCATION_NOT_IN_QUOTE = "location_not_in_quote"
    PARTY_NOT_IN_QUOTE = "party_not_in_quote"
    TECHNOLOGY_NOT_IN_QUOTE = "technology_not_in_quote"
    INDUSTRY_NOT_IN_QUOTE = "industry_not_in_quote"


@dataclass(frozen=True, slots=True)
class DroppedItem:
    """One item the check removed: where it was (`events[2]`), why, and the quote it gave."""

    path: str
    reason: DropReason
    quote: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GroundingResult:
    """The extraction with only grounded items left, and what was dropped."""

    extraction: Extraction
    kept: int
    dropped: list[DroppedItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Returns the number of dropped items per reason."""
        return dict(Counter(item.reason.value for item in self.dropped))


# --- normalisation ---------------------------------------------------------------------------

_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′‹›", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),
    }
)


def normalise_for_match(text: str) -> str:
    """Returns text as the grounding check compares it (see the module docstring); case is kept."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_TRANSLATE).split())


def _normalise_markup(text: str) -> str:
    return normalise_for_match(html.unescape(text))


# --- amounts ---------------------------------------------------------------------------------

_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "mio": 1e6,
    "mm": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "bln": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "trn": 1e12,
}
_SYMBOLS = {
    "US$": "USD",
    "U.S.$": "USD",
    "USD": "USD",
    "$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "CAD": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "AUD": "AUD",
    "HK$": "HKD",
    "HKD": "HKD",
    "S$": "SGD",
    "SGD": "SGD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "¥": "JPY",
    "JPY": "JPY",
    "CNY": "CNY",
    "RMB": "CNY",
    "₹": "INR",
    "INR": "INR",
    "CHF": "CHF",
    "SEK": "SEK",
    "NOK": "NOK",
    "DKK": "DKK",
}
_WORD_CURRENCIES = {
    "hong kong dollars": "HKD",
    "canadian dollars": "CAD",
    "australian dollars": "AUD",
    "dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "rupees": "INR",
    "francs": "CHF",
}
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_SCALE_RE = "|".join(sorted(_SCALES, key=len, reverse=True))
_WORD_CUR_RE = "|".join(re.escape(w) for w in sorted(_WORD_CURRENCIES, key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
AMOUNT_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<pre>{_SYMBOL_RE})\s?)?(?P<num>{_NUMBER})(?![\d])"
    rf"(?:\s?(?P<scale>{_SCALE_RE})(?![A-Za-z]))?"
    rf"(?:\s?(?P<post>{_SYMBOL_RE}|{_WORD_CUR_RE})(?![A-Za-z]))?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParsedAmount:
    """A number written in text, scaled by its scale word ("2.5 million" -> 2_500_000), with its currency."""

    value: float
    currency: str | None
    start: int
    end: int
    text: str


def parse_amounts(text: str) -> list[ParsedAmount]:
    """Returns every number in the text with its scale word and currency applied."""
    found: list[ParsedAmount] = []
    for match in AMOUNT_RE.finditer(text):
        pre, post, scale = match.group("pre"), match.group("post"), match.group("scale")
        currency = _currency_of(pre) or _currency_of(post)
        scale_key = (scale or "").lower()
        # A lower-case "m"/"b" is a scale only next to a currency ("$25m"), not "25 m" of road; "25M" always is.
        if scale in ("m", "b", "mm") and currency is None:
            scale_key = ""
        try:
            value = float(match.group("num").replace(",", ""))
        except ValueError:  # pragma: no cover - the pattern only admits digits
            continue
        value *= _SCALES.get(scale_key, 1.0)
        end = match.end() if (scale_key or currency) else match.end("num")
        found.append(ParsedAmount(value, currency, match.start(), end, text[match.start() : end]))
    return found


def _currency_of(marker: str | None) -> str | None:
    if not marker:
        return None
    return _SYMBOLS.get(marker.upper(), _SYMBOLS.get(marker)) or _WORD_CURRENCIES.get(marker.lower())


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
# Month names are matched capitalised or in capitals only, so "may" and "march" as words never start a date.
_MONTH_RE = (
    r"(?P<month>"
    + "|".join(form for name in sorted(_MONTHS, key=len, reverse=True) for form in (name.title(), name.upper()))
    + r")\.?"
)
_DAY_RE = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR_RE = r"(?P<year>(?:19|20)\d{2})"
_DATE_PATTERNS = [
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
    re.compile(rf"\b{_MONTH_RE}\s+{_DAY_RE}(?:,?\s+{_YEAR_RE})?(?!\d)"),
    re.compile(rf"(?<![\d.,]){_DAY_RE}(?:\s+of)?\s+{_MONTH_RE}(?:,?\s+{_YEAR_RE})?(?!\d)"),
]
_NUMERIC_DATE = re.compile(
    r"(?<![\d/.])(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)(?P=sep)(?P<year>(?:19|20)\d{2})(?!\d)"
)
_RELATIVE = re.compile(
    r"\b(?P<word>today|tonight|this (?:morning|afternoon|evening)|yesterday|tomorrow)\b"
    r"|\bon (?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_IMPLIED_YEAR_SLACK = timedelta(days=183)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A day named in text, where it is, and whether it was explicit or resolved against publication."""

    day: date
    start: int
    end: int
    explicit: bool


def parse_dates(text: str, *, published: date | datetime | None = None) -> list[ParsedDate]:
    """Returns the days the text names (explicit dates, then relative words resolved against `published`)."""
    pub = _as_date(published)
    found: list[ParsedDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            day = _day_from_match(match, pub)
            if day is not None:
                found.append(ParsedDate(day, match.start(), match.end(), True))
                taken.append((match.start(), match.end()))
    for match in _NUMERIC_DATE.finditer(text):
        a, b, year = int(match.group("a")), int(match.group("b")), int(match.group("year"))
        orders = [(a, b), (b, a)] if match.group("sep") == "/" else [(b, a)]
        for month, day_num in orders:
            day = _make_date(year, month, day_num)
            if day is not None:
                found.append(ParsedDate(day, match.start(), match.end(), True))
    if pub is not None:
        for match in _RELATIVE.finditer(text):
            day = _resolve_relative(match, pub)
            found.append(ParsedDate(day, match.start(), match.end(), False))
    return found


def _day_from_match(match: re.Match[str], pub: date | None) -> date | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        return None
    day_num = int(match.group("day"))
    year_text = match.group("year")
    if year_text:
        return _make_date(int(year_text), month, day_num)
    if pub is None:
        return None
    day = _make_date(pub.year, month, day_num)
    if day is not None and day - pub > _IMPLIED_YEAR_SLACK:
        day = _make_date(pub.year - 1, month, day_num)
    return day


def _resolve_relative(match: re.Match[str], pub: date) -> date:
    word = (match.group("word") or "").lower()
    if word == "yesterday":
        return pub - timedelta(days=1)
    if word == "tomorrow":
        return pub + timedelta(days=1)
    weekday = match.group("weekday")
    if weekday:
        back = (pub.weekday() - _WEEKDAYS[weekday.lower()]) % 7
        return pub - timedelta(days=back)
    return pub


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


# --- the check -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sources:
    text: str
    markup: str | None
    published: date | None
    raw_markup: str | None = None

    def fingerprinted(self) -> frozenset[str]:
        """Returns the technologies the raw markup fingerprints (computed only when a markup fact needs it)."""
        return fingerprinted_technologies(self.raw_markup)


def check_fact_quote(quote: str, document_text: str, *, document_html_text: str | None = None) -> bool:
    """Returns True when the quote occurs in the document text (or its markup) after normalisation."""
    needle = normalise_for_match(quote)
    if len(needle) < 3:
        return False
    if needle in normalise_for_match(document_text):
        return True
    return document_html_text is not None and _normalise_markup(quote) in _normalise_markup(document_html_text)


def ground_extraction(
    extraction: Extraction,
    *,
    document_text: str,
    document_html_text: str | None = None,
    published_at: date | datetime | None = None,
) -> GroundingResult:
    """Returns the extraction with only items whose quote, numbers and dates are in the document."""
    sources = _Sources(
        text=normalise_for_match(document_text),
        markup=_normalise_markup(document_html_text) if document_html_text else None,
        published=_as_date(published_at),
        raw_markup=document_html_text,
    )
    dropped: list[DroppedItem] = []
    kept = 0

    def keep(path: str, item: Any, *, markup_ok: bool) -> bool:
        nonlocal kept
        problem = _check_item(item, sources, markup_ok=markup_ok)
        if problem is None:
            kept += 1
            return True
        reason, detail = problem
        dropped.append(DroppedItem(path=path, reason=reason, quote=item.quote, detail=detail))
        return False

    data = extraction.model_copy(deep=True)
    firm = data.firmographics
    for name in ("industry", "revenue", "employees", "headquarters", "parent_company", "growth_stage", "founded_year"):
        item = getattr(firm, name)
        if item is not None and not keep(f"firmographics.{name}", item, markup_ok=True):
            setattr(firm, name, None)
    firm.structure = [
        s for i, s in enumerate(firm.structure) if keep(f"firmographics.structure[{i}]", s, markup_ok=True)
    ]
    tech = data.technographics
    if tech.cloud_orientation is not None and not keep(
        "technographics.cloud_orientation", tech.cloud_orientation, markup_ok=True
    ):
        tech.cloud_orientation = None
    for name in ("technologies", "legacy_systems", "it_maturity", "integration_requirements"):
        items = getattr(tech, name)
        setattr(tech, name, [t for i, t in enumerate(items) if keep(f"technographics.{name}[{i}]", t, markup_ok=True)])
    data.events = [e for i, e in enumerate(data.events) if keep(f"events[{i}]", e, markup_ok=False)]
    for name in ("priorities", "pains", "competitors", "relationships"):
        items = getattr(data.strategic, name)
        setattr(
            data.strategic, name, [s for i, s in enumerate(items) if keep(f"strategic.{name}[{i}]", s, markup_ok=False)]
        )
    data.people = [p for i, p in enumerate(data.people) if keep(f"people[{i}]", p, markup_ok=True)]
    return GroundingResult(extraction=data, kept=kept, dropped=dropped)


def grounding_sources(doc: ExtractionInput) -> tuple[str, str | None]:
    """Returns (document_text, document_html_text) for a document as extractors see it.

    The text is the title followed by the main text (an extractor may quote the headline); the
    markup is the raw HTML, then raw JSON-LD texts given in `structured["json_ld_texts"]`, then one
    `name: value` line per response header, so facts read from markup or headers can be grounded.
    """
    text = doc.text
    title = doc.title.strip()
    if title and not normalise_for_match(text).startswith(normalise_for_match(title)):
        text = f"{title}\n\n{text}"
    parts: list[str] = []
    if doc.html:
        parts.append(doc.html)
    raw_json_ld = doc.structured.get("json_ld_texts")
    if isinstance(raw_json_ld, list):
        parts.extend(str(block) for block in raw_json_ld)
    parts.extend(f"{name}: {value}" for name, value in doc.headers.items())
    return text, ("\n".join(parts) if parts else None)


def ground_document(extraction: Extraction, doc: ExtractionInput) -> GroundingResult:
    """Grounds an extraction against the document it came from (text, markup and publication date)."""
    text, markup = grounding_sources(doc)
    return ground_extraction(extraction, document_text=text, document_html_text=markup, published_at=doc.published_at)


def _check_item(item: Quoted, sources: _Sources, *, markup_ok: bool) -> tuple[DropReason, str] | None:
    quote = normalise_for_match(item.quote)
    in_text = quote in sources.text
    marked = _normalise_markup(item.quote)
    in_markup = markup_ok and sources.markup is not None and marked in sources.markup
    if not in_text and not in_markup:
        where = "document text or markup" if markup_ok and sources.markup is not None else "document text"
        return DropReason.QUOTE_NOT_FOUND, f"the quote is not in the {where}"
    if in_text and _long_enough(quote):
        return _check_values(item, quote, sources, from_markup=False)
    if (
        in_markup
        and sources.markup is not None
        and (len(marked) >= TEXT_QUOTE_MIN_CHARS or is_markup_span(marked, sources.markup))
    ):
        return _check_values(item, marked, sources, from_markup=True)
    return DropReason.QUOTE_TOO_SHORT, (
        f"a quote needs {TEXT_QUOTE_MIN_CHARS}+ characters and {TEXT_QUOTE_MIN_WORDS}+ words "
        "(shorter only as a JSON-LD or meta-tag span)"
    )


def _long_enough(quote: str) -> bool:
    """Tells whether a text quote has the minimum length and number of words."""
    wordlike = sum(1 for chunk in quote.split() if any(ch.isalnum() for ch in chunk))
    return len(quote) >= TEXT_QUOTE_MIN_CHARS and wordlike >= TEXT_QUOTE_MIN_WORDS


def _check_values(item: Quoted, quote: str, sources: _Sources, *, from_markup: bool) -> tuple[DropReason, str] | None:
    published = sources.published
    if isinstance(item, Event):
        return _check_event(item, quote, published)
    if isinstance(item, MoneyFact):
        return _check_amount(item.amount, item.currency, quote)
    if isinstance(item, CountFact):
        return _check_count(item.value, quote)
    if isinstance(item, Person):
        if not names_person(item.name, quote):
            return DropReason.PERSON_NOT_IN_QUOTE, f"{item.name!r} is not named in the quote"
        if item.title and not states_role(item.title, quote):
            return DropReason.ROLE_NOT_IN_QUOTE, f"the title {item.title!r} is not stated in the quote"
    elif isinstance(item, TechFact):
        fingerprinted = sources.fingerprinted() if from_markup else frozenset()
        if not names_technology(item.name, quote, fingerprinted=fingerprinted):
            return DropReason.TECHNOLOGY_NOT_IN_QUOTE, f"{item.name!r} is not named in the quote"
    elif isinstance(item, IndustryFact) and not states_industry(item.value, quote):
        return DropReason.INDUSTRY_NOT_IN_QUOTE, f"the industry {item.value!r} is not stated in the quote"
    return None


def _check_event(event: Event, quote: str, published: date | None) -> tuple[DropReason, str] | None:
    if event.amount is not None:
        problem = _check_amount(event.amount, event.currency, quote)
        if problem:
            return problem
    quote_days = {d.day for d in parse_dates(quote, published=published)}
    if event.event_date is not None and event.event_date not in quote_days:
        return DropReason.DATE_NOT_IN_QUOTE, f"{event.event_date.isoformat()} is not named in the quote"
    unsupported = _check_summary(event.summary, quote, quote_days, published)
    if unsupported:
        return DropReason.SUMMARY_NOT_IN_QUOTE, unsupported
    if event.person and not names_person(event.person, quote):
        return DropReason.PERSON_NOT_IN_QUOTE, f"{event.person!r} is not named in the quote"
    if event.role and not states_role(event.role, quote):
        return DropReason.ROLE_NOT_IN_QUOTE, f"the role {event.role!r} is not stated in the quote"
    if event.location and not names_location(event.location, quote):
        return DropReason.LOCATION_NOT_IN_QUOTE, f"{event.location!r} is not named in the quote"
    for party in (event.acquirer, event.target):
        if party and not names_party(party, quote):
            return DropReason.PARTY_NOT_IN_QUOTE, f"{party!r} is not named in the quote"
    return None


def _check_summary(summary: str, quote: str, quote_days: set[date], published: date | None) -> str | None:
    """Returns what in the summary the quote does not support (a day, a number), or None."""
    days = parse_dates(summary, published=published)
    for found in days:
        if found.day not in quote_days:
            return f"the summary's date {found.day.isoformat()} is not named in the quote"
    values = [a.value for a in parse_amounts(quote)]
    for amount in parse_amounts(summary):
        if any(d.start < amount.end and amount.start < d.end for d in days):
            continue  # a number inside a date was checked as the date
        if not any(_same_value(amount.value, value) for value in values):
            return f"the summary's {amount.text!r} is not written in the quote"
    return None


def _check_amount(amount: float, currency: str | None, quote: str) -> tuple[DropReason, str] | None:
    matches = [a for a in parse_amounts(quote) if _same_value(a.value, amount)]
    if not matches:
        return DropReason.NUMBER_NOT_IN_QUOTE, f"{amount:g} is not written in the quote"
    if currency is None:
        return None
    stated = {a.currency for a in matches if a.currency}
    if stated and currency.upper() not in stated:
        return DropReason.CURRENCY_MISMATCH, f"the quote states {'/'.join(sorted(stated))}, not {currency.upper()}"
    return None


def _check_count(value: int, quote: str) -> tuple[DropReason, str] | None:
    if any(_same_value(a.value, value) for a in parse_amounts(quote)):
        return None
    return DropReason.NUMBER_NOT_IN_QUOTE, f"{value} is not written in the quote"


def iter_quoted(extraction: Extraction) -> Iterator[tuple[str, Quoted]]:
    """Yields (path, item) for every quoted item of an extraction, in the order the check visits them."""
    firm = extraction.firmographics
    for name in ("industry", "revenue", "employees", "headquarters", "parent_company", "growth_stage", "founded_year"):
        item = getattr(firm, name)
        if item is not None:
            yield f"firmographics.{name}", item
    for i, s in enumerate(firm.structure):
        yield f"firmographics.structure[{i}]", s
    tech = extraction.technographics
    if tech.cloud_orientation is not None:
        yield "technographics.cloud_orientation", tech.cloud_orientation
    for name in ("technologies", "legacy_systems", "it_maturity", "integration_requirements"):
        for i, t in enumerate(getattr(tech, name)):
            yield f"technographics.{name}[{i}]", t
    for i, e in enumerate(extraction.events):
        yield f"events[{i}]", e
    for name in ("priorities", "pains", "competitors", "relationships"):
        for i, s in enumerate(getattr(extraction.strategic, name)):
            yield f"strategic.{name}[{i}]", s
    for i, p in enumerate(extraction.people):
        yield f"people[{i}]", p
