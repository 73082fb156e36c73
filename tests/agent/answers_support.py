"""A small fixture world for the answer tests: accounts, documents, facts with quotes, contacts, scores.

Everything is stored through the store functions into a real database (SQLite always; PostgreSQL on
127.0.0.1:5432 when reachable, for the digest races), then scored with `api.ops.scoring.rescore`.

| account          | tier         | what it is for                                                    |
|------------------|--------------|-------------------------------------------------------------------|
| Acme Robotics    | Tier 2       | why-tier: SAP quote, efficiency quote, expansion; potential blocks |
| Globex Precision | Tier 1       | digest: one expansion told by three outlets; old funding; partner |
| Initech          | Tier 3       | stakeholders: three CRM contacts and two people from a page        |
| Stark Chemicals  | Not a target | ambiguity with Stark Logistics                                     |
| Stark Logistics  | Not a target | "why is X not a target"                                            |
| Umbrella Labs    | never scored | "I don't know", run `icp score`                                    |
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.facts import fact_id
from api.ops.scoring import rescore
from api.services import Services
from api.settings import Settings
from scoring.crm import parse_contacts_csv
from scoring.domain import Account, Evidence, Fact, FactKind, JsonValue, Origin
from store.accounts import upsert_accounts
from store.contacts import import_contacts
from store.db import Database
from store.facts import replace_document_facts
from store.icps import apply_icp, register_icp
from store.models import DocumentRow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "answers"
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Clock:
    """A settable clock for Services."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Moves the clock forward."""
        self.now += delta


def make_services(home: Path, *, db: Database | None = None, clock: Clock | None = None) -> Services:
    """Returns services on a fresh SQLite file (or the database given), with a fixed clock."""
    svc = Services.create(Settings(icp_home=home), db=db)
    svc.clock = clock or Clock()
    return svc


def with_clock(svc: Services, clock: Clock) -> Services:
    """Returns services sharing the database but with their own clock (one per simulated scheduler)."""
    return Services(settings=svc.settings, db=svc.db, workspace=svc.workspace, clock=clock, _cache=svc._cache)


def use_icp(svc: Services, path: Path = FIXTURES / "icp.yaml") -> str:
    """Registers and applies an ICP file; returns its version."""
    with svc.db.session() as s:
        row = register_icp(s, svc.workspace, path.read_text(encoding="utf-8"), source=str(path))
        apply_icp(s, svc.workspace, row.version)
        return row.version


def add_accounts(svc: Services, *accounts: Account) -> dict[str, int]:
    """Stores accounts; returns their ids by name."""
    with svc.db.session() as s:
        counts = upsert_accounts(s, svc.workspace, [(a, frozenset()) for a in accounts])
    return {a.name: i for a, i in zip(accounts, counts.ids, strict=True)}


@dataclass
class Doc:
    """A stored document and the facts extracted from it."""

    id: str
    account_id: int
    url: str
    title: str
    text: str
    published_at: datetime
    cluster_id: str | None = None
    facts: list[Fact] = field(default_factory=list)

    def fact(
        self,
        kind: FactKind,
        field_name: str,
        value: JsonValue,
        quote: str,
        *,
        workspace: str = "default",
        observed_at: datetime | None = None,
        event_date: date | None = None,
        origin: Origin = Origin.OFFLINE,
    ) -> Fact:
        """Adds a fact quoting this document (the quote must occur in its text) and returns it."""
        assert quote in self.text, f"quote not in document {self.id}: {quote!r}"
        made = Fact(
            id=fact_id(workspace, self.account_id, self.id, field_name, value, quote),
            account_id=self.account_id,
            kind=kind,
            field=field_name,
            value=value,
            origin=origin,
            evidence=Evidence(
                document_id=self.id, quote=quote, url=self.url, title=self.title, published_at=self.published_at
            ),
            observed_at=observed_at or self.published_at,
            event_date=event_date,
            extractor="test",
        )
        self.facts.append(made)
        return made


def store_doc(svc: Services, doc: Doc) -> Doc:
    """Stores a document row and its facts."""
    with svc.db.session() as s:
        s.add(
            DocumentRow(
                id=doc.id,
                workspace_id=svc.workspace,
                account_id=doc.account_id,
                url=doc.url,
                canonical_url=doc.url,
                title=doc.title,
                doc_type="news",
                published_at=doc.published_at,
                fetched_at=doc.published_at,
                updated_at=doc.published_at,
                content_hash=hashlib.sha256(doc.text.encode()).hexdigest(),
                cluster_id=doc.cluster_id,
                text=doc.text,
                status="done",
            )
        )
        s.flush()
        replace_document_facts(s, svc.workspace, doc.id, doc.account_id, doc.facts, extractor="test")
    return doc


def event_value(kind: str, summary: str, **extra: Any) -> dict[str, Any]:
    """Returns the value of a trigger-event fact as the extractors store it."""
    return {"type": kind, "summary": summary, **extra}


def at(day: str, hour: int = 9) -> datetime:
    """Returns a UTC time on an ISO day."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass
class World:
    """The fixture world: services, account ids by name and documents by id."""

    svc: Services
    ids: dict[str, int]
    docs: dict[str, Doc]

    def doc_text(self, document_id: str) -> str:
        """Returns a stored document's text."""
        return self.docs[document_id].text


def _acme_docs(ids: dict[str, int]) -> list[Doc]:
    a = ids["Acme Robotics"]
    page = Doc(
        "acme-about",
        a,
        "https://acme-robotics.example/about",
        "About Acme Robotics",
        "Acme Robotics runs SAP S/4HANA across its plants in the Netherlands and Poland. "
        "Jane Doe, Chief Executive Officer of Acme Robotics, said efficiency is the top priority for 2026. "
        "Tom Baker, CEO of Partner Corp, praised the collaboration.",
        at("2026-02-10"),
    )
    sap = "Acme Robotics runs SAP S/4HANA across its plants in the Netherlands and Poland."
    ceo = "Jane Doe, Chief Executive Officer of Acme Robotics, said efficiency is the top priority for 2026."
    page.fact(FactKind.TECHNOGRAPHIC, "technologies", {"name": "SAP S/4HANA", "category": "erp"}, sap)
    page.fact(FactKind.STRATEGIC, "priorities", "efficiency", ceo)
    page.fact(
        FactKind.PERSON,
        "people",
        {"name": "Jane Doe", "title": "Chief Executive Officer", "organisation": "Acme Robotics"},
        ceo,
    )
    page.fact(
        FactKind.PERSON,
        "people",
        {"name": "Tom Baker", "title": "CEO", "organisation": "Partner Corp"},
        "Tom Baker, CEO of Partner Corp, praised the collaboration.",
    )
    news = Doc(
        "acme-gdansk",
        a,
        "https://news.example/acme-gdansk",
        "Acme Robotics to open Gdansk plant",
        "Acme Robotics will open a new assembly plant in Gdansk, Poland, the company said on Monday.",
        at("2026-03-02"),
    )
    news.fact(
        FactKind.TRIGGER,
        "events",
        event_value("expansion", "Acme Robotics opens an assembly plant in Gdansk", location="Gdansk, Poland"),
        "Acme Robotics will open a new assembly plant in Gdansk, Poland",
        event_date=date(2026, 3, 2),
    )
    return [page, news]


GLOBEX_OUTLETS = (
    ("globex-wire", "https://wire.example/globex", "Globex Precision is building a new plant in Monterrey, Mexico.",
     "2026-03-17", 9, "Monterrey, Mexico"),
    ("globex-daily", "https://daily.example/globex-monterrey",
     "Globex Precision announced a Monterrey expansion with a new precision-machining plant.", "2026-03-17", 15,
     "Monterrey"),
    ("globex-trade", "https://trade.example/globex",
     "Globex Precision will expand in Monterrey with its biggest plant yet, the company confirmed.", "2026-03-18", 8,
     "Monterrey"),
)  # fmt: skip


def _globex_docs(ids: dict[str, int]) -> list[Doc]:
    g = ids["Globex Precision"]
    page = Doc(
        "globex-about",
        g,
        "https://globex.example/about",
        "Globex Precision",
        "Globex Precision operates SAP ERP at its multi-site network of plants. "
        "Automation is the main priority for the board.",
        at("2026-01-15"),
    )
    erp = "Globex Precision operates SAP ERP at its multi-site network of plants."
    page.fact(FactKind.TECHNOGRAPHIC, "technologies", {"name": "SAP ERP", "category": "erp"}, erp)
    page.fact(FactKind.FIRMOGRAPHIC, "structure", "multi-site", erp)
    page.fact(FactKind.STRATEGIC, "priorities", "automation", "Automation is the main priority for the board.")
    docs = [page]
    for doc_id, url, sentence, day, hour, location in GLOBEX_OUTLETS:
        d = Doc(doc_id, g, url, f"Globex expands ({doc_id})", sentence + " More details follow.", at(day, hour))
        d.fact(
            FactKind.TRIGGER,
            "events",
            event_value("expansion", "Globex Precision builds a plant in Monterrey", location=location),
            sentence,
            event_date=date(2026, 3, 16),
        )
        docs.append(d)
    partner = Doc(
        "globex-hooli",
        g,
        "https://news.example/globex-hooli",
        "Globex partners with Hooli",
        "Globex Precision signed a partnership with Hooli Robotics for vision systems.",
        at("2026-03-17", 11),
    )
    partner.fact(
        FactKind.TRIGGER,
        "events",
        event_value("partnership", "Globex Precision partners with Hooli Robotics"),
        "Globex Precision signed a partnership with Hooli Robotics for vision systems.",
        event_date=date(2026, 3, 17),
    )
    funding = Doc(
        "globex-funding",
        g,
        "https://news.example/globex-funding",
        "Globex raises growth financing",
        "Globex Precision raised EUR 20 million in growth financing from Initrode Capital.",
        at("2025-12-01"),
    )
    funding.fact(
        FactKind.TRIGGER,
        "events",
        event_value("funding", "Globex Precision raises EUR 20 million", amount=20_000_000, currency="EUR"),
        "Globex Precision raised EUR 20 million in growth financing from Initrode Capital.",
        event_date=date(2025, 12, 1),
    )
    return [*docs, partner, funding]


def _initech_docs(ids: dict[str, int]) -> list[Doc]:
    page = Doc(
        "initech-leadership",
        ids["Initech"],
        "https://initech.example/leadership",
        "Initech leadership",
        "Bill Lumbergh, Vice President Operations, leads the plant network. "
        "Samir Nagheenanajar, Chief Information Officer, said the company is evaluating new MES software.",
        at("2026-02-01"),
    )
    page.fact(
        FactKind.PERSON,
        "people",
        {"name": "Bill Lumbergh", "title": "Vice President Operations"},
        "Bill Lumbergh, Vice President Operations, leads the plant network.",
    )
    page.fact(
        FactKind.PERSON,
        "people",
        {"name": "Samir Nagheenanajar", "title": "Chief Information Officer", "organisation": "Initech"},
        "Samir Nagheenanajar, Chief Information Officer, said the company is evaluating new MES software.",
    )
    return [page]


def build_world(svc: Services) -> World:
    """Stores the fixture world in the services' workspace and scores it (Umbrella Labs stays unscored)."""
    use_icp(svc)
    ids = add_accounts(
        svc,
        Account(name="Acme Robotics", domain="acme-robotics.example", industry="manufacturing", employees=800),
        Account(
            name="Globex Precision",
            domain="globex.example",
            industry="manufacturing",
            employees=1500,
            country="MX",
            revenue_potential=1_500_000,
        ),
        Account(name="Initech", domain="initech.example", industry="manufacturing", employees=600),
        Account(name="Stark Chemicals", domain="stark-chem.example", industry="chemicals", employees=900),
        Account(name="Stark Logistics", domain="stark-logistics.example", industry="logistics", employees=300),
    )
    docs = [*_acme_docs(ids), *_globex_docs(ids), *_initech_docs(ids)]
    for d in docs:
        store_doc(svc, d)
    parsed = parse_contacts_csv((FIXTURES / "contacts.csv").read_bytes())
    with svc.db.session() as s:
        import_contacts(s, svc.workspace, parsed.contacts)
    rescore(svc)
    ids.update(add_accounts(svc, Account(name="Umbrella Labs", domain="umbrella.example", industry="manufacturing")))
    return World(svc=svc, ids=ids, docs={d.id: d for d in docs})


# --- databases ---------------------------------------------------------------------------------


def _pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(name="svc")
def svc_fixture(tmp_path: Path) -> Iterator[Services]:
    """Yields services on a fresh SQLite database with the fixed clock."""
    services = make_services(tmp_path)
    yield services
    services.db.dispose()


@pytest.fixture(name="world")
def world_fixture(svc: Services) -> World:
    """Returns the fixture world, stored and scored."""
    return build_world(svc)


@pytest.fixture(name="any_db")
def any_db_fixture(db: Database) -> Database:
    """Returns the shared `db` fixture (a SQLite file, or PostgreSQL when reachable) under this module's name."""
    return db
