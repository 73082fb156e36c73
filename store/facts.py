"""Facts: upserted by deterministic id, read per account, events listed per workspace."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from scoring.domain import Evidence, Fact, FactKind, Origin
from store.db import utcnow
from store.models import DocumentRow, FactRow


def fact_from_row(row: FactRow) -> Fact:
    """Returns the domain model of a stored fact."""
    evidence = None
    if row.document_id and row.quote:
        evidence = Evidence(
            document_id=row.document_id, quote=row.quote, url=row.url, title=row.title, published_at=row.published_at
        )
    return Fact(
        id=row.id,
        account_id=row.account_id,
        kind=FactKind(row.kind),
        field=row.field,
        value=row.value,
        origin=Origin(row.origin),
        evidence=evidence,
        observed_at=row.observed_at,
        event_date=row.event_date,
        confidence=row.confidence,
        extractor=row.extractor,
        stale=row.stale,
    )


def replace_document_facts(
    session: Session, workspace: str, document_id: str, account_id: int, facts: Sequence[Fact], *, extractor: str
) -> int:
    """Replaces what one extractor said about one document for one account; returns the number stored.

    A fact stored before under the same id keeps its earliest `observed_at`: re-extracting an edited
    page does not make its unchanged facts (and events) look newly learned.
    """
    first_seen = _observed_at(session, workspace, [f.id for f in facts if f.id is not None])
    session.execute(
        delete(FactRow).where(
            FactRow.workspace_id == workspace,
            FactRow.document_id == document_id,
            FactRow.account_id == account_id,
            FactRow.extractor == extractor,
        )
    )
    now = utcnow()
    seen = set()
    for f in facts:
        if f.id is None or f.id in seen:
            continue
        seen.add(f.id)
        ev = f.evidence
        observed = f.observed_at or now
        earlier = first_seen.get(f.id)
        session.merge(
            FactRow(
                id=f.id,
                workspace_id=workspace,
                account_id=account_id,
                kind=f.kind.value,
                field=f.field,
                value=f.value,
                origin=f.origin.value,
                document_id=ev.document_id if ev else None,
                quote=ev.quote if ev else None,
                url=ev.url if ev else None,
                title=ev.title if ev else None,
                published_at=ev.published_at if ev else None,
                event_date=f.event_date,
                event_key=None,
                observed_at=min(observed, earlier) if earlier is not None else observed,
                confidence=f.confidence,
                extractor=extractor,
                stale=False,
            )
        )
    return len(seen)


def _observed_at(session: Session, workspace: str, fact_ids: Sequence[str]) -> dict[str, datetime]:
    """Returns when each stored fact among the ids was first observed."""
    found: dict[str, datetime] = {}
    ids = list(dict.fromkeys(fact_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(FactRow.id, FactRow.observed_at).where(
                FactRow.workspace_id == workspace, FactRow.id.in_(ids[start : start + 500])
            )
        ).tuples()
        for fact_id, observed in rows:
            found[fact_id] = observed
    return found


def delete_document_facts(
    session: Session, workspace: str, document_id: str, *, extractor: str, keep_accounts: Collection[int]
) -> int:
    """Deletes what one extractor stored for a document under accounts not in `keep_accounts`; returns how many."""
    result = session.execute(
        delete(FactRow).where(
            FactRow.workspace_id == workspace,
            FactRow.document_id == document_id,
            FactRow.extractor == extractor,
            FactRow.account_id.not_in(list(keep_accounts)),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_facts(session: Session, workspace: str, account_ids: Iterable[int] | None = None) -> list[Fact]:
    """Returns facts of a workspace (optionally of some accounts), oldest first."""
    stmt = select(FactRow).where(FactRow.workspace_id == workspace)
    if account_ids is not None:
        stmt = stmt.where(FactRow.account_id.in_(list(account_ids)))
    return [fact_from_row(r) for r in session.scalars(stmt.order_by(FactRow.observed_at, FactRow.id))]


def list_event_facts(
    session: Session, workspace: str, *, since: datetime | None = None, account_ids: Iterable[int] | None = None
) -> list[Fact]:
    """Returns trigger-event facts, optionally observed since a time or for some accounts."""
    stmt = select(FactRow).where(FactRow.workspace_id == workspace, FactRow.kind == FactKind.TRIGGER.value)
    if since is not None:
        stmt = stmt.where(FactRow.observed_at >= since)
    if account_ids is not None:
        stmt = stmt.where(FactRow.account_id.in_(list(account_ids)))
    return [fact_from_row(r) for r in session.scalars(stmt.order_by(FactRow.observed_at, FactRow.id))]


def mark_account_facts_stale(session: Session, workspace: str, account_id: int, *, stale: bool = True) -> None:
    """Flags an account's facts as stale (extraction failed; the old facts are kept)."""
    session.execute(
        update(FactRow).where(FactRow.workspace_id == workspace, FactRow.account_id == account_id).values(stale=stale)
    )


def document_clusters(session: Session, workspace: str, document_ids: Iterable[str]) -> dict[str, str]:
    """Returns each document's near-duplicate cluster id (its own id when it has none)."""
    ids = list(dict.fromkeys(document_ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(DocumentRow.id, DocumentRow.cluster_id).where(
                DocumentRow.workspace_id == workspace, DocumentRow.id.in_(chunk)
            )
        ).tuples()
        out.update({i: (c or i) for i, c in rows})
    return out
