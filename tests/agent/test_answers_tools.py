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
from store.models import DocumentLinkRow
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


def _indexed(
    world: World, workspace: str = "default", *, first_sentence: bool = False
) -> tuple[InMemoryVectorStore, HashingEmbedder]:
    """Returns a vector store holding one chunk per document: its text, or only its first sentence."""
    embedder = HashingEmbedder(dim=256)
    store = InMemoryVectorStore(embedder=embedder)
    docs = list(world.docs.values())
    texts = [d.text.split(". ")[0].rstrip(".") + "." if first_sentence else d.text for d in docs]
    store.upsert(
        ids=[f"{d.id}:0" for d in docs],
        embeddings=embedder.embed(texts),
        texts=texts,
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


def test_vector_hits_quote_the_chunk_that_matched(world: World) -> None:
    store, embedder = _indexed(world, first_sentence=True)
    hits = search_documents(
        world.svc.db, "default", "building a new plant in Monterrey Mexico", k=1, vectors=store, embedder=embedder
    )
    assert [(h.document_id, h.snippet) for h in hits] == [
        ("globex-wire", "Globex Precision is building a new plant in Monterrey, Mexico.")
    ]
    assert 0.0 < hits[0].score <= 1.0  # a cosine similarity, not a count of matched words


def _link(world: World, document_id: str, account: str) -> None:
    with world.svc.db.session() as s:
        s.add(
            DocumentLinkRow(
                document_id=document_id, account_id=world.ids[account], workspace_id=world.svc.workspace, how="name"
            )
        )


@pytest.mark.parametrize("max_in_filter", [500, 0])  # filtered by document ids in the query, or kept afterwards
def test_vector_search_by_account_finds_documents_linked_to_it(
    world: World, monkeypatch: pytest.MonkeyPatch, max_in_filter: int
) -> None:
    monkeypatch.setattr("agent.tools.MAX_IN_FILTER", max_in_filter)
    _link(world, "globex-wire", "Initech")  # its vector metadata still names Globex, its primary account
    store, embedder = _indexed(world, first_sentence=True)

    hits = search_documents(
        world.svc.db,
        "default",
        "new plant in Monterrey, Mexico",
        account_id=world.ids["Initech"],
        vectors=store,
        embedder=embedder,
    )

    assert [h.document_id for h in hits] == ["globex-wire", "initech-leadership"]
    # the chunk is quoted: a vector hit, not a LIKE excerpt (which would run on to "More details follow.")
    assert hits[0].snippet == "Globex Precision is building a new plant in Monterrey, Mexico."
    assert [c for c in store.calls if c[0] == "query"] == [("query", "default")]


def test_an_account_without_indexed_documents_falls_back_to_text_search(world: World) -> None:
    _link(world, "globex-daily", "Stark Logistics")
    store, embedder = _indexed(world)
    store.delete(workspace="default", ids=["globex-daily:0"])  # linked, but not embedded yet

    hits = search_documents(
        world.svc.db,
        "default",
        "Monterrey expansion",
        account_id=world.ids["Stark Logistics"],
        vectors=store,
        embedder=embedder,
    )

    assert [h.document_id for h in hits] == ["globex-daily"]
    assert "Monterrey expansion" in hits[0].snippet
    assert (
        search_documents(
            world.svc.db, "default", "plant", account_id=world.ids["Umbrella Labs"], vectors=store, embedder=embedder
        )
        == []
    )


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


def test_citations_are_numbered_once_per_quote_in_order_of_use() -> None:
    cites = CitationBuilder()
    a1 = Evidence(document_id="a", quote="first quote", url="https://a.example")
    a2 = Evidence(document_id="a", quote="second quote from a")
    b = Evidence(document_id="b", quote="from b")
    b_elsewhere = Evidence(document_id="c", quote="from b")  # the same words in another document
    assert cites.cite([b, a1]) == "[1][2]"
    assert cites.cite(a2) == "[3]"  # another sentence of document a: its own number, showing its own quote
    assert cites.cite([a1, b, a2], limit=1) == "[2]"
    assert cites.cite([a1, a1, b]) == "[2][1]"  # a repeated quote is one marker
    assert cites.cite(b_elsewhere) == "[4]"
    assert [(c.n, c.document_id, c.quote) for c in cites.citations] == [
        (1, "b", "from b"),
        (2, "a", "first quote"),
        (3, "a", "second quote from a"),
        (4, "c", "from b"),
    ]
    assert cites.get(3) == cites.citations[2] and cites.get(5) is None


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
