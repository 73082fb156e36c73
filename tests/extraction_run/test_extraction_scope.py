"""An extraction run stays within its workspace and account: cache keys, attribution, unlinked accounts, first seen."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from scope_support import T0, ScriptedExtractor, Seed
from sqlalchemy import func, select

from agent.extract_llm import LlmExtractor
from agent.fakes import FakeCall, FakeLLM
from agent.offline import OfflineExtractor
from agent.pipeline import run_extraction
from agent.schemas import Event, Extraction
from store.db import Database
from store.facts import list_facts
from store.models import FactRow

FUNDING = "Acme raised $40 million in Series B funding led by Northwind Ventures."
FUNDING_EVENT = {
    "type": "funding",
    "summary": "Acme raised $40 million in a Series B round",
    "quote": FUNDING,
    "amount": 40_000_000,
    "currency": "USD",
    "company": "Acme",
}


def _stored_events(db: Database, workspace: str) -> dict[int, list[dict[str, Any]]]:
    with db.session() as s:
        facts = list_facts(s, workspace)
    found: dict[int, list[dict[str, Any]]] = {}
    for fact in facts:
        if fact.field == "events":
            assert isinstance(fact.value, dict)
            found.setdefault(fact.account_id, []).append(fact.value)
    return found


def _faithful(call: FakeCall) -> dict[str, Any]:
    """Answers like a careful model: the funding belongs to Acme, so only a request about Acme gets it."""
    account = re.search(r"^Account: (.+)$", call.user, re.MULTILINE)
    if account is not None and account.group(1) == "Acme":
        return {"about": "Acme", "events": [FUNDING_EVENT]}
    return {"about": "Acme"}


# --- finding 1: the cache key covers the workspace and everything the request carries ---------------------------------


@pytest.mark.parametrize(
    ("second", "calls"),
    [
        ({"workspace": "b", "account": "Globex"}, 2),  # the reported case: another workspace, another account
        ({"workspace": "b", "account": "Acme"}, 2),  # another workspace, same account name
        ({"workspace": "a", "account": "Globex"}, 2),  # same workspace, another account
        ({"workspace": "a", "account": "Acme", "aliases": ("Acme Robotics",)}, 2),
        ({"workspace": "a", "account": "Acme", "published_at": datetime(2026, 1, 2, tzinfo=UTC)}, 2),
        ({"workspace": "a", "account": "Acme"}, 1),  # the same document extracted again: the cache answers
    ],
)
def test_the_llm_cache_answers_only_the_same_request_in_the_same_workspace(
    seed: Seed, second: dict[str, Any], calls: int
) -> None:
    first_ws = seed.workspace("a")
    second_ws = first_ws if second["workspace"] == "a" else seed.workspace(second["workspace"])
    first_account = seed.account(first_ws, "Acme")
    seed.document(first_ws, "doc-1", account_id=first_account, text=FUNDING, published_at=T0)
    same_request = second_ws == first_ws and second["account"] == "Acme" and len(second) == 2
    other = first_account
    if not same_request:  # the same text stored again, for another account or in another workspace
        other = seed.account(second_ws, second["account"], aliases=second.get("aliases", ()))
        published = second.get("published_at", T0)
        seed.document(second_ws, "doc-2", account_id=other, text=FUNDING, published_at=published)
    llm = FakeLLM()
    llm.responder(_faithful)

    run_extraction(seed.db, first_ws, extractor=LlmExtractor(llm), account_ids=[first_account])
    run_extraction(seed.db, second_ws, extractor=LlmExtractor(llm), account_ids=[other], force=True)

    assert len(llm.history) == calls
    assert first_account in _stored_events(seed.db, first_ws)
    if second["account"] == "Globex":
        assert other not in _stored_events(seed.db, second_ws)  # Globex never gets Acme's funding


# --- finding 2: an event is stored only for the accounts it is about -------------------------------------------------

AccountSpec = tuple[str, tuple[str, ...], str | None]


def _event(quote: str, **fields: Any) -> Event:
    return Event(type=fields.pop("type", "funding"), summary=fields.pop("summary", "An event"), quote=quote, **fields)


ATTRIBUTION: list[tuple[str, list[AccountSpec], str, Event, set[str]]] = [
    (
        "another company's funding on the account's page",
        [("Acme Corp", (), None)],
        "Globex raised $40 million in Series B funding. Separately, Acme Corp said it was pleased.",
        _event("Globex raised $40 million in Series B funding.", company="Globex", amount=40e6),
        set(),
    ),
    (
        "an investor is not the company that raised",
        [("Acme Corp", (), None), ("Sequoia Capital", (), None)],
        "Acme Corp raised $40 million in Series B funding led by Sequoia Capital.",
        _event(
            "Acme Corp raised $40 million in Series B funding led by Sequoia Capital.",
            company="Acme Corp",
            investors=["Sequoia Capital"],
        ),
        {"Acme Corp"},
    ),
    (
        "a lower-case phrase in the quote is not a named party",
        [("Acme Corp", (), None), ("Open Systems AG", (), None)],
        "Acme Corp raised $40 million from open systems integrators.",
        _event("Acme Corp raised $40 million from open systems integrators.", company="Acme Corp"),
        {"Acme Corp"},
    ),
    (
        "a shared first word is not the name",
        [("Acme Corp", (), None), ("Northwind Traders", (), None)],
        "Acme Corp said Northwind Fabrication acquired Beta Tooling.",
        _event(
            "Northwind Fabrication acquired Beta Tooling.",
            type="acquisition",
            acquirer="Northwind Fabrication",
            target="Beta Tooling",
        ),
        set(),
    ),
    (
        "an acquisition names its acquirer and its target",
        [("Stark Chemicals SA", (), None), ("Northwind Fabrication B.V.", (), None), ("Beta Tooling GmbH", (), None)],
        "Stark Chemicals SA makes coatings. In 2024 Northwind Fabrication acquired Beta Tooling.",
        _event(
            "In 2024 Northwind Fabrication acquired Beta Tooling.",
            type="acquisition",
            acquirer="Northwind Fabrication",
            target="Beta Tooling",
        ),
        {"Northwind Fabrication B.V.", "Beta Tooling GmbH"},
    ),
    (
        "no party given: the quote names the account",
        [("Acme Corp", (), None)],
        "Acme's new plant in Ohio opens in March.",
        _event("Acme's new plant in Ohio opens in March.", type="expansion", location="Ohio"),
        {"Acme Corp"},
    ),
    (
        "no party given and the quote names no account",
        [("Acme Corp", (), None)],
        "Acme Corp is growing. The new plant will employ 60 people.",
        _event("The new plant will employ 60 people.", type="hiring_surge"),
        set(),
    ),
    (
        "a party named by an alias",
        [("International Business Machines", ("IBM",), None)],
        "IBM raised $40 million.",
        _event("IBM raised $40 million.", company="IBM"),
        {"International Business Machines"},
    ),
    (
        "a party named by the domain stem",
        [("Hooli Cloud", (), "hooli.example")],
        "Hooli raised $40 million.",
        _event("Hooli raised $40 million.", company="Hooli"),
        {"Hooli Cloud"},
    ),
    (
        "a name inside a longer word is not the name",
        [("Acme Corp", (), None)],
        "Acmeco raised $40 million.",
        _event("Acmeco raised $40 million.", company="Acmeco"),
        set(),
    ),
]


@pytest.mark.parametrize(
    ("case", "accounts", "text", "event", "expected"), ATTRIBUTION, ids=[row[0] for row in ATTRIBUTION]
)
def test_events_are_stored_only_for_the_accounts_they_name(
    seed: Seed, case: str, accounts: list[AccountSpec], text: str, event: Event, expected: set[str]
) -> None:
    ws = seed.workspace("w")
    ids = {name: seed.account(ws, name, aliases=aliases, domain=domain) for name, aliases, domain in accounts}
    primary, *linked = ids.values()
    seed.document(ws, "doc", account_id=primary, text=text, linked=tuple(linked))

    summary = run_extraction(seed.db, ws, extractor=ScriptedExtractor(Extraction(events=[event])))

    assert summary.dropped == {}, case  # the event itself is grounded: only attribution decides
    stored = _stored_events(seed.db, ws)
    assert {name for name, acc in ids.items() if stored.get(acc)} == expected, case


@pytest.mark.parametrize(
    ("account", "text"),
    [
        ("Acme Corp", "Globex raised $40 million in Series B funding. Separately, Acme Corp said it was pleased."),
        (
            "Stark Chemicals SA",
            "Stark Chemicals SA makes coatings in Lyon. In 2024 Northwind Fabrication acquired Beta Tooling.",
        ),
    ],
)
def test_the_offline_extractor_stores_no_event_of_another_company_under_the_account(
    seed: Seed, account: str, text: str
) -> None:
    ws = seed.workspace("w")
    seed.document(ws, "doc", account_id=seed.account(ws, account), text=text)

    summary = run_extraction(seed.db, ws, extractor=OfflineExtractor())

    assert summary.extracted == 1 and summary.dropped == {}
    assert _stored_events(seed.db, ws) == {}


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("Stark Chemicals opens new coatings plant in Tarragona", True),  # the headline's company
        ("Globex Precision opens new plant in Tarragona", False),
        ("New coatings plant in Tarragona for Stark Chemicals", False),  # named, but not as the headline's subject
    ],
)
def test_the_offline_extractor_gives_a_party_less_event_the_company_its_headline_leads_with(
    seed: Seed, title: str, stored: bool
) -> None:
    ws = seed.workspace("w")
    stark = seed.account(ws, "Stark Chemicals SA")
    text = "The €45 million facility will employ 120 people and supply customers in Southern Europe."
    seed.document(ws, "doc", account_id=stark, title=title, text=text)

    run_extraction(seed.db, ws, extractor=OfflineExtractor())

    events = _stored_events(seed.db, ws).get(stark, [])
    assert [(e["type"], e.get("company")) for e in events] == (
        [("hiring_surge", "Stark Chemicals SA")] if stored else []
    )


def test_re_extraction_deletes_facts_stored_under_an_account_no_longer_linked(seed: Seed) -> None:
    ws = seed.workspace("w")
    acme, globex = seed.account(ws, "Acme Corp"), seed.account(ws, "Globex")
    text = "Globex raised $40 million in Series B funding, Acme Corp said."
    doc = seed.document(ws, "doc", account_id=acme, text=text, linked=(globex,))
    extractor = ScriptedExtractor(Extraction(events=[_event(text, company="Globex", amount=40e6)]))
    run_extraction(seed.db, ws, extractor=extractor)
    assert globex in _stored_events(seed.db, ws)

    seed.unlink(doc, globex)  # entity matching no longer links the edited page to Globex
    seed.edit(doc, text + " It was a good day.")
    run_extraction(seed.db, ws, extractor=extractor)

    with seed.db.session() as s:
        assert s.scalar(select(func.count()).select_from(FactRow).where(FactRow.account_id == globex)) == 0


# --- finding 5: re-extraction keeps when a fact was first observed ---------------------------------------------------


def test_re_extraction_keeps_the_first_observed_time_of_unchanged_facts(seed: Seed) -> None:
    ws = seed.workspace("w")
    doc = seed.document(ws, "doc", account_id=seed.account(ws, "Acme"), text=FUNDING)
    old = _event(FUNDING, company="Acme", amount=40e6)
    run_extraction(seed.db, ws, extractor=ScriptedExtractor(Extraction(events=[old])), clock=lambda: T0)

    new = _event("Acme opened a plant in Ohio.", type="expansion", company="Acme", location="Ohio")
    seed.edit(doc, FUNDING + " Acme opened a plant in Ohio.")
    later = datetime(2026, 12, 1, tzinfo=UTC)
    run_extraction(seed.db, ws, extractor=ScriptedExtractor(Extraction(events=[old, new])), clock=lambda: later)

    with seed.db.session() as s:
        seen = {f.value["type"]: f.observed_at for f in list_facts(s, ws) if isinstance(f.value, dict)}
    assert seen == {"funding": T0, "expansion": later}
