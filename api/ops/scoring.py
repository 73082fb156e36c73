"""Scoring every account of a workspace against its active ICP, and reading the results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from api.ops.profiles import build_profiles
from api.services import Services
from scoring.config import IcpConfig
from scoring.domain import Ledger, Tier
from scoring.scorer import score_account
from store.accounts import list_account_ids, list_accounts
from store.icps import active_icp
from store.scores import save_ledgers, stale_accounts


@dataclass
class RescoreSummary:
    """What a rescore did."""

    icp_version: str
    icp_name: str
    scored: int
    tier_changes: int
    as_of: date
    by_tier: dict[str, int] = field(default_factory=dict)


def rescore(
    svc: Services,
    *,
    account_ids: Sequence[int] | None = None,
    as_of: date | None = None,
    config: IcpConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 2000,
) -> RescoreSummary:
    """Scores accounts (all, or the ids given) and stores their ledgers; returns a summary."""
    when = as_of or svc.today()
    scored_at = svc.clock()
    with svc.db.session() as s:
        cfg = config or active_icp(s, svc.workspace)[0]
        ids = list_account_ids(s, svc.workspace, ids=account_ids)
    tiers: Counter[str] = Counter()
    changes = 0
    done = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with svc.db.session() as s:
            rows = list_accounts(s, svc.workspace, ids=chunk)
            profiles = build_profiles(s, svc.workspace, rows, now=scored_at)
            ledgers: list[Ledger] = []
            for row in rows:
                lg = score_account(profiles[row.id], config=cfg, as_of=when, scored_at=scored_at, account_name=row.name)
                ledgers.append(lg)
                tiers[lg.tier.value] += 1
            stale = stale_accounts(s, svc.workspace, [r.id for r in rows])
            changes += save_ledgers(s, svc.workspace, ledgers, stale=stale)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    ordered = {t.value: tiers.get(t.value, 0) for t in Tier}
    return RescoreSummary(cfg.version, cfg.name, len(ids), changes, when, ordered)
