"""Response models of the HTTP API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from scoring.domain import CriterionKind, Dimension, Evidence, JsonValue, NextTier, Status, Tier


class AccountOut(BaseModel):
    """An account's stored, normalised fields and its current score."""

    id: int
    name: str
    domain: str | None = None
    crm_id: str | None = None
    industry: str | None = None
    industry_raw: str | None = None
    revenue: float | None = None
    currency: str | None = None
    employees: int | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    founded_year: int | None = None
    parent_company: str | None = None
    revenue_potential: float | None = None
    aliases: list[str] = Field(default_factory=list)
    custom: dict[str, JsonValue] = Field(default_factory=dict)
    tier: Tier | None = None
    fit: float | None = None
    coverage: float | None = None
    scored_at: datetime | None = None
    stale: bool = False


class AccountPage(BaseModel):
    """One page of accounts, best tier first."""

    items: list[AccountOut]
    total: int
    limit: int
    offset: int


class ImportOut(BaseModel):
    """What an import did."""

    source: str
    rows_read: int
    landed: int
    created: int
    updated: int
    unchanged: int
    rejected: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    column_map: dict[str, str]
    unmapped_columns: list[str]
    preset: str | None = None


class CriterionOut(BaseModel):
    """One ledger line."""

    id: str
    label: str
    dimension: Dimension
    kind: CriterionKind
    field: str
    status: Status
    weight: float
    points: float
    values: list[JsonValue]
    evidence: list[str]
    quotes: list[Evidence]
    reason: str


class ExplanationOut(BaseModel):
    """An account's ledger, in words and in numbers."""

    id: int
    name: str | None
    domain: str | None
    fit: float
    coverage: float
    tier: Tier
    tier_reason: str
    icp_version: str
    scored_at: datetime
    as_of: date
    revenue_potential: float | None
    potential_source: str | None
    signals: dict[str, bool]
    unproven: list[str]
    dealbreakers: list[str]
    disqualified_by: list[str]
    criteria: list[CriterionOut]
    next_tier: NextTier | None
    text: list[str] = Field(description="The ledger in plain sentences.")


class RescoreOut(BaseModel):
    """What a rescore did."""

    icp_version: str
    icp_name: str
    scored: int
    tier_changes: int
    as_of: date
    by_tier: dict[str, int]


class IcpOut(BaseModel):
    """The active ICP."""

    name: str
    version: str
    description: str
    text: list[str]
    config: dict[str, Any]


class OpportunityImportOut(BaseModel):
    """What an opportunity import did."""

    rows_read: int
    landed: int
    created: int
    updated: int
    unchanged: int
    linked_to_accounts: int
    account_not_found: int
    outcomes: dict[str, int] = Field(description="Stored deals per outcome.")
    rejected: list[dict[str, Any]]
    unmatched: list[dict[str, Any]] = Field(
        default_factory=list, description="Deals whose account is unknown or ambiguous."
    )
    warnings: list[dict[str, Any]] = Field(default_factory=list)
