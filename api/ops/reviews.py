"""`icp review`: which reviews are due, and what changed since the last one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.services import Services
from scoring.reviews import ReviewKind, ReviewStatus, reviews_due
from store.db import utcnow
from store.models import IcpVersionRow, OpportunityRow, ReviewRow, ScoreHistoryRow, WorkspaceRow


@dataclass
class ReviewReport:
    """Due reviews plus the changes since the oldest due one."""

    statuses: list[ReviewStatus]
    since: datetime
    new_won: int
    new_lost: int
    icp_versions_applied: int
    tier_changes: int


def review_report(svc: Services) -> ReviewReport:
    """Returns which reviews are due and what changed since the last review of any kind."""
    now = svc.clock()
    with svc.db.session() as s:
        started = s.scalar(select(WorkspaceRow.created_at).where(WorkspaceRow.id == svc.workspace)) or now
        last: dict[ReviewKind, datetime | None] = {}
        for kind in ReviewKind:
            last[kind] = s.scalar(
                select(func.max(ReviewRow.done_at)).where(
                    ReviewRow.workspace_id == svc.workspace, ReviewRow.kind == kind.value
                )
            )
        statuses = reviews_due(last, now=now, started=started)
        done = [d for d in last.values() if d is not None]
        since = max(done) if done else started
        # opportunities have close dates, not timestamps: count those closed on or after the day of `since`
        won = s.scalar(
            select(func.count())
            .select_from(OpportunityRow)
            .where(
                OpportunityRow.workspace_id == svc.workspace,
                OpportunityRow.outcome == "won",
                OpportunityRow.closed >= since.date(),
            )
        )
        lost = s.scalar(
            select(func.count())
            .select_from(OpportunityRow)
            .where(
                OpportunityRow.workspace_id == svc.workspace,
                OpportunityRow.outcome == "lost",
                OpportunityRow.closed >= since.date(),
            )
        )
        applied = s.scalar(
            select(func.count())
            .select_from(IcpVersionRow)
            .where(IcpVersionRow.workspace_id == svc.workspace, IcpVersionRow.applied_at >= since)
        )
        moves = count_tier_changes(s, svc.workspace, since=since)
    return ReviewReport(statuses, since, int(won or 0), int(lost or 0), int(applied or 0), int(moves or 0))


def count_tier_changes(session: Session, workspace: str, *, since: datetime) -> int:
    """Returns how many times an account moved to another tier since a moment (a first score is no move)."""
    history = (
        select(
            ScoreHistoryRow.tier,
            ScoreHistoryRow.scored_at,
            func.lag(ScoreHistoryRow.tier)
            .over(
                partition_by=ScoreHistoryRow.account_id,
                order_by=(ScoreHistoryRow.scored_at, ScoreHistoryRow.id),
            )
            .label("before"),
        )
        .where(ScoreHistoryRow.workspace_id == workspace)
        .subquery()
    )
    stmt = (
        select(func.count())
        .select_from(history)
        .where(history.c.scored_at >= since, history.c.before.is_not(None), history.c.before != history.c.tier)
    )
    return int(session.scalar(stmt) or 0)


def record_review(svc: Services, kind: ReviewKind, *, notes: str = "", when: datetime | None = None) -> None:
    """Records that a review was done."""
    with svc.db.session() as s:
        s.add(ReviewRow(workspace_id=svc.workspace, kind=kind.value, done_at=when or utcnow(), notes=notes))
