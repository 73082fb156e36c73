"""CRM CSV parsing: the real Maven and Fortune 500 files, hand-written CRM exports and broken files."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from scoring.crm import (
    AccountRef,
    AccountsParse,
    outcome_from_stage,
    parse_accounts_csv,
    parse_contacts_csv,
    parse_opportunities_csv,
    seniority_from_title,
)
from scoring.domain import Outcome, StakeholderRole
from scoring.errors import CsvFormatError, ScoringError


@pytest.fixture(scope="module")
def crm_dir(fixtures_dir: Path) -> Path:
    """Returns tests/fixtures/crm."""
    return fixtures_dir / "crm"


@pytest.fixture(scope="module")
def maven_accounts(shared_data: Path) -> AccountsParse:
    """Returns the parse of the Maven accounts file."""
    return parse_accounts_csv((shared_data / "maven-crm" / "accounts.csv").read_bytes())


@pytest.fixture(scope="module")
def fortune(shared_data: Path) -> AccountsParse:
    """Returns the parse of the Fortune 500 file."""
    return parse_accounts_csv((shared_data / "fortune500-2025" / "fortune500.csv").read_bytes())


# --- the Maven accounts -----------------------------------------------------------------------


def test_maven_accounts_all_land(maven_accounts: AccountsParse) -> None:
    assert (maven_accounts.rows_read, len(maven_accounts.accounts), maven_accounts.errors) == (85, 85, [])
    assert maven_accounts.preset == "maven"
    assert maven_accounts.column_map["revenue"] == "revenue_millions"


def test_maven_accounts_are_normalised(maven_accounts: AccountsParse) -> None:
    acme = next(p for p in maven_accounts.accounts if p.account.name == "Acme Corporation")
    assert acme.row == 2
    assert acme.account.model_dump(include={"industry", "industry_raw", "revenue", "currency", "employees", "country", "founded_year", "parent_company"}) == {
        "industry": "technology",
        "industry_raw": "technolgy",
        "revenue": 1_100_040_000.0,
        "currency": "USD",
        "employees": 2822,
        "country": "US",
        "founded_year": 1996,
        "parent_company": None,
    }  # fmt: skip
    assert "parent_company" in acme.known_empty


def test_maven_accounts_fix_typos_and_keep_subsidiaries(maven_accounts: AccountsParse) -> None:
    industries = Counter(p.account.industry for p in maven_accounts.accounts)
    assert industries["technology"] == 12  # the 12 "technolgy" rows
    assert "technolgy" not in industries
    bioholding = next(p.account for p in maven_accounts.accounts if p.account.name == "Bioholding")
    assert bioholding.country == "PH"
    assert all(p.account.country is not None for p in maven_accounts.accounts)
    with_parent = [p for p in maven_accounts.accounts if p.account.parent_company]
    assert with_parent and all("parent_company" not in p.known_empty for p in with_parent)


# --- the Fortune 500 file ---------------------------------------------------------------------


def test_fortune500_all_land_as_us_companies(fortune: AccountsParse) -> None:
    assert (fortune.rows_read, len(fortune.accounts), fortune.errors) == (500, 500, [])
    assert fortune.preset == "fortune500"
    assert {p.account.country for p in fortune.accounts} == {"US"}
    assert all(p.account.domain and p.account.industry for p in fortune.accounts)


def test_fortune500_amazon_row(fortune: AccountsParse) -> None:
    amazon = fortune.accounts[0]
    assert amazon.row == 2
    assert amazon.account.model_dump(include={"name", "revenue", "currency", "employees", "domain", "country", "city", "region", "industry"}) == {
        "name": "Amazon",
        "revenue": 716_924_000_000.0,
        "currency": "USD",
        "employees": 1_556_000,
        "domain": "amazon.com",
        "country": "US",
        "city": "Seattle",
        "region": "Washington",
        "industry": "internet",
    }  # fmt: skip
    assert amazon.account.custom == {"rank": 1, "zip": 98109, "ceo": "Andrew Jassy"}


def test_fortune500_padded_and_bom_headers_are_recognised(fortune: AccountsParse) -> None:
    assert fortune.column_map["Rank"] == "custom.rank"  # BOM stripped
    assert fortune.column_map["City"] == "city"  # " City " padded
    assert fortune.unmapped_columns == ["Rank", "Zip", "CEO"]


def test_fortune500_mojibake_rows_are_kept_as_they_are(fortune: AccountsParse) -> None:
    estee = next(p.account for p in fortune.accounts if p.account.domain == "elcompanies.com")
    assert estee.name == "EstÃ©e Lauder"


# --- the Maven pipeline -----------------------------------------------------------------------


def test_maven_pipeline_counts(shared_data: Path) -> None:
    result = parse_opportunities_csv((shared_data / "maven-crm" / "sales_pipeline.csv").read_bytes())
    assert (result.rows_read, len(result.opportunities), result.errors) == (8800, 8800, [])
    outcomes = Counter(p.opportunity.outcome for p in result.opportunities)
    assert outcomes == {Outcome.WON: 4238, Outcome.LOST: 2473, Outcome.OPEN: 2089}
    assert sum(p.account.empty for p in result.opportunities) == 1425
    products = {p.opportunity.product for p in result.opportunities}
    assert "gtx pro" in products and "gtxpro" not in products
    lost = [p.opportunity for p in result.opportunities if p.opportunity.outcome is Outcome.LOST]
    assert {o.amount for o in lost} == {0.0}


def test_maven_pipeline_first_row(shared_data: Path) -> None:
    first = parse_opportunities_csv((shared_data / "maven-crm" / "sales_pipeline.csv").read_bytes()).opportunities[0]
    assert first.row == 2
    assert first.account == AccountRef(name="Cancity")
    assert first.opportunity.model_dump(exclude_none=True) == {
        "crm_id": "1C1I7A6R",
        "account_name": "Cancity",
        "outcome": Outcome.WON,
        "stage": "Won",
        "amount": 1054.0,
        "created": date(2016, 10, 20),
        "closed": date(2017, 3, 1),
        "product": "gtx plus basic",
    }


# --- hand-written CRM exports -----------------------------------------------------------------


def test_salesforce_accounts_land_good_rows_and_reject_bad_ones(crm_dir: Path) -> None:
    result = parse_accounts_csv((crm_dir / "salesforce_accounts.csv").read_bytes())
    assert result.preset == "salesforce"
    assert result.rows_read == 10
    assert [p.row for p in result.accounts] == [2, 3, 6, 9, 11]
    assert [(e.row, e.reason) for e in result.errors] == [
        (4, "column 'AnnualRevenue': cannot read 'lots' as an amount of money: no number"),
        (5, "no name and no domain (columns 'Account Name', 'Website' are blank)"),
        (7, "column 'Account ID': duplicate '001A000002', already in row 3"),
        (8, "expected 13 columns, found 5"),
        (10, "column 'NumberOfEmployees': cannot read 'many' as a number of employees: 'many' is not a number"),
    ]
    assert result.errors[3].raw == ("001A000007", "Short Row", "Prospect", "shortrow.com", "Retail")
    assert [(w.row, w.reason) for w in result.warnings] == [
        (6, "column 'Website': 'not a website' is not a domain; domain left blank"),
        (9, "column 'BillingCountry': unknown country 'Atlantis'; country left blank"),
    ]


def test_salesforce_accounts_are_normalised(crm_dir: Path) -> None:
    result = parse_accounts_csv((crm_dir / "salesforce_accounts.csv").read_bytes())
    mueller, acme, initech, lost_city, hooli = (p.account for p in result.accounts)
    assert (mueller.revenue, mueller.currency, mueller.country, mueller.industry) == (
        85_500_000.0,
        "EUR",
        "DE",
        "industrial machinery",
    )
    assert mueller.domain == "mueller-maschinenbau.de"
    assert mueller.custom == {"type": "Prospect", "customer": False}
    assert acme.custom["customer"] is True and acme.employees == 1200
    assert (initech.domain, initech.employees, initech.revenue, initech.currency) == (None, 350, 12_000_000.0, "USD")
    assert lost_city.country is None
    assert (hooli.country, hooli.parent_company, hooli.industry) == ("NL", "Hooli", "software")
    assert result.accounts[0].known_empty == {"parent_company"}
    assert result.accounts[2].known_empty == {"parent_company"}  # blank currency, but "$12M" names it


def test_hubspot_semicolon_export_with_european_numbers(crm_dir: Path) -> None:
    result = parse_accounts_csv((crm_dir / "hubspot_accounts.csv").read_bytes())
    assert (result.preset, result.delimiter) == ("hubspot", ";")
    assert [(e.row, e.reason) for e in result.errors] == [
        (4, "no name and no domain (columns 'Company name', 'Company Domain Name' are blank)"),
        (
            6,
            "column 'Annual Revenue': cannot read '12,34,5' as an amount of money: '12,34,5' has misplaced thousands separators",
        ),
        (7, "column 'Company Domain Name': duplicate 'bakkerij-jansen.nl', already in row 2"),
        (8, "expected 12 columns, found 4"),
    ]
    jansen, nordic, casino = (p.account for p in result.accounts)
    assert (jansen.revenue, jansen.currency, jansen.industry, jansen.crm_id, jansen.aliases) == (
        2_500_000.0,
        "EUR",
        "food production",
        "101",
        ["Jansen Brood"],
    )
    assert (nordic.revenue, nordic.currency, nordic.employees, nordic.country, nordic.city) == (
        1_200_000_000.0,
        "SEK",
        1250,
        "SE",
        "Luleå",
    )
    assert nordic.aliases == ["NSAB", "Nordic Steel"]
    assert (casino.industry, casino.employees, casino.country, casino.revenue) == (
        "gambling",
        10_000,
        "GB",
        40_000_000.0,
    )
    assert jansen.custom == {"lifecycle_stage": "customer"}


def test_salesforce_opportunities(crm_dir: Path) -> None:
    result = parse_opportunities_csv((crm_dir / "salesforce_opportunities.csv").read_bytes())
    assert [(e.row, e.reason) for e in result.errors] == [
        (5, "a won deal needs an account (columns 'Account Name', 'Account ID' are blank)"),
        (6, "column 'Close Date': cannot read '31/31/2024' as a date (month must be in 1..12)"),
        (7, "column 'Opportunity ID': duplicate '006A1', already in row 2"),
    ]
    won, lost, pilot, signed = result.opportunities
    assert won.account == AccountRef(name="Acme Corp", crm_id="001A000002")
    assert (won.opportunity.amount, won.opportunity.closed, won.opportunity.created) == (
        120_000.0,
        date(2024, 3, 15),
        date(2024, 1, 10),
    )
    assert won.opportunity.product == lost.opportunity.product == "gtx pro"
    assert (lost.opportunity.outcome, lost.opportunity.amount) == (Outcome.LOST, 0.0)
    assert (pilot.opportunity.outcome, pilot.account.empty) == (Outcome.OPEN, True)
    assert signed.opportunity.outcome is Outcome.OPEN
    assert result.unmapped_columns == ["Opportunity Name"]


def test_stage_map_overrides_the_stage_rules(crm_dir: Path) -> None:
    result = parse_opportunities_csv(
        (crm_dir / "salesforce_opportunities.csv").read_bytes(), stage_map={"signed": "won"}
    )
    assert result.opportunities[-1].opportunity.outcome is Outcome.WON


def test_hubspot_contacts(crm_dir: Path) -> None:
    result = parse_contacts_csv((crm_dir / "hubspot_contacts.csv").read_bytes())
    assert [(e.row, e.reason) for e in result.errors] == [
        (6, "no name and no e-mail address"),
        (7, "no account (column 'Company Name' is blank)"),
        (8, "duplicate e-mail 'JANE@acme.com', already in row 2"),
    ]
    people = {p.stakeholder.name: p for p in result.contacts}
    assert list(people) == ["Jane Doe", "John Smith", "Ana Lopez", "Bob Lee", "Eve Ko"]
    jane = people["Jane Doe"]
    assert (jane.account, jane.stakeholder.seniority, jane.stakeholder.role) == (
        AccountRef(name="Acme Corp"),
        "c_level",
        StakeholderRole.DECISION_MAKER,
    )
    assert people["John Smith"].stakeholder.seniority == "vp"
    assert (people["Ana Lopez"].stakeholder.seniority, people["Ana Lopez"].stakeholder.role) == (
        "staff",
        StakeholderRole.GATEKEEPER,
    )
    assert people["Bob Lee"].stakeholder.email is None
    assert people["Eve Ko"].stakeholder.seniority == "staff"  # the Seniority column wins over the title
    assert [(w.row, w.reason) for w in result.warnings] == [
        (5, "column 'Email': 'bob@globex' is not an e-mail address; left blank")
    ]


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("Won", Outcome.WON),
        ("Closed Won", Outcome.WON),
        ("closedwon", Outcome.WON),
        ("CLOSED_WON", Outcome.WON),
        ("Lost", Outcome.LOST),
        ("Closed Lost", Outcome.LOST),
        ("closedlost", Outcome.LOST),
        ("Prospecting", Outcome.OPEN),
        ("Engaging", Outcome.OPEN),
        ("Negotiation/Review", Outcome.OPEN),
        ("", Outcome.OPEN),
        (None, Outcome.OPEN),
    ],
)
def test_outcome_from_stage(stage: str | None, expected: Outcome) -> None:
    assert outcome_from_stage(stage) is expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chief Information Officer", "c_level"),
        ("CEO & Founder", "c_level"),
        ("CFO", "c_level"),
        ("Managing Director", "c_level"),
        ("Geschäftsführer", "c_level"),
        ("VP IT", "vp"),
        ("Senior Vice President, Operations", "vp"),
        ("SVP Sales", "vp"),
        ("IT Director", "director"),
        ("Director of Manufacturing", "director"),
        ("Head of IT", "head"),
        ("Plant Manager", "manager"),
        ("Sr. Mgr Procurement", "manager"),
        ("Team Lead Support", "lead"),
        ("Systems Administrator", "staff"),
        ("Executive Assistant to the CEO", "staff"),
        ("Product Owner", "staff"),
        ("Channel Partner Manager", "manager"),
        ("", None),
        (None, None),
    ],
)
def test_seniority_from_title(title: str | None, expected: str | None) -> None:
    assert seniority_from_title(title) == expected


# --- encodings, delimiters and layouts ----------------------------------------------------------


def test_crlf_tab_and_bom_are_read_alike() -> None:
    lf = parse_accounts_csv(b"Account Name,Website\nAcme,acme.com\nGlobex,globex.com\n")
    crlf_tab = parse_accounts_csv("\ufeffAccount Name\tWebsite\r\nAcme\tacme.com\r\nGlobex\tglobex.com\r\n".encode())
    assert [p.account for p in lf.accounts] == [p.account for p in crlf_tab.accounts]
    assert (crlf_tab.delimiter, [p.row for p in crlf_tab.accounts]) == ("\t", [2, 3])


def test_cp1252_file_is_read_with_a_warning() -> None:
    result = parse_accounts_csv("Account Name,BillingCity\nMüller AG,Köln\n".encode("cp1252"))
    assert (result.encoding, result.accounts[0].account.name, result.accounts[0].account.city) == (
        "cp1252",
        "Müller AG",
        "Köln",
    )
    assert result.warnings[0].row is None and "Windows-1252" in result.warnings[0].reason


def test_utf16_excel_export_is_read() -> None:
    result = parse_accounts_csv("Account Name\tWebsite\r\nAcme\tacme.com\r\n".encode("utf-16"))
    assert [p.account.domain for p in result.accounts] == ["acme.com"]


def test_row_numbers_count_blank_lines_and_multiline_cells() -> None:
    data = b'Account Name,Notes\nAcme,"two\nlines"\n\nGlobex,x\n'
    result = parse_accounts_csv(data)
    assert [(p.row, p.account.name) for p in result.accounts] == [(2, "Acme"), (4, "Globex")]
    assert result.accounts[0].account.custom == {"notes": "two lines"}


def test_custom_values_are_typed_when_unambiguous() -> None:
    data = b"Account Name,Customer,Seats,Score,Zip,Note,Ratio\nAcme,yes,42,3.5,02895,1.5k,\n"
    account = parse_accounts_csv(data).accounts[0].account
    assert account.custom == {
        "customer": True,
        "seats": 42,
        "score": 3.5,
        "zip": "02895",
        "note": "1.5k",
        "ratio": None,
    }


def test_header_with_unit_and_currency_sets_the_scale() -> None:
    data = b"Company,Annual Revenue (EUR millions),Employees\nAcme,12.5,100\n"
    result = parse_accounts_csv(data)
    assert (result.accounts[0].account.revenue, result.accounts[0].account.currency) == (12_500_000.0, "EUR")
    assert result.column_map["Annual Revenue (EUR millions)"] == "revenue_millions"


def test_mapping_overrides_recognised_headers() -> None:
    data = b"Firm,Umsatz,Land,Website\nAcme,12,Deutschland,acme.de\n"
    result = parse_accounts_csv(
        data, mapping={"Firm": "name", "Umsatz": "revenue_millions", "Land": "country", "Website": "custom.web"}
    )
    account = result.accounts[0].account
    assert (account.name, account.revenue, account.country, account.domain, account.custom) == (
        "Acme",
        12_000_000.0,
        "DE",
        None,
        {"web": "acme.de"},
    )
    assert result.column_map == {
        "Firm": "name",
        "Umsatz": "revenue_millions",
        "Land": "country",
        "Website": "custom.web",
    }


def test_preset_can_be_forced() -> None:
    data = b"account,revenue\nAcme,2\n"
    assert parse_accounts_csv(data).accounts[0].account.revenue == 2.0
    forced = parse_accounts_csv(data, preset="maven").accounts[0].account
    assert (forced.revenue, forced.currency) == (2_000_000.0, "USD")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "name"}, "no column 'Nope'"),
        ({"Website": "homepage"}, "unknown field 'homepage'"),
        ({"Account Name": "name", "Website": "name"}, "two columns for name"),
    ],
)
def test_bad_mapping_raises_a_clear_error(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(CsvFormatError, match=message):
        parse_accounts_csv(b"Account Name,Website\nAcme,acme.com\n", mapping=mapping)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"PK\x03\x04\x14\x00", "Excel"),
        (b"Account Name\x00,Website\n", "NUL"),
        (b"Account Name\n\x81\x8d\x8f\x90\x9d\n", "neither UTF-8 nor Windows-1252"),
        (b"Foo,Bar\n1,2\n", "no column holds the account name or domain"),
    ],
)
def test_unreadable_files_raise_csv_format_error(data: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError, match=message) as caught:
        parse_accounts_csv(data)
    assert isinstance(caught.value, ScoringError)


def test_opportunities_need_a_stage_column() -> None:
    with pytest.raises(CsvFormatError, match="deal stage"):
        parse_opportunities_csv(b"Opportunity ID,Amount\n1,100\n")


def test_stage_map_rejects_unknown_outcomes() -> None:
    with pytest.raises(CsvFormatError, match="not one of won, lost, open"):
        parse_opportunities_csv(b"Stage\nSigned\n", stage_map={"Signed": "yes"})


def test_single_column_file_is_read() -> None:
    result = parse_accounts_csv(b"Account Name\nAcme\n")
    assert [(p.row, p.account.name) for p in result.accounts] == [(2, "Acme")]


def test_header_only_file_gives_no_rows() -> None:
    result = parse_contacts_csv(b"Name,Email,Company\n")
    assert (result.rows_read, result.contacts, result.errors) == (0, [], [])


def test_the_best_header_wins_a_field_and_the_other_stays_custom() -> None:
    result = parse_accounts_csv(b"Website,Company Domain Name,Company name\nwww.acme.com,acme.io,Acme\n")
    account = result.accounts[0].account
    assert (account.domain, account.custom) == ("acme.io", {"website": "www.acme.com"})
    assert [w.reason for w in result.warnings] == [
        "columns 'Website' and 'Company Domain Name' both look like domain; using 'Company Domain Name', "
        "the other is kept as a custom value"
    ]


def test_warnings_of_rejected_rows_are_dropped() -> None:
    result = parse_accounts_csv(b"Account Name,Website,Employees\nAcme,not a site,many\n")
    assert [e.reason for e in result.errors] == [
        "column 'Employees': cannot read 'many' as a number of employees: 'many' is not a number"
    ]
    assert [w.row for w in result.warnings] == [None]  # only the file-level "no row could be imported"


def test_account_row_warnings() -> None:
    data = b"Account Name,Annual Revenue,Currency,Founded\nAcme,EUR 5M,USD,last year\nGlobex,7M,Kroner,1999\n"
    result = parse_accounts_csv(data)
    acme, globex = (p.account for p in result.accounts)
    assert (acme.revenue, acme.currency, acme.founded_year) == (5_000_000.0, "EUR", None)
    assert (globex.currency, globex.founded_year) == (None, 1999)
    assert [(w.row, w.reason) for w in result.warnings] == [
        (2, "column 'Founded': 'last year' is not a year; founded year left blank"),
        (2, "the amount says EUR but the currency column says USD; using EUR"),
        (3, "column 'Currency': unknown currency 'Kroner'; currency left blank"),
    ]


def test_opportunity_dates_in_several_formats() -> None:
    data = (
        b"Deal ID,Deal Stage,Create Date,Close Date,Deal Amount,Company Domain Name\n"
        b'1,closedwon,2024-03-15T10:20:00Z,15.04.2024,"1.234,50 \xe2\x82\xac",https://www.acme.com\n'
        b"2,Closed Lost,13/01/2024,1/13/2024,,globex.com\n"
    )
    won, lost = (p for p in parse_opportunities_csv(data).opportunities)
    assert (won.opportunity.created, won.opportunity.closed, won.opportunity.amount) == (
        date(2024, 3, 15),
        date(2024, 4, 15),
        1234.5,
    )
    assert won.account == AccountRef(domain="acme.com")
    assert (lost.opportunity.created, lost.opportunity.closed, lost.opportunity.amount) == (
        date(2024, 1, 13),
        date(2024, 1, 13),
        None,
    )


def test_contacts_with_full_name_seniority_label_and_account_domain() -> None:
    data = b"Full Name,Title,Seniority,Department,Email,Company Domain Name\nJo Park,Operations Lead,C-Level,Operations,jo@acme.com,acme.com\nMo Li,,,,mo@acme.com,acme.com\n"
    jo, mo = parse_contacts_csv(data).contacts
    assert jo.account == AccountRef(domain="acme.com")
    assert jo.stakeholder.model_dump(include={"name", "title", "seniority", "department", "email"}) == {
        "name": "Jo Park",
        "title": "Operations Lead",
        "seniority": "c_level",
        "department": "Operations",
        "email": "jo@acme.com",
    }
    assert (mo.stakeholder.name, mo.stakeholder.seniority) == ("Mo Li", None)
