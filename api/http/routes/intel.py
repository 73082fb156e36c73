"""Profiles, facts, signals, documents and search, sources and ingest runs."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import defer

from agent.tools import search_documents
from api.http.deps import AccountId, ObjectId, OptionalAccountId, Svc, WriteSvc
from api.http.errors import ERROR_RESPONSES, ApiError
from api.ops.profiles import build_profiles
from scoring.domain import EventType, Evidence, TriggerEvent
from scoring.merge import dedupe_events
from store.accounts import get_account, list_accounts
from store.documents import add_source, find_source, get_document, list_sources, remove_source
from store.facts import document_clusters, list_event_facts, list_facts
from store.models import DocumentLinkRow, DocumentRow, IngestRunRow

log = logging.getLogger("icp.api")
router = APIRouter(tags=["intelligence"], responses=ERROR_RESPONSES)


class ProfileFieldOut(BaseModel):
    """One profile field: the chosen value, where it came from, its sources and the values it beat."""

    value: Any
    origin: str
    confidence: float
    conflicts: list[Any]
    sources: list[Evidence]


class ProfileOut(BaseModel):
    """What is known about an account."""

    account_id: int
    name: str
    monitored: bool
    fields: dict[str, ProfileFieldOut]
    events: list[TriggerEvent]


class FactOut(BaseModel):
    """A stored fact with its evidence."""

    id: str | None
    kind: str
    field: str
    value: Any
    origin: str
    evidence: Evidence | None
    event_date: date | None
    observed_at: datetime | None
    stale: bool


class SignalOut(TriggerEvent):
    """A trigger event of an account, deduplicated across outlets."""

    account_id: int
    account: str


class DocumentOut(BaseModel):
    """A stored document (text only when one document is asked for)."""

    id: str
    url: str
    title: str
    doc_type: str
    account_id: int | None
    published_at: datetime | None
    fetched_at: datetime
    cluster_id: str | None
    status: str
    stale: bool
    text: str | None = None


class SearchHit(BaseModel):
    """A chunk that matches a query."""

    document_id: str
    chunk: str
    url: str
    title: str
    account_id: int | None
    score: float


class SourceIn(BaseModel):
    """A source to watch (http or https only over the API)."""

    model_config = {"extra": "forbid"}

    url: str = Field(
        max_length=2000,
        pattern=r"^[hH][tT][tT][pP][sS]?://[^\s/]+",
        description="A feed, site or page URL (http or https).",
    )
    kind: str = Field(default="feed", pattern="^(feed|site|page)$")
    account_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    label: str = Field(default="", max_length=300)


class SourceOut(BaseModel):
    """A source with its health."""

    id: int
    kind: str
    url: str
    account_id: int | None
    label: str
    items: int
    last_success_at: datetime | None
    last_error: str | None
    stale: bool


class RunOut(BaseModel):
    """An ingest run and its summary."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


@router.get("/accounts/{account_id}/profile", response_model=ProfileOut, summary="An account's merged profile")
def profile_route(svc: Svc, account_id: AccountId) -> ProfileOut:
    """Returns every known field with its origin, sources, confidence and conflicts, and the trigger events."""
    with svc.db.session() as s:
        row = get_account(s, svc.workspace, account_id)
        prof = build_profiles(s, svc.workspace, [row], now=svc.clock())[row.id]
        name = row.name
    return ProfileOut(
        account_id=account_id,
        name=name,
        monitored=prof.monitored,
        fields={
            k: ProfileFieldOut(
                value=v.value, origin=v.origin.value, confidence=v.confidence, conflicts=v.conflicts, sources=v.evidence
            )
            for k, v in sorted(prof.fields.items())
        },
        events=prof.events,
    )


@router.get("/accounts/{account_id}/facts", response_model=list[FactOut], summary="An account's facts")
def facts_route(svc: Svc, account_id: AccountId) -> list[FactOut]:
    """Returns the account's facts, each with the quote and URL it came from."""
    with svc.db.session() as s:
        get_account(s, svc.workspace, account_id)
        facts = list_facts(s, svc.workspace, [account_id])
    return [
        FactOut(
            id=f.id,
            kind=f.kind.value,
            field=f.field,
            value=f.value,
            origin=f.origin.value,
            evidence=f.evidence,
            event_date=f.event_date,
            observed_at=f.observed_at,
            stale=f.stale,
        )
        for f in facts
    ]


@router.get("/signals", response_model=list[SignalOut], summary="Trigger events, newest first")
def signals_route(
    svc: Svc,
    since: Annotated[date | None, Query(description="Only events on or after this date.")] = None,
    type_: Annotated[list[EventType] | None, Query(alias="type")] = None,
    account_id: OptionalAccountId = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SignalOut]:
    """Returns trigger events deduplicated across outlets and days, with their sources."""
    with svc.db.session() as s:
        accounts = {a.id: a.name for a in list_accounts(s, svc.workspace)}
        if account_id is not None:
            get_account(s, svc.workspace, account_id)
        facts = list_event_facts(s, svc.workspace, account_ids=[account_id] if account_id is not None else None)
        clusters = document_clusters(s, svc.workspace, [f.evidence.document_id for f in facts if f.evidence])
    by_account: dict[int, list[Any]] = {}
    for f in facts:
        if f.account_id is not None:
            by_account.setdefault(f.account_id, []).append(f)
    out: list[SignalOut] = []
    for acc, fs in by_account.items():
        for e in dedupe_events(fs, clusters=clusters):
            if type_ and e.type not in type_:
                continue
            if since and (e.when is None or e.when < since):
                continue
            out.append(SignalOut(**e.model_dump(), account_id=acc, account=accounts.get(acc, "")))
    out.sort(key=lambda e: (e.when or date.min, e.account_id), reverse=True)
    return out[:limit]


def _doc_out(d: DocumentRow, *, text: bool = False) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        url=d.url,
        title=d.title,
        doc_type=d.doc_type,
        account_id=d.account_id,
        published_at=d.published_at,
        fetched_at=d.fetched_at,
        cluster_id=d.cluster_id,
        status=d.status,
        stale=d.stale,
        text=d.text if text else None,
    )


@router.get("/documents", response_model=list[DocumentOut], summary="Stored documents")
def documents_route(
    svc: Svc, account_id: OptionalAccountId = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[DocumentOut]:
    """Returns documents (of one account, or all), newest first."""
    # the listing never shows text or markup: leave those columns (up to hundreds of KB each) unread
    light = (defer(DocumentRow.text), defer(DocumentRow.meta), defer(DocumentRow.signature))
    stmt = select(DocumentRow).options(*light).where(DocumentRow.workspace_id == svc.workspace)
    with svc.db.session() as s:
        if account_id is not None:
            get_account(s, svc.workspace, account_id)
            linked = select(DocumentLinkRow.document_id).where(
                DocumentLinkRow.workspace_id == svc.workspace, DocumentLinkRow.account_id == account_id
            )
            stmt = stmt.where((DocumentRow.account_id == account_id) | DocumentRow.id.in_(linked))
        rows = s.scalars(stmt.order_by(DocumentRow.fetched_at.desc(), DocumentRow.id).limit(limit))
        return [_doc_out(d) for d in rows]


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="One document with its text")
def document_route(svc: Svc, document_id: str) -> DocumentOut:
    """Returns one stored document and its main text."""
    with svc.db.session() as s:
        return _doc_out(get_document(s, svc.workspace, document_id), text=True)


@router.get("/search", response_model=list[SearchHit], summary="Search documents by meaning")
def search_route(
    svc: Svc,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    account_id: OptionalAccountId = None,
    k: Annotated[int, Query(ge=1, le=50)] = 8,
) -> list[SearchHit]:
    """Returns the passages nearest to the query, the workspace filter inside the vector query itself.

    With an account, its own documents and the news linked to it count; when nothing matches by
    meaning, a plain text search answers.
    """
    if account_id is not None:
        with svc.db.session() as s:
            get_account(s, svc.workspace, account_id)
    hits = search_documents(
        svc.db, svc.workspace, q, account_id=account_id, k=k, vectors=svc.vectors, embedder=svc.embedder
    )
    return [
        SearchHit(
            document_id=h.document_id,
            chunk=h.snippet,
            url=h.url or "",
            title=h.title or "",
            account_id=h.account_id,
            score=h.score,
        )
        for h in hits
    ]


def _source_out(r: Any) -> SourceOut:
    return SourceOut(
        id=r.id,
        kind=r.kind,
        url=r.url,
        account_id=r.account_id,
        label=r.label,
        items=r.items,
        last_success_at=r.last_success_at,
        last_error=r.last_error,
        stale=r.stale,
    )


@router.get("/sources", response_model=list[SourceOut], summary="Watched sources and their health")
def sources_route(svc: Svc) -> list[SourceOut]:
    """Returns sources with last success, last error and item counts."""
    with svc.db.session() as s:
        return [_source_out(r) for r in list_sources(s, svc.workspace)]


@router.post("/sources", response_model=SourceOut, status_code=201, summary="Watch a feed, site or page")
def add_source_route(svc: WriteSvc, body: SourceIn) -> SourceOut:
    """Adds an http(s) source; local files and folders are an operator feature of the CLI only."""
    if not re.match(r"^https?://[^\s/]+", body.url, re.IGNORECASE):
        raise ApiError(422, "invalid_source", "sources added over the API must be http:// or https:// URLs")
    with svc.db.session() as s:
        if body.account_id is not None:
            get_account(s, svc.workspace, body.account_id)
        return _source_out(
            add_source(s, svc.workspace, url=body.url, kind=body.kind, account_id=body.account_id, label=body.label)
        )


@router.delete("/sources/{source_id}", status_code=204, summary="Stop watching a source")
def remove_source_route(svc: WriteSvc, source_id: ObjectId) -> None:
    """Removes a source; its documents stay because facts may cite them."""
    with svc.db.session() as s:
        find_source(s, svc.workspace, str(source_id))
        remove_source(s, svc.workspace, str(source_id))


def _run_out(r: IngestRunRow) -> RunOut:
    return RunOut(id=r.id, status=r.status, started_at=r.started_at, finished_at=r.finished_at, summary=r.summary or {})


@router.post("/ingest/runs", response_model=RunOut, status_code=202, summary="Start an ingest run")
def start_run_route(request: Request, svc: WriteSvc) -> RunOut:
    """Queues an ingest (then extraction and rescoring) of the workspace's web sources; poll the run for status."""
    from api.ops.ingest import create_run

    run_id = create_run(svc)
    future = request.app.state.jobs.submit(_ingest_then_extract, svc, run_id)
    future.add_done_callback(_log_failure)
    with svc.db.session() as s:
        row = s.get(IngestRunRow, run_id)
        assert row is not None
        return _run_out(row)


def _log_failure(future: Any) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("ingest run failed: %s", exc, exc_info=exc)


def _ingest_then_extract(svc: Any, run_id: int) -> None:
    from api.ops.extraction import extract_and_rescore
    from api.ops.ingest import run_ingest

    if not run_ingest(svc, allow_local=False, run_id=run_id).skipped:
        extract_and_rescore(svc)


@router.get("/ingest/runs", response_model=list[RunOut], summary="Recent ingest runs")
def runs_route(svc: Svc, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[RunOut]:
    """Returns the most recent runs, newest first."""
    with svc.db.session() as s:
        rows = s.scalars(
            select(IngestRunRow)
            .where(IngestRunRow.workspace_id == svc.workspace)
            .order_by(IngestRunRow.id.desc())
            .limit(limit)
        )
        return [_run_out(r) for r in rows]


@router.get("/ingest/runs/{run_id}", response_model=RunOut, summary="One ingest run")
def run_route(svc: Svc, run_id: ObjectId) -> RunOut:
    """Returns a run's status and summary."""
    with svc.db.session() as s:
        row = s.scalar(
            select(IngestRunRow).where(IngestRunRow.workspace_id == svc.workspace, IngestRunRow.id == run_id)
        )
        if row is None:
            raise ApiError(404, "not_found", f"no ingest run {run_id}")
        return _run_out(row)
