"""Tiers: inclusive lower bounds, reasons in words, revenue potential, and what would move an account up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from scoring.config import IcpConfig, Signals, load_icp_text
from scoring.domain import NextTier, Profile, Tier
from scoring.scorer import score_account
from scoring.tiers import TierInputs, assign_tier, revenue_potential

# The default ICP: Tier 1 fit ≥ 90 and potential ≥ 1M; Tier 2 ≥ 70, ≥ 250K and a buying signal;
# Tier 3 ≥ 50, ≥ 50K and an in-market signal; threshold 50.
BOUNDARIES: list[Any] = [
    ((90.0, 1e6, False, False), Tier.TIER_1),
    ((100.0, 5e6, True, True), Tier.TIER_1),
    ((89.999999, 1e6, True, True), Tier.TIER_2),
    ((90.0, 999_999.0, True, True), Tier.TIER_2),
    ((70.0, 250_000.0, True, True), Tier.TIER_2),
    ((69.999999, 250_000.0, True, True), Tier.TIER_3),
    ((70.0, 249_999.0, True, True), Tier.TIER_3),
    ((95.0, 500_000.0, False, True), Tier.TIER_3),  # no buying signal: Tier 2 is out
    ((60.0, 60_000.0, True, False), Tier.TIER_3),  # a buying signal is also in-market
    ((50.0, 50_000.0, False, True), Tier.TIER_3),
    ((50.0, 49_999.0, False, True), Tier.NOT_A_TARGET),
    ((50.0, 50_000.0, False, False), Tier.NOT_A_TARGET),
    ((49.999999, 1e9, True, True), Tier.NOT_A_TARGET),
    ((0.0, None, False, False), Tier.NOT_A_TARGET),
    ((95.0, None, False, False), Tier.TIER_1),  # unknown potential does not block by default
]


@pytest.mark.parametrize(("inputs", "tier"), BOUNDARIES)
def test_tier_boundaries_are_inclusive_lower_bounds(
    inputs: tuple[float, float | None, bool, bool], tier: Tier, default_icp: IcpConfig
) -> None:
    fit, potential, buying, in_market = inputs
    got, _ = assign_tier(TierInputs(fit, potential, buying, in_market), config=default_icp)
    assert got is tier


def test_unknown_potential_blocks_when_configured(default_icp: IcpConfig) -> None:
    strict = default_icp.model_copy(
        update={"potential": default_icp.potential.model_copy(update={"unknown_blocks": True})}
    )
    tier, reason = assign_tier(TierInputs(95.0, None, True, True), config=strict)
    assert tier is Tier.NOT_A_TARGET
    assert "revenue potential is unknown" in reason


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (TierInputs(95, 2e6, True, True, disqualified_by=("x", "y")), "disqualified by x, y"),
        (TierInputs(95, 2e6, True, True, dealbreakers=("industry_fit",), disqualified_by=("x",)), "disqualified by x"),
        (TierInputs(95, 2e6, True, True, dealbreakers=("industry_fit",)), "must-have unmet: industry_fit"),
        (TierInputs(47.826087, 2e6, True, True), "fit 47.8% is under the 50% threshold"),
        (TierInputs(49.999999, 2e6, True, True), "fit 49.999999% is under the 50% threshold"),
        (TierInputs(90, 1e6, False, False), "fit 90.0% ≥ 90%, revenue potential 1,000,000 EUR"),
        (TierInputs(95, None, False, False), "fit 95.0% ≥ 90%, revenue potential unknown"),
        (TierInputs(72.5, 300_000, True, False), "fit 72.5% ≥ 70%, revenue potential 300,000 EUR, a buying signal"),
        (TierInputs(55, 60_000, False, True), "fit 55.0% ≥ 50%, revenue potential 60,000 EUR, an in-market signal"),
        (
            TierInputs(95, 40_000, True, True),
            "fit 95.0% clears the threshold but no tier's minimums hold "
            "(revenue potential 40,000 EUR is under 50,000 EUR)",
        ),
        (
            TierInputs(60, 60_000, False, False),
            "fit 60.0% clears the threshold but no tier's minimums hold (no in-market signal)",
        ),
    ],
)
def test_tier_reason_in_words(inputs: TierInputs, reason: str, default_icp: IcpConfig) -> None:
    assert assign_tier(inputs, config=default_icp)[1] == reason


TEN = (
    """
name: Ten tens
threshold: 50
criteria:
"""
    + "".join(
        f"  - {{id: c{i}, dimension: firmographic, kind: strong, weight: 10, field: custom.c{i}, match: {{exists: true}}}}\n"
        for i in range(10)
    )
    + """
tiers:
  - {tier: Tier 1, min_fit: 90}
  - {tier: Tier 2, min_fit: 70}
  - {tier: Tier 3, min_fit: 50}
"""
)


@pytest.mark.parametrize(
    ("met", "tier"),
    [
        (10, Tier.TIER_1),
        (9, Tier.TIER_1),
        (8, Tier.TIER_2),
        (7, Tier.TIER_2),
        (6, Tier.TIER_3),
        (5, Tier.TIER_3),
        (4, Tier.NOT_A_TARGET),
        (0, Tier.NOT_A_TARGET),
    ],
)
def test_scored_fit_on_a_boundary_reaches_the_tier(
    met: int, tier: Tier, make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    fields = {f"custom.c{i}": ("yes" if i < met else "") for i in range(10)}
    ledger = score_account(make_profile(fields), config=load_icp_text(TEN), as_of=as_of, scored_at=scored_at)
    assert (ledger.fit, ledger.tier) == (10.0 * met, tier)


def test_fit_a_float_hair_under_a_boundary_still_reaches_it(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    cfg = load_icp_text(
        """
name: Floats
threshold: 50
criteria:
  - {id: a, dimension: firmographic, kind: strong, weight: 0.2, field: custom.a, match: {exists: true}}
  - {id: b, dimension: firmographic, kind: strong, weight: 0.7, field: custom.b, match: {exists: true}}
  - {id: c, dimension: firmographic, kind: strong, weight: 0.3, field: custom.c, match: {exists: true}}
tiers: [{tier: Tier 1, min_fit: 75}, {tier: Tier 3, min_fit: 50}]
"""
    )
    assert 100.0 * (0.2 + 0.7) / (0.2 + 0.7 + 0.3) < 75  # 74.99999999999999 in floats
    ledger = score_account(
        make_profile({"custom.a": "x", "custom.b": "x", "custom.c": ""}), config=cfg, as_of=as_of, scored_at=scored_at
    )
    assert (ledger.fit, ledger.tier) == (75.0, Tier.TIER_1)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"revenue_potential": 2_000_000, "employees": 10}, (2_000_000.0, "column revenue_potential")),
        ({"revenue_potential": "300,000"}, (300_000.0, "column revenue_potential")),
        ({"revenue_potential": "n/a", "employees": 1600}, (1_200_000.0, "rule 1 (employees ≥ 1500)")),
        ({"revenue_potential": float("nan"), "employees": "800"}, (400_000.0, "rule 2 (employees ≥ 500)")),
        ({"revenue_potential": None, "employees": 150}, (120_000.0, "rule 3 (employees ≥ 150)")),
        ({"employees": 0}, (40_000.0, "rule 4 (employees ≥ 0)")),
        ({"employees": -5}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_revenue_potential_from_column_then_rules(
    fields: dict[str, Any], expected: tuple[float | None, str | None], default_icp: IcpConfig
) -> None:
    assert revenue_potential(fields, config=default_icp) == expected


# Next tier: criteria read `exists` on their own custom field, so "x" is met, "" unmet, absent unknown.
NEXT = """
name: Next
threshold: 50
criteria:
  - {id: must, dimension: firmographic, kind: must_have, weight: 20, field: custom.must, match: {exists: true}}
  - {id: big, dimension: firmographic, kind: strong, weight: 30, field: custom.big, match: {exists: true}}
  - {id: mid, dimension: firmographic, kind: strong, weight: 15, field: custom.mid, match: {exists: true}}
  - {id: mid2, dimension: firmographic, kind: strong, weight: 10, field: custom.mid2, match: {exists: true}}
  - {id: small, dimension: firmographic, kind: nice_to_have, weight: 10, field: custom.small, match: {exists: true}}
  - {id: buy, dimension: strategic, kind: nice_to_have, weight: 5, field: custom.buy, match: {exists: true}}
  - {id: news, dimension: strategic, kind: nice_to_have, weight: 10, field: custom.news, match: {exists: true}}
  - {id: dq, dimension: strategic, kind: disqualifier, field: custom.dq, match: {exists: true}}
signals: {buying: [buy], in_market: [news]}
tiers:
  - {tier: Tier 1, min_fit: 90, min_potential: 1000000}
  - {tier: Tier 2, min_fit: 70, min_potential: 250000, requires: buying}
  - {tier: Tier 3, min_fit: 50, min_potential: 50000, requires: in_market}
"""
ALL = ("must", "big", "mid", "mid2", "small", "buy", "news", "dq")


def _next_profile(
    make_profile: Callable[..., Profile], met: set[str], potential: float, unknown: set[str] | None = None
) -> Profile:
    fields: dict[str, Any] = {f"custom.{c}": ("x" if c in met else "") for c in ALL if c not in (unknown or set())}
    fields["revenue_potential"] = potential
    return make_profile(fields)


@pytest.mark.parametrize(
    ("met", "unknown", "potential", "tier", "expected"),
    [
        pytest.param({"must", "big", "mid", "mid2", "small", "buy"}, set(), 2e6, Tier.TIER_1, None, id="top"),
        pytest.param(
            {"must", "big", "mid", "news"}, set(), 2e6, Tier.TIER_3,
            NextTier(tier=Tier.TIER_2, criteria=["buy"], fit_after=80.0), id="signal-is-the-cheapest-step",
        ),
        pytest.param(
            {"must", "big", "mid", "news"}, {"buy"}, 2e6, Tier.TIER_3,
            NextTier(tier=Tier.TIER_2, criteria=["buy"], fit_after=80.0), id="unknown-counts-as-open",
        ),
        pytest.param(
            {"must", "news", "small", "mid2"}, set(), 2e6, Tier.TIER_3,
            NextTier(tier=Tier.TIER_1, criteria=["big", "mid"], fit_after=95.0), id="tie-goes-to-the-better-tier",
        ),
        pytest.param(
            {"big", "mid", "mid2", "small", "buy", "news"}, set(), 2e6, Tier.NOT_A_TARGET,
            NextTier(tier=Tier.TIER_1, criteria=["must"], fit_after=100.0), id="dealbreaker-must-flip",
        ),
        pytest.param(
            {"must", "big"}, set(), 2e6, Tier.NOT_A_TARGET,
            NextTier(tier=Tier.TIER_3, criteria=["news"], fit_after=60.0), id="in-market-signal-closes-gap",
        ),
        pytest.param(
            {"must", "big", "mid", "news"}, set(), 100_000, Tier.TIER_3,
            NextTier(
                tier=Tier.TIER_2, criteria=["buy"], fit_after=80.0, reachable=False,
                blockers=["revenue potential 100,000 EUR is under 250,000 EUR"],
            ),
            id="potential-too-low",
        ),
        pytest.param(
            {"must", "big", "mid", "news", "dq"}, set(), 2e6, Tier.DISQUALIFIED,
            NextTier(
                tier=Tier.TIER_3, reachable=False,
                blockers=["disqualified by dq: no criterion can offset a disqualifier"],
            ),
            id="disqualified",
        ),
    ],
)  # fmt: skip
def test_next_tier(
    met: set[str],
    unknown: set[str],
    potential: float,
    tier: Tier,
    expected: NextTier | None,
    make_profile: Callable[..., Profile],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = load_icp_text(NEXT)
    ledger = score_account(
        _next_profile(make_profile, met, potential, unknown), config=cfg, as_of=as_of, scored_at=scored_at
    )
    assert ledger.tier is tier
    assert ledger.next_tier == expected


def test_next_tier_may_skip_a_tier_when_that_takes_fewer_criteria(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    cfg = load_icp_text(
        """
name: Skip
threshold: 50
criteria:
  - {id: base, dimension: firmographic, kind: strong, weight: 50, field: custom.base, match: {exists: true}}
  - {id: news, dimension: strategic, kind: nice_to_have, weight: 10, field: custom.news, match: {exists: true}}
  - {id: heavy, dimension: firmographic, kind: strong, weight: 30, field: custom.heavy, match: {exists: true}}
  - {id: buy, dimension: strategic, kind: nice_to_have, weight: 1, field: custom.buy, match: {exists: true}}
  - {id: rest, dimension: firmographic, kind: nice_to_have, weight: 9, field: custom.rest, match: {exists: true}}
signals: {buying: [buy], in_market: [news]}
"""
    )
    fields = {"custom.base": "x", "custom.news": "x", "custom.heavy": "", "custom.buy": "", "custom.rest": ""}
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    # Tier 2 needs the buying signal and 70: two criteria; Tier 1 needs 90 and no signal: one
    assert ledger.tier is Tier.TIER_3
    assert ledger.next_tier == NextTier(tier=Tier.TIER_1, criteria=["heavy"], fit_after=90.0)


def test_next_tier_is_unreachable_when_no_criterion_can_signal(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    # A validated ICP cannot name a disqualifier as a signal (it would never be met); an ICP
    # built without validation can, and then the signal is impossible to supply.
    cfg = load_icp_text(NEXT)
    broken = cfg.model_copy(update={"signals": Signals.model_construct(buying=["dq"], in_market=["news"])})
    profile = _next_profile(make_profile, {"must", "big", "mid", "news"}, 2e6)
    ledger = score_account(profile, config=broken, as_of=as_of, scored_at=scored_at)
    assert ledger.tier is Tier.TIER_3
    # Tier 1 is still in reach through fit alone; Tier 2 is not, through any criterion
    assert ledger.next_tier == NextTier(tier=Tier.TIER_1, criteria=["mid2", "small"], fit_after=95.0)
    tier1_out = broken.model_copy(update={"tiers": [t for t in broken.tiers if t.tier is not Tier.TIER_1]})
    ledger = score_account(profile, config=tier1_out, as_of=as_of, scored_at=scored_at)
    assert ledger.next_tier == NextTier(
        tier=Tier.TIER_2,
        reachable=False,
        blockers=["no open criterion can supply the buying signal Tier 2 requires"],
    )
