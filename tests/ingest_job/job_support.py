"""An ingest world for tests: SQLite + real chromadb + the hashing embedder, demo accounts and sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.ops.accounts import import_accounts
from api.services import Services
from api.settings import Settings
from store.documents import add_source
from store.models import ChunkRow, DocumentLinkRow, DocumentRow, SourceRow

DEMO = Path(str(resources.files("api") / "demo_data"))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Services in a temporary data directory with the demo accounts imported."""

    svc: Services
    home: Path


def make_services(home: Path, **settings: Any) -> Services:
    """Returns services on a data directory, with the hashing embedder and local chromadb."""
    s = Settings(icp_home=home, embeddings="hash", allow_loopback=True, **settings)
    svc = Services.create(s, workspace="w")
    svc.clock = lambda: NOW
    return svc


def make_world(home: Path, **settings: Any) -> World:
    """Returns services with demo accounts, the hashing embedder and local chromadb."""
    svc = make_services(home, **settings)
    import_accounts(svc, (DEMO / "accounts.csv").read_bytes(), source="accounts.csv")
    return World(svc, home)


def write_corpus(folder: Path, *, pages: int = 40, feeds: int = 8, items: int = 25) -> None:
    """Writes a local corpus of distinct pages and feeds (enough work for a kill to land mid-run)."""
    topics = ["plant", "office", "funding", "hire", "partner", "launch", "merger", "warehouse"]
    (folder / "site").mkdir(parents=True, exist_ok=True)
    (folder / "news").mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        t = topics[i % len(topics)]
        body = " ".join(
            f"Paragraph {j} of page {i}: Stark Chemicals reports progress on its {t} programme number {i * 31 + j}."
            for j in range(12)
        )
        (folder / "site" / f"page{i:03d}.html").write_text(
            f"<html><head><title>Page {i} about {t}</title></head><body><main><h1>Page {i}</h1><p>{body}</p></main></body></html>",
            encoding="utf-8",
        )
    for f in range(feeds):
        entries = "".join(
            f"<item><title>Story {f}-{k}: Northwind {topics[k % len(topics)]} {f * 100 + k}</title>"
            f"<link>https://news.example/{f}/{k}</link><guid>g{f}-{k}</guid>"
            f"<pubDate>Tue, 10 Nov 2026 08:{k % 60:02d}:00 +0000</pubDate>"
            f"<description>Northwind Fabrication item {f}-{k}: details number {f * 997 + k * 13} about the {topics[(f + k) % len(topics)]}.</description></item>"
            for k in range(items)
        )
        (folder / "news" / f"feed{f}.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {f}</title><link>https://news.example/</link>{entries}</channel></rss>',
            encoding="utf-8",
        )


def add_corpus_sources(svc: Services, folder: Path) -> None:
    """Adds the corpus folders as two shared local sources."""
    with svc.db.session() as s:
        add_source(s, "w", url=str(folder / "site"), kind="file", options={"base_url": "https://stark-chem.example/"})
        add_source(s, "w", url=str(folder / "news"), kind="file")


def add_demo_sources(world: World) -> None:
    """Adds the demo's local sources: one company site folder, one shared feed, one account feed."""
    from store.accounts import find_account

    with world.svc.db.session() as s:
        stark = find_account(s, "w", "stark-chem.example").id
        northwind = find_account(s, "w", "Northwind").id
        add_source(
            s,
            "w",
            url=str(DEMO / "web" / "stark-chem.example"),
            kind="file",
            account_id=stark,
            options={"base_url": "https://stark-chem.example/"},
        )
        add_source(s, "w", url=str(DEMO / "feeds" / "industry-news.xml"), kind="file")
        add_source(s, "w", url=str(DEMO / "feeds" / "northwind-alerts.atom"), kind="file", account_id=northwind)


def import_accounts_for(svc: Services) -> None:
    """Imports the demo accounts."""
    import_accounts(svc, (DEMO / "accounts.csv").read_bytes(), source="accounts.csv")


def snapshot(world: World) -> dict[str, Any]:
    """Returns the observable ingest state of a world."""
    return snapshot_of(world.svc)


def snapshot_of(svc: Services) -> dict[str, Any]:
    """Returns the observable ingest state: documents, links, chunks, vectors (ids and hashes)."""
    with svc.db.session() as s:
        docs = {
            d.id: (d.content_hash, d.status, d.chunk_count, d.cluster_id, d.account_id)
            for d in s.scalars(select(DocumentRow).where(DocumentRow.workspace_id == "w"))
        }
        links = sorted(
            (r.document_id, r.account_id, r.how)
            for r in s.scalars(select(DocumentLinkRow).where(DocumentLinkRow.workspace_id == "w"))
        )
        chunks = sorted(c.id for c in s.scalars(select(ChunkRow).where(ChunkRow.workspace_id == "w")))
        sources = sorted(
            (r.url, r.items, r.stale) for r in s.scalars(select(SourceRow).where(SourceRow.workspace_id == "w"))
        )
    vector_ids = sorted(svc.vectors.existing_ids(workspace="w", ids=chunks)) if chunks else []
    return {
        "documents": docs,
        "links": links,
        "chunks": chunks,
        "vectors": vector_ids,
        "vector_count": svc.vectors.count(workspace="w"),
        "sources": sources,
    }
