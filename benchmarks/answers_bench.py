"""Offline answer throughput: research briefs for N Tier 1 accounts and one daily digest, on SQLite.

Generates N accounts (default 500) with an about page (ERP, structure, priority, two people), two
news items with trigger events and two CRM contacts each, in a temporary SQLite database; scores
them into Tier 1 with a permissive ICP; then times `build_brief` for every account, `why_tier` for
every account, and one `build_digest` plus one `run_daily_digest` over all of them.

    .venv/bin/python benchmarks/answers_bench.py            # 500 accounts
    .venv/bin/python benchmarks/answers_bench.py --accounts 100
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from agent.digest import Digest, build_digest, run_daily_digest
from agent.facts import fact_id
from agent.tools import build_brief
from agent.whytier import why_tier
from api.ops.scoring import rescore
from api.services import Services
from api.settings import Settings
from scoring.domain import Account, Evidence, Fact, FactKind, JsonValue, Origin, Stakeholder, Tier
from store.accounts import upsert_accounts
from store.contacts import upsert_contacts
from store.facts import replace_document_facts
from store.icps import apply_icp, register_icp
from store.models import DocumentRow

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)

PERMISSIVE_ICP = """
name: Benchmark (everything manufacturing is Tier 1)
criteria:
  - {id: industry_fit, dimension: firmographic, kind: must_have, weight: 60, field: industry,
     match: {one_of: [manufacturing]}}
  - {id: erp, dimension: technographic, kind: strong, weight: 30, field: technologies, match: {contains_any: [SAP]}}
  - {id: expansion_recent, dimension: strategic, kind: nice_to_have, weight: 10, field: events,
     match: {recent: {event: [expansion], within_days: 180}}}
signals: {buying: [expansion_recent]}
tiers:
  - {tier: Tier 1, min_fit: 90}
  - {tier: Tier 2, min_fit: 70}
  - {tier: Tier 3, min_fit: 50}
personas:
  decision_maker: {titles: [CEO, COO, VP Operations], seniority: [c_level, vp]}
  influencer: {titles: [CIO, Head of IT], seniority: [head]}
  champion: {titles: [Operations Manager], seniority: [manager]}
  gatekeeper: {titles: [Executive Assistant], seniority: [staff]}
"""


def _fact(
    workspace: str, account_id: int, doc: DocumentRow, kind: FactKind, field: str, value: JsonValue, quote: str
) -> Fact:
    assert quote in doc.text
    return Fact(
        id=fact_id(workspace, account_id, doc.id, field, value, quote),
        account_id=account_id,
        kind=kind,
        field=field,
        value=value,
        origin=Origin.OFFLINE,
        evidence=Evidence(document_id=doc.id, quote=quote, url=doc.url, title=doc.title, published_at=doc.published_at),
        observed_at=doc.published_at,
        event_date=doc.published_at.date() if kind is FactKind.TRIGGER and doc.published_at else None,
        extractor="bench",
    )


def _doc(workspace: str, account_id: int, key: str, text: str, when: datetime) -> DocumentRow:
    return DocumentRow(
        id=f"{account_id}-{key}",
        workspace_id=workspace,
        account_id=account_id,
        url=f"https://news.example/{account_id}/{key}",
        canonical_url=f"https://news.example/{account_id}/{key}",
        title=f"{key} {account_id}",
        doc_type="news",
        published_at=when,
        fetched_at=when,
        updated_at=when,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
        status="done",
    )


def generate(svc: Services, n: int) -> list[int]:
    """Stores n accounts with documents, facts and contacts; returns their ids."""
    ws = svc.workspace
    with svc.db.session() as s:
        row = register_icp(s, ws, PERMISSIVE_ICP, source="bench")
        apply_icp(s, ws, row.version)
        accounts: list[tuple[Account, frozenset[str]]] = [
            (Account(name=f"Bench Co {i:04d}", domain=f"bench{i:04d}.example", industry="manufacturing"), frozenset())
            for i in range(n)
        ]
        ids = upsert_accounts(s, ws, accounts).ids
    for i, account_id in enumerate(ids):
        name = f"Bench Co {i:04d}"
        about = (
            f"{name} runs SAP S/4HANA at its multi-site network. Efficiency is the priority for 2026. "
            f"Ada Stone, Chief Operating Officer of {name}, leads the programme. "
            f"Raj Patel, Head of IT, said the plants will move to one MES."
        )
        expansion = f"{name} opens a new plant in Town{i:04d}, its fourth site."
        funding = f"{name} raised EUR {10 + i % 40} million from Growth Partners."
        with svc.db.session() as s:
            docs = [
                _doc(ws, account_id, "about", about, NOW - timedelta(days=40)),
                _doc(ws, account_id, "expansion", expansion, NOW - timedelta(hours=20)),
                _doc(ws, account_id, "funding", funding, NOW - timedelta(hours=30)),
            ]
            s.add_all(docs)
            s.flush()
            a, e, f = docs
            sentences = about.split(". ")
            facts = {
                a.id: [
                    _fact(ws, account_id, a, FactKind.TECHNOGRAPHIC, "technologies", {"name": "SAP S/4HANA"}, sentences[0]),
                    _fact(ws, account_id, a, FactKind.FIRMOGRAPHIC, "structure", "multi-site", sentences[0]),
                    _fact(ws, account_id, a, FactKind.STRATEGIC, "priorities", "efficiency", sentences[1]),
                    _fact(ws, account_id, a, FactKind.PERSON, "people", {"name": "Ada Stone", "title": "COO"}, sentences[2]),
                    _fact(ws, account_id, a, FactKind.PERSON, "people", {"name": "Raj Patel", "title": "Head of IT"}, sentences[3]),
                ],
                e.id: [
                    _fact(ws, account_id, e, FactKind.TRIGGER, "events",
                          {"type": "expansion", "summary": expansion, "location": f"Town{i:04d}"}, expansion)
                ],
                f.id: [
                    _fact(ws, account_id, f, FactKind.TRIGGER, "events",
                          {"type": "funding", "summary": funding, "amount": (10 + i % 40) * 1_000_000}, funding)
                ],
            }  # fmt: skip
            for doc_id, fs in facts.items():
                replace_document_facts(s, ws, doc_id, account_id, fs, extractor="bench")
            upsert_contacts(
                s,
                ws,
                [
                    (
                        account_id,
                        Stakeholder(name="Ada Stone", title="Chief Operating Officer", email=f"ada@{i}.example"),
                    ),
                    (account_id, Stakeholder(name="Li Wei", title="Operations Manager", email=f"li@{i}.example")),
                ],
            )
    return ids


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        svc = Services.create(Settings(icp_home=Path(home)))
        svc.clock = lambda: NOW
        t0 = time.perf_counter()
        ids = generate(svc, args.accounts)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = rescore(svc)
        t_score = time.perf_counter() - t0
        assert summary.by_tier[Tier.TIER_1.value] == args.accounts, summary.by_tier

        # baseline in the same run: only reading what a brief rests on (ledger and facts), no composing
        from store.facts import list_facts
        from store.scores import get_ledger

        t0 = time.perf_counter()
        for account_id in ids:
            with svc.db.session() as s:
                get_ledger(s, svc.workspace, account_id)
                list_facts(s, svc.workspace, [account_id])
        t_read = time.perf_counter() - t0

        per_brief = []
        sections_filled = 0
        for account_id in ids:
            t = time.perf_counter()
            brief = build_brief(svc.db, svc.workspace, account_id, now=NOW)
            per_brief.append(time.perf_counter() - t)
            sections_filled += sum(1 for s in brief.sections if s.claims)
        per_why = []
        for account_id in ids:
            t = time.perf_counter()
            why_tier(svc, str(account_id))
            per_why.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        preview = build_digest(svc, day=date(2026, 3, 18), tiers=[Tier.TIER_1])
        t_digest = time.perf_counter() - t0
        sent: list[Digest] = []
        t0 = time.perf_counter()
        outcome = run_daily_digest(svc, day=date(2026, 3, 18), tiers=[Tier.TIER_1], send=sent.append)
        t_run = time.perf_counter() - t0
        md = sent[0].to_markdown() if sent else ""
        svc.db.dispose()

    quantiles = statistics.quantiles(per_brief, n=20)
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    print(f"accounts: {args.accounts} (all Tier 1), generated in {t_gen:.1f} s, scored in {t_score:.1f} s")
    print(
        f"build_brief x{len(ids)}: total {sum(per_brief):.2f} s, mean {_ms(statistics.mean(per_brief))}, "
        f"median {_ms(statistics.median(per_brief))}, p95 {_ms(quantiles[18])}, max {_ms(max(per_brief))} "
        f"({sections_filled / len(ids):.1f} of 7 sections filled per brief)"
    )
    print(
        f"baseline: read ledger + facts x{len(ids)}: total {t_read:.2f} s; briefs take "
        f"{sum(per_brief) / t_read:.1f}x that"
    )
    print(f"why_tier x{len(ids)}: total {sum(per_why):.2f} s, mean {_ms(statistics.mean(per_why))}")
    print(f"build_digest (preview): {_ms(t_digest)}, {len(preview.items)} items")
    print(
        f"run_daily_digest (claim + build + send + mark): {_ms(t_run)}, status {outcome.status.value}, "
        f"{len(sent[0].items) if sent else 0} items, {len(md):,} chars of markdown"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
