"""Firmographics from JSON-LD, meta tags and text; people; strategic notes."""

from __future__ import annotations

import pytest

from agent.extractors import ExtractionInput
from agent.grounding import ground_document, ground_extraction
from agent.offline import OfflineExtractor
from agent.offline_firmo import find_firmographics, find_people, find_strategic
from agent.schemas import Extraction, Firmographics

JSON_LD = """{
  "@context": "https://schema.org",
  "@type": "Corporation",
  "name": "Acme Robotics",
  "numberOfEmployees": {"@type": "QuantitativeValue", "value": 2800},
  "foundingDate": "1996-03-01",
  "industry": "Industrial Automation",
  "address": {"@type": "PostalAddress", "addressLocality": "Austin", "addressCountry": "US"},
  "parentOrganization": {"@type": "Organization", "name": "Globex Holdings"}
}"""
PAGE = f"""<html><head>
<meta name="description" content="Acme Robotics, founded in 1996, builds warehouse robots &amp; software.">
<script type="application/ld+json">{JSON_LD}</script>
</head><body><p>Welcome to Acme.</p></body></html>"""


def _page_doc(**structured: object) -> ExtractionInput:
    return ExtractionInput(document_id="p1", text="Welcome to Acme.", html=PAGE, structured=dict(structured))


def test_json_ld_facts_quote_the_raw_markup_and_pass_grounding() -> None:
    org = {
        "name": "Acme Robotics",
        "employees": 2800,
        "founding_date": "1996-03-01",
        "industry": "Industrial Automation",
        "address_country": "US",
        "address_locality": "Austin",
        "parent_organization": "Globex Holdings",
    }
    doc = _page_doc(organization=org)
    firm = OfflineExtractor().extract(doc).firmographics
    assert firm.employees is not None and firm.employees.value == 2800
    assert firm.employees.quote.startswith('"numberOfEmployees"') and "2800" in firm.employees.quote
    assert firm.founded_year is not None and (firm.founded_year.value, firm.founded_year.quote) == (
        1996,
        '"foundingDate": "1996-03-01"',
    )
    assert firm.headquarters is not None and (firm.headquarters.city, firm.headquarters.country) == ("Austin", "US")
    assert firm.industry is not None and firm.industry.value == "Industrial Automation"
    assert firm.parent_company is not None and firm.parent_company.value == "Globex Holdings"
    assert [s.value for s in firm.structure] == ["subsidiary"]
    result = ground_document(Extraction(firmographics=firm), doc)
    assert result.dropped == [] and result.kept == 6


def test_schema_org_keys_are_read_from_parsed_json_ld_blocks() -> None:
    block = {
        "@graph": [
            {"@type": "WebPage"},
            {"@type": "Corporation", "numberOfEmployees": {"value": 2800}, "foundingDate": "1996-03-01"},
        ]
    }
    firm = find_firmographics("Welcome.", structured={"json_ld": [block]}, markup=PAGE)
    assert firm.employees is not None and firm.employees.value == 2800
    assert firm.founded_year is not None and firm.founded_year.value == 1996


def test_structured_values_without_markup_to_quote_are_left_out() -> None:
    firm = find_firmographics(
        "Welcome.", structured={"organization": {"employees": 2800, "founding_date": "1996"}}, markup=None
    )
    assert firm == Firmographics()
    firm = find_firmographics("Welcome.", structured={"organization": {"employees": 3100}}, markup=PAGE)
    assert firm.employees is None  # the markup says 2800, not 3100


def test_meta_description_is_read_with_the_text_patterns_and_grounds_in_markup() -> None:
    doc = ExtractionInput(
        document_id="p2",
        text="Welcome.",
        html=PAGE,
        structured={"meta": {"description": "Acme Robotics, founded in 1996, builds warehouse robots & software."}},
    )
    firm = OfflineExtractor().extract(doc).firmographics
    assert firm.founded_year is not None and firm.founded_year.value == 1996
    assert ground_document(Extraction(firmographics=firm), doc).dropped == []


TEXT_CASES = [
    ("Founded in 1996, Acme makes robots.", "founded_year", 1996),
    ("The company was established in 2004 in Lyon.", "founded_year", 2004),
    ("Acme employs more than 2,800 people worldwide.", "employees", 2800),
    ("Today Acme has 450 employees in five countries.", "employees", 450),
    ("Acme reported annual revenue of $1.1 billion.", "revenue", 1.1e9),
    ("It generates €300 million in annual revenue.", "revenue", 3e8),
]


@pytest.mark.parametrize(("text", "field", "value"), TEXT_CASES)
def test_text_patterns_read_founding_headcount_and_revenue(text: str, field: str, value: float) -> None:
    firm = find_firmographics(text)
    fact = getattr(firm, field)
    assert fact is not None
    assert (fact.amount if field == "revenue" else fact.value) == value
    assert ground_extraction(Extraction(firmographics=firm), document_text=text).dropped == []


@pytest.mark.parametrize(
    "text",
    [
        "Revenue was down 6 percent to $531.7 million in the third quarter.",
        "The NFL will fine more than 100 players.",
        "If the deal closes, Initech would become a wholly-owned subsidiary of Globex.",
        "The company has 10 million users.",
    ],
)
def test_text_patterns_skip_quarterly_revenue_non_staff_counts_and_conditionals(text: str) -> None:
    assert find_firmographics(text) == Firmographics()


def test_headquarters_and_parent_from_text() -> None:
    text = "Acme is headquartered in Austin, Texas. Acme is a wholly owned subsidiary of Globex Holdings. It has offices in 12 countries."
    firm = find_firmographics(text)
    assert firm.headquarters is not None and (firm.headquarters.city, firm.headquarters.country) == ("Austin", "US")
    assert firm.parent_company is not None and firm.parent_company.value == "Globex Holdings"
    assert sorted(s.value for s in firm.structure) == ["global presence", "subsidiary"]


PEOPLE = [
    (
        '"We are thrilled," said Jane Doe, Chief Operating Officer of Acme.',
        "Jane Doe",
        "Chief Operating Officer",
        "Acme",
    ),
    ("Slack CEO Stewart Butterfield sold 2,500 shares.", "Stewart Butterfield", "CEO", None),
    (
        "Maria Garcia, vice president of sales at Initech, said demand was strong.",
        "Maria Garcia",
        "vice president of sales",
        "Initech",
    ),
    (
        '"We are proud," said Pieter de Vries, Operations Director at Northwind Fabrication.',
        "Pieter de Vries",
        "Operations Director",
        "Northwind Fabrication",
    ),
    ("Sales Director Kees Jansen said orders were up.", "Kees Jansen", "Sales Director", None),
]


@pytest.mark.parametrize(("text", "name", "title", "org"), PEOPLE)
def test_people_are_read_with_their_titles(text: str, name: str, title: str, org: str | None) -> None:
    (person,) = find_people(text)
    assert (person.name, person.title, person.organisation) == (name, title, org)
    assert person.quote in text


def test_leadership_page_lines_give_people() -> None:
    text = "Our team\nJane Doe – Chief Executive Officer\nJohn Smith | CFO\nCareers"
    assert [(p.name, p.title) for p in find_people(text)] == [
        ("Jane Doe", "Chief Executive Officer"),
        ("John Smith", "CFO"),
    ]


@pytest.mark.parametrize(
    "text", ["Nike's stock jumps ahead of soccer World Cup.", "The Dallas Mavericks star said it in a Twitch chat."]
)
def test_names_without_titles_are_not_people(text: str) -> None:
    assert find_people(text) == []


def test_strategic_notes_use_precise_patterns() -> None:
    text = (
        "Our top priority for 2025 is expanding in Asia. "
        "The company is struggling with a shortage of skilled welders. "
        "Competitors include Globex, Initech and Hooli. "
        "Customers include Siemens and Bosch."
    )
    notes = find_strategic(text)
    assert [p.value for p in notes.priorities] == ["Our top priority for 2025 is expanding in Asia"]
    assert notes.pains and notes.pains[0].value.startswith("struggling with")
    assert [c.value for c in notes.competitors] == ["Globex", "Initech", "Hooli"]
    assert [r.value for r in notes.relationships] == ["Siemens", "Bosch"]
    assert ground_extraction(Extraction(strategic=notes), document_text=text).dropped == []


def test_plain_news_has_no_strategic_notes() -> None:
    assert find_strategic("Acme raised $5 million. Shares rose 3% on Monday.") == find_strategic("")


STRUCTURE = [
    (
        "In 2026 Northwind became a multi-site company: next to our main plant in Eindhoven we now operate a second plant in Gdańsk, Poland.",
        ["multi-site"],
    ),
    ("Acme operates five production sites in France, Germany and Spain.", ["global presence", "multi-site"]),
    ("Acme has plants in 12 countries.", ["global presence"]),
    ("We run plants in Eindhoven and Gdańsk, Poland.", ["multi-site"]),
    ("The group is present in 40 countries.", ["global presence"]),
    ("With plants in Germany, Poland and Mexico, Acme supplies carmakers.", ["global presence", "multi-site"]),
    ("Acme has offices in London, New York and Singapore.", ["multi-site"]),
    (
        "Stark Chemicals SA today opened a new coatings plant in Tarragona, Spain, its fifth production site.",
        ["multi-site"],
    ),
]
STRUCTURE_NEGATIVE = [
    "Acme plans to build a second plant in Poland.",
    "Acme has offices in two countries.",
    "Acme has one office.",
    "Acme could open plants in France, Germany and Spain if demand holds.",
    "A second plant could open next year if subsidies are approved.",
    "Acme is no longer a multi-site company after closing Lyon.",
    "Acme's products are sold in France, Germany and Spain.",
    "Acme's plant in Lyon employs 300 people.",
    "Acme sells through stores in France, Germany and Spain.",
]


@pytest.mark.parametrize(("text", "kinds"), STRUCTURE)
def test_site_counts_second_sites_and_country_lists_give_structure(text: str, kinds: list[str]) -> None:
    firm = find_firmographics(text)
    assert sorted(s.value for s in firm.structure) == kinds
    assert ground_extraction(Extraction(firmographics=firm), document_text=text).dropped == []


@pytest.mark.parametrize("text", STRUCTURE_NEGATIVE)
def test_planned_sites_single_sites_two_countries_and_sales_markets_give_no_structure(text: str) -> None:
    assert find_firmographics(text).structure == []


def test_a_town_missing_from_the_place_list_is_read_with_its_country() -> None:
    firm = find_firmographics("Stark Chemicals is headquartered in Tarragona, Spain.")
    assert firm.headquarters is not None
    assert (firm.headquarters.city, firm.headquarters.country) == ("Tarragona", "Spain")
