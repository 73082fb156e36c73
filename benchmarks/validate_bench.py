"""Benchmark: `icp validate` on generated win/loss history (default 100,000 opportunities).

Prints the wall time of the whole validation (loading, scoring as of each creation date,
bands, tiers, criteria, AUC with bootstrap and permutation tests) and peak memory, beside two
baselines measured in the same run: reading the opportunities table alone, and a plain numpy
win-rate-per-decile over the same arrays. Goal: under 10 s and under 1 GB.

    python benchmarks/validate_bench.py --opportunities 100000 --accounts 5000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.ops.validation import run_validation  # noqa: E402
from api.services import Services  # noqa: E402
from api.settings import Settings  # noqa: E402
from scoring.config import builtin_icp_text, load_icp_text  # noqa: E402
from store.icps import apply_icp, register_icp  # noqa: E402
from store.models import AccountRow, OpportunityRow  # noqa: E402

COUNTRIES = ["US", "US", "US", "DE", "GB", "NL", "FR", "JP", "BR", "PH"]
SECTORS = ["technology", "software", "healthcare", "retail", "finance", "telecommunications", "marketing"]


def generate(svc: Services, *, accounts: int, opportunities: int, seed: int) -> None:
    """Writes accounts and opportunities whose win rate depends weakly on size and sector."""
    rng = np.random.default_rng(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    emp = rng.lognormal(7, 1.2, accounts).astype(int) + 10
    rev = emp * rng.uniform(1e5, 4e5, accounts)
    sector = rng.integers(0, len(SECTORS), accounts)
    country = rng.integers(0, len(COUNTRIES), accounts)
    with svc.db.session() as s:
        s.execute(
            insert(AccountRow),
            [
                {
                    "workspace_id": svc.workspace,
                    "name": f"Account {i}",
                    "name_key": f"account {i}",
                    "industry": SECTORS[sector[i]],
                    "revenue": float(rev[i]),
                    "currency": "USD",
                    "employees": int(emp[i]),
                    "country": COUNTRIES[country[i]],
                    "founded_year": int(1950 + rng.integers(0, 70)),
                    "parent_company": None if rng.random() < 0.8 else "Group",
                    "aliases": [],
                    "custom": {},
                    "known_empty": ["parent_company"],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(accounts)
            ],
        )
        ids = list(
            s.scalars(select(AccountRow.id).where(AccountRow.workspace_id == svc.workspace).order_by(AccountRow.id))
        )
    acc = rng.integers(0, accounts, opportunities)
    p = 0.45 + 0.08 * (emp[acc] > 2000) + 0.05 * (sector[acc] < 2)
    won = rng.random(opportunities) < p
    open_ = rng.random(opportunities) < 0.2
    created = [date(2016, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 3000, opportunities)]
    cycle = rng.integers(5, 200, opportunities)
    rows = [
        {
            "workspace_id": svc.workspace,
            "crm_id": f"opp-{k}",
            "account_id": ids[acc[k]],
            "account_name": f"Account {acc[k]}",
            "outcome": "open" if open_[k] else ("won" if won[k] else "lost"),
            "stage": None,
            "amount": float(rng.integers(500, 30000)) if won[k] else 0.0,
            "created": created[k],
            "closed": None if open_[k] else created[k] + timedelta(days=int(cycle[k])),
        }
        for k in range(opportunities)
    ]
    with svc.db.session() as s:
        for start in range(0, len(rows), 20000):
            s.execute(insert(OpportunityRow), rows[start : start + 20000])
        reg = register_icp(s, svc.workspace, builtin_icp_text("maven"), source="maven")
        apply_icp(s, svc.workspace, reg.version)


def main() -> None:
    """Runs the benchmark and prints its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--opportunities", type=int, default=100_000)
    ap.add_argument("--accounts", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        svc = Services.create(Settings(icp_home=Path(tmp)), workspace="bench")
        t0 = time.perf_counter()
        generate(svc, accounts=args.accounts, opportunities=args.opportunities, seed=args.seed)
        gen_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with svc.db.session() as s:
            raw = s.execute(select(OpportunityRow.account_id, OpportunityRow.outcome, OpportunityRow.amount)).all()
        read_s = time.perf_counter() - t0

        rng = np.random.default_rng(1)
        fit = rng.uniform(0, 100, len(raw))
        won = np.array([r[1] == "won" for r in raw])
        t0 = time.perf_counter()
        band = np.minimum((fit // 10).astype(int), 9)
        _ = np.bincount(band, weights=won, minlength=10) / np.maximum(np.bincount(band, minlength=10), 1)
        numpy_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = run_validation(svc)
        validate_s = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cfg = load_icp_text(builtin_icp_text("maven"))
    print(
        f"opportunities              {args.opportunities:,} ({report.overall.closed:,} closed, {args.accounts:,} accounts)"
    )
    print(f"ICP                        {cfg.name} ({len(cfg.criteria)} criteria)")
    print(f"generate (not counted)     {gen_s:.2f} s")
    print(f"baseline: read table       {read_s:.2f} s")
    print(f"baseline: numpy win rate   {numpy_s * 1000:.2f} ms")
    print(f"icp validate               {validate_s:.2f} s  ({validate_s / read_s:.1f}x reading the table)")
    print(f"  incl. {report.overall.permutations} permutations and {report.overall.bootstrap} bootstrap resamples")
    print(f"peak RSS (getrusage)       {peak_mb:,.0f} MiB, whole process")
    print(
        f"verdict                    {report.overall.evidence}: AUC {report.overall.auc:.3f}, p {report.overall.p_value:.4f}"
    )
    print(
        f"goal                       < 10 s: {'met' if validate_s < 10 else 'MISSED'}; < 1 GB: {'met' if peak_mb < 1024 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
