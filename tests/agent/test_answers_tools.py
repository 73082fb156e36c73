"""The data tools behind every answer: account lookup in text, signals, document search, citations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from answers_support import World, svc_fixture, world_fixture  # noqa: F401 - fixtures

from agent.answers import Answer, Citation
from agent.citations import CitationBuilder, cited_numbers, inline_quote, unresolved_markers
from agent.tools import find_account_in_text, list_signals, search_documents
from ingest.embeddings import HashingEmbedder
from scoring.domain import EventType, Evidence, Tier
from store.contacts import person_key
from store.vectors import InMemoryVectorStore


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("why is Globex Precision tier 1", "Globex Precision"),
        ("what about globex.example?", "Globex Precision"),
        ("news at https://www.acme-robotics.example/", "Acme Robotics"),
        ("Initech's stakeholders", "Initech"),
        ("compare Stark Logistics with Initech", "Stark Logistics"),  # the longest name wins
        ("why is acme tier 2", None),  # a prefix is not an exact name: resolved later by find_account
        ("top accounts this week", None),
    ],
)
def test_account_names_and_domains_are_found_in_text(world: World, text: str, name: str | None) -> None:
    found = find_account_in_text(world.svc.db, world.svc.workspace, text).account
    assert (found.name if found else None) == name


def test_signals_filter_by_tier_type_materiality_and_date(world: World) -> None:
    db, ws = world.svc.db, world.svc.workspace
    everything = list_signals(db, ws)
    assert [(s.account_name, s.event.type.value) for s in everything] == [
        ("Globex Precision", "partnership"),
        ("Globex Precision", "expansion"),
        ("Acme Robotics", "expansion"),
        ("Globex Precision", "funding"),
    ]
    assert [s.account_name for s in list_signals(db, ws, tiers=[Tier.TIER_2])] == ["Acme Robotics"]
    assert [s.event.type for s in list_signals(db, ws, types=[EventType.FUNDING])] == [EventType.FUNDING]
    assert len(list_signals(db, ws, min_materiality=0.5)) == 3
    assert len(list_signals(db, ws, since=date(2026, 3, 10))) == 2
    assert len(list_signals(db, ws, until=date(2026, 3, 10))) == 2


def test_text_search_without_vectors_finds_documents_with_verbatim_snippets(world: World) -> None:
    hits = search_documents(world.svc.db, world.svc.workspace, "Monterrey plant")
    assert {h.document_id for h in hits[:3]} == {"globex-wire", "globex-daily", "globex-trade"}  # both words
    assert {h.document_id for h in hits[3:]} <= {"acme-about", "acme-gdansk", "globex-about"}  # "plant" only
    for h in hits:
        assert h.snippet in world.doc_text(h.document_id)
        assert h.evidence().quote == h.snippet
    only_acme = search_documents(world.svc.db, world.svc.workspace, "plant", account_id=world.ids["Acme Robotics"])
    assert {h.document_id for h in only_acme} == {"acme-about", "acme-gdansk"}
    assert search_documents(world.svc.db, world.svc.workspace, "the and of") == []


def _indexed(world: World, workspace: str = "default") -> tuple[InMemoryVectorStore, HashingEmbedder]:
    embedder = HashingEmbedder(dim=256)
    store = InMemoryVectorStore(embedder=embedder)
    docs = list(world.docs.values())
    store.upsert(
        ids=[f"{d.id}:0" for d in docs],
        embeddings=embedder.embed([d.text for d in docs]),
        texts=[d.text for d in docs],
        metadatas=[{"workspace": workspace, "document_id": d.id, "account_id": d.account_id} for d in docs],
    )
    return store, embedder


def test_vector_search_maps_chunks_to_documents_of_the_workspace(world: World) -> None:
    store, embedder = _indexed(world)
    hits = search_documents(
        world.svc.db, "default", "new assembly plant in Gdansk Poland", k=2, vectors=store, embedder=embedder
    )
    assert hits[0].document_id == "acme-gdansk"
    assert hits[0].snippet == world.doc_text("acme-gdansk")
    assert store.calls[-1] == ("query", "default")
    scoped = search_documents(
        world.svc.db,
        "default",
        "plant",
        account_id=world.ids["Initech"],
        vectors=store,
        embedder=embedder,
    )
    assert {h.document_id for h in scoped} <= {"initech-leadership"}


@dataclass
class _LeakyStore:
    """A vector store that ignores the workspace filter and returns everything (a compromised seam)."""

    hits: list[Any]

    def query(
        self, *, workspace: str, embedding: Any, k: int = 8, where: Mapping[str, object] | None = None
    ) -> Sequence[Any]:
        return self.hits


def test_a_vector_store_that_leaks_cannot_widen_what_is_returned(world: World) -> None:
    store, embedder = _indexed(world)
    leaked = store.query(workspace="default", embedding=embedder.embed(["plant"])[0], k=20)
    leaky = _LeakyStore(leaked)
    beta = world.svc.for_workspace("beta")
    assert search_documents(beta.db, "beta", "plant", vectors=leaky, embedder=embedder) == []
    acme_only = search_documents(
        world.svc.db, "default", "plant", account_id=world.ids["Acme Robotics"], vectors=leaky, embedder=embedder
    )
    assert {h.document_id for h in acme_only} <= {"acme-about", "acme-gdansk"} and acme_only


def test_a_failing_vector_store_falls_back_to_text_search(world: World) -> None:
    class Broken:
        def query(self, **_: Any) -> Sequence[Any]:
            raise ConnectionError("chroma is down")

    hits = search_documents(world.svc.db, "default", "Monterrey", vectors=Broken(), embedder=HashingEmbedder(dim=8))
    assert {h.document_id for h in hits} == {"globex-wire", "globex-daily", "globex-trade"}


def test_citations_are_numbered_once_per_document_in_order_of_use() -> None:
    cites = CitationBuilder()
    a1 = Evidence(document_id="a", quote="first quote", url="https://a.example")
    a2 = Evidence(document_id="a", quote="second quote from a")
    b = Evidence(document_id="b", quote="from b")
    assert cites.cite([b, a1]) == "[1][2]"
    assert cites.cite(a2) == "[2]"
    assert cites.cite([a1, b, a2], limit=1) == "[2]"
    assert [(c.n, c.document_id, c.quote) for c in cites.citations] == [(1, "b", "from b"), (2, "a", "first quote")]
    assert cites.cite(None) == "" and cites.cite([]) == ""


def test_markers_are_checked_against_the_citations() -> None:
    answer = Answer(text="Fit [1], events [3] and [1]", intent="x", citations=[Citation(n=1, quote="q")])
    assert cited_numbers(answer.text) == [1, 3, 1]
    assert unresolved_markers(answer) == [3]


def test_inline_quotes_cannot_forge_markers() -> None:
    assert inline_quote("Revenue grew [2] in  2025\n[citation needed]") == "Revenue grew (2) in 2025 (citation needed)"
    assert len(inline_quote("x" * 500, limit=20)) == 20


@pytest.mark.parametrize(
    ("a", "b"),
    [("Dr. José Álvarez", "jose alvarez"), ("ALVAREZ,  Jose", "alvarez jose"), ("Ms. Jo", "jo"), ("Dr", "dr")],
)
def test_person_keys_ignore_case_accents_and_honorifics(a: str, b: str) -> None:
    assert person_key(a) == b
