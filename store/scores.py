"""Scores: the current ledger per account, and a history row whenever fit or tier changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.orm import Session, defer

from scoring.domain import Ledger, Tier
from scoring.explain import explain_ledger
from store.models import AccountRow, ScoreHistoryRow, ScoreRow


def save_ledgers(
    session: Session, workspace: str, ledgers: Iterable[Ledger], *, stale: frozenset[int] = frozenset()
) -> int:
    """Stores ledgers as the accounts' current scores (`stale` ids rest on stale data); returns tier changes."""
    ledgers = list(ledgers)
    ids = [lg.account_id for lg in ledgers if lg.account_id is not None]
    current = {
        r.account_id: r
        for r in session.scalars(
            select(ScoreRow).where(ScoreRow.workspace_id == workspace, ScoreRow.account_id.in_(ids))
        )
    }
    changed = 0
    for lg in ledgers:
        if lg.account_id is None:
            raise ValueError("a ledger to store needs its account id")
        payload = lg.model_dump(mode="json")
        # the ledger in words, stored beside it, so the explanation endpoint serves it without recomputing
        payload["text"] = explain_ledger(lg)
        row = current.get(lg.account_id)
        moved = row is None or row.tier != lg.tier.value or abs(row.fit - lg.fit) > 1e-9
        if row is None:
            row = ScoreRow(account_id=lg.account_id, workspace_id=workspace)
            session.add(row)
        if row is not None and row.tier is not None and row.tier != lg.tier.value:
            changed += 1
        row.icp_version = lg.icp_version
        row.fit = lg.fit
        row.coverage = lg.coverage
        row.tier = lg.tier.value
        row.ledger = payload
        row.scored_at = lg.scored_at
        row.stale = lg.account_id in stale
        if moved:
            session.add(
                ScoreHistoryRow(
                    workspace_id=workspace,
                    account_id=lg.account_id,
                    icp_version=lg.icp_version,
                    fit=lg.fit,
                    tier=lg.tier.value,
                    scored_at=lg.scored_at,
                )
            )
    return changed


def get_explanation(session: Session, workspace: str, account_id: int, *, domain: str | None) -> dict[str, Any] | None:
    """Returns the stored ledger in the explanation JSON shape (no model round trip), or None."""
    row = session.scalar(select(ScoreRow).where(ScoreRow.workspace_id == workspace, ScoreRow.account_id == account_id))
    if row is None:
        return None
    data = dict(row.ledger)
    lines = data.pop("lines", [])
    text = data.pop("text", None)
    if text is None:  # stored before the text was kept
        text = explain_ledger(Ledger.model_validate(row.ledger))
    return {
        **data,
        "id": data.get("account_id"),
        "name": data.get("account_name"),
        "domain": domain,
        "criteria": lines,
        "text": text,
    }


def get_ledger(session: Session, workspace: str, account_id: int) -> Ledger | None:
    """Returns an account's current ledger, or None when it was never scored."""
    row = session.scalar(select(ScoreRow).where(ScoreRow.workspace_id == workspace, ScoreRow.account_id == account_id))
    return None if row is None else Ledger.model_validate(row.ledger)


def _conditions(
    workspace: str, *, tiers: Sequence[Tier] | None, min_fit: float | None, max_fit: float | None
) -> list[ColumnElement[bool]]:
    conds = [AccountRow.workspace_id == workspace, ScoreRow.workspace_id == workspace]
    if tiers:
        conds.append(ScoreRow.tier.in_([t.value for t in tiers]))
    if min_fit is not None:
        conds.append(ScoreRow.fit >= min_fit)
    if max_fit is not None:
        conds.append(ScoreRow.fit <= max_fit)
    return conds


def list_scores(
    session: Session,
    workspace: str,
    *,
    tiers: Sequence[Tier] | None = None,
    min_fit: float | None = None,
    max_fit: float | None = None,
    limit: int | None = None,
    offset: int = 0,
    with_ledger: bool = False,
) -> list[tuple[AccountRow, ScoreRow]]:
    """Returns scored accounts best first (tier, then fit, then name), with optional filters, paged in SQL.

    The ledger JSON is loaded only `with_ledger`; otherwise reading `ScoreRow.ledger` costs a query
    per row, and fails once the session is closed.
    """
    rank = case({t.value: t.rank for t in Tier}, value=ScoreRow.tier, else_=len(Tier) + 1)
    stmt = (
        select(AccountRow, ScoreRow)
        .join(ScoreRow, ScoreRow.account_id == AccountRow.id)
        .where(*_conditions(workspace, tiers=tiers, min_fit=min_fit, max_fit=max_fit))
    )
    stmt = stmt.order_by(rank, ScoreRow.fit.desc(), AccountRow.name_key, AccountRow.id)
    if not with_ledger:
        stmt = stmt.options(defer(ScoreRow.ledger))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(a, sc) for a, sc in session.execute(stmt).tuples()]


def count_scores(
    session: Session,
    workspace: str,
    *,
    tiers: Sequence[Tier] | None = None,
    min_fit: float | None = None,
    max_fit: float | None = None,
) -> int:
    """Returns how many scored accounts `list_scores` would return without a limit."""
    stmt = (
        select(func.count())
        .select_from(AccountRow)
        .join(ScoreRow, ScoreRow.account_id == AccountRow.id)
        .where(*_conditions(workspace, tiers=tiers, min_fit=min_fit, max_fit=max_fit))
    )
    return int(session.scalar(stmt) or 0)


def tier_history(session: Session, workspace: str, account_id: int) -> list[ScoreHistoryRow]:
    """Returns an account's past fits and tiers, oldest first."""
    stmt = (
        select(ScoreHistoryRow)
        .where(ScoreHistoryRow.workspace_id == workspace, ScoreHistoryRow.account_id == account_id)
        .order_by(ScoreHistoryRow.scored_at, ScoreHistoryRow.id)
    )
    return list(session.scalars(stmt))


def clear_scores(session: Session, workspace: str) -> None:
    """Removes every current score of a workspace (history is kept)."""
    session.execute(delete(ScoreRow).where(ScoreRow.workspace_id == workspace))


def stale_accounts(session: Session, workspace: str, account_ids: Sequence[int]) -> frozenset[int]:
    """Returns the accounts whose facts or sources are stale (a refresh or extraction failed)."""
    from store.models import FactRow, SourceRow

    ids = list(account_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update(
            a
            for (a,) in session.execute(
                select(FactRow.account_id)
                .where(FactRow.workspace_id == workspace, FactRow.stale.is_(True), FactRow.account_id.in_(chunk))
                .distinct()
            ).tuples()
        )
        out.update(
            a
            for (a,) in session.execute(
                select(SourceRow.account_id)
                .where(SourceRow.workspace_id == workspace, SourceRow.stale.is_(True), SourceRow.account_id.in_(chunk))
                .distinct()
            ).tuples()
            if a is not None
        )
    return frozenset(out)
