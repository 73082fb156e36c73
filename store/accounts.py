"""Accounts: upsert by CRM id, domain or name; lookup by id, domain or name; all per workspace."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from scoring.domain import Account
from store.db import utcnow
from store.errors import NotFound, StoreError
from store.models import AccountRow, WorkspaceRow

_UPDATABLE = (
    "name",
    "domain",
    "crm_id",
    "industry",
    "industry_raw",
    "revenue",
    "currency",
    "employees",
    "country",
    "region",
    "city",
    "founded_year",
    "parent_company",
    "revenue_potential",
)


class AmbiguousAccount(StoreError):
    """A name matches several accounts; `candidates` lists them."""

    def __init__(self, query: str, candidates: list[AccountRow]) -> None:
        self.candidates = candidates
        names = ", ".join(f"{c.name} (id {c.id}{', ' + c.domain if c.domain else ''})" for c in candidates[:8])
        super().__init__(f"{query!r} matches {len(candidates)} accounts: {names}; use the id or domain")


def name_key(name: str) -> str:
    """Returns the lookup key of a company name: whitespace collapsed, case folded."""
    return " ".join(name.split()).casefold()


@dataclass
class UpsertCounts:
    """How an import changed the accounts table; `rejected` holds (item index, reason) pairs."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


def lock_workspace(session: Session, workspace: str) -> None:
    """Takes the workspace's write lock until the transaction ends, so read-then-insert cannot race.

    A no-op UPDATE of the workspace row: SQLite takes its single write lock at the first write (and
    this process's writer queue at the first ORM write), PostgreSQL locks the row; a second import
    of the same workspace waits here and then reads what the first one stored.
    """
    session.execute(
        update(WorkspaceRow).where(WorkspaceRow.id == workspace).values(name=WorkspaceRow.name),
        execution_options={"synchronize_session": False},
    )


def account_from_row(row: AccountRow) -> Account:
    """Returns the domain model of a stored account."""
    return Account(
        id=row.id,
        workspace=row.workspace_id,
        name=row.name,
        domain=row.domain,
        crm_id=row.crm_id,
        industry=row.industry,
        industry_raw=row.industry_raw,
        revenue=row.revenue,
        currency=row.currency,
        employees=row.employees,
        country=row.country,
        region=row.region,
        city=row.city,
        founded_year=row.founded_year,
        parent_company=row.parent_company,
        revenue_potential=row.revenue_potential,
        aliases=list(row.aliases or []),
        custom=dict(row.custom or {}),
    )


def upsert_accounts(
    session: Session,
    workspace: str,
    items: Iterable[tuple[Account, frozenset[str]]],
) -> UpsertCounts:
    """Inserts or updates accounts, matching by CRM id, then domain, then name; returns the counts.

    An item whose domain or CRM id belongs to another stored account is rejected (its index and the
    reason are in `rejected`) and the other items still land.
    """
    lock_workspace(session, workspace)
    rows = list(session.scalars(select(AccountRow).where(AccountRow.workspace_id == workspace)))
    keys = _Keys(rows)
    counts = UpsertCounts()
    now = utcnow()
    for index, (account, known_empty) in enumerate(items):
        row = keys.match(account)
        conflict = keys.conflict(account, row)
        if conflict is not None:
            counts.rejected.append((index, conflict))
            continue
        if row is None:
            row = AccountRow(
                workspace_id=workspace,
                name=account.name,
                name_key=name_key(account.name),
                aliases=list(account.aliases),
                custom=dict(account.custom),
                known_empty=sorted(known_empty),
                created_at=now,
                updated_at=now,
            )
            for attr in _UPDATABLE:
                setattr(row, attr, getattr(account, attr))
            session.add(row)
            session.flush()
            counts.created += 1
        else:
            before = (row.crm_id, row.domain)
            changed = _apply(row, account, known_empty)
            if changed:
                row.updated_at = now
                counts.updated += 1
            else:
                counts.unchanged += 1
            if (row.crm_id, row.domain) != before:
                keys.forget(row, *before)
                # a freed key may be taken by the next item: write this change first, or the
                # database would see both rows holding it within one flush
                session.flush()
        counts.ids.append(row.id)
        keys.remember(row)
    return counts


class _Keys:
    """The workspace's accounts by CRM id, domain and name key, kept current during an upsert."""

    def __init__(self, rows: list[AccountRow]) -> None:
        self.by_crm = {r.crm_id: r for r in rows if r.crm_id}
        self.by_domain = {r.domain: r for r in rows if r.domain}
        self.by_name: dict[str, AccountRow] = {}
        for r in rows:
            self.by_name.setdefault(r.name_key, r)

    def match(self, account: Account) -> AccountRow | None:
        if account.crm_id and account.crm_id in self.by_crm:
            return self.by_crm[account.crm_id]
        if account.domain and account.domain in self.by_domain:
            return self.by_domain[account.domain]
        cand = self.by_name.get(name_key(account.name))
        # a name match only stands in when it cannot contradict a stronger key
        if cand is not None and not (account.domain and cand.domain) and not (account.crm_id and cand.crm_id):
            return cand
        return None

    def conflict(self, account: Account, row: AccountRow | None) -> str | None:
        # only the domain can clash: an item whose CRM id is known matches the account holding it
        other = self.by_domain.get(account.domain) if account.domain else None
        if other is None or other is row:
            return None
        crm = f", CRM id {other.crm_id}" if other.crm_id else ""
        return (
            f"domain {account.domain!r} already belongs to another account, {other.name} (id {other.id}{crm}); "
            "row skipped: correct the export or that account first"
        )

    def forget(self, row: AccountRow, crm_id: str | None, domain: str | None) -> None:
        if crm_id and self.by_crm.get(crm_id) is row and row.crm_id != crm_id:
            del self.by_crm[crm_id]
        if domain and self.by_domain.get(domain) is row and row.domain != domain:
            del self.by_domain[domain]

    def remember(self, row: AccountRow) -> None:
        if row.crm_id:
            self.by_crm[row.crm_id] = row
        if row.domain:
            self.by_domain[row.domain] = row
        self.by_name.setdefault(row.name_key, row)


def _apply(row: AccountRow, account: Account, known_empty: frozenset[str]) -> bool:
    changed = False
    for attr in _UPDATABLE:
        new = getattr(account, attr)
        if new is None and attr in known_empty and getattr(row, attr) is not None:
            setattr(row, attr, None)
            changed = True
        elif new is not None and getattr(row, attr) != new:
            setattr(row, attr, new)
            changed = True
    if row.name_key != name_key(row.name):
        row.name_key = name_key(row.name)
    custom = {**(row.custom or {}), **account.custom}
    if custom != (row.custom or {}):
        row.custom = custom
        changed = True
    aliases = sorted({*(row.aliases or []), *account.aliases})
    if aliases != sorted(row.aliases or []):
        row.aliases = aliases
        changed = True
    empty = sorted(
        {*(row.known_empty or []), *known_empty} - {a for a in _UPDATABLE if getattr(account, a) is not None}
    )
    if empty != sorted(row.known_empty or []):
        row.known_empty = empty
        changed = True
    return changed


_ID = re.compile(r"^\d{1,12}$")


def get_account(session: Session, workspace: str, account_id: int) -> AccountRow:
    """Returns an account by id, or raises NotFound (also for another workspace's id)."""
    row = session.scalar(select(AccountRow).where(AccountRow.workspace_id == workspace, AccountRow.id == account_id))
    if row is None:
        raise NotFound(f"no account with id {account_id}")
    return row


def find_account(session: Session, workspace: str, query: str) -> AccountRow:
    """Returns the account a rep means by an id, a domain or a name (exact, then unique prefix)."""
    q = query.strip()
    if not q:
        raise NotFound("an account id, domain or name is needed")
    base = select(AccountRow).where(AccountRow.workspace_id == workspace)
    if _ID.match(q):
        row = session.scalar(base.where(AccountRow.id == int(q)))
        if row is not None:
            return row
    lowered = q.casefold()
    row = session.scalar(base.where(or_(AccountRow.domain == lowered, AccountRow.crm_id == q)))
    if row is not None:
        return row
    exact = list(session.scalars(base.where(AccountRow.name_key == name_key(q)).limit(10)))
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AmbiguousAccount(q, exact)
    pattern = name_key(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    prefix = list(session.scalars(base.where(AccountRow.name_key.like(pattern, escape="\\")).limit(10)))
    if len(prefix) == 1:
        return prefix[0]
    if len(prefix) > 1:
        raise AmbiguousAccount(q, prefix)
    raise NotFound(f"no account matches {q!r} (tried id, domain, CRM id and name)")


def list_accounts(session: Session, workspace: str, *, ids: Sequence[int] | None = None) -> list[AccountRow]:
    """Returns the workspace's accounts ordered by name (optionally only some ids)."""
    stmt = select(AccountRow).where(AccountRow.workspace_id == workspace)
    if ids is not None:
        stmt = stmt.where(AccountRow.id.in_(list(ids)))
    return list(session.scalars(stmt.order_by(AccountRow.name_key, AccountRow.id)))


def list_account_ids(session: Session, workspace: str, *, ids: Sequence[int] | None = None) -> list[int]:
    """Returns the ids of the workspace's accounts (optionally only those among `ids`) in name order."""
    base = select(AccountRow.name_key, AccountRow.id).where(AccountRow.workspace_id == workspace)
    if ids is None:
        return list(
            session.scalars(
                select(AccountRow.id)
                .where(AccountRow.workspace_id == workspace)
                .order_by(AccountRow.name_key, AccountRow.id)
            )
        )
    wanted = list(dict.fromkeys(ids))
    found: list[tuple[str, int]] = []
    # in chunks: SQLite caps the number of bound parameters in one statement
    for start in range(0, len(wanted), 500):
        found.extend(session.execute(base.where(AccountRow.id.in_(wanted[start : start + 500]))).tuples())
    return [account_id for _, account_id in sorted(found)]


def count_accounts(session: Session, workspace: str) -> int:
    """Returns how many accounts a workspace has."""
    return int(
        session.scalar(select(func.count()).select_from(AccountRow).where(AccountRow.workspace_id == workspace)) or 0
    )
