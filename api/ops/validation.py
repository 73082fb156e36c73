"""Win/loss validation of the active (or a given) ICP, and weight proposals, from stored opportunities.

Leakage guard: each opportunity is scored as of its creation date (its close date when none was
recorded; the report counts those deals). Trigger events and other extracted facts count only
when the page or article they were read from was published on or before that date; extracted
facts with no publication date count whatever the date, and the report counts them. CRM fields
have no history, so their current values are used, and the report says so.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from api.ops.profiles import monitored_accounts
from api.services import Services
from scoring.config import IcpConfig, builtin_icp_text
from scoring.domain import Account, Fact, FactKind, Outcome, Profile
from scoring.errors import ValidationDataError
from scoring.merge import merge_profile
from scoring.scorer import score_account
from scoring.validation import DECILES, STATUS_CODES, ValidationInput, ValidationReport, validate
from scoring.weights import WeightProposal, propose_weights
from store.accounts import account_from_row, list_accounts
from store.facts import document_clusters, list_facts
from store.icps import active_icp
from store.opportunities import OpportunityFacts, opportunity_facts, unlinked_reasons

_CHUNK = 500  # ids per IN (...) query, well under SQLite's limit on bound variables


@dataclass
class LoadedHistory:
    """Closed opportunities scored as of their creation, plus what could not be used."""

    data: ValidationInput
    notes: dict[str, object]
    leakage: dict[str, object]


def published_on(fact: Fact) -> date | None:
    """Returns the day a fact became public: its source's publication date, else an event's own date."""
    if fact.evidence is not None and fact.evidence.published_at is not None:
        return fact.evidence.published_at.date()
    if fact.kind is FactKind.TRIGGER:
        return fact.event_date
    return None


@dataclass
class AccountHistory:
    """One account's CRM record and its extracted facts, with the day each fact became public."""

    account: Account
    known_empty: frozenset[str]
    monitored: bool
    facts: list[Fact] = field(default_factory=list)  # in the store's order, as profiles merge them
    rank: list[int] = field(default_factory=list)  # a fact's place in `days`; -1 for an undated fact
    days: list[date] = field(default_factory=list)  # publication days of the dated facts, ascending
    undated_events: int = 0  # events with no date at all: left out, as nothing says they came first

    def visible_count(self, cutoff: date) -> int:
        """Returns how many dated facts were public on the cutoff day."""
        return bisect_right(self.days, cutoff)

    def visible(self, count: int) -> list[Fact]:
        """Returns the facts visible when the first `count` dated facts were public (undated ones always are)."""
        return [f for f, r in zip(self.facts, self.rank, strict=True) if r < count]

    @property
    def undated(self) -> int:
        """Returns how many extracted facts carry no publication date."""
        return sum(r < 0 for r in self.rank)

    @property
    def has_events(self) -> bool:
        """Returns True when any dated trigger event is on record for the account."""
        return any(f.kind is FactKind.TRIGGER for f in self.facts)


def account_histories(
    session: Session, workspace: str, account_ids: list[int]
) -> tuple[dict[int, AccountHistory], dict[str, str]]:
    """Returns the history of each account that exists, and the near-duplicate clusters of its documents."""
    rows = []
    facts: list[Fact] = []
    for start in range(0, len(account_ids), _CHUNK):
        chunk = account_ids[start : start + _CHUNK]
        rows += list_accounts(session, workspace, ids=chunk)
        facts += list_facts(session, workspace, chunk)
    monitored = monitored_accounts(session, workspace, [r.id for r in rows])
    out = {r.id: AccountHistory(account_from_row(r), frozenset(r.known_empty or []), r.id in monitored) for r in rows}
    days: dict[int, list[date | None]] = defaultdict(list)
    for f in facts:
        h = out.get(f.account_id) if f.account_id is not None else None
        if h is None or f.account_id is None or f.kind is FactKind.PERSON:
            continue  # merging ignores people
        day = published_on(f)
        if day is None and f.kind is FactKind.TRIGGER:
            h.undated_events += 1
            continue
        h.facts.append(f)
        days[f.account_id].append(day)
    for account_id, stated in days.items():
        h = out[account_id]
        order = sorted((d, i) for i, d in enumerate(stated) if d is not None)
        h.rank = [-1] * len(stated)
        for place, (_, i) in enumerate(order):
            h.rank[i] = place
        h.days = [d for d, _ in order]
    doc_ids = [f.evidence.document_id for f in facts if f.evidence is not None]
    clusters = document_clusters(session, workspace, doc_ids) if doc_ids else {}
    return out, clusters


def _as_of(o: OpportunityFacts, today: date) -> tuple[date, str]:
    """Returns the date a deal is scored as of, and which date that is."""
    if o.created is not None:
        return o.created, "created"
    if o.closed is not None:
        return o.closed, "closed"
    return today, "today"


def load_history(svc: Services, *, config: IcpConfig) -> LoadedHistory:
    """Scores every closed opportunity's account as of the opportunity's creation date."""
    with svc.db.session() as s:
        opps = opportunity_facts(s, svc.workspace)
        closed = [o for o in opps if o.outcome in (Outcome.WON.value, Outcome.LOST.value)]
        # only accounts with closed deals are read and merged: the rest of the workspace plays no part
        linked = sorted({o.account_id for o in closed if o.account_id is not None})
        histories, clusters = account_histories(s, svc.workspace, linked)
    outcomes = Counter(o.outcome for o in opps)
    usable = [o for o in closed if o.account_id is not None and o.account_id in histories]
    if not usable:
        if closed:
            with svc.db.session() as s:
                reasons = unlinked_reasons(s, svc.workspace)
            why = "; ".join(f"{reason} ({n} deal{'s' if n != 1 else ''})" for reason, n in reasons.most_common(5))
            raise ValidationDataError(
                f"{len(closed)} closed deals are stored but none is linked to an account: {why}. "
                "Import the accounts (icp accounts import); deals imported earlier are linked then."
            )
        raise ValidationDataError(
            "no closed (won or lost) opportunities yet: import them with icp opportunities import "
            "(open deals are kept but do not count)"
        )
    profiles: dict[tuple[int, int], Profile] = {}
    cache: dict[tuple[int, int, date | None], tuple[float, str, list[int]]] = {}
    scored_at = svc.clock()
    today = svc.today()
    fits, tiers, statuses = [], [], []
    as_of_by = Counter[str]()
    hidden_deals = 0
    for o in usable:
        account_id = o.account_id
        assert account_id is not None
        h = histories[account_id]
        as_of, which = _as_of(o, today)
        as_of_by[which] += 1
        count = h.visible_count(as_of) if h.days else 0
        hidden_deals += count < len(h.days)
        prof = profiles.get((account_id, count))
        if prof is None:
            prof = merge_profile(
                h.account,
                h.visible(count),
                now=scored_at,
                known_empty=h.known_empty,
                clusters=clusters,
                monitored=h.monitored,
            )
            profiles[(account_id, count)] = prof
        key = (account_id, count, as_of if prof.events else None)
        scored = cache.get(key)
        if scored is None:
            # the "what moves it up" search is a third of scoring time and validation never shows it
            lg = score_account(prof, config=config, as_of=as_of, scored_at=scored_at, next_tier=False)
            scored = cache[key] = (lg.fit, lg.tier.value, [STATUS_CODES[line.status] for line in lg.lines])
        fits.append(scored[0])
        tiers.append(scored[1])
        statuses.append(scored[2])

    def arr(attr: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([np.nan if getattr(o, attr) is None else float(getattr(o, attr)) for o in usable])

    cycle = np.array(
        [np.nan if (o.created is None or o.closed is None) else float((o.closed - o.created).days) for o in usable]
    )
    data = ValidationInput(
        account=np.array([o.account_id for o in usable], dtype=np.int64),
        fit=np.array(fits, dtype=np.float64),
        tier=tiers,
        won=np.array([o.outcome == Outcome.WON.value for o in usable], dtype=bool),
        amount=arr("amount"),
        cycle_days=cycle,
        closed=[o.closed for o in usable],
        status=np.array(statuses, dtype=np.int8).reshape(len(usable), len(config.criteria)),
        segment=[o.segment for o in usable],
        acquisition_cost=arr("acquisition_cost") if any(o.acquisition_cost is not None for o in usable) else None,
        lifetime_value=arr("lifetime_value") if any(o.lifetime_value is not None for o in usable) else None,
    )
    dates = [o.closed for o in usable if o.closed]
    used_accounts = {o.account_id for o in usable if o.account_id is not None}
    notes: dict[str, object] = {
        "opportunities": len(opps),
        "won": outcomes.get(Outcome.WON.value, 0),
        "lost": outcomes.get(Outcome.LOST.value, 0),
        "open_excluded": outcomes.get(Outcome.OPEN.value, 0),
        "closed_without_account": len(closed) - len(usable),
        "closed_used": len(usable),
        "accounts_with_closed_deals": len(used_accounts),
        "closed_from": str(min(dates)) if dates else None,
        "closed_to": str(max(dates)) if dates else None,
    }
    used = [histories[a] for a in used_accounts]
    leakage = _leakage(
        config,
        as_of_by=as_of_by,
        hidden_deals=hidden_deals,
        event_accounts=sum(h.has_events for h in used),
        dated=sum(len(h.days) for h in used),
        undated=sum(h.undated for h in used),
        undated_events=sum(h.undated_events for h in used),
    )
    return LoadedHistory(data=data, notes=notes, leakage=leakage)


def _leakage(
    config: IcpConfig,
    *,
    as_of_by: Counter[str],
    hidden_deals: int,
    event_accounts: int,
    dated: int,
    undated: int,
    undated_events: int,
) -> dict[str, object]:
    """Returns what the report must say about information from after a deal's creation."""
    on_close, on_today = as_of_by["closed"], as_of_by["today"]
    when = "Each deal is scored as of its creation date"
    if on_close:
        when += (
            f"; {on_close} deal(s) have no creation date and are scored as of their close date, "
            "so what was published while they were open counts for them"
        )
    if on_today:
        when += f"; {on_today} deal(s) have neither date and are scored as of today"
    facts = (
        "Trigger events and other extracted facts (technologies, priorities, pains and the like) count only "
        "when the page or article they were read from was published on or before that date"
    )
    if undated:
        facts += f"; {undated} extracted fact(s) carry no publication date and count whatever the date"
    crm = (
        "CRM fields (firmographics and custom columns) have no history here, so their current values are used: "
        "if they changed because of a deal (for example headcount after an acquisition), the report may "
        "flatter those criteria."
    )
    return {
        "as_of": "each opportunity is scored as of its creation date (its close date when none was recorded)",
        "deals_scored_as_of_creation": as_of_by["created"],
        "deals_scored_as_of_close": on_close,
        "deals_scored_as_of_today": on_today,
        "as_of_criteria": sorted({c.id for c in config.criteria if c.field == "events"}),
        "current_fields": sorted({c.field for c in config.criteria if c.field != "events"}),
        "accounts_with_event_history": event_accounts,
        "dated_extracted_facts": dated,
        "undated_extracted_facts": undated,
        "undated_events_left_out": undated_events,
        "deals_with_later_facts_hidden": hidden_deals,
        "note": f"{when}. {facts}. {crm}",
    }


def run_validation(
    svc: Services,
    *,
    config: IcpConfig | None = None,
    bands: list[float] | None = None,
    min_sample: int = 30,
    permutations: int = 2000,
    bootstrap: int = 1000,
) -> ValidationReport:
    """Validates an ICP (the active one by default) against the stored win/loss history."""
    if config is None:
        with svc.db.session() as s:
            config = active_icp(s, svc.workspace)[0]
    hist = load_history(svc, config=config)
    edges = bands or list(DECILES)
    return validate(
        hist.data,
        config=config,
        generated_at=svc.clock().isoformat(timespec="seconds"),
        bands=edges,
        min_sample=min_sample,
        permutations=permutations,
        bootstrap=bootstrap,
        data_notes=hist.notes,
        leakage=hist.leakage,
    )


def run_weight_proposal(
    svc: Services, *, config: IcpConfig | None = None, yaml_text: str | None = None, min_sample: int = 30
) -> WeightProposal:
    """Learns weights from the stored history and returns the proposal (nothing is applied)."""
    with svc.db.session() as s:
        active, row = active_icp(s, svc.workspace)
    cfg = config or active
    text = yaml_text or (row.yaml if row is not None and config is None else builtin_icp_text("default"))
    hist = load_history(svc, config=cfg)
    return propose_weights(hist.data, config=cfg, yaml_text=text, min_sample=min_sample, today=svc.today())


def today_iso(now: datetime) -> str:
    """Returns a date stamp for file names."""
    return now.strftime("%Y-%m-%d")
