"""Research briefs: every section with its freshness, every [n] resolving to a quote in its document."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from answers_support import NOW, Doc, World, at, store_doc, svc_fixture, world_fixture  # noqa: F401 - fixtures

from agent.brief import Brief, brief_answer, build_brief
from agent.citations import cited_numbers, unresolved_markers
from agent.tools import AccountNotResolved
from scoring.domain import FactKind, Opportunity, Outcome
from store.models import AccountRow, DocumentRow
from store.opportunities import upsert_opportunities

SECTIONS = [
    "Firmographics",
    "Technology footprint",
    "Recent triggers",
    "Strategic priorities",
    "Competitive situation",
    "Existing relationships",
    "Stakeholders",
    "Suggested angle",
    "Open questions",
]
ACCOUNTS = ["Acme Robotics", "Globex Precision", "Initech", "Stark Logistics", "Umbrella Labs"]


def _stored_text(world: World, document_id: str) -> str:
    with world.svc.db.session() as s:
        row = s.get(DocumentRow, document_id)
        assert row is not None and row.workspace_id == world.svc.workspace
        return row.text


@pytest.mark.parametrize("name", ACCOUNTS)
def test_the_markdown_has_every_section_with_its_freshness(world: World, name: str) -> None:
    brief = build_brief(world.svc, name)
    md = brief.to_markdown()
    assert re.findall(r"^## (.+)$", md, flags=re.M) == [*SECTIONS, *(["Sources"] if brief.citations else [])]
    freshness = re.findall(r"^_Freshness: (.+)_$", md, flags=re.M)
    assert freshness == [s.freshness_text for s in brief.sections]
    for section in brief.sections:
        assert (section.freshness_text == "no data") == (not section.claims)


@pytest.mark.parametrize("name", ACCOUNTS)
def test_every_marker_resolves_to_a_quote_in_the_stored_document(world: World, name: str) -> None:
    brief = build_brief(world.svc, name)
    md = brief.to_markdown()
    known = {c.n: c for c in brief.citations}
    assert set(cited_numbers(md)) == set(known)  # every source is used, every marker is a source
    for c in brief.citations:
        assert c.document_id is not None
        assert c.quote in _stored_text(world, c.document_id)
    assert unresolved_markers(brief.to_answer()) == []


@pytest.mark.parametrize(
    ("section", "claim", "quoted"),
    [
        ("technology", "Technologies: SAP S/4HANA", "runs SAP S/4HANA"),
        ("priorities", "Priority: efficiency", "efficiency is the top priority"),
        ("stakeholders", "Decision maker: Jane Doe", "Jane Doe, Chief Executive Officer"),
        ("triggers", "2026-03-02 — expansion", "new assembly plant in Gdansk"),
    ],
)
def test_each_claim_cites_the_quote_that_supports_it(world: World, section: str, claim: str, quoted: str) -> None:
    # acme-about backs both the SAP claim and the efficiency claim, with two different sentences
    brief = build_brief(world.svc, "Acme Robotics")
    found = next(c for c in brief.section(section).claims if c.text.startswith(claim))
    quotes = [brief.citations[n - 1].quote for n in found.citations]
    assert quotes and all(quoted in q for q in quotes), quotes


def test_two_quotes_from_one_document_get_two_numbers_and_one_quote_keeps_its_number(world: World) -> None:
    brief = build_brief(world.svc, "Acme Robotics")
    about = [c for c in brief.citations if c.document_id == "acme-about"]
    assert len(about) == 2 and len({c.quote for c in about}) == 2
    priority = next(c for c in brief.section("priorities").claims if c.text.startswith("Priority"))
    jane = next(c for c in brief.section("stakeholders").claims if "Jane Doe" in c.text)
    assert priority.citations == jane.citations  # the same sentence of the same page: one number


def test_freshness_is_the_newest_evidence_date_of_each_section(world: World) -> None:
    brief = build_brief(world.svc, "Globex Precision")
    assert brief.section("triggers").freshness == date(2026, 3, 18)  # the third outlet's story
    assert brief.section("technology").freshness == date(2026, 1, 15)
    assert brief.section("priorities").freshness == date(2026, 1, 15)
    assert brief.section("competition").freshness_text == "no data"


@pytest.mark.parametrize(
    ("updated", "shown"),
    [
        (NOW - timedelta(days=10), (NOW - timedelta(days=10)).date()),
        (NOW + timedelta(days=30), NOW.date()),  # imported "after" the brief's now: never a future date
    ],
)
def test_crm_freshness_is_the_import_date_but_never_after_now(world: World, updated: datetime, shown: date) -> None:
    with world.svc.db.session() as s:
        row = s.get(AccountRow, world.ids["Acme Robotics"])
        assert row is not None
        row.updated_at = updated
    brief = build_brief(world.svc, "Acme Robotics")
    crm = [c for c in brief.section("firmographics").claims if c.origin == "crm"]
    assert crm and {c.as_of for c in crm} == {shown}
    assert brief.section("firmographics").freshness == shown


def test_triggers_are_deduplicated_and_cite_every_outlet(world: World) -> None:
    brief = build_brief(world.svc, "Globex Precision")
    claims = brief.section("triggers").claims
    assert [c.text.split(" — ")[1].split(":")[0] for c in claims] == ["partnership", "expansion", "funding"]
    docs = {brief.citations[n - 1].document_id for n in claims[1].citations}
    assert docs == {"globex-wire", "globex-daily", "globex-trade"}


def test_firmographics_show_origin_and_cited_conflicts(world: World) -> None:
    g = world.ids["Globex Precision"]
    doc = Doc(
        "globex-careers",
        g,
        "https://globex.example/careers",
        "Careers at Globex",
        "Join our team of 1,700 employees across four plants.",
        at("2026-02-20"),
    )
    doc.fact(FactKind.FIRMOGRAPHIC, "employees", 1700, "Join our team of 1,700 employees across four plants.")
    store_doc(world.svc, doc)
    brief = build_brief(world.svc, "Globex Precision")
    claim = next(c for c in brief.section("firmographics").claims if c.text.startswith("Employees"))
    assert claim.text == "Employees: 1,500 (crm); conflicting values: 1,700"
    assert [brief.citations[n - 1].document_id for n in claim.citations] == ["globex-careers"]
    assert claim.origin == "crm"


def test_relationships_list_crm_deals_and_stated_relationships(world: World) -> None:
    deal = Opportunity(
        outcome=Outcome.WON, account_name="Initech", amount=85_000, product="MES pilot", closed=date(2025, 6, 30)
    )
    with world.svc.db.session() as s:
        upsert_opportunities(s, world.svc.workspace, [deal])
    brief = build_brief(world.svc, "Initech")
    section = brief.section("relationships")
    assert [c.text for c in section.claims] == ["Won opportunity MES pilot, 85,000 (2025-06-30) (CRM)"]
    assert section.freshness == date(2025, 6, 30)
    assert not any("existing relationships on record" in q for q in brief.open_questions)


def test_the_angle_combines_signal_priority_and_strongest_fit(world: World) -> None:
    brief = build_brief(world.svc, "Globex Precision")
    assert brief.angle == (
        "Open with their expansion (2026-03-16): Globex Precision builds a plant in Monterrey; "
        'tie it to their stated priority "automation"; back it with the fit: Manufacturing, Runs SAP.'
    )
    cited = {brief.citations[n - 1].document_id for n in brief.angle_citations}
    assert cited == {"globex-wire", "globex-about"}


def test_open_questions_come_from_unknown_criteria_and_empty_sections(world: World) -> None:
    brief = build_brief(world.svc, "Initech")
    assert brief.open_questions[:3] == [
        "Which ERP and core systems do they run? (decides “Runs SAP”, 20 pts)",
        "Do they run several sites or subsidiaries? (decides “Multi-site operations”, 10 pts)",
        "What are their stated priorities? (decides “Efficiency is a stated priority”, 10 pts)",
    ]
    assert "No technology footprint on record. Which systems do they run?" in brief.open_questions
    assert not any("Stakeholders" in q or "stakeholders on record" in q for q in brief.open_questions)


def test_an_unscored_account_gets_a_brief_that_says_so(world: World) -> None:
    brief = build_brief(world.svc, "Umbrella Labs")
    assert brief.tier is None and brief.fit is None
    assert brief.open_questions[0] == "Not scored yet: run `icp score` to see its tier and fit."
    assert "not scored yet" in brief.to_markdown().splitlines()[2]


def test_the_brief_round_trips_through_json_and_becomes_an_answer(world: World) -> None:
    brief = build_brief(world.svc, "Acme Robotics")
    assert Brief.model_validate_json(brief.model_dump_json()) == brief
    answer = brief.to_answer()
    assert answer.intent == "brief" and answer.produced_by == "offline"
    assert "## Sources" not in answer.text
    assert answer.citations == brief.citations
    assert answer.data["sections"][0]["key"] == "firmographics"


def test_unknown_and_ambiguous_accounts_raise_or_answer_i_dont_know(world: World) -> None:
    with pytest.raises(AccountNotResolved):
        build_brief(world.svc, "Nakatomi")
    with pytest.raises(AccountNotResolved) as info:
        build_brief(world.svc, "Stark")
    assert len(info.value.lookup.candidates) == 2
    answer = brief_answer(world.svc, "Nakatomi")
    assert answer.unknown is True and answer.text.startswith("I don't know")
