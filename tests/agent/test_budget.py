"""Token budgets (PI-6): refuse before sending, record actual usage, overshoot at most one request."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from agent.budget import (
    Price,
    PriceTable,
    TokenBudget,
    UsageRecord,
    estimate_structured_tokens,
    estimate_tokens,
)
from agent.errors import BudgetExceeded, Usage
from agent.fakes import FakeLLM


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(
    ("per_run", "per_account", "per_day", "account", "scope"),
    [
        (999, None, None, None, "run"),
        (None, 999, None, 7, "account 7"),
        (None, None, 999, None, "workspace-day"),
        (10_000, 999, 10_000, 7, "account 7"),
    ],
)
def test_reservation_past_a_limit_is_refused_naming_the_scope(
    per_run: int | None, per_account: int | None, per_day: int | None, account: int | None, scope: str
) -> None:
    budget = TokenBudget(workspace_id="ws", per_run=per_run, per_account=per_account, per_workspace_day=per_day)

    with pytest.raises(BudgetExceeded) as caught:
        budget.reserve(1_000, account_id=account)

    assert (caught.value.scope, caught.value.limit, caught.value.requested) == (scope, 999, 1_000)


def test_reservation_within_limits_is_granted_and_no_limit_means_unlimited() -> None:
    assert TokenBudget(workspace_id="ws", per_run=1_000).reserve(1_000).amount == 1_000
    assert TokenBudget(workspace_id="ws").reserve(10**9, account_id=1).amount == 10**9


def test_account_limit_is_kept_per_account() -> None:
    budget = TokenBudget(workspace_id="ws", per_account=1_000)
    budget.reserve(800, account_id=1).settle(Usage(700, 100), model="m", purpose="extract")

    with pytest.raises(BudgetExceeded):
        budget.reserve(300, account_id=1)
    budget.reserve(900, account_id=2)


def test_settle_records_actual_usage_and_cost() -> None:
    clock = Clock()
    budget = TokenBudget(workspace_id="ws", run_id=3, clock=clock)

    record = budget.reserve(5_000, account_id=9).settle(
        Usage(1_000_000, 100_000), model="gpt-4o-mini-2024-07-18", purpose="extract"
    )

    assert record.cost == pytest.approx(0.15 + 0.06)
    assert replace(record, cost=0.0) == UsageRecord(
        workspace_id="ws",
        run_id=3,
        account_id=9,
        purpose="extract",
        model="gpt-4o-mini-2024-07-18",
        prompt_tokens=1_000_000,
        completion_tokens=100_000,
        cost=0.0,
        estimated=False,
        created_at=clock.now,
    )
    assert (budget.spent_run, budget.spent_day, budget.spent_account(9)) == (1_100_000, 1_100_000, 1_100_000)
    assert budget.drain_records() == [record]
    assert budget.drain_records() == []


@pytest.mark.parametrize(
    ("model", "cost"),
    [
        ("gpt-4o", 2.50 + 10.00),
        ("gpt-4o-2024-08-06", 2.50 + 10.00),
        ("gpt-4o-mini", 0.15 + 0.60),  # the longest matching prefix wins
        ("gpt-4.1-mini", 0.40 + 1.60),
        ("llama3.1:8b", 0.0),
        ("gpt-4o-turbo-custom", 2.50 + 10.00),
    ],
)
def test_price_table_matches_dated_names(model: str, cost: float) -> None:
    assert PriceTable().cost(model, Usage(1_000_000, 1_000_000)) == pytest.approx(cost)


def test_price_table_is_configurable() -> None:
    table = PriceTable({"my-model": Price(1.0, 2.0)})

    assert table.cost("my-model", Usage(500_000, 250_000)) == pytest.approx(1.0)
    assert table.cost("gpt-4o", Usage(1, 1)) == 0.0


def test_held_reservations_count_against_the_limit() -> None:
    budget = TokenBudget(workspace_id="ws", per_run=1_000)
    first = budget.reserve(600)

    with pytest.raises(BudgetExceeded):
        budget.reserve(600)
    first.cancel()
    budget.reserve(600)


def test_leaving_a_reservation_unsettled_releases_it() -> None:
    budget = TokenBudget(workspace_id="ws", per_run=1_000)

    with pytest.raises(RuntimeError), budget.reserve(1_000):
        raise RuntimeError("the call failed before sending")

    assert budget.reserve(1_000).amount == 1_000
    assert budget.spent_run == 0


def test_a_reservation_settles_once() -> None:
    slot = TokenBudget(workspace_id="ws").reserve(10)
    slot.settle(Usage(1, 1), model="m", purpose="p")

    with pytest.raises(RuntimeError):
        slot.settle(Usage(1, 1), model="m", purpose="p")


def test_workspace_day_starts_from_what_the_store_recorded_and_rolls_at_midnight() -> None:
    clock = Clock()
    budget = TokenBudget(workspace_id="ws", per_workspace_day=1_000, spent_today=900, clock=clock)

    with pytest.raises(BudgetExceeded):
        budget.reserve(200)
    clock.now += timedelta(hours=2)  # the next UTC day
    budget.reserve(200).settle(Usage(150, 50), model="m", purpose="p")

    assert budget.spent_day == 200


def test_overshoot_is_at_most_one_request() -> None:
    # Each request costs 30% more than its estimate (characters / 4 undercounts, e.g. for non-English text).
    budget = TokenBudget(workspace_id="ws", per_run=50_000)
    per_request_actual = 0
    while True:
        estimate = estimate_tokens("x" * 8_000, max_tokens=500)
        try:
            slot = budget.reserve(estimate)
        except BudgetExceeded:
            break
        per_request_actual = int(estimate * 1.3)
        slot.settle(Usage(per_request_actual, 0), model="m", purpose="p")

    assert budget.spent_run > 50_000 - estimate  # the budget was used up ...
    assert budget.spent_run - 50_000 <= per_request_actual  # ... and overshot by less than one request


def test_concurrent_reservations_never_pass_the_limit() -> None:
    budget = TokenBudget(workspace_id="ws", per_run=10_000)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            try:
                budget.reserve(100)
            except BudgetExceeded:
                return
            with lock:
                granted.append(100)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(granted) == 10_000


def test_estimate_tokens_is_characters_over_four_plus_max_tokens() -> None:
    assert estimate_tokens("a" * 401, "b" * 3, max_tokens=50) == 101 + 50


class Company(BaseModel):
    """A small schema."""

    name: str


def test_structured_estimate_covers_a_call_with_its_repair() -> None:
    system, user = "s" * 2_000, "u" * 6_000
    llm = FakeLLM(max_tokens=400)
    llm.enqueue("x" * 1_600, '{"name": "' + "A" * 1_580 + '"}')  # two answers of max_tokens each

    result = llm.structured(Company, system=system, user=user, purpose="p")

    assert result.attempts == 2
    assert result.usage.total_tokens <= estimate_structured_tokens(system, user, max_tokens=400)


def test_negative_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBudget(workspace_id="ws", per_run=-1)
