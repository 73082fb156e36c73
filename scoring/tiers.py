"""Tiering and "what would move it up", computed from a ledger's numbers, never guessed.

Boundaries are inclusive at the bottom: fit ≥ 90 reaches Tier 1's fit band, a fit of exactly
70 is Tier 2's, and a fit just under the threshold (default 50) is "Not a target". An account
gets the best tier whose minimums (fit, revenue potential, signal) all hold.

Fit is rounded to 6 decimals (`fit_percent`) so that weights such as 0.1 + 0.2 do not leave an
account a hair under a boundary it meets on paper.

    >>> from scoring.config import load_icp
    >>> cfg = load_icp("default")
    >>> assign_tier(TierInputs(fit=70.0, potential=300_000, buying=True, in_market=True), config=cfg)[0].value
    'Tier 2'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scoring.config import IcpConfig, TierRule
from scoring.domain import CriterionKind, JsonValue, NextTier, Status, Tier
from scoring.matchers import as_number


@dataclass(frozen=True, slots=True)
class TierInputs:
    """The numbers a tier decision rests on."""

    fit: float
    potential: float | None
    buying: bool
    in_market: bool
    dealbreakers: tuple[str, ...] = ()
    disqualified_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionState:
    """What the tier decision and the next-tier search need to know of one criterion."""

    id: str
    kind: CriterionKind
    weight: float
    status: Status


def fit_percent(points: float, total: float) -> float:
    """Returns points as a percentage of the total weight, rounded to 6 decimals."""
    return round(100.0 * points / total, 6) if total > 0 else 0.0


def summarise_states(states: Iterable[CriterionState]) -> tuple[float, float]:
    """Returns the weight met and the weight whose status rests on data, summed in criteria order."""
    # The order of the sums is part of the contract: the columnar engine adds in the same order
    # so that both produce bit-identical floats.
    met = 0.0
    known = 0.0
    for s in states:
        if s.kind is CriterionKind.DISQUALIFIER:
            continue
        if s.status is Status.MET:
            met += s.weight
        if s.status is not Status.UNKNOWN:
            known += s.weight
    return met, known


def tier_inputs(states: Sequence[CriterionState], *, config: IcpConfig, potential: float | None) -> TierInputs:
    """Returns the tier inputs of an account from its criterion states and revenue potential."""
    met, _ = summarise_states(states)
    status = {s.id: s.status for s in states}
    buying = any(status.get(i) is Status.MET for i in config.signals.buying)
    in_market = buying or any(status.get(i) is Status.MET for i in config.signals.in_market)
    return TierInputs(
        fit=fit_percent(met, config.total_weight),
        potential=potential,
        buying=buying,
        in_market=in_market,
        dealbreakers=tuple(s.id for s in states if s.kind is CriterionKind.MUST_HAVE and s.status is Status.UNMET),
        disqualified_by=tuple(s.id for s in states if s.status is Status.DISQUALIFIED),
    )


def revenue_potential(fields: dict[str, JsonValue], *, config: IcpConfig) -> tuple[float | None, str | None]:
    """Returns the revenue potential and where it came from (a column or a rule)."""
    pot = config.potential
    if pot.field:
        v = as_number(fields.get(pot.field))
        if v is not None:
            return v, potential_source(0, config=config)
    for i, rule in enumerate(pot.rules):
        v = as_number(fields.get(rule.field))
        if v is None:
            continue
        if (rule.min is None or v >= rule.min) and (rule.max is None or v <= rule.max):
            return rule.value, potential_source(i + 1, config=config)
    return None, None


def potential_source(index: int, *, config: IcpConfig) -> str:
    """Returns where a potential came from in words: index 0 is the column, i ≥ 1 is rule i."""
    if index == 0:
        return f"column {config.potential.field}"
    rule = config.potential.rules[index - 1]
    return f"rule {index} ({rule.field} {_range_words(rule.min, rule.max)})"


def _range_words(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g}"
    if lo is not None:
        return f"≥ {lo:g}"
    return f"≤ {hi:g}" if hi is not None else "any value"


def rule_holds(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> bool:
    """Returns True when an account meets every minimum of a tier rule."""
    return not rule_gaps(rule, inputs, config=config)


def _potential_gaps(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> list[str]:
    if rule.min_potential is None:
        return []
    cur = config.potential.currency
    if inputs.potential is None:
        return ["revenue potential is unknown"] if config.potential.unknown_blocks else []
    if inputs.potential < rule.min_potential:
        return [f"revenue potential {inputs.potential:,.0f} {cur} is under {rule.min_potential:,.0f} {cur}"]
    return []


def rule_gaps(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> list[str]:
    """Returns, in words, each minimum of a tier rule that the account misses."""
    gaps = []
    if inputs.fit < rule.min_fit:
        gaps.append(f"fit {_pct(inputs.fit, rule.min_fit)}% is under {rule.min_fit:g}%")
    gaps += _potential_gaps(rule, inputs, config=config)
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
        return (
            Tier.NOT_A_TARGET,
            f"fit {_pct(inputs.fit, config.threshold)}% is under the {config.threshold:g}% threshold",
        )
    last_gaps: list[str] = []
    for rule in config.ordered_tiers:
        gaps = rule_gaps(rule, inputs, config=config)
        if not gaps:
            return rule.tier, _reason_for(rule, inputs, config=config)
        last_gaps = gaps
    return (
        Tier.NOT_A_TARGET,
        f"fit {_pct(inputs.fit, config.threshold)}% clears the threshold but no tier's minimums hold ("
        + "; ".join(last_gaps)
        + ")",
    )


def _pct(fit: float, boundary: float) -> str:
    """Returns a fit with one decimal, or with up to six when one would blur which side of a boundary it is on."""
    short = f"{fit:.1f}"
    if (float(short) < boundary) == (fit < boundary):
        return short
    return f"{fit:.6f}".rstrip("0").rstrip(".")


def _reason_for(rule: TierRule, inputs: TierInputs, *, config: IcpConfig) -> str:
    parts = [f"fit {_pct(inputs.fit, rule.min_fit)}% ≥ {rule.min_fit:g}%"]
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


def find_next_tier(
    states: list[CriterionState],
    inputs: TierInputs,
    tier: Tier,
    *,
    config: IcpConfig,
) -> NextTier | None:
    """Returns the smallest set of unmet or unknown criteria that lifts the account at least one tier.

    Every better tier is tried; the fewest criteria win and, on a tie, the better resulting tier.
    `tier` in the answer is the tier the account would then have (it may skip one). When no better
    tier can be reached, the answer names the next tier, `reachable=False` and the blockers.
    Exact: with the must-haves that have to flip and one signal criterion fixed, taking the
    heaviest remaining criteria first gives the fewest criteria that close the fit gap.
    """
    better = [r for r in config.ordered_tiers if r.tier.rank < tier.rank]
    if not better:
        return None
    nearest = better[-1]
    if inputs.disqualified_by:
        return NextTier(
            tier=nearest.tier,
            reachable=False,
            blockers=[f"disqualified by {c}: no criterion can offset a disqualifier" for c in inputs.disqualified_by],
        )
    pool = _Pool.of(states)
    best: NextTier | None = None
    fallback: NextTier | None = None
    for rule in reversed(better):  # nearest tier first
        blockers = _potential_gaps(rule, inputs, config=config)
        found = _cheapest_lift(rule, pool, inputs, config=config)
        if isinstance(found, str):
            blockers.append(found)
            chosen: list[str] = []
            fit_after: float | None = None
        else:
            chosen, fit_after = found
        if blockers:
            if fallback is None:
                fallback = NextTier(
                    tier=rule.tier, criteria=chosen, fit_after=fit_after, blockers=blockers, reachable=False
                )
            continue
        reached = _tier_after(states, chosen, inputs, config=config)
        if (
            best is None
            or len(chosen) < len(best.criteria)
            or (len(chosen) == len(best.criteria) and reached.rank < best.tier.rank)
        ):
            best = NextTier(tier=reached, criteria=chosen, fit_after=fit_after, reachable=True)
    if best is not None:
        return best
    assert fallback is not None
    return fallback


@dataclass(frozen=True, slots=True)
class _Pool:
    """The criteria the next-tier search may flip, worked out once for every tier it tries."""

    states: list[CriterionState]
    weight: dict[str, float]
    mandatory: list[str]  # unmet must-haves: every lift flips them
    open_ids: list[str]  # unmet or unknown, disqualifiers excepted
    ranked: list[str]  # open criteria with weight, heaviest first
    met_points: float
    whole: bool  # whole-number weights add up exactly in any order

    @classmethod
    def of(cls, states: list[CriterionState]) -> _Pool:
        weight = {s.id: s.weight for s in states}
        open_ids = [
            s.id
            for s in states
            if s.kind is not CriterionKind.DISQUALIFIER and s.status in (Status.UNMET, Status.UNKNOWN)
        ]
        return cls(
            states=states,
            weight=weight,
            mandatory=[s.id for s in states if s.kind is CriterionKind.MUST_HAVE and s.status is Status.UNMET],
            open_ids=open_ids,
            ranked=sorted((i for i in open_ids if weight[i] > 0), key=lambda i: (-weight[i], i)),
            met_points=summarise_states(states)[0],
            whole=all(float(w).is_integer() for w in weight.values()),
        )

    def fit_with(self, chosen: list[str], points: float, total: float) -> float:
        """Returns the fit once `chosen` are met, summed exactly as the scorer sums it."""
        return fit_percent(points, total) if self.whole else _fit_with(self.states, set(chosen), total)


def _cheapest_lift(
    rule: TierRule, pool: _Pool, inputs: TierInputs, *, config: IcpConfig
) -> tuple[list[str], float] | str:
    """Returns the fewest open criteria that meet a rule's fit and signal minimums, or why none can."""
    total = config.total_weight
    signal_options: list[str | None] = [None]
    if rule.requires == "buying" and not inputs.buying:
        signal_options = [i for i in config.signals.buying if i in pool.open_ids]
    elif rule.requires == "in_market" and not (inputs.in_market or inputs.buying):
        either = dict.fromkeys([*config.signals.in_market, *config.signals.buying])
        signal_options = [i for i in either if i in pool.open_ids]
    if not signal_options:
        return f"no open criterion can supply the {rule.requires} signal {rule.tier.value} requires"
    need = max(rule.min_fit, config.threshold)
    best: tuple[int, float, list[str]] | None = None
    for sig in signal_options:
        chosen = list(dict.fromkeys([*pool.mandatory, *([sig] if sig else [])]))
        points = pool.met_points + sum(pool.weight[i] for i in chosen)
        fit = pool.fit_with(chosen, points, total)
        for cid in pool.ranked:
            if fit >= need:
                break
            if cid in chosen:
                continue
            chosen.append(cid)
            points += pool.weight[cid]
            fit = pool.fit_with(chosen, points, total)
        if fit < need:
            continue
        if best is None or (len(chosen), -fit, sorted(chosen)) < (best[0], -best[1], sorted(best[2])):
            best = (len(chosen), fit, chosen)
    if best is None:
        top = _fit_with(pool.states, set(pool.open_ids), total)
        return f"meeting every open criterion gives fit {_pct(top, need)}%, under {need:g}%"
    return best[2], best[1]


def _flipped(states: list[CriterionState], chosen: set[str]) -> list[CriterionState]:
    return [CriterionState(s.id, s.kind, s.weight, Status.MET) if s.id in chosen else s for s in states]


def _fit_with(states: list[CriterionState], chosen: set[str], total: float) -> float:
    # exactly the sum the scorer would make once these criteria are met
    met, _ = summarise_states(_flipped(states, chosen))
    return fit_percent(met, total)


def _tier_after(states: list[CriterionState], chosen: list[str], inputs: TierInputs, *, config: IcpConfig) -> Tier:
    after = tier_inputs(_flipped(states, set(chosen)), config=config, potential=inputs.potential)
    return assign_tier(after, config=config)[0]
