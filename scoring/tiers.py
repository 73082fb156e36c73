"""Tiering and "what would move it up", computed from a ledger's numbers, never guessed.

Boundaries are inclusive at the bottom: fit ≥ 90 reaches Tier 1's fit band, a fit of exactly
70 is Tier 2's, and a fit just under the threshold (default 50) is "Not a target". An account
gets the best tier whose minimums (fit, revenue potential, signal) all hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.config import IcpConfig, TierRule
from scoring.domain import CriterionKind, JsonValue, NextTier, Status, Tier


@dataclass(frozen=True, slots=True)
class TierInputs:
    """The numbers a tier decision rests on."""

    fit: float
    potential: float | None
    buying: bool
    in_market: bool
    dealbreakers: tuple[str, ...] = ()
    disqualified_by: tuple[str, ...] = ()


def revenue_potential(fields: dict[str, JsonValue], *, config: IcpConfig) -> tuple[float | None, str | None]:
    """Returns the revenue potential and where it came from (a column or a rule)."""
    pot = config.potential
    if pot.field:
        v = _num(fields.get(pot.field))
        if v is not None:
            return v, f"column {pot.field}"
    for i, rule in enumerate(pot.rules):
        v = _num(fields.get(rule.field))
        if v is None:
            continue
        if (rule.min is None or v >= rule.min) and (rule.max is None or v <= rule.max):
            return rule.value, f"rule {i + 1} ({rule.field} {_range_words(rule.min, rule.max)})"
    return None, None


def _range_words(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g}"
    return f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}"


def _num(v: JsonValue) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    return None


def rule_holds(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> bool:
    """Returns True when an account meets every minimum of a tier rule."""
    return not rule_gaps(rule, inputs, config=config)


def rule_gaps(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> list[str]:
    """Returns, in words, each minimum of a tier rule that the account misses."""
    gaps = []
    if inputs.fit < rule.min_fit:
        gaps.append(f"fit {inputs.fit:.1f}% is under {rule.min_fit:g}%")
    if rule.min_potential is not None:
        cur = config.potential.currency
        if inputs.potential is None:
            if config.potential.unknown_blocks:
                gaps.append("revenue potential is unknown")
        elif inputs.potential < rule.min_potential:
            gaps.append(f"revenue potential {inputs.potential:,.0f} {cur} is under {rule.min_potential:,.0f} {cur}")
    if rule.requires == "buying" and not inputs.buying:
        gaps.append("no buying signal")
    elif rule.requires == "in_market" and not (inputs.in_market or inputs.buying):
        gaps.append("no in-market signal")
    return gaps


def assign_tier(inputs: TierInputs, *, config: IcpConfig) -> tuple[Tier, str]:
    """Returns the tier and the reason for it, in words."""
    if inputs.disqualified_by:
        return Tier.DISQUALIFIED, "disqualified by " + ", ".join(inputs.disqualified_by)
    if inputs.dealbreakers:
        return Tier.NOT_A_TARGET, "must-have unmet: " + ", ".join(inputs.dealbreakers)
    if inputs.fit < config.threshold:
        return Tier.NOT_A_TARGET, f"fit {inputs.fit:.1f}% is under the {config.threshold:g}% threshold"
    last_gaps: list[str] = []
    for rule in config.ordered_tiers:
        gaps = rule_gaps(rule, inputs, config=config)
        if not gaps:
            return rule.tier, _reason_for(rule, inputs, config=config)
        last_gaps = gaps
    return (
        Tier.NOT_A_TARGET,
        f"fit {inputs.fit:.1f}% clears the threshold but no tier's minimums hold (" + "; ".join(last_gaps) + ")",
    )


def _reason_for(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> str:
    parts = [f"fit {inputs.fit:.1f}% ≥ {rule.min_fit:g}%"]
    if rule.min_potential is not None:
        if inputs.potential is None:
            parts.append("revenue potential unknown")
        else:
            parts.append(f"revenue potential {inputs.potential:,.0f} {config.potential.currency}")
    if rule.requires == "buying":
        parts.append("a buying signal")
    elif rule.requires == "in_market":
        parts.append("an in-market signal")
    return ", ".join(parts)


def next_rule(tier: Tier, *, config: IcpConfig) -> TierRule | None:
    """Returns the rule of the tier one better than `tier`, or None at the top."""
    better = [r for r in config.ordered_tiers if r.tier.rank < tier.rank]
    return better[-1] if better else None


@dataclass(frozen=True, slots=True)
class CriterionState:
    """What the next-tier search needs to know of one criterion."""

    id: str
    kind: CriterionKind
    weight: float
    status: Status


def find_next_tier(
    states: list[CriterionState],
    inputs: TierInputs,
    tier: Tier,
    *,
    config: IcpConfig,
) -> NextTier | None:
    """Returns the smallest set of unmet or unknown criteria that lifts the account one tier.

    Exact: with the must-haves that have to flip and one signal criterion fixed, taking the
    heaviest remaining criteria first gives the fewest criteria that close the fit gap.
    """
    rule = next_rule(tier, config=config)
    if rule is None:
        return None
    if inputs.disqualified_by:
        return NextTier(
            tier=rule.tier,
            reachable=False,
            blockers=[f"disqualified by {c}: no criterion can offset a disqualifier" for c in inputs.disqualified_by],
        )
    blockers: list[str] = []
    if rule.min_potential is not None:
        if inputs.potential is None and config.potential.unknown_blocks:
            blockers.append("revenue potential is unknown")
        elif inputs.potential is not None and inputs.potential < rule.min_potential:
            cur = config.potential.currency
            blockers.append(f"revenue potential {inputs.potential:,.0f} {cur} is under {rule.min_potential:,.0f} {cur}")
    total = config.total_weight
    by_id = {s.id: s for s in states}
    points = sum(s.weight for s in states if s.status is Status.MET and s.kind is not CriterionKind.DISQUALIFIER)
    mandatory = [s.id for s in states if s.kind is CriterionKind.MUST_HAVE and s.status is Status.UNMET]
    open_ids = [
        s.id for s in states if s.kind is not CriterionKind.DISQUALIFIER and s.status in (Status.UNMET, Status.UNKNOWN)
    ]
    signal_options: list[str | None] = [None]
    if rule.requires == "buying" and not inputs.buying:
        signal_options = [i for i in config.signals.buying if i in open_ids]
    elif rule.requires == "in_market" and not (inputs.in_market or inputs.buying):
        pool = dict.fromkeys([*config.signals.in_market, *config.signals.buying])
        signal_options = [i for i in pool if i in open_ids]
    if not signal_options:
        blockers.append(f"no open criterion can supply the {rule.requires} signal {rule.tier.value} requires")
        return NextTier(tier=rule.tier, reachable=False, blockers=blockers)
    need = max(rule.min_fit, config.threshold) * total / 100.0
    best: tuple[int, float, list[str]] | None = None
    for sig in signal_options:
        chosen = list(dict.fromkeys([*mandatory, *([sig] if sig else [])]))
        gained = points + sum(by_id[c].weight for c in chosen)
        rest = sorted((i for i in open_ids if i not in chosen), key=lambda i: (-by_id[i].weight, i))
        for cid in rest:
            if gained >= need - 1e-9:
                break
            if by_id[cid].weight <= 0:
                break
            chosen.append(cid)
            gained += by_id[cid].weight
        if gained < need - 1e-9:
            continue
        fit_after = round(100.0 * gained / total, 6)
        key = (len(chosen), -fit_after, sorted(chosen))
        if best is None or key < (best[0], -best[1], sorted(best[2])):
            best = (len(chosen), fit_after, chosen)
    if best is None:
        top = points + sum(by_id[i].weight for i in open_ids)
        blockers.append(f"meeting every open criterion gives fit {100 * top / total:.1f}%, under {rule.min_fit:g}%")
        return NextTier(tier=rule.tier, reachable=False, blockers=blockers)
    return NextTier(tier=rule.tier, criteria=best[2], fit_after=best[1], blockers=blockers, reachable=not blockers)
