"""SQLAlchemy tables. Every row belongs to a workspace; every query filters by it.

SQLite by default, PostgreSQL by URL; JSON columns use the portable `JSON` type. The schema is
created and changed only through Alembic migrations (`store/migrations/`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the portable JSON type for dict and list annotations."""

    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSON,
        list[Any]: JSON,
        list[str]: JSON,
        datetime: UtcDateTime(),
    }


WS = "workspaces.id"


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "domain", name="uq_accounts_domain"),
        UniqueConstraint("workspace_id", "crm_id", name="uq_accounts_crm_id"),
        Index("ix_accounts_ws_name", "workspace_id", "name_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(253), default=None)
    crm_id: Mapped[str | None] = mapped_column(String(200), default=None)
    industry: Mapped[str | None] = mapped_column(String(200), default=None)
    industry_raw: Mapped[str | None] = mapped_column(String(300), default=None)
    revenue: Mapped[float | None] = mapped_column(Float, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    employees: Mapped[int | None] = mapped_column(Integer, default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    region: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str | None] = mapped_column(String(200), default=None)
    founded_year: Mapped[int | None] = mapped_column(Integer, default=None)
    parent_company: Mapped[str | None] = mapped_column(String(300), default=None)
    revenue_potential: Mapped[float | None] = mapped_column(Float, default=None)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    known_empty: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IcpVersionRow(Base):
    __tablename__ = "icp_versions"
    __table_args__ = (UniqueConstraint("workspace_id", "version", name="uq_icp_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    version: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    yaml: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class ScoreRow(Base):
    """The current score of an account; the ledger is stored whole, as JSON."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_ws_tier", "workspace_id", "tier", "fit"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    icp_version: Mapped[str] = mapped_column(String(32))
    fit: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(20))
    ledger: Mapped[dict[str, Any]]
    scored_at: Mapped[datetime]
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class ScoreHistoryRow(Base):
    """Every tier an account has had, so digests and briefs can say what changed."""

    __tablename__ = "score_history"
    __table_args__ = (Index("ix_score_history_account", "workspace_id", "account_id", "scored_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    icp_version: Mapped[str] = mapped_column(String(32))
    fit: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(20))
    scored_at: Mapped[datetime]


class SourceRow(Base):
    """A feed, site or local path watched for one account, or shared by all (account_id null)."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("workspace_id", "url", name="uq_sources_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    label: Mapped[str] = mapped_column(String(300), default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    etag: Mapped[str | None] = mapped_column(String(500), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(100), default=None)
    last_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_status: Mapped[str | None] = mapped_column(String(32), default=None)
    items: Mapped[int] = mapped_column(Integer, default=0)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class DocumentRow(Base):
    """A fetched page, feed item or local file, with its main text."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_ws_account", "workspace_id", "account_id", "published_at"),
        Index("ix_documents_ws_hash", "workspace_id", "content_hash"),
        Index("ix_documents_ws_cluster", "workspace_id", "cluster_id"),
        Index("ix_documents_ws_source", "workspace_id", "source_id"),
        Index("ix_documents_ws_status", "workspace_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), default=None)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"), default=None)
    url: Mapped[str] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    doc_type: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    fetched_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    cluster_id: Mapped[str | None] = mapped_column(String(64), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class DocumentLinkRow(Base):
    """An account a document is about, and how that was decided (source, name or domain match)."""

    __tablename__ = "document_links"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS), index=True)
    how: Mapped[str] = mapped_column(String(32))


class ChunkRow(Base):
    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_document", "document_id", "idx"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    idx: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)


class IngestRunRow(Base):
    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="ingest")
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FactRow(Base):
    """One extracted or imported fact with the verbatim quote it came from."""

    __tablename__ = "facts"
    __table_args__ = (
        Index("ix_facts_ws_account", "workspace_id", "account_id", "field"),
        Index("ix_facts_ws_event", "workspace_id", "kind", "event_date"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), default=None)
    quote: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    title: Mapped[str | None] = mapped_column(Text, default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    event_date: Mapped[date | None] = mapped_column(Date, default=None)
    event_key: Mapped[str | None] = mapped_column(String(64), default=None)
    observed_at: Mapped[datetime]
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    extractor: Mapped[str | None] = mapped_column(String(100), default=None)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class ExtractionCacheRow(Base):
    """Extraction output keyed by content, prompt version, model, workspace and the prompt values sent.

    So nothing is extracted twice, and no workspace or account ever reads another one's output.
    """

    __tablename__ = "extraction_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    output: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class QuarantineRow(Base):
    """Model output that failed validation twice, kept raw for inspection."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS), index=True)
    document_id: Mapped[str | None] = mapped_column(String(64), default=None)
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LlmUsageRow(Base):
    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_ws", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    purpose: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime]


class OpportunityRow(Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "crm_id", name="uq_opportunities_crm_id"),
        Index("ix_opportunities_ws_account", "workspace_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    crm_id: Mapped[str | None] = mapped_column(String(200), default=None)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), default=None)
    account_name: Mapped[str | None] = mapped_column(String(300), default=None)
    outcome: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str | None] = mapped_column(String(100), default=None)
    amount: Mapped[float | None] = mapped_column(Float, default=None)
    created: Mapped[date | None] = mapped_column(Date, default=None)
    closed: Mapped[date | None] = mapped_column(Date, default=None)
    product: Mapped[str | None] = mapped_column(String(200), default=None)
    segment: Mapped[str | None] = mapped_column(String(200), default=None)
    acquisition_cost: Mapped[float | None] = mapped_column(Float, default=None)
    lifetime_value: Mapped[float | None] = mapped_column(Float, default=None)


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_ws_account", "workspace_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    department: Mapped[str | None] = mapped_column(String(200), default=None)
    seniority: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(300), default=None)
    origin: Mapped[str] = mapped_column(String(16), default="crm")
    unverified: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class DigestRow(Base):
    """One digest per workspace per day: the unique key is what makes sending exactly-once."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("workspace_id", "day", name="uq_digests_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageRow(Base):
    """Chat history per workspace, user and conversation."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conv", "workspace_id", "user_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS))
    user_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class ReviewRow(Base):
    """A completed ICP review (monthly, quarterly, half-yearly, yearly)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey(WS), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(Text, default="")


class SeenEventRow(Base):
    """Slack event and trigger ids already handled, for replay dedupe."""

    __tablename__ = "seen_events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]
