"""Generated win/loss history where the truth is known (shared by validation tests)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from scoring.domain import Status
from scoring.validation import STATUS_CODES, ValidationInput

ICP = """
name: Known truth
criteria:
  - id: doubles_win_rate
    dimension: firmographic
    kind: strong
    weight: 50
    field: custom.good
    match: {equals: true}
  - id: does_nothing
    dimension: firmographic
    kind: strong
    weight: 50
    field: custom.noise
    match: {equals: true}
tiers:
  - {tier: Tier 1, min_fit: 90}
  - {tier: Tier 2, min_fit: 70}
  - {tier: Tier 3, min_fit: 50}
"""


def make_history(seed: int = 5, accounts: int = 1500, per_account: int = 2) -> ValidationInput:
    rng = np.random.default_rng(seed)
    good = rng.random(accounts) < 0.5
    noise = rng.random(accounts) < 0.5
    acc = np.repeat(np.arange(accounts), per_account)
    p = np.where(good[acc], 0.40, 0.20)  # the criterion truly doubles the win rate
    won = rng.random(len(acc)) < p
    met, unmet = STATUS_CODES[Status.MET], STATUS_CODES[Status.UNMET]
    status = np.stack([np.where(good[acc], met, unmet), np.where(noise[acc], met, unmet)], axis=1).astype(np.int8)
    fit = 50.0 * good[acc] + 50.0 * noise[acc]
    start = date(2024, 1, 1)
    return ValidationInput(
        account=acc.astype(np.int64),
        fit=fit,
        tier=["Tier 3"] * len(acc),
        won=won,
        amount=np.where(won, 1000.0, 0.0),
        cycle_days=np.full(len(acc), 30.0),
        closed=[start + timedelta(days=int(i % 700)) for i in range(len(acc))],
        status=status,
    )
