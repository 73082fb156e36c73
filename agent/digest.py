"""The daily digest: new material trigger events at the accounts of some tiers, sent once per workspace per day.

New means: reported by a fact observed in this digest's window (from the previous digest's creation
to this one's), not part of an event an earlier digest already carried, and recent: the event's own
date (its event date, else its publication date, else when it was first observed) is at most
RECENT_DAYS before the digest day, so a 2015 acquisition re-extracted today is not news. A date after
the digest day (an announced opening, say) counts as recent. Events are grouped
across outlets and days first (`scoring.merge.dedupe_events` with the documents' near-duplicate
clusters), so the same expansion told by three outlets, today or over three days, appears once.
Sending is exactly-once per workspace-day through the claim protocol of `store.digests` (D-6).

    >>> outcome = run_daily_digest(svc, day=svc.today(), send=post_to_slack)  # doctest: +SKIP
    >>> outcome.status                                                       # doctest: +SKIP
    <DigestStatus.SENT: 'sent'>
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from agent.answers import Citation
from agent.citations import CitationBuilder, inline_quote
from agent.tools import MATERIAL, AgentContext, accounts_in_tiers
from scoring.domain import Account, EventType, Fact, Tier, TriggerEvent
from scoring.merge import dedupe_events
from store.db import Database
from store.digests import (
    EMPTY,
    SENT,
    ClaimState,
    claim_digest,
    fail_digest,
    finish_digest,
    list_digest_rows,
    previous_digest,
    reported_fact_ids,
    save_digest_content,
)
from store.facts import document_clusters, list_event_facts

DEFAULT_TIERS: tuple[Tier, ...] = (Tier.TIER_1,)
DEFAULT_LEASE = timedelta(minutes=15)
FIRST_WINDOW = timedelta(days=1)
# Facts carry their document's publication time as observation time; a story ingested a little
# after the previous digest but published before it would otherwise never be reported.
GRACE = timedelta(days=2)
HISTORY = timedelta(days=14)
REPORTED_DAYS = 30
# How old an event (by its own date) may be and still be news in a digest: a story published today
# about an acquisition of 2015, or an old page crawled for the first time, is history, not a trigger.
RECENT_DAYS = 30


class DigestItem(BaseModel):
    """One new trigger event at an account, with its tier and the source that reported it first."""

    account_id: int
    account: str
    domain: str | None = None
    tier: Tier
    event_type: EventType
    date: dt.date | None = None
    summary: str
    materiality: float
    sources: int = 1
    citation: Citation | None = None
    fact_ids: list[str] = Field(default_factory=list)

    def slack_fields(self) -> dict[str, Any]:
        """Returns the fields of `api.slack_render.DigestItem`, so the Slack renderer can take this item."""
        return {
            "account": self.account,
            "tier": self.tier.value,
            "event_type": self.event_type.value.replace("_", " "),
            "date": self.date,
            "summary": self.summary,
            "citation_url": self.citation.url if self.citation else None,
            "citation_title": self.citation.title if self.citation else None,
        }


class Digest(BaseModel):
    """The digest of one workspace-day: its window, its items (best tier, newest first) and sources."""

    workspace: str
    day: date
    tiers: list[Tier]
    since: datetime | None = None
    until: datetime
    items: list[DigestItem] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Returns True when nothing new happened."""
        return not self.items

    @property
    def idempotency_key(self) -> str:
        """Returns the key a sender can use to drop a repeated delivery of this digest."""
        return f"digest:{self.workspace}:{self.day.isoformat()}"

    def slack_items(self) -> list[dict[str, Any]]:
        """Returns the items as keyword arguments for `api.slack_render.DigestItem`."""
        return [item.slack_fields() for item in self.items]

    def to_markdown(self) -> str:
        """Returns the digest as markdown with [n] markers and a numbered source list."""
        tiers = ", ".join(t.value for t in self.tiers)
        out = [f"# ICP digest — {self.day.isoformat()} ({tiers})", ""]
        since = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
        if self.empty:
            return "\n".join([*out, f"No new trigger events at {tiers} accounts{since}."]) + "\n"
        out.append(f"{len(self.items)} new trigger event{'s' if len(self.items) != 1 else ''}{since}.")
        current: Tier | None = None
        for item in self.items:
            if item.tier is not current:
                current = item.tier
                out += ["", f"## {current.value}"]
            when = f" ({item.date.isoformat()})" if item.date else ""
            marker = f" [{item.citation.n}]" if item.citation else ""
            kind = item.event_type.value.replace("_", " ")
            summary = " ".join(item.summary.split()).replace("[", "(").replace("]", ")")
            out.append(f"- **{item.account}** — {kind}{when}: {summary}{marker}")
        if self.citations:
            out += ["", "## Sources"]
            for c in self.citations:
                where = f" — {c.url}" if c.url else ""
                quote = inline_quote(c.quote, limit=200)
                out.append(f"[{c.n}] {(c.title or 'source').replace('[', '(').replace(']', ')')}{where} — “{quote}”")
        return "\n".join(out) + "\n"


class DigestStatus(StrEnum):
    """What one run of the daily digest did."""

    SENT = "sent"
    EMPTY = "empty"
    ALREADY_DONE = "already_done"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    LEASE_LOST = "lease_lost"


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """The result of `run_daily_digest`: status, the attempt that ran, the digest and any send error."""

    status: DigestStatus
    day: date
    attempt: int = 0
    digest: Digest | None = None
    error: str | None = None


def event_day(event: TriggerEvent, observed: Mapping[str, datetime]) -> date | None:
    """Returns the day an event happened for the digest: its date, else its publication date, else first observation."""
    if event.when is not None:
        return event.when
    seen = [observed[fid] for fid in event.fact_ids if fid in observed]
    return min(seen).date() if seen else None


def collect_digest(
    db: Database,
    workspace: str,
    *,
    day: date,
    tiers: Sequence[Tier] = DEFAULT_TIERS,
    since: datetime | None,
    until: datetime,
    reported: set[str] | frozenset[str] = frozenset(),
    min_materiality: float = MATERIAL,
) -> Digest:
    """Returns the digest of new, recent events observed in [since, until) (pure read; nothing is recorded)."""
    accounts: dict[int, tuple[Account, Tier]] = {
        a.id: (a, t) for a, t, _ in accounts_in_tiers(db, workspace, list(tiers)) if a.id is not None
    }
    start = (since or until - FIRST_WINDOW) - GRACE
    oldest = day - timedelta(days=RECENT_DAYS)
    facts: dict[int, list[Fact]] = defaultdict(list)
    ids = list(accounts)
    with db.session() as s:
        for i in range(0, len(ids), 500):
            for f in list_event_facts(s, workspace, since=start - HISTORY, account_ids=ids[i : i + 500]):
                if f.account_id is not None and f.observed_at is not None and f.observed_at < until:
                    facts[f.account_id].append(f)
        doc_ids = [f.evidence.document_id for fs in facts.values() for f in fs if f.evidence]
        clusters = document_clusters(s, workspace, doc_ids) if doc_ids else {}
    observed = {f.id: f.observed_at for fs in facts.values() for f in fs if f.id and f.observed_at}
    items: list[DigestItem] = []
    for account_id, fs in facts.items():
        account, tier = accounts[account_id]
        for event in dedupe_events(fs, clusters=clusters):
            if event.materiality < min_materiality or set(event.fact_ids) & reported:
                continue
            if not any(start <= (observed.get(fid) or start - HISTORY) for fid in event.fact_ids):
                continue  # every report of it came before this window: it is old news
            happened = event_day(event, observed)
            if happened is None or happened < oldest:
                continue  # newly reported, but the event itself is old: history, not a trigger
            items.append(
                DigestItem(
                    account_id=account_id,
                    account=account.name,
                    domain=account.domain,
                    tier=tier,
                    event_type=event.type,
                    date=event.when,
                    summary=event.summary,
                    materiality=event.materiality,
                    sources=max(1, len(event.evidence)),
                    fact_ids=list(event.fact_ids),
                )
            )
    items.sort(key=lambda it: (it.tier.rank, -(it.date or date.min).toordinal(), it.account.casefold(), it.summary))
    cites = CitationBuilder()
    evidence = {f.id: f.evidence for fs in facts.values() for f in fs if f.id and f.evidence}
    numbered = []
    for item in items:
        first = next((evidence[fid] for fid in item.fact_ids if fid in evidence), None)
        citation = cites.get(cites.add(first)) if first is not None else None
        numbered.append(item.model_copy(update={"citation": citation}))
    return Digest(
        workspace=workspace,
        day=day,
        tiers=list(tiers),
        since=since,
        until=until,
        items=numbered,
        citations=cites.citations,
    )


def _reported_before(db: Database, workspace: str, day: date) -> set[str]:
    rows = list_digest_rows(db, workspace, since=day - timedelta(days=REPORTED_DAYS))
    return reported_fact_ids(r for r in rows if r.day < day)


def build_digest(
    svc: AgentContext, *, day: date, tiers: Sequence[Tier] = DEFAULT_TIERS, min_materiality: float = MATERIAL
) -> Digest:
    """Returns the digest a run for `day` would send now (a preview: nothing is claimed or recorded)."""
    previous = previous_digest(svc.db, svc.workspace, day)
    return collect_digest(
        svc.db,
        svc.workspace,
        day=day,
        tiers=tiers,
        since=previous.created_at if previous else None,
        until=svc.clock(),
        reported=_reported_before(svc.db, svc.workspace, day),
        min_materiality=min_materiality,
    )


def run_daily_digest(
    svc: AgentContext,
    *,
    day: date,
    tiers: Sequence[Tier] = DEFAULT_TIERS,
    send: Callable[[Digest], None],
    lease: timedelta = DEFAULT_LEASE,
    send_empty: bool = False,
    min_materiality: float = MATERIAL,
) -> DigestOutcome:
    """Builds and sends the day's digest at most once per workspace-day; safe to call from racing schedulers.

    The day is claimed (committed) before `send` runs. A send that raises releases the claim for
    the next run; a claimer that dies holds it until `lease` has passed. An empty digest is
    recorded as `empty` and, unless `send_empty`, not sent.
    """
    db, workspace = svc.db, svc.workspace
    result = claim_digest(db, workspace, day, now=svc.clock(), lease=lease)
    if result.state is ClaimState.DONE:
        return DigestOutcome(DigestStatus.ALREADY_DONE, day)
    if result.claim is None:
        return DigestOutcome(DigestStatus.IN_PROGRESS, day)
    claim = result.claim
    stored = claim.content.get("digest")
    if stored:
        digest = Digest.model_validate(stored)  # a re-claim sends what the first attempt built
    else:
        previous = previous_digest(db, workspace, day)
        digest = collect_digest(
            db,
            workspace,
            day=day,
            tiers=tiers,
            since=previous.created_at if previous else None,
            until=claim.created_at,
            reported=_reported_before(db, workspace, day),
            min_materiality=min_materiality,
        )
        saved = save_digest_content(db, claim, digest.model_dump(mode="json"))
        if saved is None:
            return DigestOutcome(DigestStatus.LEASE_LOST, day, claim.attempt, digest)
        claim = saved
    if digest.empty and not send_empty:
        done = finish_digest(db, claim, status=EMPTY, now=svc.clock())
        return DigestOutcome(DigestStatus.EMPTY if done else DigestStatus.LEASE_LOST, day, claim.attempt, digest)
    try:
        send(digest)
    except Exception as exc:  # a failed send must release the day for a retry, whatever the sender raised
        fail_digest(db, claim, error=f"{type(exc).__name__}: {exc}")
        return DigestOutcome(DigestStatus.FAILED, day, claim.attempt, digest, error=str(exc))
    done = finish_digest(db, claim, status=SENT, now=svc.clock())
    return DigestOutcome(DigestStatus.SENT if done else DigestStatus.LEASE_LOST, day, claim.attempt, digest)


__all__ = [
    "DEFAULT_LEASE",
    "RECENT_DAYS",
    "Digest",
    "DigestItem",
    "DigestOutcome",
    "DigestStatus",
    "build_digest",
    "collect_digest",
    "event_day",
    "run_daily_digest",
]
