"""Domain models shared by every package: accounts, facts with evidence, events, ledgers, tiers.

These are plain pydantic models with no I/O. Persistence lives in `store/`, HTTP in `api/`.

    >>> acct = Account(name="Acme Corp", domain="acme.com", employees=1200, country="US")
    >>> acct.display_name
    'Acme Corp'
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


class Dimension(StrEnum):
    """The four dimensions of ICP criteria."""

    FIRMOGRAPHIC = "firmographic"
    TECHNOGRAPHIC = "technographic"
    BEHAVIOURAL = "behavioural"
    STRATEGIC = "strategic"


class CriterionKind(StrEnum):
    """How a criterion counts: must-haves are dealbreakers when unmet, disqualifiers remove an account."""

    MUST_HAVE = "must_have"
    STRONG = "strong"
    NICE_TO_HAVE = "nice_to_have"
    DISQUALIFIER = "disqualifier"


class Status(StrEnum):
    """The outcome of one criterion for one account.

    `met`: the condition holds. `unmet`: the data says it does not. `unknown`: no data.
    `disqualified`: a disqualifier's condition holds.
    """

    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"
    DISQUALIFIED = "disqualified"


class Tier(StrEnum):
    """Account tiers, best first."""

    TIER_1 = "Tier 1"
    TIER_2 = "Tier 2"
    TIER_3 = "Tier 3"
    NOT_A_TARGET = "Not a target"
    DISQUALIFIED = "Disqualified"

    @property
    def rank(self) -> int:
        """Returns 1 for Tier 1 up to 5 for Disqualified; lower is better."""
        return _TIER_RANK[self]


_TIER_RANK = {
    Tier.TIER_1: 1,
    Tier.TIER_2: 2,
    Tier.TIER_3: 3,
    Tier.NOT_A_TARGET: 4,
    Tier.DISQUALIFIED: 5,
}


class FactKind(StrEnum):
    """What a fact describes."""

    FIRMOGRAPHIC = "firmographic"
    TECHNOGRAPHIC = "technographic"
    TRIGGER = "trigger"
    STRATEGIC = "strategic"
    PERSON = "person"


class EventType(StrEnum):
    """Trigger events worth a rep's attention."""

    FUNDING = "funding"
    LEADERSHIP_CHANGE = "leadership_change"
    ACQUISITION = "acquisition"
    EXPANSION = "expansion"
    LAYOFFS = "layoffs"
    PARTNERSHIP = "partnership"
    PRODUCT_LAUNCH = "product_launch"
    HIRING_SURGE = "hiring_surge"
    IPO = "ipo"


class Origin(StrEnum):
    """Where a value came from."""

    CRM = "crm"
    OFFLINE = "offline"
    LLM = "llm"
    MANUAL = "manual"


class Outcome(StrEnum):
    """The outcome of an opportunity."""

    WON = "won"
    LOST = "lost"
    OPEN = "open"


class StakeholderRole(StrEnum):
    """Roles in a stakeholder map."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    GATEKEEPER = "gatekeeper"
    UNKNOWN = "unknown"


class Evidence(BaseModel):
    """A verbatim quote from a stored document that supports a fact."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    quote: str
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None


class Account(BaseModel):
    """A company the team may sell to, with normalised firmographics.

    `revenue` is in units of `currency` (not millions); `country` is ISO 3166 alpha-2.
    """

    id: int | None = None
    workspace: str = "default"
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

    @property
    def display_name(self) -> str:
        """Returns the name a rep recognises."""
        return self.name or self.domain or f"account {self.id}"


class Fact(BaseModel):
    """One structured statement about an account, with where it came from.

    `field` names a profile field (`industry`, `employees`, `technologies`, `events`, ...).
    Extracted facts carry evidence; CRM facts carry none.
    """

    id: str | None = None
    account_id: int | None = None
    kind: FactKind
    field: str
    value: JsonValue
    origin: Origin
    evidence: Evidence | None = None
    observed_at: datetime | None = None
    event_date: date | None = None
    confidence: float | None = None
    extractor: str | None = None
    stale: bool = False


class TriggerEvent(BaseModel):
    """A dated event at an account, deduplicated across outlets."""

    type: EventType
    event_date: date | None = None
    published_at: datetime | None = None
    summary: str
    people: list[str] = Field(default_factory=list)
    amount: float | None = None
    currency: str | None = None
    materiality: float = Field(default=0.5, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    fact_ids: list[str] = Field(default_factory=list)

    @property
    def when(self) -> date | None:
        """Returns the event date, or the publication date when the event date is unknown."""
        if self.event_date is not None:
            return self.event_date
        return self.published_at.date() if self.published_at else None


class Stakeholder(BaseModel):
    """A person at an account and the role they play in a deal."""

    name: str
    title: str | None = None
    department: str | None = None
    seniority: str | None = None
    role: StakeholderRole = StakeholderRole.UNKNOWN
    email: str | None = None
    origin: Origin = Origin.CRM
    unverified: bool = False
    evidence: list[Evidence] = Field(default_factory=list)
    notes: str | None = None


class Opportunity(BaseModel):
    """A deal with an account: won, lost or open."""

    id: int | None = None
    crm_id: str | None = None
    account_id: int | None = None
    account_name: str | None = None
    outcome: Outcome
    stage: str | None = None
    amount: float | None = None
    created: date | None = None
    closed: date | None = None
    product: str | None = None
    segment: str | None = None
    acquisition_cost: float | None = None
    lifetime_value: float | None = None

    @property
    def cycle_days(self) -> int | None:
        """Returns the days from creation to close, when both are known."""
        if self.created is None or self.closed is None:
            return None
        return (self.closed - self.created).days


class ProfileValue(BaseModel):
    """The chosen value of one profile field, its sources and the values it beat."""

    value: JsonValue
    origin: Origin
    evidence: list[Evidence] = Field(default_factory=list)
    fact_ids: list[str] = Field(default_factory=list)
    confidence: float = 1.0
    conflicts: list[JsonValue] = Field(default_factory=list)
    observed_at: datetime | None = None


class Profile(BaseModel):
    """What is known about an account: merged field values and trigger events.

    The scorer reads only this, so CRM-imported and extracted values count the same way.
    """

    account_id: int | None = None
    fields: dict[str, ProfileValue] = Field(default_factory=dict)
    events: list[TriggerEvent] = Field(default_factory=list)
    monitored: bool = Field(
        default=False,
        description="True when the account's news and pages are ingested, so no event means none seen.",
    )

    def value(self, field: str) -> JsonValue:
        """Returns a field's value, or None when unknown."""
        pv = self.fields.get(field)
        return None if pv is None else pv.value


class LedgerLine(BaseModel):
    """One criterion's outcome for one account: status, points and the evidence behind it."""

    id: str
    label: str
    dimension: Dimension
    kind: CriterionKind
    field: str
    status: Status
    weight: float
    points: float
    values: list[JsonValue] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    quotes: list[Evidence] = Field(default_factory=list)
    reason: str = ""


class NextTier(BaseModel):
    """The smallest change that would lift an account to the next tier up."""

    tier: Tier
    criteria: list[str] = Field(default_factory=list)
    fit_after: float | None = None
    blockers: list[str] = Field(default_factory=list)
    reachable: bool = True


class Ledger(BaseModel):
    """An account's score, line by line, as produced by one ICP version."""

    account_id: int | None = None
    account_name: str | None = None
    icp_version: str
    scored_at: datetime
    as_of: date
    fit: float = Field(ge=0.0, le=100.0)
    coverage: float = Field(ge=0.0, le=100.0)
    tier: Tier
    tier_reason: str
    revenue_potential: float | None = None
    potential_source: str | None = None
    signals: dict[str, bool] = Field(default_factory=dict)
    unproven: list[str] = Field(default_factory=list)
    dealbreakers: list[str] = Field(default_factory=list)
    disqualified_by: list[str] = Field(default_factory=list)
    lines: list[LedgerLine] = Field(default_factory=list)
    next_tier: NextTier | None = None

    def line(self, criterion_id: str) -> LedgerLine:
        """Returns the line of one criterion."""
        for line in self.lines:
            if line.id == criterion_id:
                return line
        raise KeyError(criterion_id)
