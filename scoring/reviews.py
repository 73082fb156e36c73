"""The ICP review cadence of the template: monthly, quarterly, half-yearly and yearly reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ReviewKind(StrEnum):
    """Reviews the ICP template asks for."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


PERIOD = {
    ReviewKind.MONTHLY: timedelta(days=30),
    ReviewKind.QUARTERLY: timedelta(days=91),
    ReviewKind.HALF_YEARLY: timedelta(days=182),
    ReviewKind.YEARLY: timedelta(days=365),
}

WHAT = {
    ReviewKind.MONTHLY: "review new wins and losses against the ICP: are we winning where we expected?",
    ReviewKind.QUARTERLY: "update criteria and weights from the accumulated data (icp validate, icp weights propose)",
    ReviewKind.HALF_YEARLY: "a full ICP refresh, re-segmenting accounts if needed",
    ReviewKind.YEARLY: "align the ICP with company strategy and the product roadmap",
}


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    """Whether one kind of review is due, and since when."""

    kind: ReviewKind
    last_done: datetime | None
    due_since: datetime | None
    due: bool
    what: str


def reviews_due(
    last_done: dict[ReviewKind, datetime | None], *, now: datetime, started: datetime
) -> list[ReviewStatus]:
    """Returns every review kind with whether it is due; a never-done review is due one period after `started`."""
    out = []
    for kind in ReviewKind:
        last = last_done.get(kind)
        anchor = last or started
        due_at = anchor + PERIOD[kind]
        out.append(ReviewStatus(kind, last, due_at if now >= due_at else None, now >= due_at, WHAT[kind]))
    return out
