"""Sources and documents in SQL: add, list and remove sources; read documents per workspace and account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.db import utcnow
from store.errors import NotFound
from store.models import DocumentLinkRow, DocumentRow, SourceRow

SOURCE_KINDS = ("feed", "site", "page", "file")


def add_source(
    session: Session,
    workspace: str,
    *,
    url: str,
    kind: str,
    account_id: int | None = None,
    label: str = "",
    options: dict[str, Any] | None = None,
) -> SourceRow:
    """Adds a source (or updates the one with the same URL); returns its row."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"source kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    row = session.scalar(select(SourceRow).where(SourceRow.workspace_id == workspace, SourceRow.url == url))
    if row is None:
        row = SourceRow(workspace_id=workspace, url=url, kind=kind, created_at=utcnow(), items=0, options={})
        session.add(row)
    row.kind = kind
    row.account_id = account_id
    row.label = label
    row.options = dict(options or {})
    session.flush()
    return row


def list_sources(
    session: Session, workspace: str, *, account_id: int | None = None, ids: Sequence[int] | None = None
) -> list[SourceRow]:
    """Returns a workspace's sources (optionally of one account, or some ids)."""
    stmt = select(SourceRow).where(SourceRow.workspace_id == workspace)
    if account_id is not None:
        stmt = stmt.where(SourceRow.account_id == account_id)
    if ids is not None:
        stmt = stmt.where(SourceRow.id.in_(list(ids)))
    return list(session.scalars(stmt.order_by(SourceRow.id)))


def find_source(session: Session, workspace: str, query: str) -> SourceRow:
    """Returns a source by id or URL."""
    stmt = select(SourceRow).where(SourceRow.workspace_id == workspace)
    row = session.scalar(stmt.where(SourceRow.id == int(query))) if query.isdigit() else None
    row = row or session.scalar(stmt.where(SourceRow.url == query))
    if row is None:
        raise NotFound(f"no source {query!r} (use the id or URL shown by `icp sources list`)")
    return row


def remove_source(session: Session, workspace: str, query: str) -> SourceRow:
    """Removes a source; its documents stay (they may be cited), unlinked from the source."""
    row = find_source(session, workspace, query)
    session.execute(
        update(DocumentRow)
        .where(DocumentRow.workspace_id == workspace, DocumentRow.source_id == row.id)
        .values(source_id=None)
    )
    session.delete(row)
    return row


def document_counts(session: Session, workspace: str) -> dict[str, int]:
    """Returns how many documents each status has."""
    rows = session.execute(
        select(DocumentRow.status, func.count())
        .where(DocumentRow.workspace_id == workspace)
        .group_by(DocumentRow.status)
    ).tuples()
    return {k: int(v) for k, v in rows}


def get_document(session: Session, workspace: str, document_id: str) -> DocumentRow:
    """Returns a document of the workspace, or raises NotFound."""
    row = session.scalar(
        select(DocumentRow).where(DocumentRow.workspace_id == workspace, DocumentRow.id == document_id)
    )
    if row is None:
        raise NotFound(f"no document {document_id}")
    return row


def account_documents(
    session: Session, workspace: str, account_id: int, *, since: datetime | None = None
) -> list[DocumentRow]:
    """Returns the documents about an account (its own sources and entity links), newest first."""
    linked = select(DocumentLinkRow.document_id).where(
        DocumentLinkRow.workspace_id == workspace, DocumentLinkRow.account_id == account_id
    )
    stmt = select(DocumentRow).where(
        DocumentRow.workspace_id == workspace,
        (DocumentRow.account_id == account_id) | DocumentRow.id.in_(linked),
    )
    if since is not None:
        stmt = stmt.where(DocumentRow.fetched_at >= since)
    return list(session.scalars(stmt.order_by(DocumentRow.published_at.desc().nulls_last(), DocumentRow.id)))
