"""Normalisation of firmographic values: each normaliser on a table of real-world spellings."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.normalize import (
    INDUSTRY_SLUGS,
    canonical_value,
    industry_groups,
    normalize_country,
    normalize_currency,
    normalize_domain,
    normalize_industry,
    normalize_product,
    normalize_technology,
    parse_employees,
    parse_money,
    technology_families,
    technology_family,
)

# --- industries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("technolgy", "technology"),  # the Maven typo
        ("Tecnology", "technology"),
        ("tech", "technology"),
        ("medical", "healthcare"),
        ("Hospital & Health Care", "healthcare"),
        ("fintech", "financial services"),
        ("finance", "financial services"),
        ("Commercial Banks", "financial services"),
        ("Computer Software", "software"),
        ("COMPUTER_SOFTWARE", "software"),  # HubSpot enum value
        ("Enterprise Software Vendor", "software"),  # keyword rule
        ("Semiconductors and Other Electronic Components", "electronics"),
        ("Industrial Machinery", "industrial machinery"),
        ("Motor Vehicles & Parts", "automotive"),
        ("Internet Services and Retailing", "internet"),
        ("Health Care: Insurance and Managed Care", "healthcare"),
        ("Insurance: Property and Casualty (Stock)", "insurance"),
        ("Hotels, Casinos, Resorts", "hospitality"),
        ("Gambling & Casinos", "gambling"),
        ("Tobacco", "tobacco"),
        ("Firearms", "weapons"),
        ("employment", "staffing"),
        ("services", "business services"),
        ("  Food   Production ", "food production"),
        ("wealth", "financial services"),  # not "health" one edit away
    ],
)
def test_normalize_industry_maps_synonyms_typos_and_fortune_names(raw: str, expected: str) -> None:
    assert normalize_industry(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Quantum  Widgets", "quantum widgets"),  # unknown: cleaned, never dropped
        ("retail banking", "retail banking"),  # keywords disagree: stays as given
        ("Medi", "medi"),  # too short for a fuzzy match
        ("dining", "food services"),
    ],
)
def test_normalize_industry_keeps_unmappable_values_cleaned(raw: str, expected: str) -> None:
    assert normalize_industry(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_normalize_industry_returns_none_for_blank(raw: str | None) -> None:
    assert normalize_industry(raw) is None


def test_every_fortune500_industry_maps_to_a_slug(shared_data: Path) -> None:
    text = (shared_data / "fortune500-2025" / "fortune500.csv").read_text(encoding="utf-8-sig")
    industries = {row["Industry"] for row in csv.DictReader(io.StringIO(text))}
    assert len(industries) > 60
    unmapped = sorted(i for i in industries if normalize_industry(i) not in INDUSTRY_SLUGS)
    assert unmapped == []


def test_taxonomy_has_a_sensible_size_and_the_excluded_industries() -> None:
    assert 30 <= len(INDUSTRY_SLUGS) <= 50
    assert {"gambling", "tobacco", "weapons", "manufacturing", "software"} <= set(INDUSTRY_SLUGS)


@pytest.mark.parametrize("slug", INDUSTRY_SLUGS)
def test_normalize_industry_keeps_canonical_slugs(slug: str) -> None:
    assert normalize_industry(slug) == slug


@given(st.text(max_size=40))
def test_normalize_industry_is_idempotent(raw: str) -> None:
    once = normalize_industry(raw)
    assert normalize_industry(once) == once


@pytest.mark.parametrize(
    ("industry", "groups"),
    [
        ("software", ("technology",)),
        ("Computer Software", ("technology",)),
        ("apparel", ("consumer goods", "manufacturing")),
        ("insurance", ("financial services",)),
        ("technology", ()),
        ("quantum widgets", ()),
    ],
)
def test_industry_groups_lists_broader_industries(industry: str, groups: tuple[str, ...]) -> None:
    assert industry_groups(industry) == groups


# --- countries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("u.s.a.", "US"),
        ("United States of America", "US"),
        ("us", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("GBR", "GB"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("North Korea", "KP"),
        ("Philipines", "PH"),  # the Maven typo
        ("Germay", "DE"),
        ("Deutschland", "DE"),
        ("deu", "DE"),
        ("Türkiye", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Russia", "RU"),
        ("Viet Nam", "VN"),
        ("Iran, Islamic Republic of", "IR"),
        ("Seattle, WA, USA", "US"),
        ("Berlin, Germany", "DE"),
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("Austria", "AT"),
        ("Australia", "AU"),
    ],
)
def test_normalize_country_returns_alpha2(raw: str, expected: str) -> None:
    assert normalize_country(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "Atlantis", "XX", "EU", "Paris, IN", "California", "Narnia Republic"])
def test_normalize_country_returns_none_when_unknown(raw: str | None) -> None:
    assert normalize_country(raw) is None


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("€50M", "units", (50_000_000.0, "EUR")),
        ("$1.2B", "units", (1_200_000_000.0, "USD")),
        ("1,100.04", "millions", (1_100_040_000.0, None)),
        ("1100.04", "millions", (1_100_040_000.0, None)),
        ("USD 3.4 million", "units", (3_400_000.0, "USD")),
        ("USD 3.4 million", "millions", (3_400_000.0, "USD")),  # a written scale wins over the unit
        ("2,5 Mio. €", "units", (2_500_000.0, "EUR")),
        ("716,924,000,000", "units", (716_924_000_000.0, None)),
        ("50k", "units", (50_000.0, None)),
        ("1.234.567,89 €", "units", (1_234_567.89, "EUR")),
        ("£3bn", "units", (3_000_000_000.0, "GBP")),
        ("CHF 1'234'567", "units", (1_234_567.0, "CHF")),
        ("US$ 12", "thousands", (12_000.0, "USD")),
        ("SEK 1.2 bn", "units", (1_200_000_000.0, "SEK")),
        ("1 234 567", "units", (1_234_567.0, None)),
        ("12,34,567", "units", (1_234_567.0, None)),  # Indian grouping
        ("(1,000)", "units", (-1000.0, None)),
        ("-5 EUR", "units", (-5.0, "EUR")),
        ("0", "units", (0.0, None)),
        ("7", "billions", (7_000_000_000.0, None)),
    ],
)
def test_parse_money_reads_amount_and_currency(raw: str, unit: str, expected: tuple[float, str | None]) -> None:
    assert parse_money(raw, unit=unit) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["lots", "", "12 apples", "5-10M", "$5 €6", "1.2.3,4.5", "12,34,5", "5 k M", "N/A"])
def test_parse_money_rejects_garbage_naming_the_value(raw: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_money(raw)


def test_parse_money_accepts_numbers() -> None:
    assert parse_money(1100.04, unit="millions") == (1_100_040_000.0, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("€", "EUR"), ("usd", "USD"), ("Euros", "EUR"), ("US$", "USD"), ("chf", "CHF"), ("abc", None), ("kr", None)],
)
def test_normalize_currency_returns_iso_codes(raw: str, expected: str | None) -> None:
    assert normalize_currency(raw) == expected


# --- headcounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("201-500", 350),  # midpoint, rounded down
        ("201 – 500", 350),
        ("500 to 1000", 750),
        ("1k-5k", 3000),
        ("1,556,000", 1_556_000),
        ("10k+", 10_000),
        ("5000+", 5000),
        ("10,001+", 10_001),  # open band: its lower bound
        ("~300", 300),
        ("ca. 1.200", 1200),  # European thousands separator in a whole count
        ("1.556", 1556),
        ("2.5k", 2500),
        ("12 employees", 12),
        ("2822", 2822),
        (2822, 2822),
    ],
)
def test_parse_employees_reads_counts_and_bands(raw: str | int, expected: int) -> None:
    assert parse_employees(raw) == expected


@pytest.mark.parametrize("raw", ["many", "", "-5", "500-200", "1-2-3", "5 bn", "lots of people"])
def test_parse_employees_rejects_garbage(raw: str) -> None:
    with pytest.raises(ValueError, match="number of employees"):
        parse_employees(raw)


# --- domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("info@acme.co.uk", "acme.co.uk"),
        ("mailto:sales@globex.io", "globex.io"),
        ("acme.com", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("www2.foo.org", "foo.org"),
        ("http://user:pw@shop.acme.de:8080/x?y=1", "shop.acme.de"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        (" amazon.com ", "amazon.com"),
    ],
)
def test_normalize_domain_extracts_the_host(raw: str, expected: str) -> None:
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "acme",
        "Acme Inc",
        "not a website",
        "http://1.2.3.4/",
        "http://[::1]/",
        "localhost",
        "-bad-.com",
        "a..com",
    ],
)
def test_normalize_domain_rejects_non_domains(raw: str | None) -> None:
    assert normalize_domain(raw) is None


# --- technologies and products ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AWS", "aws"),
        ("Amazon Web Services", "aws"),
        ("MS Dynamics", "microsoft dynamics 365"),
        ("Dynamics 365", "microsoft dynamics 365"),
        ("SAP S/4HANA", "sap s/4hana"),
        ("S4HANA", "sap s/4hana"),
        ("SAP ERP", "sap ecc"),  # SAP ERP is ECC 6.0, not S/4HANA
        ("SAP", "sap"),
        ("Salesforce.com", "salesforce"),
        ("Postgres", "postgresql"),
        ("AS/400", "ibm i"),
        ("Some  Tool®", "some tool"),
    ],
)
def test_normalize_technology_uses_the_alias_table(raw: str, expected: str) -> None:
    assert normalize_technology(raw) == expected


@given(st.text(max_size=30))
def test_normalize_technology_is_idempotent(raw: str) -> None:
    once = normalize_technology(raw)
    assert normalize_technology(once) == once


@pytest.mark.parametrize(
    ("raw", "families"),
    [
        ("SAP S/4HANA", ("sap",)),
        ("SAP ERP", ("sap",)),
        ("SAP Analytics Cloud", ("sap",)),  # unknown product, known family prefix
        ("D365 BC", ("microsoft dynamics 365", "microsoft dynamics")),
        ("Navision", ("microsoft dynamics",)),
        ("JD Edwards", ("oracle",)),
        ("Marketo", ("adobe",)),
        ("SAP", ()),
        ("NetSuite", ()),  # brand, not ownership
        ("Microsoft Excel", ()),
    ],
)
def test_technology_families_names_vendor_families(raw: str, families: tuple[str, ...]) -> None:
    assert technology_families(raw) == families
    assert technology_family(raw) == (families[0] if families else None)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("GTXPro", "GTX Pro"),
        ("gtx-pro", "GTX Pro"),
        ("GTX  Plus Basic", "gtx plus basic"),
        ("MG Special", "mg special"),
    ],
)
def test_normalize_product_makes_spellings_equal(a: str, b: str) -> None:
    assert normalize_product(a) == normalize_product(b)


def test_normalize_product_keeps_different_products_apart() -> None:
    assert normalize_product("GTX Pro") != normalize_product("GTX Plus Pro")


# --- canonical_value --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("industry", "Technology", "technology"),
        ("industry", "technolgy", "technology"),
        ("industry", "Quantum Widgets", "quantum widgets"),
        ("country", "US", "us"),
        ("country", "United States", "us"),
        ("country", "Atlantis", "atlantis"),
        ("technologies", "Amazon Web Services", "aws"),
        ("legacy_systems", "AS400", "ibm i"),
        ("structure", "  Multi-Site  Operations ", "multi-site operations"),
        ("custom.decision_process", "Top-Down", "top-down"),
    ],
)
def test_canonical_value_normalises_per_field(field: str, raw: str, expected: str) -> None:
    assert canonical_value(field, raw) == expected


def test_canonical_value_makes_criterion_and_crm_spellings_meet() -> None:
    assert canonical_value("industry", "Technology") == canonical_value("industry", "technolgy")
    assert canonical_value("country", "US") == canonical_value("country", "USA")
    assert canonical_value("technologies", "Microsoft Dynamics 365") == canonical_value("technologies", "MS Dynamics")
