"""Stored history scored as of each deal's creation: nothing published later counts, and the report says what does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from history_support import History

from api.ops.validation import load_history
from scoring.config import IcpConfig, load_icp_text
from scoring.domain import Account, FactKind, Status
from scoring.validation import STATUS_CODES

ICP = """
name: History
criteria:
  - {id: uses_sap, dimension: technographic, kind: strong, weight: 40, field: technologies, match: {contains_any: [SAP]}}
  - {id: funded, dimension: strategic, kind: strong, weight: 30, field: events, match: {recent: {event: funding, within_days: 365}}}
  - {id: sized, dimension: firmographic, kind: strong, weight: 30, field: employees, match: {range: {min: 100}}}
tiers:
  - {tier: Tier 1, min_fit: 90}
  - {tier: Tier 2, min_fit: 70}
  - {tier: Tier 3, min_fit: 50}
"""
SAP = (FactKind.TECHNOGRAPHIC, "technologies", {"name": "SAP S/4HANA", "category": "erp"})
FUNDING = (FactKind.TRIGGER, "events", {"type": "funding", "summary": "Acme raised a growth round"})


@pytest.fixture(scope="module")
def config() -> IcpConfig:
    return load_icp_text(ICP)


@pytest.fixture(scope="module")
def filled(history: History) -> History:
    acme = history.account(Account(name="Acme", employees=500))
    beta = history.account(Account(name="Beta", employees=50))
    gamma = history.account(Account(name="Gamma", employees=900))  # no deals at all
    delta = history.account(Account(name="Delta", employees=900))  # an open deal only
    history.page(acme, "acme-news", date(2025, 6, 1), [SAP, FUNDING])
    history.page(beta, "beta-about", None, [SAP])  # an undated page: counts whatever the date
    history.page(gamma, "gamma-news", date(2025, 1, 1), [SAP])
    history.deal(acme, "won", created=date(2025, 3, 1), closed=date(2025, 9, 1))  # before the page
    history.deal(acme, "lost", created=date(2025, 7, 1), closed=date(2025, 10, 1))  # after it
    history.deal(beta, "lost", created=None, closed=date(2025, 8, 1))
    history.deal(delta, "open", created=date(2025, 7, 1), closed=None)
    history.deal(None, "won", created=date(2025, 7, 1), closed=date(2025, 8, 1))
    return history


def _statuses(row: Any, config: IcpConfig) -> dict[str, Status]:
    by_code = {code: status for status, code in STATUS_CODES.items()}
    return {c.id: by_code[int(code)] for c, code in zip(config.criteria, row, strict=True)}


def test_facts_published_after_a_deal_was_created_do_not_count_for_it(filled: History, config: IcpConfig) -> None:
    hist = load_history(filled.svc, config=config)
    assert [_statuses(row, config) for row in hist.data.status] == [
        # Acme before its page: neither SAP nor the round was public; its news is monitored
        {"uses_sap": Status.UNKNOWN, "funded": Status.UNMET, "sized": Status.MET},
        {"uses_sap": Status.MET, "funded": Status.MET, "sized": Status.MET},
        # Beta has no creation date: scored as of its close; its undated page counts
        {"uses_sap": Status.MET, "funded": Status.UNMET, "sized": Status.UNMET},
    ]
    assert hist.data.fit.tolist() == [30.0, 100.0, 40.0]


def test_the_leakage_notes_say_what_was_current_and_what_was_dated(filled: History, config: IcpConfig) -> None:
    leak = load_history(filled.svc, config=config).leakage
    assert {k: leak[k] for k in leak if k not in ("note", "as_of")} == {
        "deals_scored_as_of_creation": 2,
        "deals_scored_as_of_close": 1,
        "deals_scored_as_of_today": 0,
        "as_of_criteria": ["funded"],
        "current_fields": ["employees", "technologies"],
        "accounts_with_event_history": 1,  # Acme once, though its two deals are scored as of two dates
        "dated_extracted_facts": 2,
        "undated_extracted_facts": 1,
        "undated_events_left_out": 0,
        "deals_with_later_facts_hidden": 1,
    }
    note = str(leak["note"])
    assert "1 deal(s) have no creation date and are scored as of their close date" in note
    assert "extracted facts (technologies, priorities, pains and the like) count only when" in note
    assert "1 extracted fact(s) carry no publication date" in note
    assert "CRM fields (firmographics and custom columns) have no history here" in note
    assert "close date" in str(leak["as_of"])


def test_only_accounts_with_closed_linked_deals_are_profiled_and_no_next_tier_is_searched(
    filled: History, config: IcpConfig, spy: Callable[[str], list[dict[str, Any]]]
) -> None:
    merged = spy("merge_profile")
    scored = spy("score_account")
    load_history(filled.svc, config=config)
    assert sorted({call["args"][0].name for call in merged}) == ["Acme", "Beta"]
    assert len(merged) == 3  # Acme as of two dates (its page in between), Beta once
    assert scored and all(call["next_tier"] is False for call in scored)
