"""Vector store seam: chunk vectors kept per workspace, searched by cosine, never across workspaces.

The workspace is part of every query, count and delete *inside* the store's own filter (never
applied to results afterwards), so another workspace's chunks cannot take a top-k slot, let alone
be returned. Writes are upserts keyed by the caller's deterministic ids, so running an ingest twice
leaves the same state (chromadb's `add` would silently ignore existing ids).

VectorStoreError (a StoreError)
├── EmbedderMismatch   the collection holds vectors of another embedder (name or dimension)
└── InvalidVectors     mismatched lengths, a wrong dimension, non-finite values, no workspace

>>> import numpy as np
>>> store = InMemoryVectorStore()
>>> store.upsert(ids=["c1"], embeddings=np.array([[1.0, 0.0]]), texts=["Acme hires"],
...              metadatas=[{"workspace": "ws1", "account": "acme"}])
>>> [hit.id for hit in store.query(workspace="ws1", embedding=np.array([1.0, 0.0]))]
['c1']
>>> store.query(workspace="ws2", embedding=np.array([1.0, 0.0]))
[]
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from store.errors import StoreError

__all__ = [
    "WORKSPACE_KEY",
    "ChromaVectorStore",
    "EmbedderMismatch",
    "InMemoryVectorStore",
    "InvalidVectors",
    "MetadataValue",
    "VectorEmbedder",
    "VectorHit",
    "VectorStore",
    "VectorStoreError",
    "parse_chroma_url",
]

WORKSPACE_KEY = "workspace"
MetadataValue = str | int | float | bool
F32 = npt.NDArray[np.float32]


class VectorStoreError(StoreError):
    """Base of every vector store error."""


class EmbedderMismatch(VectorStoreError):
    """The collection was filled by another embedder; its vectors are not comparable with this one's."""


class InvalidVectors(VectorStoreError):
    """The arguments do not describe one valid record per id (lengths, dimension, values, workspace)."""


class VectorEmbedder(Protocol):
    """What the store needs of an embedder (ingest.embeddings.Embedder satisfies it)."""

    name: str

    @property
    def dim(self) -> int:
        """Returns the vector length."""
        ...

    def embed(self, texts: Sequence[str]) -> F32:
        """Returns one normalised row per text."""
        ...


@dataclass(frozen=True, slots=True)
class VectorHit:
    """One search result: the chunk, its metadata and its cosine distance (0 = same direction)."""

    id: str
    text: str
    metadata: Mapping[str, MetadataValue]
    distance: float

    @property
    def score(self) -> float:
        """Returns the cosine similarity, 1 − distance."""
        return 1.0 - self.distance


class VectorStore(Protocol):
    """Stores chunk vectors and finds the nearest ones within one workspace.

    >>> def search(store: VectorStore, vector: np.ndarray) -> list[str]:
    ...     return [hit.text for hit in store.query(workspace="ws1", embedding=vector, k=5)]
    """

    def upsert(
        self,
        *,
        ids: Sequence[str],
        embeddings: npt.ArrayLike,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, MetadataValue]],
    ) -> None:
        """Inserts or replaces one record per id; every metadata names its workspace."""
        ...

    def query(
        self, *, workspace: str, embedding: npt.ArrayLike, k: int = 8, where: Mapping[str, object] | None = None
    ) -> list[VectorHit]:
        """Returns up to k records of the workspace nearest to the embedding, nearest first."""
        ...

    def delete(
        self, *, workspace: str, ids: Sequence[str] | None = None, where: Mapping[str, object] | None = None
    ) -> None:
        """Deletes the workspace's records that have those ids and match the filter (all of them if neither)."""
        ...

    def count(self, *, workspace: str, where: Mapping[str, object] | None = None) -> int:
        """Returns how many of the workspace's records match the filter."""
        ...

    def existing_ids(self, *, workspace: str, ids: Sequence[str]) -> set[str]:
        """Returns the ids among those given that the workspace already holds (so ingest can skip them)."""
        ...


# --- shared validation ----------------------------------------------------------------------------


def _check_workspace(workspace: str) -> None:
    if not isinstance(workspace, str) or not workspace:
        raise InvalidVectors(f"a non-empty workspace is required, got {workspace!r}")


def _scoped_where(workspace: str, where: Mapping[str, object] | None) -> dict[str, Any]:
    """Returns a chromadb filter that ANDs the workspace with the caller's filter."""
    _check_workspace(workspace)
    clauses: list[dict[str, Any]] = [{WORKSPACE_KEY: workspace}]
    # chromadb wants one key per filter object, so {"a": 1, "b": 2} becomes two AND-ed clauses.
    clauses.extend({key: value} for key, value in (where or {}).items())
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _as_matrix(embeddings: npt.ArrayLike, *, rows: int, dim: int | None) -> F32:
    matrix = np.asarray(embeddings, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        raise InvalidVectors(f"expected {rows} embedding rows, got an array of shape {matrix.shape}")
    if dim is not None and matrix.shape[1] != dim:
        raise InvalidVectors(f"expected {dim}-dimensional embeddings, got {matrix.shape[1]}")
    if not np.isfinite(matrix).all():
        raise InvalidVectors("embeddings contain NaN or infinite values")
    return matrix


def _check_records(ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, MetadataValue]]) -> None:
    if not len(ids) == len(texts) == len(metadatas):
        raise InvalidVectors(f"{len(ids)} ids, {len(texts)} texts and {len(metadatas)} metadatas differ in number")
    if len(set(ids)) != len(ids):
        raise InvalidVectors("ids repeat within one upsert")
    for record_id, metadata in zip(ids, metadatas, strict=True):
        if not isinstance(record_id, str) or not record_id:
            raise InvalidVectors(f"ids must be non-empty strings, got {record_id!r}")
        workspace = metadata.get(WORKSPACE_KEY)
        if not isinstance(workspace, str) or not workspace:
            raise InvalidVectors(f"record {record_id!r} has no {WORKSPACE_KEY!r} in its metadata")


# --- chromadb -------------------------------------------------------------------------------------

_EF_NAME = "icp_agent"
_adapter_lock = threading.Lock()
_adapter_classes: list[type] = []


def _adapter_class() -> type:
    """Returns chromadb's EmbeddingFunction adapter class, defined and registered on first use."""
    with _adapter_lock:
        if _adapter_classes:
            return _adapter_classes[0]
        from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
        from chromadb.utils.embedding_functions import register_embedding_function

        class IcpEmbeddingFunction(EmbeddingFunction[Documents]):
            """Lets chromadb call the project's embedder; rebuilt from config it refuses to embed."""

            def __init__(self, embedder: VectorEmbedder | None, config: dict[str, Any] | None = None) -> None:
                self._embedder = embedder
                self._config = config or ({"embedder": embedder.name, "dim": embedder.dim} if embedder else {})

            def __call__(self, input: Documents) -> Embeddings:
                if self._embedder is None:
                    raise VectorStoreError("this collection embeds only through the project's embedder")
                return list(self._embedder.embed(list(input)))

            @staticmethod
            def name() -> str:
                return _EF_NAME

            def get_config(self) -> dict[str, Any]:
                return dict(self._config)

            @staticmethod
            def build_from_config(config: dict[str, Any]) -> IcpEmbeddingFunction:
                # Only chromadb's own bookkeeping gets here; the store always passes the live embedder.
                return IcpEmbeddingFunction(None, config)

            def default_space(self) -> Any:
                return "cosine"

            def supported_spaces(self) -> Any:
                return ["cosine"]

        register_embedding_function(IcpEmbeddingFunction)  # type: ignore[no-untyped-call]
        _adapter_classes.append(IcpEmbeddingFunction)
        return IcpEmbeddingFunction


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """Returns (host, port, ssl) for a chromadb server URL such as http://chroma:8000."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VectorStoreError(f"CHROMA_URL must look like http://host:8000, got {url!r}")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


class ChromaVectorStore:
    """Keeps chunk vectors in a chromadb collection: an embedded store in `path`, or a server at `url`.

    The collection uses cosine distance and remembers the embedder's name and dimension; opening it
    with another embedder raises EmbedderMismatch instead of mixing incomparable vectors.

    >>> store = ChromaVectorStore(path=Path(".icp/chroma"), embedder=HashingEmbedder())  # doctest: +SKIP
    """

    def __init__(
        self, *, path: Path | None = None, url: str | None = None, collection: str = "chunks", embedder: VectorEmbedder
    ) -> None:
        import chromadb
        from chromadb.api.client import Client
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        # Both factories return the concrete Client, whose close() the ClientAPI protocol does not declare.
        if url:
            host, port, ssl = parse_chroma_url(url)
            self._client = cast(Client, chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings))
        elif path is not None:
            path.mkdir(parents=True, exist_ok=True)
            self._client = cast(Client, chromadb.PersistentClient(path=str(path), settings=settings))
        else:
            raise VectorStoreError("ChromaVectorStore needs a path (embedded store) or a url (chromadb server)")
        try:
            self._collection, self._batch = self._open_collection(collection, embedder)
        except BaseException:
            self._client.close()
            raise
        self._dim = embedder.dim

    def _open_collection(self, name: str, embedder: VectorEmbedder) -> tuple[Any, int]:
        wanted = {"embedder": embedder.name, "dim": embedder.dim}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            collection = self._client.get_or_create_collection(
                name,
                embedding_function=_adapter_class()(embedder),
                configuration={"hnsw": {"space": "cosine"}},
                metadata=wanted,
            )
        found = dict(collection.metadata or {})
        if found.get("embedder") != embedder.name or found.get("dim") != embedder.dim:
            raise EmbedderMismatch(
                f"collection {name!r} holds vectors of embedder {found.get('embedder')!r} "
                f"({found.get('dim')} dimensions), not {embedder.name!r} ({embedder.dim}): use another collection "
                "name or re-embed into an empty store"
            )
        return collection, max(1, int(self._client.get_max_batch_size()))

    def close(self) -> None:
        """Releases the client; the embedded store's files are closed when its last client goes."""
        self._client.close()

    def __enter__(self) -> ChromaVectorStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def upsert(
        self,
        *,
        ids: Sequence[str],
        embeddings: npt.ArrayLike,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, MetadataValue]],
    ) -> None:
        """Inserts or replaces one record per id (never `add`, which would keep stale records)."""
        _check_records(ids, texts, metadatas)
        if not ids:
            return
        matrix = _as_matrix(embeddings, rows=len(ids), dim=self._dim)
        for start in range(0, len(ids), self._batch):
            stop = start + self._batch
            self._collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=matrix[start:stop],
                documents=list(texts[start:stop]),
                metadatas=[dict(m) for m in metadatas[start:stop]],
            )

    def query(
        self, *, workspace: str, embedding: npt.ArrayLike, k: int = 8, where: Mapping[str, object] | None = None
    ) -> list[VectorHit]:
        """Returns up to k of the workspace's records nearest to the embedding, nearest first."""
        if k < 1:
            raise InvalidVectors(f"k must be at least 1, got {k}")
        scoped = _scoped_where(workspace, where)
        vector = _as_matrix(embedding, rows=1, dim=self._dim)
        result = self._collection.query(
            query_embeddings=vector, n_results=k, where=scoped, include=["documents", "metadatas", "distances"]
        )
        ids = result["ids"][0]
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            VectorHit(id=i, text=d or "", metadata=dict(m or {}), distance=float(s))
            for i, d, m, s in zip(ids, documents, metadatas, distances, strict=True)
        ]

    def delete(
        self, *, workspace: str, ids: Sequence[str] | None = None, where: Mapping[str, object] | None = None
    ) -> None:
        """Deletes the workspace's records with those ids that match the filter (all of them if neither)."""
        scoped = _scoped_where(workspace, where)
        if ids is None:
            self._collection.delete(where=scoped)
            return
        # An empty id list must delete nothing, not fall back to "everything matching the filter".
        for start in range(0, len(ids), self._batch):
            self._collection.delete(ids=list(ids[start : start + self._batch]), where=scoped)

    def count(self, *, workspace: str, where: Mapping[str, object] | None = None) -> int:
        """Returns how many of the workspace's records match the filter."""
        return len(self._collection.get(where=_scoped_where(workspace, where), include=[])["ids"])

    def existing_ids(self, *, workspace: str, ids: Sequence[str]) -> set[str]:
        """Returns the ids among those given that this workspace already holds."""
        scoped = _scoped_where(workspace, None)
        found: set[str] = set()
        for start in range(0, len(ids), self._batch):
            found.update(
                self._collection.get(ids=list(ids[start : start + self._batch]), where=scoped, include=[])["ids"]
            )
        return found


# --- the in-memory fake ---------------------------------------------------------------------------


@dataclass
class _Record:
    vector: F32
    text: str
    metadata: dict[str, MetadataValue]


@dataclass
class InMemoryVectorStore:
    """Keeps records in a dict and searches them exactly by cosine, with chromadb's filter semantics.

    A fake for tests: it records every call in `calls` as (method, workspace or None).
    """

    embedder: VectorEmbedder | None = None
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    _records: dict[str, _Record] = field(default_factory=dict, repr=False)
    _dim: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.embedder is not None:
            self._dim = self.embedder.dim

    def upsert(
        self,
        *,
        ids: Sequence[str],
        embeddings: npt.ArrayLike,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, MetadataValue]],
    ) -> None:
        """Inserts or replaces one record per id."""
        self.calls.append(("upsert", None))
        _check_records(ids, texts, metadatas)
        if not ids:
            return
        matrix = _as_matrix(embeddings, rows=len(ids), dim=self._dim)
        self._dim = int(matrix.shape[1])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        for record_id, vector, text, metadata in zip(ids, unit, texts, metadatas, strict=True):
            self._records[record_id] = _Record(vector.copy(), text, dict(metadata))

    def query(
        self, *, workspace: str, embedding: npt.ArrayLike, k: int = 8, where: Mapping[str, object] | None = None
    ) -> list[VectorHit]:
        """Returns up to k of the workspace's records nearest to the embedding, nearest first."""
        self.calls.append(("query", workspace))
        if k < 1:
            raise InvalidVectors(f"k must be at least 1, got {k}")
        scoped = _scoped_where(workspace, where)
        candidates = [(i, r) for i, r in self._records.items() if _matches(r.metadata, scoped)]
        if not candidates:
            return []
        vector = _as_matrix(embedding, rows=1, dim=self._dim)[0]
        norm = float(np.linalg.norm(vector))
        unit = vector / norm if norm > 0 else vector
        hits = [VectorHit(i, r.text, dict(r.metadata), 1.0 - float(r.vector @ unit)) for i, r in candidates]
        hits.sort(key=lambda hit: hit.distance)
        return hits[:k]

    def delete(
        self, *, workspace: str, ids: Sequence[str] | None = None, where: Mapping[str, object] | None = None
    ) -> None:
        """Deletes the workspace's records with those ids that match the filter (all of them if neither)."""
        self.calls.append(("delete", workspace))
        scoped = _scoped_where(workspace, where)
        pool = self._records.keys() if ids is None else [i for i in ids if i in self._records]
        for record_id in [i for i in pool if _matches(self._records[i].metadata, scoped)]:
            del self._records[record_id]

    def count(self, *, workspace: str, where: Mapping[str, object] | None = None) -> int:
        """Returns how many of the workspace's records match the filter."""
        self.calls.append(("count", workspace))
        scoped = _scoped_where(workspace, where)
        return sum(1 for r in self._records.values() if _matches(r.metadata, scoped))

    def existing_ids(self, *, workspace: str, ids: Sequence[str]) -> set[str]:
        """Returns the ids among those given that this workspace already holds."""
        self.calls.append(("existing_ids", workspace))
        scoped = _scoped_where(workspace, None)
        return {i for i in ids if i in self._records and _matches(self._records[i].metadata, scoped)}


_COMPARE = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _matches(metadata: Mapping[str, MetadataValue], where: Mapping[str, Any]) -> bool:
    """Returns True when the metadata satisfies a chromadb-style filter ($and, $or, $eq … $nin)."""
    for key, condition in where.items():
        if key == "$and":
            ok = all(_matches(metadata, sub) for sub in condition)
        elif key == "$or":
            ok = any(_matches(metadata, sub) for sub in condition)
        else:
            ok = _matches_field(metadata, key, condition)
        if not ok:
            return False
    return True


def _matches_field(metadata: Mapping[str, MetadataValue], key: str, condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        condition = {"$eq": condition}
    present = key in metadata
    value = metadata.get(key)
    for op, operand in condition.items():
        if op == "$eq":
            ok = present and _same(value, operand)
        elif op == "$ne":
            ok = not (present and _same(value, operand))
        elif op == "$in":
            ok = present and any(_same(value, o) for o in operand)
        elif op == "$nin":
            ok = not (present and any(_same(value, o) for o in operand))
        elif op in _COMPARE:
            ok = present and _numeric(value) and _numeric(operand) and bool(_COMPARE[op](value, operand))
        else:
            raise InvalidVectors(f"unsupported filter operator {op!r}")
        if not ok:
            return False
    return True


def _same(a: object, b: object) -> bool:
    # chromadb keeps bools apart from numbers: True does not equal 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _numeric(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)
