"""Vector stores: chromadb on disk and the in-memory fake keep workspaces apart and agree with each other."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from ingest.embeddings import HashingEmbedder
from store.errors import StoreError
from store.vectors import (
    ChromaVectorStore,
    EmbedderMismatch,
    InMemoryVectorStore,
    InvalidVectors,
    MetadataValue,
    VectorHit,
    VectorStore,
    parse_chroma_url,
)

DIM = 32


@pytest.fixture
def vec_embedder() -> HashingEmbedder:
    """Returns the deterministic hashing embedder the store tests share."""
    return HashingEmbedder(dim=DIM)


@pytest.fixture
def vec_chroma(tmp_path: Path, vec_embedder: HashingEmbedder) -> Iterator[ChromaVectorStore]:
    """Returns a chromadb-backed store persisted under tmp_path."""
    with ChromaVectorStore(path=tmp_path / "chroma", embedder=vec_embedder) as store:
        yield store


@pytest.fixture(params=["chroma", "memory"])
def vec_store(request: pytest.FixtureRequest, tmp_path: Path, vec_embedder: HashingEmbedder) -> Iterator[VectorStore]:
    """Returns each store implementation in turn, so one test pins down both."""
    if request.param == "memory":
        yield InMemoryVectorStore(embedder=vec_embedder)
        return
    with ChromaVectorStore(path=tmp_path / "chroma", embedder=vec_embedder) as store:
        yield store


def _put(
    store: VectorStore,
    embedder: HashingEmbedder,
    rows: list[tuple[str, str, dict[str, MetadataValue]]],
) -> None:
    """Upserts (id, text, metadata) rows, embedding the texts with the hashing embedder."""
    store.upsert(
        ids=[r[0] for r in rows],
        embeddings=embedder.embed([r[1] for r in rows]),
        texts=[r[1] for r in rows],
        metadatas=[r[2] for r in rows],
    )


def _accounts_rows() -> list[tuple[str, str, dict[str, MetadataValue]]]:
    return [
        ("a1", "acme raises a series b round", {"workspace": "ws1", "account": "acme", "year": 2024, "news": True}),
        ("a2", "acme hires a chief revenue officer", {"workspace": "ws1", "account": "acme", "year": 2023}),
        ("g1", "globex opens an office in berlin", {"workspace": "ws1", "account": "globex", "year": 2024}),
        ("g2", "globex migrates to snowflake", {"workspace": "ws1", "account": "globex", "news": False}),
        ("i1", "initech cuts ten percent of staff", {"workspace": "ws1", "account": "initech", "year": 2022}),
        ("x1", "acme raises a series b round", {"workspace": "ws2", "account": "acme", "year": 2024}),
    ]


# --- behaviour both stores share ------------------------------------------------------------------


def test_upsert_twice_keeps_one_record_per_id(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    rows = _accounts_rows()
    _put(vec_store, vec_embedder, rows)
    changed = [(i, t + " (updated)" if i == "a1" else t, m) for i, t, m in rows]

    _put(vec_store, vec_embedder, changed)

    assert vec_store.count(workspace="ws1") == 5
    assert vec_store.count(workspace="ws2") == 1
    hit = vec_store.query(workspace="ws1", embedding=vec_embedder.embed(["acme raises a series b round"])[0], k=1)
    assert [(h.id, h.text) for h in hit] == [("a1", "acme raises a series b round (updated)")]


def test_query_never_returns_another_workspaces_chunks(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    query_text = "quarterly revenue guidance for enterprise customers"
    # Workspace A's canaries are the nearest possible vectors: the query's own text.
    canaries = [(f"A-{n}", query_text, {"workspace": "A", "canary": f"CANARY-{n}"}) for n in range(20)]
    others = [
        (f"B-{n}", text, {"workspace": "B"})
        for n, text in enumerate(["lunch menu for friday", "parking lot repaving notice", "holiday party photos"])
    ]
    _put(vec_store, vec_embedder, [(i, t, dict(m)) for i, t, m in canaries + others])

    hits = vec_store.query(workspace="B", embedding=vec_embedder.embed([query_text])[0], k=50)

    assert sorted(h.id for h in hits) == ["B-0", "B-1", "B-2"]
    assert all(h.metadata["workspace"] == "B" and "canary" not in h.metadata for h in hits)
    assert vec_store.query(workspace="C", embedding=vec_embedder.embed([query_text])[0], k=50) == []


def test_query_orders_hits_nearest_first_with_cosine_distances(
    vec_store: VectorStore, vec_embedder: HashingEmbedder
) -> None:
    basis = np.eye(DIM, dtype=np.float32)
    tilted = (basis[0] + basis[1]) / np.sqrt(2)
    vec_store.upsert(
        ids=["same", "tilted", "orthogonal", "opposite"],
        embeddings=np.stack([basis[0], tilted, basis[2], -basis[0]]),
        texts=["s", "t", "o", "p"],
        metadatas=[{"workspace": "ws"}] * 4,
    )

    hits = vec_store.query(workspace="ws", embedding=basis[0], k=4)

    assert [h.id for h in hits] == ["same", "tilted", "orthogonal", "opposite"]
    np.testing.assert_allclose([h.distance for h in hits], [0.0, 1 - 1 / np.sqrt(2), 1.0, 2.0], atol=1e-5)
    assert hits[1].score == pytest.approx(1 / np.sqrt(2), abs=1e-5)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"account": "acme"}, {"a1", "a2"}),
        ({"account": {"$in": ["acme", "initech"]}}, {"a1", "a2", "i1"}),
        ({"account": "globex", "year": 2024}, {"g1"}),
        ({"year": {"$gte": 2023}}, {"a1", "a2", "g1"}),
        ({"$or": [{"account": "initech"}, {"year": {"$lt": 2024}}]}, {"a2", "i1"}),
        ({"news": True}, {"a1"}),
        ({"account": "nobody"}, set()),
        # A filter naming the other workspace cannot widen the search: it is AND-ed with ws1.
        ({"workspace": "ws2"}, set()),
        ({"$or": [{"workspace": "ws2"}, {"account": "initech"}]}, {"i1"}),
    ],
)
def test_where_filters_narrow_within_the_workspace(
    vec_store: VectorStore, vec_embedder: HashingEmbedder, where: Mapping[str, object], expected: set[str]
) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    hits = vec_store.query(workspace="ws1", embedding=vec_embedder.embed(["acme"])[0], k=10, where=where)

    assert {h.id for h in hits} == expected
    assert vec_store.count(workspace="ws1", where=where) == len(expected)


def test_delete_by_ids_only_touches_the_named_workspace(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    vec_store.delete(workspace="ws2", ids=["a1", "a2"])
    assert vec_store.count(workspace="ws1") == 5

    vec_store.delete(workspace="ws1", ids=["a1", "a2", "missing"])
    assert vec_store.existing_ids(workspace="ws1", ids=["a1", "a2", "g1"]) == {"g1"}
    assert vec_store.count(workspace="ws2") == 1


def test_delete_with_an_empty_id_list_deletes_nothing(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    vec_store.delete(workspace="ws1", ids=[])

    assert vec_store.count(workspace="ws1") == 5


def test_delete_by_filter_and_whole_workspace(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    vec_store.delete(workspace="ws1", where={"account": "globex"})
    assert vec_store.count(workspace="ws1") == 3

    vec_store.delete(workspace="ws1")
    assert vec_store.count(workspace="ws1") == 0
    assert vec_store.count(workspace="ws2") == 1


def test_existing_ids_reports_only_the_workspaces_own(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    assert vec_store.existing_ids(workspace="ws1", ids=["a1", "x1", "zz"]) == {"a1"}
    assert vec_store.existing_ids(workspace="ws2", ids=["a1", "x1", "zz"]) == {"x1"}
    assert vec_store.existing_ids(workspace="ws1", ids=[]) == set()


_GOOD = {"ids": ["c1"], "texts": ["t"], "metadatas": [{"workspace": "ws"}]}


@pytest.mark.parametrize(
    ("change", "embeddings"),
    [
        ({"metadatas": [{"account": "acme"}]}, np.ones((1, DIM))),
        ({"metadatas": [{"workspace": ""}]}, np.ones((1, DIM))),
        ({}, np.ones((1, DIM + 1))),
        ({}, np.full((1, DIM), np.nan)),
        ({}, np.ones((2, DIM))),
        ({"texts": ["t", "u"]}, np.ones((1, DIM))),
        ({"ids": ["c1", "c1"], "texts": ["t", "u"], "metadatas": [{"workspace": "ws"}] * 2}, np.ones((2, DIM))),
        ({"ids": [""]}, np.ones((1, DIM))),
    ],
)
def test_upsert_rejects_malformed_records(
    vec_store: VectorStore, change: dict[str, Any], embeddings: np.ndarray
) -> None:
    with pytest.raises(InvalidVectors):
        vec_store.upsert(embeddings=embeddings, **(_GOOD | change))

    assert vec_store.count(workspace="ws") == 0


@pytest.mark.parametrize("workspace", ["", None])
def test_every_read_requires_a_workspace(vec_store: VectorStore, workspace: Any) -> None:
    with pytest.raises(InvalidVectors):
        vec_store.query(workspace=workspace, embedding=np.ones(DIM))
    with pytest.raises(InvalidVectors):
        vec_store.count(workspace=workspace)
    with pytest.raises(InvalidVectors):
        vec_store.delete(workspace=workspace)


def test_query_rejects_a_wrong_dimension(vec_store: VectorStore, vec_embedder: HashingEmbedder) -> None:
    _put(vec_store, vec_embedder, _accounts_rows())

    with pytest.raises(InvalidVectors):
        vec_store.query(workspace="ws1", embedding=np.ones(DIM + 3))


# --- chromadb specifics ---------------------------------------------------------------------------


def test_chroma_store_reopens_with_the_same_content(tmp_path: Path, vec_embedder: HashingEmbedder) -> None:
    query = vec_embedder.embed(["globex office"])[0]
    with ChromaVectorStore(path=tmp_path / "db", embedder=vec_embedder) as first:
        _put(first, vec_embedder, _accounts_rows())
        before = first.query(workspace="ws1", embedding=query, k=3)

    # The last client is closed, so this one starts a fresh chromadb system that reads the files.
    with ChromaVectorStore(path=tmp_path / "db", embedder=vec_embedder) as reopened:
        assert reopened.count(workspace="ws1") == 5
        assert reopened.query(workspace="ws1", embedding=query, k=3) == before


@pytest.mark.parametrize("other", [HashingEmbedder(dim=DIM + 1), HashingEmbedder(dim=64)])
def test_chroma_refuses_an_embedder_of_another_dimension(
    tmp_path: Path, vec_embedder: HashingEmbedder, other: HashingEmbedder
) -> None:
    with ChromaVectorStore(path=tmp_path / "db", embedder=vec_embedder):
        with pytest.raises(EmbedderMismatch, match=r"hash-32.*32 dimensions"):
            ChromaVectorStore(path=tmp_path / "db", embedder=other)

        with ChromaVectorStore(path=tmp_path / "db", collection="other", embedder=other) as separate:
            assert separate.count(workspace="w") == 0


class _RenamedEmbedder(HashingEmbedder):
    """Same dimension as the default fake, but another model: its vectors are not comparable."""

    def __init__(self) -> None:
        super().__init__(dim=DIM)
        self.name = "another-model"


def test_chroma_refuses_another_embedder_of_the_same_dimension(tmp_path: Path, vec_embedder: HashingEmbedder) -> None:
    with (
        ChromaVectorStore(path=tmp_path / "db", embedder=vec_embedder),
        pytest.raises(EmbedderMismatch, match="another-model"),
    ):
        ChromaVectorStore(path=tmp_path / "db", embedder=_RenamedEmbedder())


def test_chroma_collection_is_cosine_with_the_projects_embedding_function(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    ChromaVectorStore(path=tmp_path / "db", embedder=HashingEmbedder(dim=DIM)).close()

    with chromadb.PersistentClient(path=str(tmp_path / "db"), settings=Settings(anonymized_telemetry=False)) as client:
        config = client.get_collection("chunks").configuration_json

    assert config["hnsw"]["space"] == "cosine"
    assert config["embedding_function"]["name"] == "icp_agent"


@pytest.fixture
def vec_chroma_server(tmp_path: Path) -> Iterator[str]:
    """Starts chromadb's own server (the `chroma` command of the chromadb package) on loopback; yields its URL."""
    binary = Path(sys.executable).with_name("chroma")
    if not binary.exists():
        pytest.skip("the chroma server command is not installed beside this Python")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("wb")
    server = subprocess.Popen(
        [str(binary), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"the chroma server did not start: {(tmp_path / 'chroma.log').read_text(errors='replace')[-500:]}"
                )
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.mark.slow
def test_chroma_server_by_url_keeps_workspaces_apart(vec_chroma_server: str, vec_embedder: HashingEmbedder) -> None:
    with ChromaVectorStore(url=vec_chroma_server, embedder=vec_embedder) as store:
        _put(store, vec_embedder, _accounts_rows())
        _put(store, vec_embedder, _accounts_rows())

        hits = store.query(workspace="ws2", embedding=vec_embedder.embed(["acme raises a series b round"])[0], k=10)

        assert [h.id for h in hits] == ["x1"]
        assert store.count(workspace="ws1") == 5
    with pytest.raises(EmbedderMismatch):
        ChromaVectorStore(url=vec_chroma_server, embedder=HashingEmbedder(dim=DIM * 2))


def test_chroma_needs_a_path_or_a_url(vec_embedder: HashingEmbedder) -> None:
    with pytest.raises(StoreError):
        ChromaVectorStore(embedder=vec_embedder)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://chroma:8000", ("chroma", 8000, False)),
        ("http://localhost", ("localhost", 8000, False)),
        ("https://vectors.example.com", ("vectors.example.com", 443, True)),
        ("https://vectors.example.com:9443/", ("vectors.example.com", 9443, True)),
    ],
)
def test_parse_chroma_url(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_chroma_url(url) == expected


@pytest.mark.parametrize("url", ["chroma:8000", "ftp://chroma", "http://"])
def test_parse_chroma_url_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(StoreError):
        parse_chroma_url(url)


# --- the fake agrees with chromadb ----------------------------------------------------------------


def _corpus() -> list[tuple[str, str, dict[str, MetadataValue]]]:
    subjects = ["acme", "globex", "initech", "umbrella", "hooli"]
    events = ["raises funding", "hires a vp of sales", "opens an office", "cuts staff", "buys a rival", "moves to aws"]
    rows: list[tuple[str, str, dict[str, MetadataValue]]] = []
    for n, (subject, event) in enumerate((s, e) for s in subjects for e in events):
        metadata: dict[str, MetadataValue] = {"workspace": "ws" if n % 4 else "other", "account": subject}
        if n % 3:
            metadata["rank"] = n
        rows.append((f"c{n:02d}", f"{subject} {event} in quarter {n % 4}", metadata))
    return rows


def test_fake_and_chroma_give_the_same_top_k(vec_chroma: ChromaVectorStore, vec_embedder: HashingEmbedder) -> None:
    fake = InMemoryVectorStore(embedder=vec_embedder)
    for store in (fake, vec_chroma):
        _put(store, vec_embedder, _corpus())

    for query in ["acme raises funding", "office in quarter 2", "hooli cuts staff", "unrelated words entirely"]:
        vector = vec_embedder.embed([query])[0]
        from_fake: list[VectorHit] = fake.query(workspace="ws", embedding=vector, k=6)
        from_chroma = vec_chroma.query(workspace="ws", embedding=vector, k=6)
        assert [h.id for h in from_chroma] == [h.id for h in from_fake], query
        np.testing.assert_allclose([h.distance for h in from_chroma], [h.distance for h in from_fake], atol=1e-5)


@pytest.mark.parametrize(
    "where",
    [
        {"rank": {"$gt": 10}},
        {"rank": {"$ne": 5}},
        {"rank": {"$nin": [1, 2, 5]}},
        {"account": {"$ne": "acme"}},
        {"account": {"$nin": ["acme", "hooli"]}},
        {"$and": [{"account": "globex"}, {"rank": {"$lte": 10}}]},
        {"$or": [{"account": "hooli"}, {"rank": {"$in": [1, 2]}}]},
    ],
)
def test_fake_and_chroma_agree_on_filters(
    vec_chroma: ChromaVectorStore, vec_embedder: HashingEmbedder, where: dict[str, object]
) -> None:
    fake = InMemoryVectorStore(embedder=vec_embedder)
    for store in (fake, vec_chroma):
        _put(store, vec_embedder, _corpus())
    vector = vec_embedder.embed(["acme"])[0]

    from_chroma = {h.id for h in vec_chroma.query(workspace="ws", embedding=vector, k=100, where=where)}

    assert from_chroma == {h.id for h in fake.query(workspace="ws", embedding=vector, k=100, where=where)}
    assert from_chroma, "the filter should match something, or the comparison proves nothing"


def test_fake_records_its_calls(vec_embedder: HashingEmbedder) -> None:
    fake = InMemoryVectorStore(embedder=vec_embedder)
    _put(fake, vec_embedder, _accounts_rows())

    fake.query(workspace="ws1", embedding=vec_embedder.embed(["x"])[0])
    fake.count(workspace="ws2")

    assert fake.calls == [("upsert", None), ("query", "ws1"), ("count", "ws2")]
