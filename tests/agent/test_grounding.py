"""The grounding check (RELIABILITY.md PI-3): bad items are all rejected, good items all kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from agent.extractors import ExtractionInput
from agent.grounding import (
    DropReason,
    check_fact_quote,
    ground_document,
    ground_extraction,
    grounding_sources,
    normalise_for_match,
    parse_amounts,
    parse_dates,
)
from agent.schemas import (
    CountFact,
    Event,
    Extraction,
    Firmographics,
    IndustryFact,
    MoneyFact,
    Person,
    Strategic,
    TechFact,
    Technographics,
    TextFact,
)

PUBLISHED = datetime(2025, 7, 28, 14, 0, tzinfo=UTC)
DOC = (
    "TORONTO, July  28, 2025  (GLOBE NEWSWIRE) -- Acme Robotics today announced it has raised\n"
    "$25 million in Series B funding led by Northwind Ventures. “We are thrilled,” said Jane Doe,\n"
    "Chief Executive Officer of Acme. The company, founded in 1996, employs more than 2,800 people\n"
    "and reported annual revenue of €1.1 billion. It opens a new plant in Austin, Texas on Monday."
)
OTHER_DOC = "Globex Corp. agreed to acquire Initech for $300 million on June 2, 2025."


def _event(quote: str, **fields: object) -> Event:
    summary = fields.pop("summary", "Acme raised money")
    return Event(type=fields.pop("type", "funding"), summary=summary, quote=quote, **fields)  # type: ignore[arg-type]


# (case, item, expected reason or None when the item is good)
PI3_TABLE: list[tuple[str, Event | CountFact | MoneyFact, DropReason | None]] = [
    (
        "real quote, real number",
        _event("raised\n$25 million in Series B funding", amount=25_000_000, currency="USD"),
        None,
    ),
    (
        "quote not in the source",
        _event("Acme Robotics raised $40 million from SoftBank", amount=40_000_000),
        DropReason.QUOTE_NOT_FOUND,
    ),
    (
        "real quote, invented number",
        _event("raised $25 million in Series B funding", amount=250_000_000),
        DropReason.NUMBER_NOT_IN_QUOTE,
    ),
    (
        "real quote, invented date",
        _event("raised $25 million in Series B funding", event_date=date(2025, 7, 1)),
        DropReason.DATE_NOT_IN_QUOTE,
    ),
    (
        "quote from another document",
        _event("Globex Corp. agreed to acquire Initech for $300 million"),
        DropReason.QUOTE_NOT_FOUND,
    ),
    (
        "real quote, wrong currency",
        _event("raised $25 million in Series B funding", amount=25_000_000, currency="EUR"),
        DropReason.CURRENCY_MISMATCH,
    ),
    ("number in another format", _event("raised $25 million", amount=25e6), None),
    ("whitespace and newline differences", _event("today announced   it has raised $25 million", amount=25e6), None),
    (
        "typographic quotes written straight",
        _event('"We are thrilled," said Jane Doe, Chief Executive Officer of Acme.'),
        None,
    ),
    ("straight dashes for a double hyphen", _event("(GLOBE NEWSWIRE) -- Acme Robotics today announced"), None),
    (
        "date written with double spaces",
        _event("TORONTO, July 28, 2025 (GLOBE NEWSWIRE)", event_date=date(2025, 7, 28)),
        None,
    ),
    ("'today' is the publication date", _event("Acme Robotics today announced", event_date=date(2025, 7, 28)), None),
    (
        "'today' is not another day",
        _event("Acme Robotics today announced", event_date=date(2025, 7, 27)),
        DropReason.DATE_NOT_IN_QUOTE,
    ),
    (
        "weekday resolved against publication",
        _event("opens a new plant in Austin, Texas on Monday", type="expansion", event_date=date(2025, 7, 28)),
        None,
    ),
    ("case differs", _event("ACME ROBOTICS TODAY ANNOUNCED"), DropReason.QUOTE_NOT_FOUND),
    ("paraphrase", _event("Acme announced today that it raised $25 million"), DropReason.QUOTE_NOT_FOUND),
    ("employees real", CountFact(value=2800, quote="employs more than 2,800 people"), None),
    (
        "employees invented",
        CountFact(value=3000, quote="employs more than 2,800 people"),
        DropReason.NUMBER_NOT_IN_QUOTE,
    ),
    (
        "revenue real, other currency sign",
        MoneyFact(amount=1.1e9, currency="EUR", quote="annual revenue of €1.1 billion"),
        None,
    ),
    (
        "revenue in the wrong currency",
        MoneyFact(amount=1.1e9, currency="USD", quote="annual revenue of €1.1 billion"),
        DropReason.CURRENCY_MISMATCH,
    ),
    (
        "revenue invented",
        MoneyFact(amount=1.5e9, currency="EUR", quote="annual revenue of €1.1 billion"),
        DropReason.NUMBER_NOT_IN_QUOTE,
    ),
]


def _place(item: Event | CountFact | MoneyFact) -> Extraction:
    if isinstance(item, Event):
        return Extraction(events=[item])
    if isinstance(item, MoneyFact):
        return Extraction(firmographics=Firmographics(revenue=item))
    return Extraction(firmographics=Firmographics(employees=item))


@pytest.mark.parametrize(("case", "item", "reason"), PI3_TABLE, ids=[row[0] for row in PI3_TABLE])
def test_grounding_keeps_good_items_and_rejects_bad_ones(
    case: str, item: Event | CountFact | MoneyFact, reason: DropReason | None
) -> None:
    result = ground_extraction(_place(item), document_text=DOC, published_at=PUBLISHED)
    if reason is None:
        assert result.dropped == [], case
        assert result.kept == 1
    else:
        assert [d.reason for d in result.dropped] == [reason], case
        assert result.kept == 0
        assert result.extraction.events == [] and result.extraction.firmographics == Firmographics()


def test_pi3_table_rejects_every_bad_item_and_no_good_one() -> None:
    bad = [item for _case, item, reason in PI3_TABLE if reason is not None]
    good = [item for _case, item, reason in PI3_TABLE if reason is None]
    events = [i for i in bad + good if isinstance(i, Event)]
    result = ground_extraction(Extraction(events=events), document_text=DOC, published_at=PUBLISHED)
    kept_quotes = [e.quote for e in result.extraction.events]
    assert kept_quotes == [e.quote for e in good if isinstance(e, Event)]
    assert len(result.dropped) == sum(1 for e in bad if isinstance(e, Event))


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (25_000_000, "$25 million"),
        (25_000_000, "25M"),
        (25_000_000, "25,000,000"),
        (25_000_000, "€25 mln"),
        (25_000_000, "USD 25mn"),
        (1_200_000_000, "USD 1.2bn"),
        (3_500_000, "€3.5M"),
        (71_600_000, "£71.6million"),
        (12_900_000_000, "$12.9bn (£10bn)"),
        (2_800, "2.8k"),
    ],
)
def test_amount_is_supported_in_any_common_format(amount: float, written: str) -> None:
    quote = f"The company said the figure was {written} this year."
    event = _event(quote, amount=amount)
    assert ground_extraction(Extraction(events=[event]), document_text=quote).dropped == []


@pytest.mark.parametrize(
    ("amount", "written"),
    [(25_000_000, "$25"), (25_000_000, "$2.5 million"), (25_000_000, "$24.9 million"), (25_000_000, "25 m of road")],
)
def test_amount_is_not_supported_by_a_different_number(amount: float, written: str) -> None:
    quote = f"The company said the figure was {written} this year."
    result = ground_extraction(Extraction(events=[_event(quote, amount=amount)]), document_text=quote)
    assert [d.reason for d in result.dropped] == [DropReason.NUMBER_NOT_IN_QUOTE]


@pytest.mark.parametrize(
    ("written", "published", "day"),
    [
        ("on July 28, 2025", None, date(2025, 7, 28)),
        ("on 28 July 2025", None, date(2025, 7, 28)),
        ("on 2025-07-28", None, date(2025, 7, 28)),
        ("on Jul. 28 2025", None, date(2025, 7, 28)),
        ("on 7/28/2025", None, date(2025, 7, 28)),
        ("on 28.07.2025", None, date(2025, 7, 28)),
        ("on July 28", date(2025, 7, 30), date(2025, 7, 28)),
        ("on December 30", date(2026, 1, 3), date(2025, 12, 30)),
        ("today", date(2025, 7, 28), date(2025, 7, 28)),
        ("yesterday", date(2025, 7, 28), date(2025, 7, 27)),
        ("on Friday", date(2025, 7, 28), date(2025, 7, 25)),
    ],
)
def test_dates_are_read_as_the_grounding_check_documents(written: str, published: date | None, day: date) -> None:
    assert day in {d.day for d in parse_dates(f"Acme closed the deal {written}.", published=published)}


@pytest.mark.parametrize(
    ("written", "published"),
    [
        ("on July 28", None),
        ("today", None),
        ("in July 2025", date(2025, 7, 30)),
        ("last week", date(2025, 7, 30)),
        ("it may 5 times", None),
    ],
)
def test_vague_or_unanchored_dates_support_no_day(written: str, published: date | None) -> None:
    quote = f"Acme closed the deal {written}."
    event = _event(quote, event_date=date(2025, 7, 28))
    result = ground_extraction(Extraction(events=[event]), document_text=quote, published_at=published)
    assert [d.reason for d in result.dropped] == [DropReason.DATE_NOT_IN_QUOTE]


def test_normalisation_folds_spacing_quotes_dashes_and_invisibles_but_not_case() -> None:
    raw = "“Acme’s\u00a0plan”\u2014now\u200b live\n\nin\tfull…"
    assert normalise_for_match(raw) == '"Acme\'s plan"-now live in full...'
    assert normalise_for_match("ACME") != normalise_for_match("Acme")


def test_founded_year_must_appear_in_the_quote() -> None:
    good = CountFact(value=1996, quote="The company, founded in 1996, employs")
    bad = CountFact(value=1995, quote="The company, founded in 1996, employs")
    for item, dropped in ((good, 0), (bad, 1)):
        result = ground_extraction(Extraction(firmographics=Firmographics(founded_year=item)), document_text=DOC)
        assert len(result.dropped) == dropped


def test_markup_quotes_ground_firmographics_and_technographics_but_not_events() -> None:
    html = (
        '<script type="application/ld+json">{"@type": "Organization", "numberOfEmployees": 2800, '
        '"name": "Acme &amp; Co"}</script><meta name="generator" content="WordPress 6.6 &amp; more">'
    )
    extraction = Extraction(
        firmographics=Firmographics(employees=CountFact(value=2800, quote='"numberOfEmployees": 2800')),
        technographics=Technographics(technologies=[TechFact(name="WordPress", quote="WordPress 6.6 & more")]),
        events=[_event('"numberOfEmployees": 2800')],
    )
    result = ground_extraction(extraction, document_text="Acme is hiring.", document_html_text=html)
    assert result.extraction.firmographics.employees is not None
    assert len(result.extraction.technographics.technologies) == 1
    assert [(d.path, d.reason) for d in result.dropped] == [("events[0]", DropReason.QUOTE_NOT_FOUND)]


def test_strategic_notes_and_people_are_checked_too() -> None:
    extraction = Extraction(
        strategic=Strategic(priorities=[TextFact(value="growth", quote="our priority is growth in Asia")]),
        people=[Person(name="Jane Doe", title="CEO", quote="said Jane Doe,\nChief Executive Officer")],
    )
    result = ground_extraction(extraction, document_text=DOC)
    assert result.extraction.people and not result.extraction.strategic.priorities
    assert result.counts() == {"quote_not_found": 1}
    assert result.dropped[0].path == "strategic.priorities[0]"


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("Acme Robotics today announced", True),
        ("Acme  Robotics\ntoday announced", True),
        ("acme robotics today announced", False),
        ("Globex Corp. agreed to acquire Initech", False),
        ("  ", False),
        ("Ac", False),
    ],
)
def test_check_fact_quote_is_the_pure_substring_check(quote: str, expected: bool) -> None:
    assert check_fact_quote(quote, DOC) is expected


def test_check_fact_quote_accepts_markup_only_when_given() -> None:
    html = '<meta name="description" content="Acme &amp; Co builds robots">'
    assert check_fact_quote("Acme & Co builds robots", "text", document_html_text=html)
    assert not check_fact_quote("Acme & Co builds robots", "text")


def test_grounding_sources_join_title_markup_and_headers() -> None:
    doc = ExtractionInput(
        document_id="d",
        title="Acme raises $5M",
        text="Acme raised $5 million.",
        html="<html></html>",
        headers={"Server": "cloudflare"},
        structured={"json_ld_texts": ['{"name": "Acme"}']},
    )
    text, markup = grounding_sources(doc)
    assert text == "Acme raises $5M\n\nAcme raised $5 million."
    assert markup == '<html></html>\n{"name": "Acme"}\nServer: cloudflare'
    event = _event("Acme raises $5M", amount=5e6)
    assert ground_document(Extraction(events=[event]), doc).dropped == []


def test_parse_amounts_reads_scale_and_currency() -> None:
    found = [
        (a.value, a.currency, a.text)
        for a in parse_amounts("raised US$1.2 billion and C$0.35/share, 176 Hong Kong dollars")
    ]
    assert found == [(1.2e9, "USD", "US$1.2 billion"), (0.35, "CAD", "C$0.35"), (176.0, "HKD", "176 Hong Kong dollars")]


# --- values: what an item claims must be written in its own quote ---------------------------------------------------

VALUE_DOC = DOC + (
    " Acme makes industrial robots for car plants and runs on Amazon EC2. Contact us."
    " Acme is a manufacturer of robots. In 2024 Acme Robotics acquired Initech Ltd."
    " Acme will open an office in the U.S. next year."
)
CEO_QUOTE = "said Jane Doe,\nChief Executive Officer of Acme"
PLANT_QUOTE = "It opens a new plant in Austin, Texas on Monday."
DEAL_QUOTE = "In 2024 Acme Robotics acquired Initech Ltd."
Item = Event | IndustryFact | Person | TechFact | TextFact


def _leader(quote: str, **fields: object) -> Event:
    return _event(quote, type="leadership_change", **fields)


VALUE_TABLE: list[tuple[str, Item, DropReason | None]] = [
    ("industry inferred, not stated", IndustryFact(value="software", quote="Acme makes industrial robots"), DropReason.INDUSTRY_NOT_IN_QUOTE),
    ("industry on a one-word quote", IndustryFact(value="software", quote="Acme"), DropReason.QUOTE_TOO_SHORT),
    ("industry stated by a synonym", IndustryFact(value="manufacturing", quote="Acme is a manufacturer of robots"), None),
    ("person not named", Person(name="Jane Roe", title="Chief Financial Officer", quote="Acme Robotics today announced"), DropReason.PERSON_NOT_IN_QUOTE),
    ("person on a two-word scrap", Person(name="Jane Roe", title="Chief Financial Officer", quote="The company"), DropReason.QUOTE_TOO_SHORT),
    ("title not stated", Person(name="Jane Doe", title="Chief Financial Officer", quote=CEO_QUOTE), DropReason.ROLE_NOT_IN_QUOTE),
    ("title as an acronym", Person(name="Jane Doe", title="CEO", quote=CEO_QUOTE), None),
    ("role on a one-word quote", _leader("Acme", role="Chief Executive Officer"), DropReason.QUOTE_TOO_SHORT),
    ("role not stated", _leader("Acme Robotics today announced", role="Chief Executive Officer"), DropReason.ROLE_NOT_IN_QUOTE),
    ("event person not named", _leader(CEO_QUOTE, person="John Smith", role="CEO"), DropReason.PERSON_NOT_IN_QUOTE),
    ("event person and role stated", _leader(CEO_QUOTE, person="Jane Doe", role="Chief Executive Officer"), None),
    (
        "summary invents an amount and a date",
        _event("Acme Robotics today announced", summary="Acme raised $900 million on 2025-01-01"),
        DropReason.SUMMARY_NOT_IN_QUOTE,
    ),
    (
        "summary invents a date only",
        _event("Acme Robotics today announced it has raised\n$25 million", summary="Acme raised $25 million on 2025-01-01"),
        DropReason.SUMMARY_NOT_IN_QUOTE,
    ),
    (
        "summary restates the quote's amount and day",
        _event("Acme Robotics today announced it has raised\n$25 million", summary="Acme raised $25M on 2025-07-28"),
        None,
    ),
    ("location not named", _event(PLANT_QUOTE, type="expansion", location="Dallas, Texas"), DropReason.LOCATION_NOT_IN_QUOTE),
    ("location named", _event(PLANT_QUOTE, type="expansion", location="Austin, Texas"), None),
    (
        "country by another of its names",
        _event("Acme will open an office in the U.S. next year.", type="expansion", location="United States"),
        None,
    ),
    ("acquirer not named", _event(DEAL_QUOTE, type="acquisition", acquirer="Globex", target="Initech"), DropReason.PARTY_NOT_IN_QUOTE),
    ("target not named", _event(DEAL_QUOTE, type="acquisition", acquirer="Acme Robotics", target="Hooli"), DropReason.PARTY_NOT_IN_QUOTE),
    ("parties named, legal suffixes aside", _event(DEAL_QUOTE, type="acquisition", acquirer="Acme Robotics Inc.", target="Initech"), None),
    ("technology not named", TechFact(name="Salesforce", quote="Acme makes industrial robots"), DropReason.TECHNOLOGY_NOT_IN_QUOTE),
    ("technology named by a product of its family", TechFact(name="AWS", quote="runs on Amazon EC2"), None),
    ("one long word is too short", TextFact(value="manufacturer", quote="manufacturer"), DropReason.QUOTE_TOO_SHORT),
]  # fmt: skip


def _place_any(item: Item) -> Extraction:
    if isinstance(item, Event):
        return Extraction(events=[item])
    if isinstance(item, IndustryFact):
        return Extraction(firmographics=Firmographics(industry=item))
    if isinstance(item, Person):
        return Extraction(people=[item])
    if isinstance(item, TechFact):
        return Extraction(technographics=Technographics(technologies=[item]))
    return Extraction(strategic=Strategic(priorities=[item]))


@pytest.mark.parametrize(("case", "item", "reason"), VALUE_TABLE, ids=[row[0] for row in VALUE_TABLE])
def test_grounding_drops_values_their_quote_does_not_state(case: str, item: Item, reason: DropReason | None) -> None:
    assert check_fact_quote(item.quote, VALUE_DOC), case  # every quote here is really in the document
    result = ground_extraction(_place_any(item), document_text=VALUE_DOC, published_at=PUBLISHED)
    assert [d.reason for d in result.dropped] == ([reason] if reason else []), case
    assert result.kept == (0 if reason else 1)


def test_a_quote_below_the_schema_floor_is_invalid() -> None:
    with pytest.raises(ValidationError):
        Person(name="Jane Roe", title="Chief Financial Officer", quote="the")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ('<meta name="generator" content="Odoo">', None),
        ('<script type="application/ld+json">{"name": "Odoo"}</script>', None),
        ("<div>Built with Odoo</div>", DropReason.QUOTE_TOO_SHORT),
    ],
)
def test_short_markup_quotes_count_only_as_json_ld_or_meta_spans(html: str, reason: DropReason | None) -> None:
    extraction = Extraction(technographics=Technographics(technologies=[TechFact(name="Odoo", quote="Odoo")]))
    result = ground_extraction(extraction, document_text="Acme is hiring engineers.", document_html_text=html)
    assert [d.reason for d in result.dropped] == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("name", "quote", "reason"),
    [
        ("HubSpot", "https://js.hs-scripts.com/123.js", None),  # the markup fingerprints HubSpot
        ("SAP", "https://js.hs-scripts.com/123.js", DropReason.TECHNOLOGY_NOT_IN_QUOTE),
        ("HubSpot", "Acme is hiring engineers", DropReason.TECHNOLOGY_NOT_IN_QUOTE),  # a text quote borrows nothing
    ],
)
def test_a_technology_is_named_in_its_quote_or_fingerprinted_by_the_markup_it_quotes(
    name: str, quote: str, reason: DropReason | None
) -> None:
    html = '<script src="https://js.hs-scripts.com/123.js"></script>'
    extraction = Extraction(technographics=Technographics(technologies=[TechFact(name=name, quote=quote)]))
    result = ground_extraction(extraction, document_text="Acme is hiring engineers.", document_html_text=html)
    assert [d.reason for d in result.dropped] == ([reason] if reason else [])
