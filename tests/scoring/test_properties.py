"""Properties of the scorer that must hold for every ICP and every profile (hypothesis)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring.config import IcpConfig, load_icp
from scoring.domain import EventType, Ledger, Origin, Profile, ProfileValue, Status, Tier, TriggerEvent
from scoring.scorer import score_account
from scoring.tiers import TierInputs, assign_tier

AS_OF = date(2026, 1, 15)
SCORED_AT = datetime(2026, 1, 15, tzinfo=UTC)
ALL_MATCHERS = load_icp(Path(__file__).resolve().parent.parent / "fixtures" / "icp" / "all_matchers.yaml")
PROFILE_FIELDS = sorted({c.field for c in ALL_MATCHERS.criteria if c.field != "events"} | {"revenue_potential"})
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["software", "Software ", "gambling", "NO", "no", "yes", "true", "SAP", "Slack", "salesforce", "multi-site",
         "lean manufacturing", "growth", "rivalsoft", "1,000,000", "100", "n/a", "", "  "]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**10), 10**10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)
values = st.one_of(scalars, st.lists(st.one_of(st.sampled_from(WORDS), scalars), max_size=4))
events = st.lists(
    st.builds(
        TriggerEvent,
        type=st.sampled_from(list(EventType)),
        event_date=st.one_of(st.none(), st.integers(-30, 400).map(lambda d: AS_OF - timedelta(days=d))),
        summary=st.just("news"),
        materiality=st.sampled_from([0.0, 0.3, 0.6, 1.0]),
    ),
    max_size=3,
)


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    """Draws a profile over the fields of the all-matchers ICP: any JSON-ish value, or none."""
    chosen = draw(st.lists(st.sampled_from(PROFILE_FIELDS), unique=True))
    fields = {f: ProfileValue(value=draw(values), origin=Origin.CRM) for f in chosen}
    return Profile(account_id=1, fields=fields, events=draw(events), monitored=draw(st.booleans()))


def _score(profile: Profile, config: IcpConfig = ALL_MATCHERS) -> Ledger:
    return score_account(profile, config=config, as_of=AS_OF, scored_at=SCORED_AT)


def _with_fields(profile: Profile, **changes: Any) -> Profile:
    fields = dict(profile.fields)
    for name, value in changes.items():
        name = name.replace("__", ".")
        if value is _DROP:
            fields.pop(name, None)
        else:
            fields[name] = ProfileValue(value=value, origin=Origin.CRM)
    return profile.model_copy(update={"fields": fields})


_DROP = object()


@FAST
@given(profiles())
def test_scoring_is_deterministic(profile: Profile) -> None:
    first = _score(profile)
    assert _score(profile) == first
    reordered = profile.model_copy(update={"fields": dict(reversed(list(profile.fields.items())))})
    assert _score(reordered) == first


@FAST
@given(
    profiles(), st.sampled_from([("industry", "Gambling"), ("custom.customer", "yes"), ("competitors", ["RivalSoft"])])
)
def test_a_disqualifier_always_disqualifies(profile: Profile, trigger: tuple[str, Any]) -> None:
    name, value = trigger
    ledger = _score(_with_fields(profile, **{name.replace(".", "__"): value}))
    assert ledger.tier is Tier.DISQUALIFIED
    assert ledger.disqualified_by
    assert ledger.next_tier is not None and not ledger.next_tier.reachable


@FAST
@given(profiles())
def test_unknown_never_counts_as_met(profile: Profile) -> None:
    ledger = _score(profile)
    assert all(line.points == 0 for line in ledger.lines if line.status is Status.UNKNOWN)
    assert ledger.fit <= ledger.coverage
    for name in profile.fields:
        dropped = _score(_with_fields(profile, **{name.replace(".", "__"): _DROP}))
        assert dropped.fit <= ledger.fit
        assert dropped.coverage <= ledger.coverage
        for line in dropped.lines:
            if line.field == name:
                assert line.status is Status.UNKNOWN


def _reweighted(config: IcpConfig, criterion_id: str, weight: float) -> IcpConfig:
    data = config.model_dump()
    for c in data["criteria"]:
        if c["id"] == criterion_id:
            c["weight"] = weight
    return IcpConfig.model_validate(data)


@FAST
@given(profiles(), st.floats(0.5, 200))
def test_raising_a_met_weight_never_lowers_fit(profile: Profile, extra: float) -> None:
    ledger = _score(profile)
    met = [line for line in ledger.lines if line.status is Status.MET]
    assume(met)
    for line in met:
        heavier = _reweighted(ALL_MATCHERS, line.id, min(line.weight + extra, 1000.0))
        assert _score(profile, heavier).fit >= ledger.fit
    for line in ledger.lines:
        if line.status in (Status.UNMET, Status.UNKNOWN) and line.kind.value != "disqualifier":
            heavier = _reweighted(ALL_MATCHERS, line.id, min(line.weight + extra, 1000.0))
            assert _score(profile, heavier).fit <= ledger.fit


@st.composite
def tier_configs(draw: st.DrawFn) -> IcpConfig:
    """Draws an ICP whose tier minimums and threshold are arbitrary but valid."""
    fits = sorted(draw(st.lists(st.floats(0, 100).map(lambda f: round(f, 3)), min_size=3, max_size=3)), reverse=True)
    threshold = draw(st.floats(0, fits[2]).map(lambda f: math.floor(f * 1000) / 1000))
    pots = sorted(draw(st.lists(st.integers(0, 10**6), min_size=3, max_size=3)), reverse=True)
    crit = {"id": "a", "dimension": "firmographic", "kind": "strong", "weight": 1, "field": "custom.a",
            "match": {"exists": True}}  # fmt: skip
    return IcpConfig.model_validate(
        {
            "name": "Tiers",
            "threshold": threshold,
            "criteria": [crit],
            "signals": {"buying": ["a"], "in_market": ["a"]},
            "tiers": [
                {"tier": "Tier 1", "min_fit": fits[0], "min_potential": pots[0]},
                {"tier": "Tier 2", "min_fit": fits[1], "min_potential": pots[1], "requires": "buying"},
                {"tier": "Tier 3", "min_fit": fits[2], "min_potential": pots[2], "requires": "in_market"},
            ],
        }
    )


@FAST
@given(tier_configs())
def test_tier_boundaries_are_exactly_as_configured(config: IcpConfig) -> None:
    rich = float(max(r.min_potential or 0 for r in config.tiers))
    for rule in config.ordered_tiers:
        # exactly min_fit is inside the band: the best tier whose min_fit is at most this one's
        at, _ = assign_tier(TierInputs(rule.min_fit, rich, True, True), config=config)
        assert at is min((r for r in config.tiers if r.min_fit <= rule.min_fit), key=lambda r: r.tier.rank).tier
        if rule.min_fit > 0:
            under = math.nextafter(rule.min_fit, -math.inf)
            below, _ = assign_tier(TierInputs(under, rich, True, True), config=config)
            assert below.rank > rule.tier.rank
    if config.threshold > 0:
        under = math.nextafter(config.threshold, -math.inf)
        assert assign_tier(TierInputs(under, rich, True, True), config=config)[0] is Tier.NOT_A_TARGET


# --- what would move it up, against brute force ------------------------------------------------

STATUS_VALUE = {Status.MET: "x", Status.UNMET: ""}  # an `exists` criterion; absent means unknown


@st.composite
def small_icps(draw: st.DrawFn) -> tuple[IcpConfig, dict[str, Status], float | None]:
    """Draws a small ICP of `exists` criteria, the status of each for one account, and its potential."""
    n = draw(st.integers(1, 6))
    ids = [f"c{i}" for i in range(n)]
    kinds = [draw(st.sampled_from(["must_have", "strong", "nice_to_have"])) for _ in ids]
    # whole weights mostly, and some that floats cannot add exactly (0.1 + 0.2 != 0.3)
    weights = [draw(st.one_of(st.integers(0, 40), st.sampled_from([0.1, 0.2, 0.3, 0.7, 2.5]))) for _ in ids]
    if not any(weights):
        weights[0] = 10
    n_dq = draw(st.integers(0, 1))
    criteria = [
        {
            "id": i,
            "dimension": "firmographic",
            "kind": k,
            "weight": w,
            "field": f"custom.{i}",
            "match": {"exists": True},
        }
        for i, k, w in zip(ids, kinds, weights, strict=True)
    ] + [
        {
            "id": f"dq{i}",
            "dimension": "strategic",
            "kind": "disqualifier",
            "field": f"custom.dq{i}",
            "match": {"exists": True},
        }
        for i in range(n_dq)
    ]
    buying = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    in_market = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    fits = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)), reverse=True)
    threshold = draw(st.integers(0, fits[2]))
    pots = [draw(st.one_of(st.none(), st.sampled_from([0, 50_000, 250_000, 1_000_000]))) for _ in range(3)]
    tiers = [
        {"tier": "Tier 1", "min_fit": fits[0], "min_potential": pots[0]},
        {"tier": "Tier 2", "min_fit": fits[1], "min_potential": pots[1],
         "requires": "buying" if buying and draw(st.booleans()) else None},
        {"tier": "Tier 3", "min_fit": fits[2], "min_potential": pots[2],
         "requires": "in_market" if in_market and draw(st.booleans()) else None},
    ]  # fmt: skip
    config = IcpConfig.model_validate(
        {
            "name": "Small",
            "threshold": threshold,
            "criteria": criteria,
            "signals": {"buying": buying, "in_market": in_market},
            "tiers": tiers,
            "potential": {"unknown_blocks": draw(st.booleans())},
        }
    )
    statuses = {c["id"]: draw(st.sampled_from([Status.MET, Status.UNMET, Status.UNKNOWN])) for c in criteria}
    for i in range(n_dq):
        statuses[f"dq{i}"] = draw(st.sampled_from([Status.UNMET, Status.UNMET, Status.UNKNOWN, Status.MET]))
    potential = draw(st.one_of(st.none(), st.sampled_from([10_000.0, 60_000.0, 300_000.0, 2_000_000.0])))
    return config, statuses, potential


def _account(statuses: dict[str, Status], potential: float | None, flipped: frozenset[str] = frozenset()) -> Profile:
    fields = {
        f"custom.{cid}": ProfileValue(value="x" if cid in flipped else STATUS_VALUE[s], origin=Origin.CRM)
        for cid, s in statuses.items()
        if s is not Status.UNKNOWN or cid in flipped
    }
    if potential is not None:
        fields["revenue_potential"] = ProfileValue(value=potential, origin=Origin.CRM)
    return Profile(fields=fields)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_icps())
def test_next_tier_is_a_smallest_set_that_really_lifts_the_account(
    case: tuple[IcpConfig, dict[str, Status], float | None],
) -> None:
    config, statuses, potential = case
    ledger = _score(_account(statuses, potential), config)
    better = [r for r in config.ordered_tiers if r.tier.rank < ledger.tier.rank]
    if not better:
        assert ledger.next_tier is None
        return
    open_ids = [
        line.id
        for line in ledger.lines
        if line.kind.value != "disqualifier" and line.status in (Status.UNMET, Status.UNKNOWN)
    ]
    reached: dict[frozenset[str], Tier] = {}
    for size in range(len(open_ids) + 1):
        for subset in itertools.combinations(open_ids, size):
            tier = _score(_account(statuses, potential, frozenset(subset)), config).tier
            if tier.rank < ledger.tier.rank:
                reached[frozenset(subset)] = tier
        if reached:
            break
    nxt = ledger.next_tier
    assert nxt is not None
    if not reached:
        assert not nxt.reachable
        return
    assert nxt.reachable and not nxt.blockers
    assert len(nxt.criteria) == len(next(iter(reached)))  # as few criteria as brute force needs
    after = _score(_account(statuses, potential, frozenset(nxt.criteria)), config)
    assert after.tier is nxt.tier and after.fit == nxt.fit_after
    assert nxt.tier.rank == min(t.rank for t in reached.values())  # the best tier so few criteria reach
