"""Opportunities: upsert by CRM id (or a stable key), linked to the account they name by CRM id, domain or name.

    >>> from scoring.crm import parse_opportunities_csv
    >>> parsed = parse_opportunities_csv(b"Account ID,Stage,Amount\\nA-1,Closed Won,100\\n")
    >>> parsed.opportunities[0].account
    AccountRef(name=None, domain=None, crm_id='A-1')

`upsert_opportunities(session, workspace, parsed.opportunities)` links each deal with the account
resolver contacts use (CRM id, then domain, then a name only one account has) and reports the deals
whose account is unknown or ambiguous; `relink_opportunities` links them once their accounts arrive.
The reference is kept in `account_name`: the name as given when that is all the row says, else a
small JSON object with its CRM id, domain and name.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoring.crm import AccountRef, ParsedOpportunity
from scoring.domain import Opportunity, Outcome
from store.accounts import lock_workspace, name_key
from store.contacts import AccountResolver
from store.models import OpportunityRow

_FIELDS = (
    "outcome",
    "stage",
    "amount",
    "created",
    "closed",
    "product",
    "segment",
    "acquisition_cost",
    "lifetime_value",
)
_REF_CHARS = 300  # the width of the account_name column


@dataclass
class OpportunityCounts:
    """How an import changed the opportunities table.

    `outcomes` counts the stored rows the import wrote (one per row, however often a file repeats
    it); `unmatched` and `warnings` hold (spreadsheet row or None, message) pairs: deals whose account
    is unknown or ambiguous, and deals told apart only by their order in the file.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    unlinked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    unmatched: list[tuple[int | None, str]] = field(default_factory=list)
    warnings: list[tuple[int | None, str]] = field(default_factory=list)


def encode_account_ref(ref: AccountRef) -> str | None:
    """Returns how a deal's account reference is stored: the plain name, or JSON when it has more keys."""
    if ref.empty:
        return None
    if ref.crm_id is None and ref.domain is None and ref.name and not ref.name.startswith("{"):
        return ref.name
    data = {k: v for k, v in (("crm_id", ref.crm_id), ("domain", ref.domain), ("name", ref.name)) if v}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # the weakest key gives way first when the column is too narrow for all three
    while len(text) > _REF_CHARS and len(data) > 1:
        data.popitem()
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _REF_CHARS else None


def decode_account_ref(text: str | None) -> AccountRef:
    """Returns the account reference stored by `encode_account_ref` (a plain name before it existed)."""
    if not text:
        return AccountRef()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return AccountRef(
                name=_str_or_none(data.get("name")),
                domain=_str_or_none(data.get("domain")),
                crm_id=_str_or_none(data.get("crm_id")),
            )
    return AccountRef(name=text)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _account_key(ref: AccountRef) -> str:
    if ref.crm_id:
        return "crm:" + ref.crm_id
    if ref.domain:
        return "domain:" + ref.domain
    return "name:" + name_key(ref.name or "")


def _stable_key(ref: AccountRef, o: Opportunity) -> str:
    # what a deal keeps from its first export to its last: stage, amount and close date change as it moves
    return "|".join((_account_key(ref), o.created.isoformat() if o.created else "", o.product or ""))


def _auto_key(stable: str, occurrence: int) -> str:
    return "auto:" + hashlib.sha256(f"{stable}|{occurrence}".encode()).hexdigest()[:24]


def _legacy_key(o: Opportunity) -> str:
    # the key id-less deals were stored under before: adopted so that upgrading does not double them
    blob = "|".join(str(getattr(o, f)) for f in ("account_name", "created", "closed", "amount", "product", "stage"))
    return "auto:" + hashlib.sha256(blob.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class _Entry:
    row: int | None
    ref: AccountRef
    opportunity: Opportunity
    key: str


def _keyed(items: Iterable[ParsedOpportunity | Opportunity], counts: OpportunityCounts) -> list[_Entry]:
    entries: list[_Entry] = []
    stable_rows: dict[str, list[int | None]] = {}
    crm_rows: dict[str, list[int | None]] = {}
    for item in items:
        if isinstance(item, ParsedOpportunity):
            row, ref, o = item.row, item.account, item.opportunity
        else:
            row, ref, o = None, AccountRef(name=item.account_name), item
        if o.crm_id:
            key = o.crm_id
            crm_rows.setdefault(key, []).append(row)
        else:
            stable = _stable_key(ref, o)
            seen = stable_rows.setdefault(stable, [])
            key = _auto_key(stable, len(seen))
            seen.append(row)
        entries.append(_Entry(row, ref, o, key))
    for rows in stable_rows.values():
        if len(rows) > 1:
            counts.warnings.append(
                (
                    rows[1],
                    f"{_rows(rows)} have no opportunity id and name the same account, created date and product: "
                    "they are told apart by their order in the file (add an opportunity id column, or keep the order)",
                )
            )
    for crm_id, rows in crm_rows.items():
        if len(rows) > 1:
            counts.warnings.append(
                (rows[1], f"{_rows(rows)} share the opportunity id {crm_id!r}: the last one is kept")
            )
    return entries


def _rows(rows: list[int | None]) -> str:
    known = [str(r) for r in rows if r is not None]
    return f"rows {', '.join(known)}" if len(known) == len(rows) else f"{len(rows)} deals"


def upsert_opportunities(
    session: Session, workspace: str, items: Iterable[ParsedOpportunity | Opportunity]
) -> OpportunityCounts:
    """Inserts or updates opportunities and links them to the accounts they name; returns the counts.

    Parsed rows carry the whole account reference (name, domain, CRM id); a bare `Opportunity`
    names its account by `account_name` only.
    """
    counts = OpportunityCounts()
    entries = _keyed(items, counts)
    # two imports at once would both miss the other's new deals and store them twice
    lock_workspace(session, workspace)
    resolver = AccountResolver(session, workspace)
    existing = {
        r.crm_id: r
        for r in session.scalars(select(OpportunityRow).where(OpportunityRow.workspace_id == workspace))
        if r.crm_id
    }
    stored: dict[str, OpportunityRow] = {}
    for e in entries:
        account_id: int | None = None
        if not e.ref.empty:
            target = resolver.resolve(e.ref)
            if isinstance(target, int):
                account_id = target
                counts.linked += 1
            else:
                counts.unlinked += 1
                counts.unmatched.append((e.row, target))
        row = existing.get(e.key)
        if row is None and not e.opportunity.crm_id:
            row = existing.pop(_legacy_key(e.opportunity), None)
            if row is not None:
                row.crm_id = e.key
                existing[e.key] = row
        values = {f: getattr(e.opportunity, f) for f in _FIELDS}
        values["outcome"] = e.opportunity.outcome.value
        values["account_name"] = encode_account_ref(e.ref)
        if row is None:
            row = OpportunityRow(workspace_id=workspace, crm_id=e.key, account_id=account_id, **values)
            session.add(row)
            existing[e.key] = row
            counts.created += 1
        elif row.account_id != account_id or any(getattr(row, f) != v for f, v in values.items()):
            row.account_id = account_id
            for f, v in values.items():
                setattr(row, f, v)
            counts.updated += 1
        else:
            counts.unchanged += 1
        stored[e.key] = row
    counts.outcomes = dict(Counter(r.outcome for r in stored.values()))
    return counts


def list_opportunities(session: Session, workspace: str, *, closed_only: bool = False) -> list[OpportunityRow]:
    """Returns a workspace's opportunities (optionally only won and lost ones)."""
    stmt = select(OpportunityRow).where(OpportunityRow.workspace_id == workspace)
    if closed_only:
        stmt = stmt.where(OpportunityRow.outcome.in_([Outcome.WON.value, Outcome.LOST.value]))
    return list(session.scalars(stmt.order_by(OpportunityRow.id)))


def relink_opportunities(session: Session, workspace: str) -> int:
    """Links opportunities whose account arrived after them; returns how many were linked."""
    resolver = AccountResolver(session, workspace)
    n = 0
    for row in session.scalars(
        select(OpportunityRow).where(
            OpportunityRow.workspace_id == workspace,
            OpportunityRow.account_id.is_(None),
            OpportunityRow.account_name.is_not(None),
        )
    ):
        target = resolver.resolve(decode_account_ref(row.account_name))
        if isinstance(target, int):
            row.account_id = target
            n += 1
    return n


def unlinked_reasons(session: Session, workspace: str) -> Counter[str]:
    """Returns why closed deals have no account, with how many deals each reason holds back."""
    resolver = AccountResolver(session, workspace)
    reasons: Counter[str] = Counter()
    stmt = select(OpportunityRow.account_name).where(
        OpportunityRow.workspace_id == workspace,
        OpportunityRow.account_id.is_(None),
        OpportunityRow.outcome.in_([Outcome.WON.value, Outcome.LOST.value]),
    )
    for (stored,) in session.execute(stmt).tuples():
        ref = decode_account_ref(stored)
        if ref.empty:
            reasons["the deal names no account"] += 1
            continue
        target = resolver.resolve(ref)
        if isinstance(target, str):
            reasons[target] += 1
        else:  # stored by a path that did not relink; relink_opportunities links it
            reasons["its account exists but the deal is not linked yet; import the accounts again"] += 1
    return reasons


def outcome_counts(session: Session, workspace: str) -> dict[str, int]:
    """Returns how many opportunities have each outcome."""
    stmt = (
        select(OpportunityRow.outcome, func.count())
        .where(OpportunityRow.workspace_id == workspace)
        .group_by(OpportunityRow.outcome)
    )
    return {o: int(c) for o, c in session.execute(stmt).tuples()}


@dataclass(frozen=True, slots=True)
class OpportunityFacts:
    """The columns validation reads, without ORM overhead (100,000 rows load in well under a second)."""

    id: int
    account_id: int | None
    outcome: str
    amount: float | None
    created: date | None
    closed: date | None
    segment: str | None
    acquisition_cost: float | None
    lifetime_value: float | None


def opportunity_facts(session: Session, workspace: str) -> list[OpportunityFacts]:
    """Returns every opportunity of a workspace as plain tuples."""
    cols = (
        OpportunityRow.id,
        OpportunityRow.account_id,
        OpportunityRow.outcome,
        OpportunityRow.amount,
        OpportunityRow.created,
        OpportunityRow.closed,
        OpportunityRow.segment,
        OpportunityRow.acquisition_cost,
        OpportunityRow.lifetime_value,
    )
    stmt = select(*cols).where(OpportunityRow.workspace_id == workspace).order_by(OpportunityRow.id)
    return [OpportunityFacts(*row) for row in session.execute(stmt).tuples()]
