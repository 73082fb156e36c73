"""Firmographics, people and strategic notes by patterns over page text, JSON-LD and meta tags.

**Structured input** (`ExtractionInput.structured`, what the page parser found). Keys read:

- `organization`: the organization the page speaks for, either with the page parser's keys
  (`name`, `employees`, `employees_min`, `address_country`, `address_locality`, `founding_date`,
  `industry`, `parent_organization`) or with schema.org's (`numberOfEmployees` as a number or a
  QuantitativeValue, `foundingDate`, `address` as a PostalAddress, `industry`, `parentOrganization`);
- `json_ld`: parsed JSON-LD blocks; the first Organization-like node is used when `organization`
  is absent;
- `json_ld_texts`: the raw JSON-LD script bodies (also part of the grounding markup);
- `meta`: meta tags, name (lower case) -> content; `description`/`og:description` are read with the
  text patterns below.

**Quotes for markup facts.** A value from JSON-LD is emitted only when its raw key/value span can
be found in the markup (`doc.html` or `json_ld_texts`), e.g. `"numberOfEmployees": 2800` or
`"foundingDate": "1996-03-01"`; that span is the quote, and `agent.grounding` accepts it against
`document_html_text`. A value found only in the parsed dict, with no markup to point at, is left
out: nothing is emitted without a quote a reader can find. A meta-tag fact quotes the tag's content.

**Text patterns**: "founded in 1996", "headquartered in Austin, Texas", "more than 2,800 employees",
"annual revenue of $1.1 billion", "a subsidiary of X", "offices in 12 countries" (global presence from
three countries up: "plants in France, Germany and Spain"), "a multi-site company", "we now operate a
second plant", "its fifth production site" (multi-site; plans, conditions and negations are skipped); people from
press-release quotes ('"...," said Jane Doe, Chief Operating Officer of Acme'), appositions
("Jane Doe, CFO of Acme") and leadership-page lines ("Jane Doe - Chief Executive Officer");
strategic notes from stated priorities, pains, named competitors and customers/partners.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from agent.grounding import parse_amounts
from agent.offline_text import (
    MAX_QUOTE,
    ROLE_PATTERN,
    Span,
    clause_window,
    data_json,
    find_locations,
    location_at,
    name_after,
    person_near,
    split_sentences,
)
from agent.schemas import (
    CountFact,
    Firmographics,
    IndustryFact,
    MoneyFact,
    Person,
    PlaceFact,
    Strategic,
    StructureFact,
    TextFact,
)

__all__ = ["find_firmographics", "find_people", "find_strategic"]

_I = re.IGNORECASE
StructureKind = Literal["global presence", "multi-site", "subsidiaries"]
_COUNTRIES = frozenset(data_json("locations.json")["countries"])
_ORG_TYPES = frozenset(
    {"Organization", "Corporation", "LocalBusiness", "NGO", "OnlineStore", "Store", "ProfessionalService", "Airline"}
)


# --- markup ----------------------------------------------------------------------------------


def _json_span(markup: str, key: str, must_contain: str | None = None) -> str | None:
    """Returns the raw `"key": value` text of a JSON-LD property in markup (value string, number or flat object)."""
    for match in re.finditer(rf'"{re.escape(key)}"\s*:\s*', markup):
        start, at = match.start(), match.end()
        if at >= len(markup):
            return None
        if markup[at] == '"':
            close = markup.find('"', at + 1)
            end = close + 1 if close > 0 else -1
        elif markup[at] == "{":
            close = markup.find("}", at)
            end = close + 1 if close > 0 and "{" not in markup[at + 1 : close] else -1
        else:
            num = re.compile(r"[\d.]+").match(markup, at)
            end = num.end() if num else -1
        if end <= 0:
            continue
        span = markup[start:end]
        if len(span) <= MAX_QUOTE and (must_contain is None or must_contain in span):
            return span
    return None


def _organization(structured: Mapping[str, Any]) -> dict[str, Any]:
    org = structured.get("organization")
    if isinstance(org, dict):
        return org
    blocks = structured.get("json_ld")
    stack: list[Any] = list(blocks) if isinstance(blocks, list) else [blocks] if isinstance(blocks, dict) else []
    for _ in range(5000):
        if not stack:
            break
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kinds = node.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(kind in _ORG_TYPES for kind in kinds):
                return node
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return {}


def _first(org: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = org.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, dict):
        value = _first(value, "value", "minValue", "maxValue")
    try:
        return int(float(str(value).replace(",", "")))
    except (TypeError, ValueError):
        return None


def _markup_firmographics(firm: Firmographics, structured: Mapping[str, Any], markup: str) -> None:
    org = _organization(structured)
    if not org or not markup:
        return
    employees = _as_int(_first(org, "employees", "employees_min", "numberOfEmployees"))
    if employees is not None:
        span = _json_span(markup, "numberOfEmployees", str(employees))
        if span:
            firm.employees = CountFact(value=employees, quote=span)
    founding = _first(org, "founding_date", "foundingDate")
    year = re.match(r"\s*((?:18|19|20)\d{2})", str(founding)) if founding else None
    if year:
        span = _json_span(markup, "foundingDate", year.group(1))
        if span:
            firm.founded_year = CountFact(value=int(year.group(1)), quote=span)
    raw_address = org.get("address")
    address: dict[str, Any] = raw_address if isinstance(raw_address, dict) else {}
    country = _first(org, "address_country") or _name_of(address.get("addressCountry"))
    city = _first(org, "address_locality") or address.get("addressLocality")
    if country or city:
        wanted = [str(v) for v in (city, country) if v]
        span = _json_span(markup, "address")
        if span is None or not all(value in span for value in wanted):
            span = _json_span(markup, "addressLocality", str(city) if city else None) or _json_span(
                markup, "addressCountry", str(country) if country else None
            )
        if span:
            firm.headquarters = PlaceFact(
                country=str(country)[:60] if country and str(country) in span else None,
                city=str(city)[:100] if city and str(city) in span else None,
                quote=span,
            )
    industry = _first(org, "industry")
    if isinstance(industry, str):
        span = _json_span(markup, "industry", industry)
        if span:
            firm.industry = IndustryFact(value=industry[:100], quote=span)
    parent = _first(org, "parent_organization") or _name_of(org.get("parentOrganization"))
    if isinstance(parent, str) and parent:
        span = _json_span(markup, "parentOrganization", parent) or _json_span(markup, "name", parent)
        if span:
            firm.parent_company = TextFact(value=parent[:200], quote=span)
            firm.structure.append(StructureFact(value="subsidiary", quote=span))


def _name_of(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("name")
        return name if isinstance(name, str) else None
    return value if isinstance(value, str) else None


# --- text ------------------------------------------------------------------------------------

_FOUNDED = re.compile(
    r"\b(?:was\s+)?(?i:founded|established|incorporated)\s+(?:in\s+)?(?:(?:January|February|March|April|May|June|July|August"
    r"|September|October|November|December)\s+(?:\d{1,2},\s+)?)?(?P<year>(?:18|19|20)\d{2})\b"
)
_HQ = re.compile(r"\b(?:headquartered|head-quartered|based|has its headquarters|head office is)\s+(?:in|at)\s+", _I)
_EMPLOYEES = re.compile(
    r"\b(?:employs|employing|workforce of|team of|staff of|has|with|of its)\s+(?:more than |over |nearly |about |approximately "
    r"|around |some |almost |roughly )?(?P<n>\d[\d,.]*)(?P<k>k)?\+?\s+(?:full-time\s+|dedicated\s+|talented\s+)?"
    r"(?:employees|people|staff|team members|colleagues|workers|professionals)\b"
    r"|(?P<n2>\d[\d,.]*)\+?\s+(?:full-time\s+)?(?:employees|team members|colleagues)\b",
    _I,
)
_REVENUE = re.compile(
    r"\b(?:annual\s+(?:revenues?|sales|turnover)|revenues?|sales|turnover)\s+(?:of|was|were|reached|totall?ed|topped|exceeded)\s+",
    _I,
)
_REVENUE_AFTER = re.compile(r"\s+(?:in\s+)?annual\s+(?:revenues?|sales|turnover)\b", _I)
_PERIOD = re.compile(r"\b(?:annual|fiscal|FY\s?\d{2,4}|(?:19|20)\d{2}|last year|per year|a year)\b", _I)
_QUARTER = re.compile(r"\b(?:quarter|quarterly|Q[1-4]|half-year|first half|second half|month)\b", _I)
_PARENT = re.compile(
    r"\b(?:a|an|the)\s+(?:wholly[- ]owned\s+)?(?:subsidiary|division|unit|member company)\s+of\s+|\bpart of the\s+(?=[A-Z])",
    _I,
)
_CONDITIONAL = re.compile(r"\b(?:if|would|could|may|might|will become|to become|proposed|planned)\b", _I)
_SITES = (
    r"(?:offices|plants|factories|sites|production\s+sites|manufacturing\s+sites|facilities|locations|subsidiaries|branches"
    r"|stores|warehouses|operations|presence|customers|employees|(?:operat(?:es|ing)|present|active))"
)
_GLOBAL = re.compile(
    rf"\b{_SITES}\s+in\s+(?:more\s+than\s+|over\s+|some\s+|nearly\s+|around\s+|about\s+)?"
    r"(?P<n>\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens of)\s+countries\b",
    _I,
)
_COUNT_WORDS = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    )
}
_MULTI_SITE = re.compile(
    r"\b(?P<n>\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:manufacturing\s+|production\s+)?"
    r"(?:locations|sites|plants|facilities|offices|factories|branches)\b"
    r"|\bmulti-?(?:site|plant|location|facility)\b"
    r"|\b(?:(?:operates?|operating|runs?|running|ha[sv]e?|owns?|opened|opens|added|adds|with|now)\s+(?:a|an)|its|our|their)\s+"
    r"(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+(?:[\w&-]+\s+){0,2}?"
    r"(?:plant|factory|site|facility|office|location|warehouse|branch|production\s+site|manufacturing\s+site|data\s+cent(?:er|re))\b",
    _I,
)
# "plants in France, Germany and Spain": a site noun, then a list of places
_SITES_IN = re.compile(
    r"\b(?:offices|plants|factories|sites|facilities|locations|subsidiaries|branches|warehouses|operations|presence)"
    r"\s+(?:in|across)\s+",
    _I,
)
_PHYSICAL = re.compile(r"(?:offices|plants|factories|sites|facilities|locations|branches|warehouses)\b", _I)
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)(?:the\s+)?")
_SUBSIDIARIES = re.compile(r"\b(?:its|our|with)\s+(?:\w+\s+)?subsidiaries\s+(?:in|across)\b", _I)
_CONDITION_AFTER = re.compile(r"\b(?:if|unless|once)\b", _I)
# A site count stated as a plan or condition is not a structure fact yet.
_STRUCTURE_HEDGE = re.compile(
    r"\b(?:if|would|could|may|might|plans?\s+to|planning\s+to|aims?\s+to|intends?\s+to|to\s+(?:build|open|add)"
    r"|will\s+(?:build|open|add)|proposed|planned|potential|not|no\s+longer|once)\b",
    _I,
)


_STRUCTURE_STEMS = (
    "countr",
    "site",
    "plant",
    "facilit",
    "office",
    "factor",
    "branch",
    "location",
    "warehouse",
    "store",
    "subsidiar",
    "data cent",
    "operation",
    "presence",
)


def _count(word: str) -> int:
    """Returns the number a digit string or small number word stands for ("dozens of" counts as 24)."""
    lowered = word.lower()
    if lowered.isdigit():
        return int(lowered)
    return _COUNT_WORDS.get(lowered, 24)


def _places_listed(text: str, pos: int, end: int) -> list[str]:
    """Returns the places in a list starting at `pos` ("France, Germany and Spain" -> three names)."""
    places: list[str] = []
    cursor = pos
    while len(places) < 30:
        # a known name alone ("France, Germany": not one "city, country" place), else "Gdańsk, Poland"
        known = find_locations(text, cursor, min(end, cursor + 60))
        if known and not text[cursor : known[0][1]].strip(" ").removeprefix("the").strip():
            place: tuple[str, int] | None = (known[0][0], known[0][2])
        else:
            place = location_at(text, cursor, end=end)
        if place is None:
            break
        places.append(place[0])
        sep = _LIST_SEP.match(text, place[1], end)
        if sep is None:
            break
        cursor = sep.end()
    return places


def _hedged_at(text: str, sentence: Span, start: int, end: int) -> bool:
    """True when a plan, condition or negation stands just before a structure phrase, or a condition after it."""
    if _STRUCTURE_HEDGE.search(text, max(sentence.start, start - 30), end):
        return True
    return _CONDITION_AFTER.search(text, end, sentence.end) is not None


def _structure_in(text: str, sentence: Span) -> Iterator[tuple[StructureKind, Span]]:
    """Yields (structure kind, anchor) for the site and country counts a sentence states as fact."""
    s, e = sentence.start, sentence.end
    lowered = text[s:e].lower()
    # every structure pattern holds one of these stems; substring tests are far cheaper than the patterns
    if not any(stem in lowered for stem in _STRUCTURE_STEMS):
        return
    m = _GLOBAL.search(text, s, e)
    if m and _count(m.group("n")) >= 3 and not _hedged_at(text, sentence, m.start(), m.end()):
        yield "global presence", Span(m.start(), m.end())
    for m in _SITES_IN.finditer(text, s, e):
        places = _places_listed(text, m.end(), e)
        if not places or _hedged_at(text, sentence, m.start(), m.end()):
            continue
        anchor = Span(m.start(), text.find(places[-1], m.end()) + len(places[-1]))
        if len({p for p in places if p in _COUNTRIES}) >= 3:
            yield "global presence", anchor
        if len(places) >= 2 and _PHYSICAL.match(m.group()):
            yield "multi-site", anchor
    m = _MULTI_SITE.search(text, s, e)
    if m and (m.group("n") is None or _count(m.group("n")) >= 2) and not _hedged_at(text, sentence, m.start(), m.end()):
        yield "multi-site", Span(m.start(), m.end())
    m = _SUBSIDIARIES.search(text, s, e)
    if m:
        yield "subsidiaries", Span(m.start(), m.end())


def _quote(text: str, sentence: Span, anchor: Span) -> str:
    window = clause_window(text, sentence, anchor)
    return text[window.start : window.end]


def _text_firmographics(firm: Firmographics, text: str) -> None:
    locations = data_json("locations.json")
    states = set(locations["us_states"]) | set(locations["us_state_codes"])
    for sentence in split_sentences(text):
        s, e = sentence.start, sentence.end
        if firm.founded_year is None and (m := _FOUNDED.search(text, s, e)):
            firm.founded_year = CountFact(
                value=int(m.group("year")), quote=_quote(text, sentence, Span(m.start(), m.end()))
            )
        if firm.headquarters is None and (m := _HQ.search(text, s, e)):
            place = location_at(text, m.end(), end=e)
            if place:
                parts = [p.strip() for p in place[0].split(",")]
                country = parts[-1] if parts[-1] in locations["countries"] else ("US" if parts[-1] in states else None)
                city = parts[0] if parts[0] not in locations["countries"] and parts[0] not in states else None
                firm.headquarters = PlaceFact(
                    country=country, city=city, quote=_quote(text, sentence, Span(m.start(), place[1]))
                )
        if firm.employees is None and (m := _EMPLOYEES.search(text, s, e)):
            raw = (m.group("n") or m.group("n2") or "").replace(",", "")
            try:
                value = int(float(raw) * (1000 if m.group("k") else 1))
            except ValueError:
                value = 0
            if value >= 2:
                firm.employees = CountFact(value=value, quote=_quote(text, sentence, Span(m.start(), m.end())))
        if firm.revenue is None and not _QUARTER.search(text, s, e):
            _revenue(firm, text, sentence)
        if firm.parent_company is None and (m := _PARENT.search(text, s, e)) and not _CONDITIONAL.search(text, s, e):
            parent = name_after(text, m.end(), end=e)
            if parent:
                quote = _quote(text, sentence, Span(m.start(), m.end() + len(parent)))
                firm.parent_company = TextFact(value=parent, quote=quote)
                firm.structure.append(StructureFact(value="subsidiary", quote=quote))
        for kind, anchor in _structure_in(text, sentence):
            if all(f.value != kind for f in firm.structure) and len(firm.structure) < 10:
                firm.structure.append(StructureFact(value=kind, quote=_quote(text, sentence, anchor)))


def _revenue(firm: Firmographics, text: str, sentence: Span) -> None:
    s, e = sentence.start, sentence.end
    chunk = text[s:e]
    for amount in parse_amounts(chunk):
        if not amount.currency or amount.value < 10_000:
            continue
        a_start, a_end = s + amount.start, s + amount.end
        before = _REVENUE.search(text, max(s, a_start - 45), a_start)
        after = _REVENUE_AFTER.match(text, a_end, e)
        if not (before or after):
            continue
        period = "annual" in (before.group().lower() if before else "annual") or _PERIOD.search(chunk)
        if not period:
            continue
        anchor = Span(before.start() if before else a_start, after.end() if after else a_end)
        firm.revenue = MoneyFact(amount=amount.value, currency=amount.currency, quote=_quote(text, sentence, anchor))
        return


def find_firmographics(
    text: str, *, structured: Mapping[str, Any] | None = None, markup: str | None = None
) -> Firmographics:
    """Returns firmographics from JSON-LD (quoted from markup), then meta descriptions and the text."""
    firm = Firmographics()
    structured = structured or {}
    if markup:
        _markup_firmographics(firm, structured, markup)
        meta = structured.get("meta")
        plain_markup = html.unescape(markup)
        if isinstance(meta, dict):
            for key in ("description", "og:description"):
                content = meta.get(key)
                if isinstance(content, str) and content and content in plain_markup:
                    _text_firmographics(firm, content)
    _text_firmographics(firm, text)
    return firm


# --- people ----------------------------------------------------------------------------------

_ROLE_AFTER = re.compile(rf",\s+(?:the\s+|our\s+|its\s+)?(?P<role>{ROLE_PATTERN})(?:\s+(?:of|at)\s+)?", _I)
_ROLE_BEFORE = re.compile(rf"\b(?P<role>{ROLE_PATTERN})\s+$", _I)
_LINE_ROLE = re.compile(rf"\s*[-–—|:]\s*(?P<role>{ROLE_PATTERN})", _I)


def find_people(text: str, *, limit: int = 50) -> list[Person]:
    """Returns named people with their titles from quotes, appositions and leadership-page lines."""
    people: dict[str, Person] = {}
    for sentence in split_sentences(text):
        for person in _people_in(text, sentence):
            if person.name not in people and len(people) < limit:
                people[person.name] = person
    return list(people.values())


def _people_in(text: str, sentence: Span) -> Iterator[Person]:
    s, e = sentence.start, sentence.end
    cursor = s
    while cursor < e:
        found = person_near(text, cursor, e)
        if found is None:
            return
        name, n_start, n_end = found
        cursor = n_end
        role = _ROLE_AFTER.match(text, n_end, e) or _LINE_ROLE.match(text, n_end, e)
        org: str | None = None
        anchor_end = n_end
        if role:
            anchor_end = role.end("role")
            tail = re.compile(r"\s+(?:of|at)\s+").match(text, role.end("role"), e)
            if tail:
                org = name_after(text, tail.end(), end=e)
                anchor_end = tail.end() + len(org) if org else anchor_end
            title = " ".join(role.group("role").split())
            anchor = Span(n_start, anchor_end)
        else:
            before = _ROLE_BEFORE.search(text, max(s, n_start - 80), n_start)
            if before is None:
                continue
            title = " ".join(before.group("role").split())
            anchor = Span(before.start(), n_end)
        window = clause_window(text, sentence, anchor)
        yield Person(name=name[:120], title=title[:200], organisation=org, quote=text[window.start : window.end])


# --- strategic notes -------------------------------------------------------------------------

_PRIORITY = re.compile(
    r"\b(?:our|its|the company's|their)\s+(?:top\s+|key\s+|main\s+|strategic\s+|biggest\s+|number one\s+)?priorit(?:y|ies)"
    r"(?:\s+for\s+(?:19|20)\d{2})?\s+(?:is|are|include|remains?)\s+(?:to\s+)?"
    r"|\b(?:we are|we're|we remain|the company is|it is|we will be|we will remain)\s+(?:\w+\s+)?focus(?:ed|ing)\s+on\s+"
    r"|\b(?:our|its|the company's)\s+(?:[\w-]+\s+){0,2}strategy\s+(?:is\s+)?to\s+|\bto focus (?:\w+\s+)?on\s+",
    _I,
)
_PAIN = re.compile(
    r"\b(?:struggl(?:e|es|ed|ing)\s+(?:with|to)|pain points?|bottlenecks?|(?:labou?r|talent|skills|chip|staff|supply)\s+shortages?"
    r"|(?:hit|hampered|hurt|squeezed)\s+by|fac(?:e|es|ing)\s+(?:rising|higher|mounting|increasing)\s+(?:costs|pressure|competition)"
    r"|losing ground to)\s*",
    _I,
)
_COMPETITORS = re.compile(
    r"\b(?:competitors?|rivals?|competition)\s+(?:include|includes|including|such as|like)\s+|\bcompet(?:es|ing|e)\s+(?:with|against)\s+|\blosing ground to\s+",
    _I,
)
_CUSTOMERS = re.compile(r"\b(?:customers|clients|partners)\s+(?:include|includes|including|such as)\s+", _I)


def find_strategic(text: str) -> Strategic:
    """Returns stated priorities, pains, named competitors and customers/partners."""
    notes = Strategic()
    for sentence in split_sentences(text):
        s, e = sentence.start, sentence.end
        for pattern, bucket in ((_PRIORITY, notes.priorities), (_PAIN, notes.pains)):
            m = pattern.search(text, s, e)
            if m and len(bucket) < 20:
                value = _phrase(text, m.end(), e)
                if value:
                    bucket.append(
                        TextFact(
                            value=f"{m.group().strip()} {value}"[:200],
                            quote=_quote(text, sentence, Span(m.start(), m.end())),
                        )
                    )
        for pattern, bucket, label in ((_COMPETITORS, notes.competitors, ""), (_CUSTOMERS, notes.relationships, "")):
            m = pattern.search(text, s, e)
            if m and len(bucket) < 20:
                names = _names(text, m.end(), e)
                quote = _quote(text, sentence, Span(m.start(), m.end()))
                bucket.extend(TextFact(value=(label + name)[:200], quote=quote) for name in names[: 20 - len(bucket)])
    return notes


def _phrase(text: str, pos: int, end: int) -> str | None:
    stop = re.compile(r"[.;:!?]|,\s+(?:but|and|while|which)\s").search(text, pos, end)
    value = " ".join(text[pos : stop.start() if stop else end].split())
    return value[:150] if len(value) >= 3 else None


def _names(text: str, pos: int, end: int) -> list[str]:
    names: list[str] = []
    cursor = pos
    while cursor < end and len(names) < 10:
        name = name_after(text, cursor, end=end)
        if not name:
            break
        names.append(name)
        cursor = text.find(name, cursor, end) + len(name)
        sep = re.compile(r",?\s*(?:and|&|or)\s+|,\s+").match(text, cursor, end)
        if not sep:
            break
        cursor = sep.end()
    return names
