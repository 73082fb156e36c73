"""Stakeholder maps: persona classification, CRM and extracted people merged by name, gaps, contacts import."""

from __future__ import annotations

import pytest
from answers_support import FIXTURES, World, add_accounts, svc_fixture, world_fixture  # noqa: F401 - fixtures

from agent.citations import unresolved_markers
from agent.stakeholders import classify_stakeholder, merge_people, stakeholder_map, title_tokens
from api.services import Services
from scoring.config import load_icp
from scoring.crm import parse_contacts_csv
from scoring.domain import Account, Evidence, Origin, Stakeholder, StakeholderRole
from store.contacts import import_contacts, list_contacts

DM, INF, CH, GK, UNK = (
    StakeholderRole.DECISION_MAKER,
    StakeholderRole.INFLUENCER,
    StakeholderRole.CHAMPION,
    StakeholderRole.GATEKEEPER,
    StakeholderRole.UNKNOWN,
)
PERSONAS = load_icp("default").personas


@pytest.mark.parametrize(
    ("title", "department", "role"),
    [
        ("Chief Operating Officer", None, DM),
        ("COO", None, DM),
        ("VP of Operations", None, DM),
        ("Vice President, Global Operations", None, DM),
        ("SVP Operations & Supply Chain", None, DM),
        ("Managing Director", None, DM),
        ("CFO", None, DM),
        ("Chief Executive Officer & Co-Founder", None, DM),
        ("Finance Director", None, DM),  # finance department at director level
        ("Senior Vice President", None, DM),  # VP seniority fits only the decision maker
        ("CIO", None, INF),
        ("Chief Information Officer", None, INF),
        ("Director of IT", None, INF),
        ("Head of IT", None, INF),
        ("Plant Manager", None, INF),
        ("Director, Manufacturing", None, INF),
        ("Head of Procurement", None, INF),  # procurement department at head level
        ("Operations Manager", None, CH),
        ("Continuous Improvement Manager", None, CH),
        ("Sr. Supply Chain Manager", None, CH),
        ("Lean Manager", None, CH),
        ("Team Lead", "Operations", CH),
        ("Executive Assistant to the CEO", None, GK),
        ("Purchasing Manager", None, GK),
        ("Legal Counsel", None, GK),
        ("IT Security Officer", None, GK),
        ("Procurement Officer", None, GK),
        ("Software Engineer", None, UNK),
        ("Sales Director", None, UNK),  # director fits two personas: no guess
        (None, None, UNK),
    ],
)
def test_titles_are_classified_by_the_personas(
    title: str | None, department: str | None, role: StakeholderRole
) -> None:
    result = classify_stakeholder(Stakeholder(name="X Y", title=title, department=department), PERSONAS)
    assert result.role is role, result.why
    assert result.why  # every role comes with its reason


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("COO", "Chief Operating Officer"),
        ("VP Operations", "Vice President of Operations"),
        ("Sr. Mgr", "senior manager"),
    ],
)
def test_abbreviations_match_their_long_forms(a: str, b: str) -> None:
    assert title_tokens(a) == title_tokens(b)


def test_titles_match_on_word_boundaries_only() -> None:
    # "Coordinator" contains "coo" and "Directory" contains "director": neither is a title word
    for title in ("Logistics Coordinator", "Directory Services Engineer"):
        assert classify_stakeholder(Stakeholder(name="A B", title=title), PERSONAS).role is UNK


def test_the_reason_names_the_matching_persona_title() -> None:
    result = classify_stakeholder(Stakeholder(name="A B", title="coo"), PERSONAS)
    assert result.why == 'title matches the decision maker persona title "COO"'


def test_a_role_set_in_the_crm_wins_over_the_title() -> None:
    person = Stakeholder(name="A B", title="Operations Manager", role=DM, origin=Origin.CRM)
    assert classify_stakeholder(person, PERSONAS).role is DM
    extracted = person.model_copy(update={"origin": Origin.LLM})
    assert classify_stakeholder(extracted, PERSONAS).role is CH


def test_people_merge_by_name_and_the_crm_verifies() -> None:
    ev = Evidence(document_id="d1", quote="Dr. Bill Lumbergh, VP Operations, said")
    crm = [Stakeholder(name="Bill Lumbergh", title="Vice President Operations", email="bill@initech.example")]
    found = [
        Stakeholder(
            name="dr. bill  lumbergh", title="VP Operations", origin=Origin.LLM, unverified=True, evidence=[ev]
        ),
        Stakeholder(name="Samir N", title="CIO", origin=Origin.OFFLINE, unverified=True),
    ]
    merged = {p.name: p for p in merge_people(crm, found)}
    assert set(merged) == {"Bill Lumbergh", "Samir N"}
    assert merged["Bill Lumbergh"].unverified is False
    assert merged["Bill Lumbergh"].origin is Origin.CRM
    assert merged["Bill Lumbergh"].evidence == [ev]
    assert merged["Samir N"].unverified is True


def test_the_map_merges_crm_contacts_with_people_from_pages(world: World) -> None:
    answer = stakeholder_map(world.svc, "Initech")
    people = {p["name"]: p for p in answer.data["stakeholders"]}
    assert set(people) == {"Bill Lumbergh", "Samir Nagheenanajar", "Peter Gibbons", "Milton Waddams"}
    assert [people[n]["role"] for n in ("Bill Lumbergh", "Samir Nagheenanajar", "Peter Gibbons", "Milton Waddams")] == [
        "decision_maker",
        "influencer",
        "champion",
        "gatekeeper",
    ]
    assert people["Bill Lumbergh"]["unverified"] is False and people["Bill Lumbergh"]["origin"] == "crm"
    assert people["Bill Lumbergh"]["evidence"][0]["document_id"] == "initech-leadership"
    assert people["Samir Nagheenanajar"]["unverified"] is True and people["Samir Nagheenanajar"]["origin"] == "offline"
    assert "Samir Nagheenanajar, Chief Information Officer (unverified: found in documents only)" in answer.text
    assert answer.missing == [] and answer.unknown is False
    assert unresolved_markers(answer) == []
    for c in answer.citations:
        assert c.document_id is not None and c.quote in world.doc_text(c.document_id)


def test_gaps_are_listed_and_people_of_other_companies_left_out(world: World) -> None:
    answer = stakeholder_map(world.svc, "Acme Robotics")
    names = [p["name"] for p in answer.data["stakeholders"]]
    assert names == ["Jane Doe"]  # Tom Baker, CEO of Partner Corp, is quoted on Acme's page but works elsewhere
    assert answer.missing == ["no influencer known", "no potential champion known", "no gatekeeper known"]
    assert "Potential champions: none known." in answer.text


def test_an_account_without_people_is_unknown_with_what_to_add(world: World) -> None:
    answer = stakeholder_map(world.svc, "Globex Precision")
    assert answer.unknown is True
    assert answer.data["stakeholders"] == []
    assert any("contacts CSV" in m for m in answer.missing)


def test_the_focus_role_comes_first(world: World) -> None:
    answer = stakeholder_map(world.svc, "Initech", focus=GK)
    assert answer.text.splitlines()[1] == "Gatekeepers:"


def test_notes_stay_empty_offline_and_a_drafter_fills_them(world: World) -> None:
    offline = stakeholder_map(world.svc, "Initech")
    assert all(p["notes"] is None for p in offline.data["stakeholders"])
    calls: list[tuple[str, str]] = []

    def drafter(person: Stakeholder, account: Account) -> str:
        calls.append((person.name, account.name))
        return f"Ask {person.name.split()[0]} about MES."

    drafted = stakeholder_map(world.svc, "Initech", notes_drafter=drafter)
    assert sorted(calls) == sorted((p["name"], "Initech") for p in offline.data["stakeholders"])
    assert {p["name"]: p["notes"] for p in drafted.data["stakeholders"]}["Peter Gibbons"] == "Ask Peter about MES."


def test_contacts_upsert_by_email_then_by_name_and_report_unknown_accounts(svc: Services) -> None:
    ids = add_accounts(svc, Account(name="Initech", domain="initech.example"))
    first = parse_contacts_csv((FIXTURES / "contacts.csv").read_bytes())
    with svc.db.session() as s:
        counts = import_contacts(s, svc.workspace, first.contacts)
    assert (counts.created, counts.updated) == (3, 0)
    assert counts.unmatched == [(5, "no account 'Chotchkies' in this workspace; import the accounts first")]
    again = parse_contacts_csv(
        b"Name,Title,Email,Company,Company Domain Name\n"
        b"Peter Gibbons,Senior Operations Manager,peter.gibbons@initech.example,Initech,\n"  # same e-mail
        b"MILTON WADDAMS,Executive Assistant,,,initech.example\n"  # same name, no e-mail, account by domain
        b"Nina Park,Plant Manager,,Initech,\n"
    )
    with svc.db.session() as s:
        counts = import_contacts(s, svc.workspace, again.contacts)
        stored = {p.name.casefold(): p for p in list_contacts(s, svc.workspace, ids["Initech"])}
    assert (counts.created, counts.updated, counts.unmatched) == (1, 2, [])
    assert len(stored) == 4
    assert stored["peter gibbons"].title == "Senior Operations Manager"
    assert stored["milton waddams"].email == "milton.waddams@initech.example"  # kept: the new row had none
    assert all(p.origin is Origin.CRM and not p.unverified for p in stored.values())
