"""The deterministic weighted scorer: a profile and an ICP in, a ledger out.

Fit is the share of weight points met: 100 × Σ weight(met) / Σ weight(scoring criteria),
rounded to 6 decimals. Unknown criteria earn no points but are not unmet; coverage is the share
of weight whose status rests on data. A must-have that is unmet is a dealbreaker (Not a target);
one that is unknown is listed in `unproven` and blocks nothing. Disqualifiers carry no weight;
when one holds, the tier is Disqualified. `scoring.columnar` scores many accounts at once with
the same result.

    >>> from datetime import date, datetime, UTC
    >>> from scoring.config import load_icp
    >>> from scoring.profiles import profile_from_account
    >>> from scoring.domain import Account
    >>> cfg = load_icp("default")
    >>> ledger = score_account(profile_from_account(Account(name="Acme", employees=800)), config=cfg,
    ...                        as_of=date(2026, 1, 1), scored_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> 0 <= ledger.fit <= 100
    True
"""

from __future__ import annotations

from datetime import date, datetime
from typing import assert_never

from scoring.config import IcpConfig
from scoring.domain import CriterionKind, Ledger, LedgerLine, Profile, Status
from scoring.matchers import evaluate_criterion
from scoring.money import Currencies, convert_money
from scoring.tiers import (
    CriterionState,
    assign_tier,
    find_next_tier,
    fit_percent,
    revenue_potential,
    summarise_states,
    tier_inputs,
)


def score_account(
    profile: Profile,
    *,
    config: IcpConfig,
    as_of: date,
    scored_at: datetime,
    account_name: str | None = None,
    next_tier: bool = True,
) -> Ledger:
    """Scores one account's profile against an ICP and returns its ledger.

    Revenue and revenue potential are first converted into the ICP's currencies. With
    `next_tier=False` the "what moves it up" search is skipped and `Ledger.next_tier` is None
    (validation scores thousands of deals and never shows it).
    """
    converted = convert_money(profile, currencies=Currencies.of(config))
    profile = converted.profile
    lines: list[LedgerLine] = []
    for c in config.criteria:
        out = evaluate_criterion(c, profile, as_of=as_of)
        scoring = c.kind is not CriterionKind.DISQUALIFIER
        points = c.weight if scoring and out.status is Status.MET else 0.0
        reason = out.reason or line_reason(c.describe(), out.status)
        if out.status is Status.UNKNOWN and c.field in converted.reasons:
            reason = converted.reasons[c.field]
        lines.append(
            LedgerLine(
                id=c.id,
                label=c.title,
                dimension=c.dimension,
                kind=c.kind,
                field=c.field,
                status=out.status,
                weight=c.weight,
                points=points,
                values=out.values,
                evidence=out.evidence,
                quotes=out.quotes,
                reason=reason,
            )
        )
    states = [CriterionState(line.id, line.kind, line.weight, line.status) for line in lines]
    fields = {k: v.value for k, v in profile.fields.items()}
    potential, potential_source = revenue_potential(fields, config=config)
    inputs = tier_inputs(states, config=config, potential=potential)
    _, known = summarise_states(states)
    tier, reason = assign_tier(inputs, config=config)
    return Ledger(
        account_id=profile.account_id,
        account_name=account_name,
        icp_version=config.version,
        scored_at=scored_at,
        as_of=as_of,
        fit=inputs.fit,
        coverage=fit_percent(known, config.total_weight),
        tier=tier,
        tier_reason=reason,
        revenue_potential=potential,
        potential_source=potential_source,
        signals={"buying": inputs.buying, "in_market": inputs.in_market},
        unproven=[line.id for line in lines if line.kind is CriterionKind.MUST_HAVE and line.status is Status.UNKNOWN],
        dealbreakers=list(inputs.dealbreakers),
        disqualified_by=list(inputs.disqualified_by),
        lines=lines,
        next_tier=find_next_tier(states, inputs, tier, config=config) if next_tier else None,
    )


def line_reason(condition: str, status: Status) -> str:
    """Returns the default reason of a ledger line: the condition and its outcome in words."""
    match status:
        case Status.MET:
            return f"{condition}: yes"
        case Status.UNMET:
            return f"{condition}: no"
        case Status.UNKNOWN:
            return f"{condition}: no data"
        case Status.DISQUALIFIED:
            return f"{condition}: yes, which disqualifies"
        case _:
            assert_never(status)
