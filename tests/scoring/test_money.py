"""Money is compared in the ICP's currencies: revenue in `currency`, revenue potential in `potential.currency`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.columnar import STATUS_BY_CODE, AccountTable, ColumnarError, score_columns
from scoring.config import IcpConfig, load_icp_text
from scoring.domain import Account, Evidence, Fact, FactKind, Ledger, Origin, Profile, ProfileValue, Status, Tier
from scoring.merge import merge_profile
from scoring.money import Currencies, convert_money, rate
from scoring.profiles import profile_from_account
from scoring.scorer import score_account

AS_OF = date(2026, 1, 1)
SCORED_AT = datetime(2026, 1, 1, tzinfo=UTC)

ICP = """
name: money
currency: EUR
fx_rates: {XTS: 2.0}
criteria:
  - {id: rev, dimension: firmographic, kind: strong, weight: 10, field: revenue, match: {range: {min: 50000000, max: 500000000}}}
  - {id: known, dimension: firmographic, kind: strong, weight: 10, field: revenue, match: {exists: true}}
  - {id: pot, dimension: firmographic, kind: nice_to_have, weight: 0, field: revenue_potential, match: {range: {min: 1000000}}}
tiers:
  - {tier: Tier 1, min_fit: 90, min_potential: 1000000}
  - {tier: Tier 2, min_fit: 50, min_potential: 250000}
potential: {currency: EUR}
"""


@pytest.fixture(scope="module")
def cfg() -> IcpConfig:
    return load_icp_text(ICP)


def _score(profile: Profile, cfg: IcpConfig) -> Ledger:
    return score_account(profile, config=cfg, as_of=AS_OF, scored_at=SCORED_AT)


@pytest.mark.parametrize(
    ("revenue", "currency", "status"),
    [
        (45e6, "GBP", Status.MET),  # about €52.7M
        (45e6, "EUR", Status.UNMET),
        (540e6, "USD", Status.MET),  # about €497M
        (545e6, "USD", Status.UNMET),  # about €501M
        (50e6, "usd", Status.UNMET),  # a lower-case code still converts: about €46M
        (30e6, "XTS", Status.MET),  # the ICP's own rate: €60M
        (100e6, "RUB", Status.UNKNOWN),  # no rate: never compared as €100M
        (150e6, "ZZZ", Status.UNKNOWN),
        (150e6, None, Status.MET),  # no currency stated: taken as the ICP's
    ],
)
def test_revenue_is_converted_before_it_is_compared(
    revenue: float, currency: str | None, status: Status, cfg: IcpConfig
) -> None:
    ledger = _score(profile_from_account(Account(name="A", revenue=revenue, currency=currency)), cfg)
    assert ledger.line("rev").status is status
    assert ledger.line("known").status is Status.MET  # an amount in an unknown currency is still a known revenue


def test_an_amount_that_cannot_be_converted_says_why(cfg: IcpConfig) -> None:
    ledger = _score(profile_from_account(Account(name="A", revenue=100e6, revenue_potential=5e6, currency="RUB")), cfg)
    for line_id, words in (("rev", "revenue"), ("pot", "revenue potential")):
        line = ledger.line(line_id)
        assert line.status is Status.UNKNOWN
        assert line.reason == (
            f"{words} is in RUB, which has no exchange rate to EUR: add RUB to the ICP's fx_rates to compare it"
        )
    assert ledger.line("rev").values == ["100,000,000 RUB"]
    assert ledger.revenue_potential is None


POTENTIAL_ICP = """
name: potential
currency: EUR
criteria:
  - {id: named, dimension: firmographic, kind: strong, weight: 10, field: name, match: {exists: true}}
tiers:
  - {tier: Tier 1, min_fit: 90, min_potential: 1000000}
  - {tier: Tier 2, min_fit: 50, min_potential: 250000}
potential: {currency: EUR}
"""


@pytest.mark.parametrize(
    ("potential", "currency", "expected", "tier"),
    [
        (150e6, "JPY", 930_000, Tier.TIER_2),  # ¥150M is about €0.93M: under Tier 1's €1M
        (150e6, "EUR", 150e6, Tier.TIER_1),
        (2e6, "USD", 1_840_000, Tier.TIER_1),
        (1e6, "USD", 920_000, Tier.TIER_2),
        (200e6, "RUB", None, Tier.TIER_1),  # unknown, not 200M: and unknown potential does not block here
        (900_000, None, 900_000, Tier.TIER_2),  # no currency stated: taken as the potential's
    ],
)
def test_revenue_potential_is_converted_into_the_potential_currency(
    potential: float, currency: str | None, expected: float | None, tier: Tier
) -> None:
    cfg = load_icp_text(POTENTIAL_ICP)
    ledger = _score(profile_from_account(Account(name="A", revenue_potential=potential, currency=currency)), cfg)
    assert ledger.revenue_potential == (None if expected is None else pytest.approx(expected))
    assert ledger.tier is tier


def test_the_potential_is_converted_into_its_own_currency_through_the_icps_rates() -> None:
    cfg = load_icp_text(ICP.replace("currency: EUR\nfx_rates: {XTS: 2.0}", "currency: USD\nfx_rates: {XTS: 2.0}"))
    # potential minimums stay in EUR; XTS is 2 USD, and a USD is 0.92 EUR
    ledger = _score(profile_from_account(Account(name="A", revenue=100e6, revenue_potential=1e6, currency="XTS")), cfg)
    assert ledger.revenue_potential == pytest.approx(1_840_000)


# --- merged profiles: extracted revenue keeps its own currency ---------------------------------


def _revenue_fact(amount: float, currency: str, doc: str = "d1") -> Fact:
    when = datetime(2025, 12, 1, tzinfo=UTC)
    return Fact(
        id=f"{doc}-revenue",
        kind=FactKind.FIRMOGRAPHIC,
        field="revenue",
        value={"amount": amount, "currency": currency},
        origin=Origin.OFFLINE,
        evidence=Evidence(document_id=doc, quote=f"revenue of {currency} {amount:,.0f}", published_at=when),
        observed_at=when,
    )


@pytest.mark.parametrize(
    ("crm_currency", "amount", "status", "euros"),
    [
        ("JPY", 300e6, Status.MET, 276e6),  # $300M, not ¥300M (about €1.9M)
        (None, 540e6, Status.MET, 496.8e6),  # $540M, not €540M
        (None, 560e6, Status.UNMET, 515.2e6),
    ],
)
def test_extracted_revenue_is_converted_from_its_own_currency(
    crm_currency: str | None, amount: float, status: Status, euros: float, cfg: IcpConfig
) -> None:
    account = Account(id=1, name="A", currency=crm_currency)
    profile = merge_profile(account, [_revenue_fact(amount, "USD")], now=SCORED_AT)
    ledger = _score(profile, cfg)
    assert ledger.line("rev").status is status
    converted = convert_money(profile, currencies=Currencies.of(cfg)).profile
    assert converted.value("revenue") == pytest.approx(euros)


def test_the_crm_potential_stays_in_the_crm_currency_when_extracted_revenue_brings_another(cfg: IcpConfig) -> None:
    account = Account(id=1, name="A", currency="JPY", revenue_potential=150e6)
    profile = merge_profile(account, [_revenue_fact(300e6, "USD")], now=SCORED_AT)
    ledger = _score(profile, cfg)
    assert ledger.revenue_potential == pytest.approx(930_000)  # ¥150M, not $150M
    assert ledger.tier is Tier.TIER_2


# --- both engines convert alike ------------------------------------------------------------------


def _money_profile(i: int, fields: dict[str, Any]) -> Profile:
    return Profile(account_id=i, fields={k: ProfileValue(value=v, origin=Origin.CRM) for k, v in fields.items()})


MONEY_ROWS: list[dict[str, Any]] = [
    {"revenue": 45e6, "currency": "GBP", "revenue_potential": 2e6},
    {"revenue": 540e6, "currency": "USD", "revenue_potential": 1e6},
    {"revenue": 100e6, "currency": "RUB", "revenue_potential": 5e6},
    {"revenue": 30e6, "currency": "XTS"},
    {"revenue": "60,000,000", "currency": "usd", "revenue_potential": "3,000,000"},
    {"revenue": 300e6, "currency": "USD", "revenue_potential": 150e6, "revenue_potential_currency": "JPY"},
    {"revenue": 300e6, "currency": "USD", "revenue_potential": 150e6, "revenue_potential_currency": None},
    {"revenue": None, "currency": "USD", "revenue_potential": 150e6},
    {"revenue": 70e6},
    {},
]


def _assert_engines_agree(profiles: list[Profile], cfg: IcpConfig) -> None:
    table = AccountTable.from_profiles(profiles, config=cfg)
    cols = score_columns(table, config=cfg, as_of=AS_OF, scored_at=SCORED_AT)
    for i, p in enumerate(profiles):
        want = _score(p, cfg)
        got = cols.ledger(i)
        assert [STATUS_BY_CODE[s] for s in cols.status[i]] == [line.status for line in want.lines], i
        assert [line.reason for line in got.lines] == [line.reason for line in want.lines], i
        assert (got.fit, got.tier, got.revenue_potential) == (want.fit, want.tier, want.revenue_potential), i


def test_the_columnar_engine_converts_the_same_way(cfg: IcpConfig) -> None:
    _assert_engines_agree([_money_profile(i, row) for i, row in enumerate(MONEY_ROWS)], cfg)


codes = st.sampled_from(["EUR", "USD", "usd", "JPY", "XTS", "RUB", "ZZZ", "", "  ", None, 42])
amounts = st.one_of(st.none(), st.floats(0, 1e10), st.sampled_from(["3,000,000", "n/a", "", 1e9]))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "revenue": amounts,
                "revenue_potential": amounts,
                "currency": codes,
                "revenue_potential_currency": codes,
            },
        ),
        min_size=1,
        max_size=8,
    )
)
def test_both_engines_convert_arbitrary_money_alike(rows: list[dict[str, Any]]) -> None:
    cfg = load_icp_text(ICP)
    _assert_engines_agree([_money_profile(i, row) for i, row in enumerate(rows)], cfg)


def test_a_table_built_for_other_currencies_is_refused(cfg: IcpConfig) -> None:
    profiles = [_money_profile(0, {"revenue": 540e6, "currency": "USD"})]
    dollars = load_icp_text(ICP.replace("currency: EUR\nfx_rates", "currency: USD\nfx_rates"))
    with pytest.raises(ColumnarError, match="converted for revenue EUR, potential EUR, rates XTS 2"):
        score_columns(AccountTable.from_profiles(profiles, config=cfg), config=dollars, as_of=AS_OF)
    table = AccountTable.from_profiles(profiles, config=dollars)
    assert table.columns["revenue"].number is not None
    assert table.columns["revenue"].number.tolist() == [540e6]  # already dollars
    assert score_columns(table, config=dollars, as_of=AS_OF).status_of(0, "rev") is Status.UNMET


def test_a_table_cannot_be_built_without_the_icp() -> None:
    with pytest.raises(TypeError, match="config"):
        AccountTable.from_profiles([_money_profile(0, {"revenue": 1.0})])  # type: ignore[call-arg]


def test_rates_pivot_through_euro_and_are_symmetric() -> None:
    usd_gbp = rate("USD", "GBP")
    gbp_usd = rate("GBP", "USD")
    assert usd_gbp is not None and gbp_usd is not None
    assert usd_gbp * gbp_usd == pytest.approx(1.0)
    assert rate("EUR", "EUR") == 1.0
    assert rate("ZZZ", "EUR") is None


@pytest.mark.parametrize(
    ("source", "target", "base", "expected"),
    [
        ("XTS", "USD", "USD", 2.0),  # straight from the override
        ("XTS", "EUR", "USD", 2.0 * 0.92),  # the override, then the table from USD to EUR
        ("EUR", "USD", "USD", 1 / 0.92),
        ("XTS", "EUR", None, 2.0),  # without a base the override is in units of the target
        ("RUB", "EUR", "USD", None),
    ],
)
def test_overrides_are_units_of_the_base_currency(
    source: str, target: str, base: str | None, expected: float | None
) -> None:
    got = rate(source, target, overrides={"XTS": 2.0}, base=base)
    assert got == (None if expected is None else pytest.approx(expected))


def test_money_conversion_keeps_other_fields_and_leaves_a_profile_without_money_alone() -> None:
    plain = _money_profile(0, {"industry": "software"})
    assert convert_money(plain, currencies=Currencies("EUR", "EUR")).profile is plain
    p = _money_profile(0, {"industry": "software", "revenue": 1e6, "currency": "USD"})
    out = convert_money(p, currencies=Currencies("EUR", "EUR"))
    assert out.profile.value("industry") == "software"
    assert out.profile.value("currency") == "EUR"
    assert out.reasons == {}
    assert np.isclose(float(out.profile.value("revenue")), 920_000)  # type: ignore[arg-type]
