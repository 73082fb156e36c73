"""`icp review` counts the accounts that moved to another tier, not every rescore that moved a fit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_support import icp
from sqlalchemy.orm import Session

from api.ops.reviews import count_tier_changes
from api.services import Services
from api.settings import Settings
from scoring.domain import Account, Tier
from store.accounts import upsert_accounts
from store.db import Database, utcnow
from store.models import ScoreHistoryRow

# (account, days after the start, tier, fit): one real move, a fit-only move, two first scores
HISTORY = [
    ("Alpha", 1, Tier.TIER_3, 55.0),
    ("Alpha", 2, Tier.TIER_3, 58.0),
    ("Alpha", 3, Tier.TIER_2, 72.0),
    ("Beta", 3, Tier.TIER_1, 91.0),
    ("Gamma", 4, Tier.NOT_A_TARGET, 20.0),
]


def _seed(s: Session, workspace: str, start: datetime) -> None:
    names = sorted({name for name, *_ in HISTORY})
    items = [(Account(name=n), frozenset[str]()) for n in names]
    ids = dict(zip(names, upsert_accounts(s, workspace, items).ids, strict=True))
    for name, days, tier, fit in HISTORY:
        s.add(
            ScoreHistoryRow(
                workspace_id=workspace,
                account_id=ids[name],
                icp_version="v1",
                fit=fit,
                tier=tier.value,
                scored_at=start + timedelta(days=days),
            )
        )


@pytest.mark.parametrize(
    ("since_days", "expected"),
    [
        (0, 1),
        (2.5, 1),  # the tier Alpha left was scored before this cut-off, the move itself after it
        (3.1, 0),
    ],
)
def test_tier_changes_are_moves_between_tiers_since_a_moment(db: Database, since_days: float, expected: int) -> None:
    db.ensure_workspace("w")
    start = utcnow()
    with db.session() as s:
        _seed(s, "w", start)
    with db.session() as s:
        assert count_tier_changes(s, "w", since=start + timedelta(days=since_days)) == expected


def test_review_reports_tier_changes(tmp_path: Path) -> None:
    home = tmp_path / "h"
    svc = Services.create(Settings(icp_home=home), workspace="t")
    with svc.db.session() as s:
        _seed(s, "t", utcnow())
    code, out = icp(home, "-w", "t", "review")
    assert code == 0, out
    assert "1 tier change(s)." in out
