"""Revenue is compared in the ICP's currency."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from scoring.columnar import AccountTable, score_columns
from scoring.config import load_icp_text
from scoring.domain import Account, Status
from scoring.money import rate
from scoring.profiles import profile_from_account
from scoring.scorer import score_account

ICP = """
name: money
currency: EUR
fx_rates: {XTS: 2.0}
criteria:
  - {id: rev, dimension: firmographic, kind: strong, weight: 10, field: revenue, match: {range: {min: 100000000, max: 500000000}}}
"""


@pytest.mark.parametrize(
    ("revenue", "currency", "status"),
    [
        (95e6, "GBP", Status.MET),  # about €111M
        (95e6, "EUR", Status.UNMET),
        (105e6, "USD", Status.UNMET),  # about €97M
        (60e6, "XTS", Status.MET),  # the ICP's own rate: €120M
        (150e6, "ZZZ", Status.MET),  # unknown currency: compared as it is
        (150e6, None, Status.MET),
    ],
)
def test_revenue_is_converted_before_it_is_compared(revenue: float, currency: str | None, status: Status) -> None:
    cfg = load_icp_text(ICP)
    profile = profile_from_account(Account(name="A", revenue=revenue, currency=currency))
    ledger = score_account(profile, config=cfg, as_of=date(2026, 1, 1), scored_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert ledger.line("rev").status is status


def test_the_columnar_engine_converts_the_same_way() -> None:
    cfg = load_icp_text(ICP)
    accounts = [
        Account(name=str(i), revenue=r, currency=c)
        for i, (r, c) in enumerate([(95e6, "GBP"), (105e6, "USD"), (60e6, "XTS")])
    ]
    profiles = [profile_from_account(a) for a in accounts]
    table = AccountTable.from_profiles(profiles, currency=cfg.currency, fx_rates=cfg.fx_rates)
    cols = score_columns(table, config=cfg, as_of=date(2026, 1, 1))
    rows = [
        score_account(p, config=cfg, as_of=date(2026, 1, 1), scored_at=datetime(2026, 1, 1, tzinfo=UTC))
        for p in profiles
    ]
    assert [cols.status_of(i, "rev") for i in range(3)] == [r.line("rev").status for r in rows]


def test_rates_pivot_through_euro_and_are_symmetric() -> None:
    usd_gbp = rate("USD", "GBP")
    gbp_usd = rate("GBP", "USD")
    assert usd_gbp is not None and gbp_usd is not None
    assert usd_gbp * gbp_usd == pytest.approx(1.0)
    assert rate("EUR", "EUR") == 1.0
    assert rate("ZZZ", "EUR") is None
