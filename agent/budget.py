"""Token budgets per run, per account and per workspace-day, checked before a request is sent (PI-6).

A caller reserves an estimate before the call and settles the reservation with the usage the call
reports; the budget refuses a reservation that would take any scope past its limit. Settled calls
become `UsageRecord`s that the caller persists (the store's `llm_usage` table).

    >>> budget = TokenBudget(workspace_id="ws1", per_run=1_000)
    >>> with budget.reserve(estimate_tokens("x" * 400, max_tokens=200)) as slot:
    ...     record = slot.settle(Usage(prompt_tokens=100, completion_tokens=50), model="gpt-4o-mini", purpose="extract")
    >>> budget.spent_run, record.prompt_tokens
    (150, 100)
    >>> budget.reserve(900)
    Traceback (most recent call last):
    ...
    agent.errors.BudgetExceeded: token budget for run exhausted: 150 spent, 900 requested, limit 1000

Overshoot: a reservation is the estimate of prompt tokens (characters / 4) plus `max_tokens`, so a
call is refused whenever it could pass a limit by that estimate. Only the estimation error of the
calls in flight can overshoot a limit, which is less than one request.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType

from agent.errors import BudgetExceeded, Usage

__all__ = [
    "DEFAULT_PRICES",
    "Price",
    "PriceTable",
    "Reservation",
    "TokenBudget",
    "Usage",
    "UsageRecord",
    "estimate_structured_tokens",
    "estimate_tokens",
]

CHARS_PER_TOKEN = 4
# The repair re-ask adds the validation errors and the repair instructions to the conversation.
REPAIR_OVERHEAD_TOKENS = 400


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million prompt and completion tokens."""

    prompt_per_mtok: float
    completion_per_mtok: float


# List prices (USD per 1M tokens) of a few common models; local models cost nothing. Override per deployment.
DEFAULT_PRICES: Mapping[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
}


class PriceTable:
    """Estimates the cost of a call from a model-name → price table (longest matching prefix wins)."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)

    def price_of(self, model: str) -> Price | None:
        """Returns the price of a model, matching dated names like 'gpt-4o-mini-2024-07-18' by prefix."""
        candidates = [name for name in self._prices if model == name or model.startswith(name + "-")]
        if not candidates:
            return None
        return self._prices[max(candidates, key=len)]

    def cost(self, model: str, usage: Usage) -> float:
        """Returns the estimated cost in USD (0.0 for unknown and local models)."""
        price = self.price_of(model)
        if price is None:
            return 0.0
        return (usage.prompt_tokens * price.prompt_per_mtok + usage.completion_tokens * price.completion_per_mtok) / 1e6


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One settled model call, as the store persists it (table `llm_usage`)."""

    workspace_id: str
    run_id: int | None
    account_id: int | None
    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    estimated: bool
    created_at: datetime


def estimate_tokens(*texts: str, max_tokens: int) -> int:
    """Returns the reservation for one request: prompt characters / 4 (rounded up) plus max_tokens."""
    return math.ceil(sum(len(text) for text in texts) / CHARS_PER_TOKEN) + max_tokens


def estimate_structured_tokens(*texts: str, max_tokens: int) -> int:
    """Returns the reservation for a `structured` call, whose one repair re-ask resends the prompt and the answer."""
    prompt = math.ceil(sum(len(text) for text in texts) / CHARS_PER_TOKEN)
    # first request: prompt + answer; repair: prompt + first answer + errors + second answer
    return 2 * prompt + 3 * max_tokens + REPAIR_OVERHEAD_TOKENS


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Reservation:
    """Tokens held for one call until it is settled with real usage or cancelled."""

    def __init__(self, budget: TokenBudget, amount: int, account_id: int | None) -> None:
        self._budget = budget
        self.amount = amount
        self.account_id = account_id
        self.open = True

    def settle(self, usage: Usage, *, model: str, purpose: str) -> UsageRecord:
        """Replaces the hold with the usage reported and returns the record to persist."""
        if not self.open:
            raise RuntimeError("this reservation was already settled or cancelled")
        self.open = False
        return self._budget._settle(self, usage, model=model, purpose=purpose)

    def cancel(self) -> None:
        """Releases the hold (the call was never sent, or cost nothing)."""
        if self.open:
            self.open = False
            self._budget._release(self)

    def __enter__(self) -> Reservation:
        """Returns the reservation; leaving the block cancels it if it was not settled."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Cancels an unsettled reservation."""
        self.cancel()


class TokenBudget:
    """Token limits for one run: per run, per account and per workspace-day (None means no limit).

    `spent_today` and `spent_by_account` seed the counters with what the store already recorded;
    the day counter restarts at midnight UTC.
    """

    def __init__(
        self,
        *,
        workspace_id: str,
        per_run: int | None = None,
        per_account: int | None = None,
        per_workspace_day: int | None = None,
        run_id: int | None = None,
        spent_today: int = 0,
        spent_by_account: Mapping[int, int] | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        for name, limit in (
            ("per_run", per_run),
            ("per_account", per_account),
            ("per_workspace_day", per_workspace_day),
        ):
            if limit is not None and limit < 0:
                raise ValueError(f"{name} must be >= 0 or None, got {limit}")
        self.workspace_id = workspace_id
        self.run_id = run_id
        self.per_run = per_run
        self.per_account = per_account
        self.per_workspace_day = per_workspace_day
        self.prices = prices or PriceTable()
        self._clock = clock
        self._lock = threading.Lock()
        self._day: date = clock().date()
        self.spent_run = 0
        self.spent_day = spent_today
        self._spent_account: dict[int, int] = dict(spent_by_account or {})
        self._held_run = 0
        self._held_day = 0
        self._held_account: dict[int, int] = {}
        self._records: list[UsageRecord] = []

    def spent_account(self, account_id: int) -> int:
        """Returns the tokens spent on one account."""
        with self._lock:
            return self._spent_account.get(account_id, 0)

    def reserve(self, estimate: int, *, account_id: int | None = None) -> Reservation:
        """Holds `estimate` tokens for one call, or raises BudgetExceeded (naming the scope) before anything is sent."""
        if estimate < 0:
            raise ValueError("estimate must be >= 0")
        with self._lock:
            self._roll_day()
            checks: list[tuple[str, int | None, int]] = [
                ("run", self.per_run, self.spent_run + self._held_run),
                ("workspace-day", self.per_workspace_day, self.spent_day + self._held_day),
            ]
            if account_id is not None:
                used = self._spent_account.get(account_id, 0) + self._held_account.get(account_id, 0)
                checks.insert(1, (f"account {account_id}", self.per_account, used))
            for scope, limit, used in checks:
                if limit is not None and used + estimate > limit:
                    raise BudgetExceeded(
                        f"token budget for {scope} exhausted: {used} spent, {estimate} requested, limit {limit}",
                        scope=scope,
                        limit=limit,
                        spent=used,
                        requested=estimate,
                    )
            self._hold(estimate, account_id, sign=1)
            return Reservation(self, estimate, account_id)

    def drain_records(self) -> list[UsageRecord]:
        """Returns the usage records settled since the last drain, and forgets them."""
        with self._lock:
            records, self._records = self._records, []
            return records

    def _hold(self, amount: int, account_id: int | None, *, sign: int) -> None:
        self._held_run += sign * amount
        self._held_day += sign * amount
        if account_id is not None:
            self._held_account[account_id] = self._held_account.get(account_id, 0) + sign * amount

    def _roll_day(self) -> None:
        today = self._clock().date()
        if today != self._day:
            self._day = today
            self.spent_day = 0

    def _release(self, reservation: Reservation) -> None:
        with self._lock:
            self._hold(reservation.amount, reservation.account_id, sign=-1)

    def _settle(self, reservation: Reservation, usage: Usage, *, model: str, purpose: str) -> UsageRecord:
        record = UsageRecord(
            workspace_id=self.workspace_id,
            run_id=self.run_id,
            account_id=reservation.account_id,
            purpose=purpose,
            model=model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost=self.prices.cost(model, usage),
            estimated=usage.estimated,
            created_at=self._clock(),
        )
        with self._lock:
            self._hold(reservation.amount, reservation.account_id, sign=-1)
            self._roll_day()
            spent = usage.total_tokens
            self.spent_run += spent
            self.spent_day += spent
            if reservation.account_id is not None:
                self._spent_account[reservation.account_id] = self._spent_account.get(reservation.account_id, 0) + spent
            self._records.append(record)
        return record
