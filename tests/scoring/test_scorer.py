"""The scorer: status per matcher, fit and coverage arithmetic, the ledger's lines and evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from scoring.config import IcpConfig, load_icp_text
from scoring.domain import Account, Origin, Profile, ProfileValue, Status, Tier, TriggerEvent
from scoring.profiles import profile_from_account
from scoring.scorer import score_account

NAN = float("nan")

# (field, match, fields given, expected status). A field absent from `fields` is unknown;
# None, "", whitespace, [] and NaN are known-empty.
MATCHER_TABLE: list[Any] = [
    # one_of
    ("industry", "{one_of: [software, manufacturing]}", {"industry": "Software"}, Status.MET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": "  SOFTWARE "}, Status.MET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": "retail"}, Status.UNMET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": ["retail", "software"]}, Status.MET),
    ("industry", "{one_of: [software, manufacturing]}", {}, Status.UNKNOWN),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": None}, Status.UNMET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": ""}, Status.UNMET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": "   "}, Status.UNMET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": []}, Status.UNMET),
    ("industry", "{one_of: [software, manufacturing]}", {"industry": NAN}, Status.UNMET),
    # equals, text
    ("country", "{equals: NO}", {"country": "NO"}, Status.MET),
    ("country", "{equals: NO}", {"country": "no"}, Status.MET),
    ("country", "{equals: NO}", {"country": "SE"}, Status.UNMET),
    ("country", "{equals: NO}", {"country": ""}, Status.UNMET),
    ("country", "{equals: NO}", {}, Status.UNKNOWN),
    # equals, number: a number given as a string counts; text that is no number is unknown
    ("employees", "{equals: 100}", {"employees": 100}, Status.MET),
    ("employees", "{equals: 100}", {"employees": "100"}, Status.MET),
    ("employees", "{equals: 100}", {"employees": 100.0}, Status.MET),
    ("employees", "{equals: 100}", {"employees": 101}, Status.UNMET),
    ("employees", "{equals: 100}", {"employees": "n/a"}, Status.UNKNOWN),
    ("employees", "{equals: 100}", {"employees": ""}, Status.UNKNOWN),
    ("employees", "{equals: 100}", {}, Status.UNKNOWN),
    # equals, boolean
    ("custom.partner", "{equals: true}", {"custom.partner": True}, Status.MET),
    ("custom.partner", "{equals: true}", {"custom.partner": "yes"}, Status.MET),
    ("custom.partner", "{equals: true}", {"custom.partner": " TRUE "}, Status.MET),
    ("custom.partner", "{equals: true}", {"custom.partner": 1}, Status.MET),
    ("custom.partner", "{equals: true}", {"custom.partner": False}, Status.UNMET),
    ("custom.partner", "{equals: true}", {"custom.partner": "maybe"}, Status.UNMET),
    ("custom.partner", "{equals: true}", {"custom.partner": 2}, Status.UNMET),
    ("custom.partner", "{equals: true}", {"custom.partner": ""}, Status.UNKNOWN),
    ("custom.partner", "{equals: true}", {"custom.partner": None}, Status.UNKNOWN),
    ("custom.partner", "{equals: true}", {}, Status.UNKNOWN),
    ("custom.partner", "{equals: false}", {"custom.partner": "no"}, Status.MET),
    ("custom.partner", "{equals: false}", {"custom.partner": 0}, Status.MET),
    ("custom.partner", "{equals: false}", {"custom.partner": True}, Status.UNMET),
    # range: both ends inclusive; numbers as strings; blanks and non-numbers are unknown
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": 1_000_000}, Status.MET),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": 1e9}, Status.MET),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": 999_999.99}, Status.UNMET),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": 1e9 + 1}, Status.UNMET),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": "2,500,000"}, Status.MET),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": "abc"}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": True}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": [2_000_000]}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": "inf"}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": ""}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {"revenue": NAN}, Status.UNKNOWN),
    ("revenue", "{range: {min: 1000000, max: 1000000000}}", {}, Status.UNKNOWN),
    ("employees", "{range: {max: 50}}", {"employees": 50}, Status.MET),
    ("employees", "{range: {max: 50}}", {"employees": -3}, Status.MET),
    ("employees", "{range: {min: 50}}", {"employees": 49}, Status.UNMET),
    # contains_any: list elements are matched whole (a vendor family matches its products, a
    # phrase matches inside a sentence-list element); text is searched for whole words
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": ["SAP", "Slack"]}, Status.MET),
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": ["sap s/4hana"]}, Status.MET),
    ("technologies", "{contains_any: [SAP S/4HANA]}", {"technologies": ["sap ecc"]}, Status.UNMET),
    ("technologies", "{contains_any: [Salesforce]}", {"technologies": ["sap s/4hana"]}, Status.UNMET),
    (
        "priorities",
        "{contains_any: [efficiency]}",
        {"priorities": ["Our priority is operational efficiency"]},
        Status.MET,
    ),
    ("priorities", "{contains_any: [lean]}", {"priorities": ["a clean energy transition"]}, Status.UNMET),
    (
        "priorities",
        "{contains_all: [digital transformation, automation]}",
        {"priorities": ["Digital transformation", "more automation"]},
        Status.MET,
    ),
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": "We run SAP daily"}, Status.MET),
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": "sapphire"}, Status.UNMET),
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": []}, Status.UNMET),
    ("technologies", "{contains_any: [SAP, Odoo]}", {"technologies": None}, Status.UNMET),
    ("technologies", "{contains_any: [SAP, Odoo]}", {}, Status.UNKNOWN),
    ("priorities", "{contains_any: [lean manufacturing]}", {"priorities": "Lean  Manufacturing first"}, Status.MET),
    ("priorities", "{contains_any: [lean]}", {"priorities": "clean energy"}, Status.UNMET),
    # contains_all
    ("technologies", "{contains_all: [Salesforce, Slack]}", {"technologies": ["Slack", "Salesforce"]}, Status.MET),
    ("technologies", "{contains_all: [Salesforce, Slack]}", {"technologies": ["Slack", "slack"]}, Status.UNMET),
    ("technologies", "{contains_all: [Salesforce, Slack]}", {"technologies": "Salesforce and Slack"}, Status.MET),
    ("technologies", "{contains_all: [Salesforce, Slack]}", {"technologies": "Salesforce only"}, Status.UNMET),
    # exists
    ("parent_company", "{exists: true}", {"parent_company": "Acme Group"}, Status.MET),
    ("parent_company", "{exists: true}", {"parent_company": 0}, Status.MET),
    ("parent_company", "{exists: true}", {"parent_company": ""}, Status.UNMET),
    ("parent_company", "{exists: true}", {"parent_company": None}, Status.UNMET),
    ("parent_company", "{exists: true}", {}, Status.UNKNOWN),
    ("parent_company", "{exists: false}", {"parent_company": ""}, Status.MET),
    ("parent_company", "{exists: false}", {"parent_company": "Acme"}, Status.UNMET),
]


@pytest.mark.parametrize(("field", "match", "fields", "expected"), MATCHER_TABLE)
def test_matcher_status(
    field: str,
    match: str,
    fields: dict[str, Any],
    expected: Status,
    one_criterion_icp: Callable[..., IcpConfig],
    make_profile: Callable[..., Profile],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = one_criterion_icp(field, match)
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    assert ledger.line("probe").status is expected


# (events as (type, days before as_of, materiality), monitored, expected status) for
# `recent: {event: [funding, ipo], within_days: 180, min_materiality: 0.5}`
EVENT_TABLE: list[Any] = [
    ([("funding", 10, 0.5)], False, Status.MET),
    ([("ipo", 180, 0.9)], False, Status.MET),  # the window's last day counts
    ([("funding", 181, 0.9)], True, Status.UNMET),
    ([("funding", 181, 0.9)], False, Status.UNKNOWN),  # not monitored: no news is no data
    ([("funding", -1, 0.9)], True, Status.UNMET),  # dated after as_of: not yet
    ([("funding", None, 0.9)], True, Status.UNMET),  # undated events never count as recent
    ([("funding", 10, 0.4)], True, Status.UNMET),  # under the materiality floor
    ([("acquisition", 10, 0.9)], True, Status.UNMET),
    ([], True, Status.UNMET),
    ([], False, Status.UNKNOWN),
    ([("acquisition", 10, 0.9), ("funding", 0, 0.5)], False, Status.MET),
]


@pytest.mark.parametrize(("events", "monitored", "expected"), EVENT_TABLE)
def test_recent_event_status(
    events: list[tuple[str, int | None, float]],
    monitored: bool,
    expected: Status,
    one_criterion_icp: Callable[..., IcpConfig],
    make_profile: Callable[..., Profile],
    make_event: Callable[..., TriggerEvent],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = one_criterion_icp("events", "{recent: {event: [funding, ipo], within_days: 180, min_materiality: 0.5}}")
    profile = make_profile(events=[make_event(t, d, materiality=m) for t, d, m in events], monitored=monitored)
    assert score_account(profile, config=cfg, as_of=as_of, scored_at=scored_at).line("probe").status is expected


@pytest.mark.parametrize(
    ("exists", "has_event", "monitored", "expected"),
    [
        (True, True, False, Status.MET),
        (True, False, True, Status.UNMET),
        (True, False, False, Status.UNKNOWN),
        (False, False, True, Status.MET),
        (False, True, True, Status.UNMET),
    ],
)
def test_events_exist_status(
    exists: bool,
    has_event: bool,
    monitored: bool,
    expected: Status,
    one_criterion_icp: Callable[..., IcpConfig],
    make_profile: Callable[..., Profile],
    make_event: Callable[..., TriggerEvent],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = one_criterion_icp("events", f"{{exists: {str(exists).lower()}}}")
    profile = make_profile(events=[make_event("layoffs", 500)] if has_event else [], monitored=monitored)
    assert score_account(profile, config=cfg, as_of=as_of, scored_at=scored_at).line("probe").status is expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"industry": "gambling"}, Status.DISQUALIFIED),
        ({"industry": "software"}, Status.UNMET),
        ({}, Status.UNKNOWN),
    ],
)
def test_disqualifier_status(
    fields: dict[str, Any],
    expected: Status,
    one_criterion_icp: Callable[..., IcpConfig],
    make_profile: Callable[..., Profile],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = one_criterion_icp("industry", "{one_of: [gambling]}", kind="disqualifier")
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    assert ledger.line("probe").status is expected
    assert ledger.line("probe").points == 0
    assert (ledger.tier is Tier.DISQUALIFIED) is (expected is Status.DISQUALIFIED)


ARITHMETIC_ICP = """
name: Arithmetic
threshold: 0
criteria:
  - {id: a, dimension: firmographic, kind: must_have, weight: 40, field: industry, match: {one_of: [software]}}
  - {id: b, dimension: firmographic, kind: strong, weight: 30, field: country, match: {one_of: [NL]}}
  - {id: c, dimension: technographic, kind: nice_to_have, weight: 20, field: technologies, match: {contains_any: [sap]}}
  - {id: d, dimension: strategic, kind: nice_to_have, weight: 10, field: priorities, match: {contains_any: [growth]}}
  - {id: x, dimension: strategic, kind: disqualifier, field: custom.customer, match: {equals: true}}
tiers:
  - {tier: Tier 1, min_fit: 90}
  - {tier: Tier 2, min_fit: 60}
  - {tier: Tier 3, min_fit: 0}
"""


@pytest.mark.parametrize(
    ("fields", "fit", "coverage"),
    [
        ({"industry": "software", "country": "NL", "technologies": ["sap"], "priorities": "growth"}, 100.0, 100.0),
        ({"industry": "software", "country": "DE", "priorities": "growth"}, 50.0, 80.0),
        ({"industry": "software", "custom.customer": "no"}, 40.0, 40.0),  # disqualifiers weigh nothing
        ({"country": "NL", "technologies": []}, 30.0, 50.0),
        ({}, 0.0, 0.0),
        ({"industry": "retail", "country": "DE", "technologies": "x", "priorities": "y"}, 0.0, 100.0),
    ],
)
def test_fit_and_coverage_arithmetic(
    fields: dict[str, Any],
    fit: float,
    coverage: float,
    make_profile: Callable[..., Profile],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = load_icp_text(ARITHMETIC_ICP)
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    assert (ledger.fit, ledger.coverage) == (fit, coverage)
    assert sum(line.points for line in ledger.lines) == pytest.approx(fit)  # weights sum to 100


def test_fit_is_rounded_to_six_decimals(make_profile: Callable[..., Profile], as_of: date, scored_at: datetime) -> None:
    cfg = load_icp_text(
        """
name: Thirds
threshold: 0
criteria:
  - {id: a, dimension: firmographic, kind: strong, weight: 1, field: industry, match: {one_of: [software]}}
  - {id: b, dimension: firmographic, kind: strong, weight: 1, field: country, match: {one_of: [NL]}}
  - {id: c, dimension: firmographic, kind: strong, weight: 1, field: city, match: {one_of: [Delft]}}
tiers: [{tier: Tier 3, min_fit: 0}]
"""
    )
    ledger = score_account(make_profile({"industry": "software"}), config=cfg, as_of=as_of, scored_at=scored_at)
    assert ledger.fit == 33.333333
    assert ledger.coverage == 33.333333


def test_ledger_lines_carry_values_evidence_and_reasons(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    cfg = load_icp_text(ARITHMETIC_ICP)
    quote = {"document_id": "doc-7", "quote": "We are a software company"}
    profile = Profile(
        account_id=42,
        fields={
            "industry": ProfileValue(value="Software", origin=Origin.LLM, fact_ids=["f1"], evidence=[quote]),
            "country": ProfileValue(value="DE", origin=Origin.CRM),
            "technologies": ProfileValue(value=[], origin=Origin.CRM),
        },
    )
    ledger = score_account(profile, config=cfg, as_of=as_of, scored_at=scored_at, account_name="Acme")
    got = {
        line.id: (
            line.status,
            line.points,
            line.values,
            line.evidence,
            [q.document_id for q in line.quotes],
            line.reason,
        )
        for line in ledger.lines
    }
    assert got == {
        "a": (Status.MET, 40.0, ["Software"], ["f1"], ["doc-7"], "industry is one of software: yes"),
        "b": (Status.UNMET, 0.0, ["DE"], ["crm:country"], [], "country is one of NL: no"),
        "c": (Status.UNMET, 0.0, [[]], ["crm:technologies"], [], "technologies is known to be empty"),
        "d": (Status.UNKNOWN, 0.0, [], [], [], "no data for priorities"),
        "x": (Status.UNKNOWN, 0.0, [], [], [], "no data for custom.customer"),
    }
    assert (ledger.account_id, ledger.account_name) == (42, "Acme")
    assert (ledger.as_of, ledger.scored_at, ledger.icp_version) == (as_of, scored_at, cfg.version)


def test_event_line_lists_matching_events_newest_first(
    one_criterion_icp: Callable[..., IcpConfig],
    make_profile: Callable[..., Profile],
    make_event: Callable[..., TriggerEvent],
    as_of: date,
    scored_at: datetime,
) -> None:
    cfg = one_criterion_icp("events", "{recent: {event: [funding], within_days: 180}}")
    events = [make_event("funding", 100), make_event("funding", 5), make_event("layoffs", 1)]
    line = score_account(make_profile(events=events), config=cfg, as_of=as_of, scored_at=scored_at).line("probe")
    assert line.values == ["funding on 2026-01-10: funding news", "funding on 2025-10-07: funding news"]


def test_unknown_must_have_leaves_account_unproven_not_disqualified(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    cfg = load_icp_text(ARITHMETIC_ICP)
    fields = {"country": "NL", "technologies": ["sap"], "priorities": "growth"}
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    assert ledger.line("a").status is Status.UNKNOWN
    assert ledger.unproven == ["a"]
    assert ledger.dealbreakers == []
    assert ledger.tier is Tier.TIER_2  # fit 60: the unknown must-have costs its points only


def test_unmet_must_have_is_a_dealbreaker(
    make_profile: Callable[..., Profile], as_of: date, scored_at: datetime
) -> None:
    cfg = load_icp_text(ARITHMETIC_ICP.replace("min_fit: 0}", "min_fit: 50}"))
    fields = {"industry": "retail", "country": "NL", "technologies": ["sap"], "priorities": "growth"}
    ledger = score_account(make_profile(fields), config=cfg, as_of=as_of, scored_at=scored_at)
    assert (ledger.fit, ledger.tier, ledger.dealbreakers) == (60.0, Tier.NOT_A_TARGET, ["a"])
    assert ledger.tier_reason == "must-have unmet: a"


def test_score_is_the_same_for_an_account_built_from_crm_fields(
    default_icp: IcpConfig, as_of: date, scored_at: datetime
) -> None:
    account = Account(
        id=3, name="Acme", industry="Automotive", revenue=80e6, employees=900, country="DE", custom={"customer": ""}
    )
    profile = profile_from_account(account, known_empty=frozenset({"region"}))
    ledger = score_account(profile, config=default_icp, as_of=as_of, scored_at=scored_at)
    statuses = {line.id: line.status for line in ledger.lines}
    assert statuses["industry_fit"] is Status.MET
    assert statuses["revenue_band"] is Status.MET
    assert statuses["headcount_band"] is Status.MET
    assert statuses["home_region"] is Status.MET
    assert statuses["existing_customer"] is Status.UNKNOWN  # a blank cell does not say "not a customer"
    assert statuses["expansion_recent"] is Status.UNKNOWN  # news not monitored
    assert ledger.fit == round(100 * 55 / 115, 6)  # 25 + 15 + 10 + 5 of the default's 115 points
    assert ledger.revenue_potential == 400_000  # rule: employees ≥ 500
    assert ledger.potential_source == "rule 2 (employees ≥ 500)"


@pytest.mark.parametrize(
    ("days_ago", "monitored", "expected"),
    [(30, False, Status.MET), (400, True, Status.UNMET), (400, False, Status.UNKNOWN), (None, True, Status.UNMET)],
)
def test_profile_from_account_carries_events_and_monitoring(
    days_ago: int | None,
    monitored: bool,
    expected: Status,
    default_icp: IcpConfig,
    make_event: Callable[..., TriggerEvent],
    as_of: date,
    scored_at: datetime,
) -> None:
    events = [] if days_ago is None else [make_event("expansion", days_ago)]
    profile = profile_from_account(Account(name="Acme"), events=events, monitored=monitored)
    ledger = score_account(profile, config=default_icp, as_of=as_of, scored_at=scored_at)
    assert ledger.line("expansion_recent").status is expected


def test_the_next_tier_search_can_be_skipped_without_changing_anything_else(
    all_matchers_icp: IcpConfig,
    random_profiles: Callable[[int, int], list[Profile]],
    as_of: date,
    scored_at: datetime,
) -> None:
    profiles = random_profiles(60, 11)
    full = [score_account(p, config=all_matchers_icp, as_of=as_of, scored_at=scored_at) for p in profiles]
    quick = [
        score_account(p, config=all_matchers_icp, as_of=as_of, scored_at=scored_at, next_tier=False) for p in profiles
    ]
    assert any(lg.next_tier is not None for lg in full)
    assert all(lg.next_tier is None for lg in quick)
    assert [lg.model_copy(update={"next_tier": None}) for lg in full] == quick
