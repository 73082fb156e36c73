"""Facts merge into a profile with provenance; one event reported by many outlets becomes one event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scoring.domain import Account, EventType, Evidence, Fact, FactKind, Origin
from scoring.merge import MergePolicy, dedupe_events, materiality, merge_profile

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _fact(
    field: str,
    value: object,
    doc: str,
    *,
    kind: FactKind = FactKind.FIRMOGRAPHIC,
    days_ago: int = 10,
    event_date: date | None = None,
) -> Fact:
    when = NOW - timedelta(days=days_ago)
    return Fact(
        id=f"{doc}-{field}-{value}",
        kind=kind,
        field=field,
        value=value,  # type: ignore[arg-type]
        origin=Origin.OFFLINE,
        evidence=Evidence(document_id=doc, quote=f"quote in {doc}", published_at=when),
        observed_at=when,
        event_date=event_date,
    )


def test_crm_wins_firmographics_but_the_extracted_value_is_kept_as_a_conflict() -> None:
    acct = Account(id=1, name="Acme", employees=800)
    prof = merge_profile(acct, [_fact("employees", 950, "d1")], now=NOW)
    pv = prof.fields["employees"]
    assert pv.value == 800
    assert pv.origin is Origin.CRM
    assert pv.conflicts == [950]


def test_policy_can_prefer_extracted_values() -> None:
    acct = Account(id=1, name="Acme", employees=800)
    prof = merge_profile(acct, [_fact("employees", 950, "d1")], now=NOW, policy=MergePolicy(crm_first=frozenset()))
    assert prof.fields["employees"].value == 950
    assert prof.fields["employees"].conflicts == [800]


def test_confidence_grows_with_independent_sources_not_with_copies() -> None:
    acct = Account(id=1, name="Acme")
    one = merge_profile(acct, [_fact("industry", "chemicals", "d1")], now=NOW).fields["industry"]
    two = merge_profile(acct, [_fact("industry", "chemicals", "d1"), _fact("industry", "chemicals", "d2")], now=NOW)
    copies = merge_profile(
        acct,
        [_fact("industry", "chemicals", "d1"), _fact("industry", "chemicals", "d2")],
        now=NOW,
        clusters={"d1": "c", "d2": "c"},
    )
    assert two.fields["industry"].confidence > one.confidence
    assert copies.fields["industry"].confidence == one.confidence


def test_old_evidence_lowers_confidence() -> None:
    acct = Account(id=1, name="Acme")
    fresh = merge_profile(acct, [_fact("industry", "chemicals", "d1", days_ago=10)], now=NOW).fields["industry"]
    old = merge_profile(acct, [_fact("industry", "chemicals", "d1", days_ago=1000)], now=NOW).fields["industry"]
    assert old.confidence < fresh.confidence


def test_list_fields_union_their_values_with_all_evidence() -> None:
    acct = Account(id=1, name="Acme")
    facts = [
        _fact("technologies", {"name": "sap s/4hana", "category": "erp"}, "d1", kind=FactKind.TECHNOGRAPHIC),
        _fact("technologies", {"name": "salesforce", "category": "crm"}, "d2", kind=FactKind.TECHNOGRAPHIC),
        _fact("technologies", {"name": "sap s/4hana", "category": "erp"}, "d3", kind=FactKind.TECHNOGRAPHIC),
    ]
    prof = merge_profile(acct, facts, now=NOW)
    assert sorted(prof.fields["technologies"].value) == ["salesforce", "sap s/4hana"]  # type: ignore[arg-type]
    assert len(prof.fields["technologies"].evidence) == 3
    assert sorted(prof.fields["tech_categories"].value) == ["crm", "erp"]  # type: ignore[arg-type]


def _event(doc: str, *, days_ago: int, **value: object) -> Fact:
    v = {"type": "funding", "summary": "raised money", **value}
    return _fact("events", v, doc, kind=FactKind.TRIGGER, days_ago=days_ago)


def test_one_funding_round_from_three_outlets_is_one_event_with_three_sources() -> None:
    facts = [
        _event("d1", days_ago=3, amount=40_000_000, round="growth round"),
        _event("d2", days_ago=2, amount=40_000_000),
        _event("d3", days_ago=1, amount=40_000_000, round="Growth round"),
        _event("d4", days_ago=200, amount=5_000_000, round="seed"),
    ]
    events = dedupe_events(facts)
    assert len(events) == 2
    newest = events[0]
    assert newest.type is EventType.FUNDING
    assert len(newest.evidence) == 3
    assert newest.materiality > events[1].materiality


def test_different_people_joining_are_different_events() -> None:
    facts = [
        _event("d1", days_ago=3, type="leadership_change", person="Marie Dubois", role="COO"),
        _event("d2", days_ago=2, type="leadership_change", person="Lukas Becker", role="CFO"),
        _event("d3", days_ago=1, type="leadership_change", person="Marie Dubois", role="Chief Operating Officer"),
    ]
    assert len(dedupe_events(facts)) == 2


def test_materiality_follows_type_size_and_sources() -> None:
    small = materiality(EventType.FUNDING, {"amount": 1_000_000}, sources=1)
    big = materiality(EventType.FUNDING, {"amount": 80_000_000}, sources=1)
    echoed = materiality(EventType.FUNDING, {"amount": 1_000_000}, sources=4)
    ceo = materiality(EventType.LEADERSHIP_CHANGE, {"role": "Chief Executive Officer"}, sources=1)
    manager = materiality(EventType.LEADERSHIP_CHANGE, {"role": "Sales Manager"}, sources=1)
    assert big > small and echoed > small and ceo > manager
    assert all(0 <= m <= 1 for m in (small, big, echoed, ceo, manager))


def test_events_make_the_account_monitored_only_when_told() -> None:
    acct = Account(id=1, name="Acme")
    assert merge_profile(acct, [], now=NOW).monitored is False
    assert merge_profile(acct, [], now=NOW, monitored=True).monitored is True


# --- money: extracted revenue keeps its own currency ---------------------------------------------


def _money(amount: float, currency: str, doc: str, *, days_ago: int = 10) -> Fact:
    return _fact("revenue", {"amount": amount, "currency": currency}, doc, days_ago=days_ago)


@pytest.mark.parametrize(
    ("account", "facts", "revenue", "currency", "conflicts", "potential_currency"),
    [
        pytest.param(  # the CRM states a currency but no revenue: the dollars win and bring USD
            Account(id=1, name="A", currency="JPY", revenue_potential=150e6),
            [_money(300e6, "USD", "d1")],
            300e6,
            "USD",
            ["JPY"],
            "JPY",
            id="extracted-wins-under-another-crm-currency",
        ),
        pytest.param(
            Account(id=1, name="A"),
            [_money(300e6, "usd", "d1")],
            300e6,
            "USD",
            [],
            None,
            id="no-crm-currency",
        ),
        pytest.param(  # no CRM currency, but a CRM potential: it keeps stating none
            Account(id=1, name="A", revenue_potential=2e6),
            [_money(300e6, "USD", "d1")],
            300e6,
            "USD",
            [],
            "(none stated)",
            id="crm-potential-without-currency",
        ),
        pytest.param(  # ¥300M in the CRM and $300M in a page are different figures: the CRM wins both
            Account(id=1, name="A", revenue=300e6, currency="JPY"),
            [_money(300e6, "USD", "d1")],
            300e6,
            "JPY",
            [],
            None,
            id="crm-wins-with-its-currency",
        ),
        pytest.param(
            Account(id=1, name="A", revenue=300e6, currency="USD"),
            [_money(300e6, "USD", "d1")],
            300e6,
            "USD",
            [],
            None,
            id="agreement-keeps-the-crm-currency",
        ),
        pytest.param(  # the same amount in two currencies is two values; the newest extracted one wins
            Account(id=1, name="A", currency="EUR"),
            [_money(300e6, "GBP", "d1", days_ago=40), _money(300e6, "USD", "d2", days_ago=10)],
            300e6,
            "USD",
            ["EUR"],
            None,
            id="same-amount-other-currency",
        ),
    ],
)
def test_extracted_revenue_brings_its_currency_into_the_profile(
    account: Account,
    facts: list[Fact],
    revenue: float,
    currency: str,
    conflicts: list[str],
    potential_currency: str | None,
) -> None:
    prof = merge_profile(account, facts, now=NOW)
    assert prof.value("revenue") == revenue
    assert prof.value("currency") == currency
    assert prof.fields["currency"].conflicts == conflicts
    if potential_currency is None:
        assert "revenue_potential_currency" not in prof.fields
    else:
        want = None if potential_currency == "(none stated)" else potential_currency
        assert prof.fields["revenue_potential_currency"].value == want
        assert prof.value("revenue_potential") == account.revenue_potential


def test_a_crm_revenue_and_an_extracted_one_in_another_currency_do_not_corroborate() -> None:
    acct = Account(id=1, name="A", revenue=300e6, currency="JPY")
    prof = merge_profile(acct, [_money(300e6, "USD", "d1")], now=NOW)
    pv = prof.fields["revenue"]
    assert pv.origin is Origin.CRM
    assert pv.fact_ids == [] and pv.evidence == []
    assert pv.conflicts == [300e6]
    same = merge_profile(acct, [_money(300e6, "JPY", "d1")], now=NOW).fields["revenue"]
    assert same.fact_ids == ["d1-revenue-{'amount': 300000000.0, 'currency': 'JPY'}"]
    assert same.confidence > pv.confidence
