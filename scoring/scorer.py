"""The deterministic weighted scorer: a profile and an ICP in, a ledger out.

Fit is the share of weight points met: 100 × Σ weight(met) / Σ weight(scoring criteria).
Unknown criteria earn no points but are not unmet; coverage is the share of weight whose
status rests on data. Disqualifiers carry no weight; when one holds, the tier is Disqualified.

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

from scoring.config import IcpConfig
from scoring.domain import CriterionKind, Ledger, LedgerLine, Profile, Status
from scoring.matchers import evaluate_criterion
from scoring.tiers import CriterionState, TierInputs, assign_tier, find_next_tier, revenue_potential


def score_account(
    profile: Profile,
    *,
    config: IcpConfig,
    as_of: date,
    scored_at: datetime,
    account_name: str | None = None,
) -> Ledger:
    """Scores one account's profile against an ICP and returns its ledger."""
    lines: list[LedgerLine] = []
    for c in config.criteria:
        out = evaluate_criterion(c, profile, as_of=as_of)
        scoring = c.kind is not CriterionKind.DISQUALIFIER
        points = c.weight if scoring and out.status is Status.MET else 0.0
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
                reason=out.reason or _reason(c.describe(), out.status),
            )
        )
    total = config.total_weight
    met = sum(line.points for line in lines)
    known = sum(
        line.weight
        for line in lines
        if line.kind is not CriterionKind.DISQUALIFIER and line.status is not Status.UNKNOWN
    )
    fit = round(100.0 * met / total, 6)
    coverage = round(100.0 * known / total, 6)
    status = {line.id: line.status for line in lines}
    buying = any(status[i] is Status.MET for i in config.signals.buying)
    in_market = buying or any(status[i] is Status.MET for i in config.signals.in_market)
    fields = {k: v.value for k, v in profile.fields.items()}
    potential, potential_source = revenue_potential(fields, config=config)
    inputs = TierInputs(
        fit=fit,
        potential=potential,
        buying=buying,
        in_market=in_market,
        dealbreakers=tuple(
            line.id for line in lines if line.kind is CriterionKind.MUST_HAVE and line.status is Status.UNMET
        ),
        disqualified_by=tuple(line.id for line in lines if line.status is Status.DISQUALIFIED),
    )
    tier, reason = assign_tier(inputs, config=config)
    states = [CriterionState(line.id, line.kind, line.weight, line.status) for line in lines]
    return Ledger(
        account_id=profile.account_id,
        account_name=account_name,
        icp_version=config.version,
        scored_at=scored_at,
        as_of=as_of,
        fit=fit,
        coverage=coverage,
        tier=tier,
        tier_reason=reason,
        revenue_potential=potential,
        potential_source=potential_source,
        signals={"buying": buying, "in_market": in_market},
        unproven=[line.id for line in lines if line.kind is CriterionKind.MUST_HAVE and line.status is Status.UNKNOWN],
        dealbreakers=list(inputs.dealbreakers),
        disqualified_by=list(inputs.disqualified_by),
        lines=lines,
        next_tier=find_next_tier(states, inputs, tier, config=config),
    )


def _reason(condition: str, status: Status) -> str:
    match status:
        case Status.MET:
            return f"{condition}: yes"
        case Status.UNMET:
            return f"{condition}: no"
        case Status.UNKNOWN:
            return f"{condition}: no data"
        case Status.DISQUALIFIED:
            return f"{condition}: yes, which disqualifies"
