"""Digest bookkeeping: at most one digest per workspace per day, claimed before it is sent (D-6).

The row of a day is the lock. Its `status` says where the day stands, and the attempt number in it
is a fencing token, so a compare-and-set UPDATE on the status lets exactly one scheduler move on:

    (no row) ──INSERT──► sending:1 ──► sent          delivered; terminal
                            │    └───► empty         nothing new; recorded so it is never re-sent
                            │    └───► failed:1      send raised; the next run re-claims at once
                            ▼
        lease expired ─► sending:2 ─► …              the claimer died mid-send; one scheduler re-claims

Every transition is its own committed transaction, so a claim is visible to the other schedulers
before anything is sent. The INSERT races on the unique (workspace, day) key: the loser gets an
IntegrityError and reads the winner's row. Re-claims and finishes are `UPDATE … WHERE id = ? AND
status = ?`: of two schedulers that read the same expired claim, one updates a row and the other
none. `content` keeps the claim time (`claimed_at`), the attempt, the digest once built (so a
re-claim sends the same digest again) and the last error. `created_at` is the time of the first
claim and never moves: it closes this day's window of new events and opens the next day's.

A send that completes but whose process dies before `sent` is committed will be sent again after
the lease: no database can tell that case from a send that never happened. Senders receive the
digest's idempotency key for that reason, and the lease must be longer than a send can take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.db import Database
from store.errors import StoreError
from store.models import DigestRow

SENDING = "sending"
FAILED = "failed"
SENT = "sent"
EMPTY = "empty"
TERMINAL = frozenset({SENT, EMPTY})


class ClaimState(StrEnum):
    """What a claim attempt found."""

    CLAIMED = "claimed"
    DONE = "done"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A scheduler's hold on one workspace-day: the row, the attempt it owns and the row's content."""

    row_id: int
    workspace: str
    day: date
    attempt: int
    created_at: datetime
    content: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Returns the status value this claim owns, e.g. `sending:2`."""
        return f"{SENDING}:{self.attempt}"


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome of `claim_digest`: a claim, or the state of a day someone else holds or finished."""

    state: ClaimState
    status: str
    claim: DigestClaim | None = None


def parse_status(status: str) -> tuple[str, int]:
    """Returns a status's state and attempt number: `sending:2` → ("sending", 2), `sent` → ("sent", 0)."""
    state, _, attempt = status.partition(":")
    return state, int(attempt) if attempt.isdigit() else 0


def _claimed_at(row: DigestRow) -> datetime:
    raw = (row.content or {}).get("claimed_at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else row.created_at


def _cas(db: Database, row_id: int, expected: str, values: dict[str, Any]) -> bool:
    with db.session() as s:
        result = s.execute(
            update(DigestRow)
            .where(DigestRow.id == row_id, DigestRow.status == expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount == 1


def claim_digest(db: Database, workspace: str, day: date, *, now: datetime, lease: timedelta) -> ClaimResult:
    """Claims a workspace-day for sending: inserts its row, or takes over a failed or expired claim.

    Runs its own transactions (a claim must be committed before anything is sent).
    """
    try:
        with db.session() as s:
            row = DigestRow(
                workspace_id=workspace,
                day=day,
                status=f"{SENDING}:1",
                content={"claimed_at": now.isoformat(), "attempt": 1},
                created_at=now,
            )
            s.add(row)
            s.flush()
            claim = DigestClaim(row.id, workspace, day, 1, now, dict(row.content))
        return ClaimResult(ClaimState.CLAIMED, claim.status, claim)
    except IntegrityError as exc:
        conflict = exc  # the day is claimed already (or the workspace is missing): look at the row
    with db.session() as s:
        existing = get_digest_row_in(s, workspace, day)
        if existing is None:
            raise StoreError(
                f"cannot claim the digest of {day} in workspace {workspace!r}: {conflict.orig}"
            ) from conflict
        status, content, created_at, row_id = (
            existing.status,
            dict(existing.content or {}),
            existing.created_at,
            existing.id,
        )
        claimed_at = _claimed_at(existing)
    state, attempt = parse_status(status)
    if status in TERMINAL:
        return ClaimResult(ClaimState.DONE, status)
    if state == SENDING and now - claimed_at < lease:
        return ClaimResult(ClaimState.IN_PROGRESS, status)
    content.update({"claimed_at": now.isoformat(), "attempt": attempt + 1})
    new_status = f"{SENDING}:{attempt + 1}"
    if not _cas(db, row_id, status, {"status": new_status, "content": content}):
        return ClaimResult(ClaimState.IN_PROGRESS, status)
    return ClaimResult(
        ClaimState.CLAIMED, new_status, DigestClaim(row_id, workspace, day, attempt + 1, created_at, content)
    )


def save_digest_content(db: Database, claim: DigestClaim, digest: dict[str, Any]) -> DigestClaim | None:
    """Stores the built digest under a claim; returns the updated claim, or None when the claim was lost."""
    content = {**claim.content, "digest": digest}
    if not _cas(db, claim.row_id, claim.status, {"content": content}):
        return None
    return DigestClaim(claim.row_id, claim.workspace, claim.day, claim.attempt, claim.created_at, content)


def finish_digest(db: Database, claim: DigestClaim, *, status: str, now: datetime) -> bool:
    """Marks a claimed day `sent` or `empty`; returns False when another scheduler took the claim over."""
    if status not in TERMINAL:
        raise ValueError(f"a digest finishes as {' or '.join(sorted(TERMINAL))}, not {status!r}")
    values: dict[str, Any] = {"status": status}
    if status == SENT:
        values["sent_at"] = now
    return _cas(db, claim.row_id, claim.status, values)


def fail_digest(db: Database, claim: DigestClaim, *, error: str) -> bool:
    """Releases a claim after a failed send so the next run retries at once; False when the claim was lost."""
    content = {**claim.content, "error": error[:2000]}
    return _cas(db, claim.row_id, claim.status, {"status": f"{FAILED}:{claim.attempt}", "content": content})


def get_digest_row(db: Database, workspace: str, day: date) -> DigestRow | None:
    """Returns the digest row of a workspace-day, if any."""
    with db.session() as s:
        return get_digest_row_in(s, workspace, day)


def get_digest_row_in(session: Session, workspace: str, day: date) -> DigestRow | None:
    """Returns the digest row of a workspace-day within an open session."""
    row: DigestRow | None = session.scalar(
        select(DigestRow).where(DigestRow.workspace_id == workspace, DigestRow.day == day)
    )
    return row


def previous_digest(db: Database, workspace: str, day: date) -> DigestRow | None:
    """Returns the newest digest row of a day before `day` (whatever its status), or None."""
    with db.session() as s:
        row: DigestRow | None = s.scalar(
            select(DigestRow)
            .where(DigestRow.workspace_id == workspace, DigestRow.day < day)
            .order_by(DigestRow.day.desc())
            .limit(1)
        )
        return row


def list_digest_rows(db: Database, workspace: str, *, since: date | None = None) -> list[DigestRow]:
    """Returns a workspace's digest rows, oldest day first (optionally from a day on)."""
    stmt = select(DigestRow).where(DigestRow.workspace_id == workspace)
    if since is not None:
        stmt = stmt.where(DigestRow.day >= since)
    with db.session() as s:
        return list(s.scalars(stmt.order_by(DigestRow.day)))


def reported_fact_ids(rows: Iterable[DigestRow]) -> set[str]:
    """Returns the fact ids behind the items of the given digests (built ones, whatever their status)."""
    out: set[str] = set()
    for row in rows:
        digest = (row.content or {}).get("digest") or {}
        for item in digest.get("items", []):
            out.update(str(i) for i in item.get("fact_ids", []))
    return out


__all__ = [
    "EMPTY",
    "FAILED",
    "SENDING",
    "SENT",
    "ClaimResult",
    "ClaimState",
    "DigestClaim",
    "claim_digest",
    "fail_digest",
    "finish_digest",
    "get_digest_row",
    "get_digest_row_in",
    "list_digest_rows",
    "parse_status",
    "previous_digest",
    "reported_fact_ids",
    "save_digest_content",
]
