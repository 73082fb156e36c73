"""The store side of the ingest job: documents, links, chunks and source health in SQL.

It lives in the composition layer because it joins two packages that must not know each other:
`ingest` (the job and its records) and `store` (the tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ingest.chunking import Chunk, chunk_heading
from ingest.job import DocumentRecord, PendingDocument, SourceSpec
from store.db import Database, utcnow
from store.models import ChunkRow, DocumentLinkRow, DocumentRow, ScoreRow, SourceRow


def source_spec(row: SourceRow) -> SourceSpec:
    """Returns what the ingest job needs of a stored source."""
    return SourceSpec(
        id=row.id,
        kind=row.kind,
        url=row.url,
        account_id=row.account_id,
        etag=row.etag,
        last_modified=row.last_modified,
        base_url=(row.options or {}).get("base_url"),
    )


class SqlIngestSink:
    """The ingest job's state in SQL: documents, links, chunks, source health, pending embeddings."""

    def __init__(self, db: Database, workspace: str, *, clock: Any = utcnow) -> None:
        self.db = db
        self.workspace = workspace
        self.clock = clock

    def known_documents(self, ids: Sequence[str]) -> dict[str, str]:
        """Returns content hash by id for stored documents."""
        out: dict[str, str] = {}
        with self.db.session() as s:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows = s.execute(
                    select(DocumentRow.id, DocumentRow.content_hash).where(
                        DocumentRow.workspace_id == self.workspace, DocumentRow.id.in_(chunk)
                    )
                ).tuples()
                out.update({k: v for k, v in rows})  # noqa: C416 - a Result has .keys(); dict() would misread it
        return out

    def known_hashes(self, hashes: Sequence[str]) -> dict[str, str]:
        """Returns a document id per content hash already stored."""
        out: dict[str, str] = {}
        with self.db.session() as s:
            for start in range(0, len(hashes), 500):
                chunk = list(hashes[start : start + 500])
                rows = s.execute(
                    select(DocumentRow.content_hash, func.min(DocumentRow.id))
                    .where(
                        DocumentRow.workspace_id == self.workspace,
                        DocumentRow.content_hash.in_(chunk),
                        DocumentRow.status != "duplicate",
                    )
                    .group_by(DocumentRow.content_hash)
                ).tuples()
                out.update({k: v for k, v in rows})  # noqa: C416 - a Result has .keys(); dict() would misread it
        return out

    def signatures(self) -> Iterable[tuple[str, bytes, str | None]]:
        """Yields stored near-duplicate signatures."""
        with self.db.session() as s:
            rows = s.execute(
                select(DocumentRow.id, DocumentRow.signature, DocumentRow.cluster_id).where(
                    DocumentRow.workspace_id == self.workspace, DocumentRow.signature.is_not(None)
                )
            ).tuples()
            return [(i, sig, c) for i, sig, c in rows if sig]

    def commit_source(
        self,
        source: SourceSpec,
        documents: Sequence[DocumentRecord],
        chunks: Mapping[str, Sequence[Chunk]],
        *,
        etag: str | None,
        last_modified: str | None,
        items: int,
        status: str,
    ) -> None:
        """Stores documents, links and chunks, then the source's validators, in one transaction."""
        now = self.clock()
        with self.db.session() as s:
            for d in documents:
                row = s.get(DocumentRow, d.id)
                if row is None:
                    row = DocumentRow(id=d.id, workspace_id=self.workspace, fetched_at=d.fetched_at, chunk_count=0)
                    s.add(row)
                elif row.workspace_id != self.workspace:  # ids include the workspace; this cannot happen
                    raise ValueError(f"document id {d.id} belongs to another workspace")
                row.account_id = d.account_id
                row.source_id = d.source_id
                row.url = d.url
                row.canonical_url = d.canonical_url
                row.title = d.title
                row.doc_type = d.doc_type
                row.language = d.language
                row.published_at = d.published_at
                row.fetched_at = d.fetched_at
                row.updated_at = now
                row.content_hash = d.content_hash
                row.signature = d.signature
                row.cluster_id = d.cluster_id
                row.text = d.text
                row.meta = d.meta
                row.status = d.status
                row.stale = False
                s.flush()
                s.execute(delete(DocumentLinkRow).where(DocumentLinkRow.document_id == d.id))
                for acc, how in dict(d.links).items():
                    s.add(DocumentLinkRow(document_id=d.id, account_id=acc, workspace_id=self.workspace, how=how))
                s.execute(delete(ChunkRow).where(ChunkRow.document_id == d.id))
                for ch in chunks.get(d.id, ()):
                    s.add(
                        ChunkRow(
                            id=f"{d.id}:{ch.idx}",
                            document_id=d.id,
                            workspace_id=self.workspace,
                            idx=ch.idx,
                            text=ch.text,
                            start=ch.start,
                            end=ch.end,
                        )
                    )
            src = s.get(SourceRow, source.id)
            if src is not None:
                # validators last: if anything above failed, the next run fetches the source again
                src.etag = etag or src.etag
                src.last_modified = last_modified or src.last_modified
                src.last_fetched_at = now
                src.last_success_at = now
                src.last_status = status
                src.last_error = None
                src.stale = False
                if status == "ok":
                    src.items = items
                s.execute(
                    update(DocumentRow)
                    .where(
                        DocumentRow.workspace_id == self.workspace,
                        DocumentRow.source_id == source.id,
                        DocumentRow.stale.is_(True),
                    )
                    .values(stale=False)
                )

    def relink(self, source: SourceSpec, documents: Sequence[DocumentRecord]) -> dict[str, list[int]]:
        """Rewrites links and primary account of the source's stored documents where they differ.

        Only documents this source stored (or whose source was removed) are touched, so two sources
        carrying one URL do not take turns rewriting it. A document whose primary account changes is
        embedded again, because its vectors carry the account for filtered search.
        """
        wanted = {d.id: d for d in documents}
        added: dict[str, list[int]] = {}
        ids = list(wanted)
        with self.db.session() as s:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                rows = s.execute(
                    select(DocumentRow.id, DocumentRow.account_id, DocumentRow.status).where(
                        DocumentRow.workspace_id == self.workspace,
                        DocumentRow.id.in_(part),
                        or_(DocumentRow.source_id == source.id, DocumentRow.source_id.is_(None)),
                    )
                ).tuples()
                stored = {doc_id: (account_id, status) for doc_id, account_id, status in rows}
                links: dict[str, dict[int, str]] = {doc_id: {} for doc_id in stored}
                if stored:
                    for doc_id, acc, how in s.execute(
                        select(DocumentLinkRow.document_id, DocumentLinkRow.account_id, DocumentLinkRow.how).where(
                            DocumentLinkRow.document_id.in_(list(stored))
                        )
                    ).tuples():
                        links[doc_id][acc] = how
                for doc_id, (account_id, status) in stored.items():
                    d = wanted[doc_id]
                    new_links = dict(d.links)
                    if account_id == d.account_id and links[doc_id] == new_links:
                        continue
                    self._rewrite_links(s, d, new_links, reembed=account_id != d.account_id and status == "embedded")
                    added[doc_id] = [acc for acc in new_links if acc not in links[doc_id]]
        return added

    def _rewrite_links(self, s: Session, d: DocumentRecord, links: Mapping[int, str], *, reembed: bool) -> None:
        values: dict[str, Any] = {"account_id": d.account_id, "source_id": d.source_id}
        if reembed:
            values["status"] = "pending"
        s.execute(
            update(DocumentRow)
            .where(DocumentRow.workspace_id == self.workspace, DocumentRow.id == d.id)
            .values(**values)
        )
        s.execute(delete(DocumentLinkRow).where(DocumentLinkRow.document_id == d.id))
        for acc, how in links.items():
            s.add(DocumentLinkRow(document_id=d.id, account_id=acc, workspace_id=self.workspace, how=how))

    def source_failed(self, source: SourceSpec, *, error: str, status: str) -> None:
        """Keeps the source's documents and the scores of its account, marking them stale."""
        now = self.clock()
        with self.db.session() as s:
            src = s.get(SourceRow, source.id)
            if src is None:
                return
            src.last_fetched_at = now
            src.last_error = error
            src.last_status = status
            src.stale = True
            s.execute(
                update(DocumentRow)
                .where(DocumentRow.workspace_id == self.workspace, DocumentRow.source_id == source.id)
                .values(stale=True)
            )
            if src.account_id is not None:
                s.execute(
                    update(ScoreRow)
                    .where(ScoreRow.workspace_id == self.workspace, ScoreRow.account_id == src.account_id)
                    .values(stale=True)
                )

    def pending(self, limit: int) -> list[PendingDocument]:
        """Returns documents waiting for vectors, with their chunks."""
        with self.db.session() as s:
            docs = list(
                s.scalars(
                    select(DocumentRow)
                    .where(DocumentRow.workspace_id == self.workspace, DocumentRow.status == "pending")
                    .order_by(DocumentRow.id)
                    .limit(limit)
                )
            )
            ids = [d.id for d in docs]
            by_doc: dict[str, list[Chunk]] = {i: [] for i in ids}
            if ids:
                for c in s.scalars(select(ChunkRow).where(ChunkRow.document_id.in_(ids)).order_by(ChunkRow.idx)):
                    by_doc[c.document_id].append(Chunk(idx=c.idx, text=c.text, start=c.start, end=c.end, title=""))
            titles = {d.id: d.title for d in docs}
            return [
                PendingDocument(
                    id=d.id,
                    account_id=d.account_id,
                    source_id=d.source_id,
                    url=d.url,
                    title=d.title,
                    doc_type=d.doc_type,
                    published_at=d.published_at,
                    cluster_id=d.cluster_id,
                    chunks=[_with_title(c, titles[d.id]) for c in by_doc[d.id]],
                    previous_chunks=d.chunk_count,
                )
                for d in docs
            ]

    def mark_embedded(self, done: Mapping[str, int]) -> None:
        """Marks documents embedded with their chunk counts."""
        with self.db.session() as s:
            for doc_id, n in done.items():
                s.execute(
                    update(DocumentRow)
                    .where(DocumentRow.workspace_id == self.workspace, DocumentRow.id == doc_id)
                    .values(status="embedded", chunk_count=n)
                )


def _with_title(c: Chunk, title: str) -> Chunk:
    # the same shortened heading the chunker sized the chunk with, so it stays under the model's limit
    return Chunk(idx=c.idx, text=c.text, start=c.start, end=c.end, title=chunk_heading(title))
