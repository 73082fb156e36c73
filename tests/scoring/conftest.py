"""Fixtures for scorer tests: ICPs, a profile builder and a seeded generator of messy profiles."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scoring.config import IcpConfig, load_icp, load_icp_text
from scoring.domain import EventType, Origin, Profile, ProfileValue, TriggerEvent

AS_OF = date(2026, 1, 15)
SCORED_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

# Values per field for the random profiles: canonical hits, near misses, numbers as text,
# garbage, known-empty values (None, "", "  ", [], NaN) and lists next to free text.
POOLS: dict[str, list[Any]] = {
    "industry": [
        "Software",
        " software ",
        "Manufacturing",
        "gambling",
        "Retail",
        "",
        None,
        "  ",
        ["retail", "Software"],
        ["Gambling"],
        42,
        float("nan"),
    ],
    "country": ["NO", "no", "SE", "", None, ["NO"], "Norway"],
    "revenue": [
        5e5,
        2e6,
        "3,000,000",
        "abc",
        "",
        None,
        1e10,
        float("nan"),
        True,
        [1, 2],
        1_000_000,
        1e9,
        "1e7",
        float("inf"),
    ],
    "employees": [100, "100", 100.0, 50, 1500, "1,500", "n/a", None, "", 300, 999.5, "1000"],
    "technologies": [
        ["SAP", "Slack"],
        ["salesforce", "slack"],
        ["Odoo"],
        [],
        ["SAP", "sap"],
        "We run SAP and Slack",
        "Salesforce, Slack",
        "sapphire",
        None,
        [None, ""],
        ["Salesforce", "Slack", "SAP"],
    ],
    "priorities": [
        "Lean manufacturing and automation",
        "clean energy",
        ["automation"],
        ["lean"],
        "",
        None,
        "AUTOMATION first",
    ],
    "structure": [["multi-site"], ["Multi-Site", "subsidiaries"], "multi-site operations", "single site", [], None],
    "parent_company": ["Acme Group", "", None, [], 0],
    "custom.partner": [True, False, "yes", "no", "maybe", 1, 0, 2, "", None, "TRUE ", 1.0, ["yes"]],
    "growth_stage": ["Scale-up", "growth", "seed", ["growth", "seed"], "", "growth stage"],
    "custom.customer": [False, "no", "", None, False, 0, "no", True, "yes"],
    "custom.seats": [5, 20, "15", None, "", 50, 51, "many"],
    "competitors": [["other"], [], None, "rivalsoftware", ["Other"], "none", ["RivalSoft"], "we use rivalsoft"],
    "revenue_potential": [2e6, "300000", 100000, None, "", "n/a", 40000, 250000, 1e6, float("nan")],
}
GOOD: dict[str, Any] = {
    "industry": "Software",
    "country": "NO",
    "revenue": 2e6,
    "employees": 100,
    "technologies": ["SAP", "Salesforce", "Slack"],
    "priorities": "lean manufacturing",
    "structure": ["multi-site"],
    "parent_company": "Acme Group",
    "custom.partner": True,
    "growth_stage": "growth",
    "custom.customer": False,
    "custom.seats": 20,
    "competitors": ["other"],
    "revenue_potential": 2e6,
}
EVENT_TYPES = list(EventType)


def _profile(
    fields: dict[str, Any] | None = None, *, events: list[TriggerEvent] | None = None, monitored: bool = False
) -> Profile:
    values = {
        name: ProfileValue(value=v, origin=Origin.CRM, fact_ids=[f"fact-{name}"]) for name, v in (fields or {}).items()
    }
    return Profile(account_id=1, fields=values, events=events or [], monitored=monitored)


def _event(kind: str, days_ago: int | None, *, materiality: float = 0.5) -> TriggerEvent:
    when = None if days_ago is None else AS_OF - timedelta(days=days_ago)
    return TriggerEvent(type=EventType(kind), event_date=when, summary=f"{kind} news", materiality=materiality)


def _random_profile(rng: random.Random, account_id: int) -> Profile:
    """Returns a profile of a random quality q: each field is its GOOD value with probability q,
    else drawn from POOLS or left out; so fits spread from disqualified to Tier 1."""
    q = rng.random()
    fields = {}
    for name, pool in POOLS.items():
        if rng.random() < q:
            fields[name] = ProfileValue(value=GOOD[name], origin=Origin.CRM)
        elif rng.random() > 0.3:
            fields[name] = ProfileValue(value=rng.choice(pool), origin=Origin.CRM)
    events = []
    if rng.random() < q:
        events.append(TriggerEvent(type=EventType.FUNDING, event_date=AS_OF - timedelta(days=30), summary="round"))
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        days_ago = rng.choice([None, -10, 0, 30, 89, 90, 91, 179, 180, 181, 400])
        when = None if days_ago is None else AS_OF - timedelta(days=days_ago)
        events.append(
            TriggerEvent(
                type=rng.choice(EVENT_TYPES),
                event_date=when,
                summary=f"event {account_id}",
                materiality=rng.choice([0.3, 0.6, 0.9]),
                fact_ids=[f"ev-{account_id}"],
            )
        )
    return Profile(account_id=account_id, fields=fields, events=events, monitored=rng.random() < 0.5)


@pytest.fixture(scope="session")
def as_of() -> date:
    """Returns the as-of date every scorer test uses."""
    return AS_OF


@pytest.fixture(scope="session")
def scored_at() -> datetime:
    """Returns the scoring time every scorer test uses."""
    return SCORED_AT


@pytest.fixture(scope="session")
def make_profile() -> Callable[..., Profile]:
    """Returns `build(fields, *, events, monitored)`: a field left out is unknown, None is known-empty."""
    return _profile


@pytest.fixture(scope="session")
def make_event() -> Callable[..., TriggerEvent]:
    """Returns `build(kind, days_ago, *, materiality)`: an event `days_ago` days before as_of (None: undated)."""
    return _event


@pytest.fixture(scope="session")
def random_profiles() -> Callable[[int, int], list[Profile]]:
    """Returns `build(n, seed)`: n messy profiles drawn from POOLS, with events, reproducibly."""

    def build(n: int, seed: int) -> list[Profile]:
        rng = random.Random(seed)
        return [_random_profile(rng, i) for i in range(n)]

    return build


@pytest.fixture(scope="session")
def default_icp() -> IcpConfig:
    """Returns the shipped default ICP."""
    return load_icp("default")


@pytest.fixture(scope="session")
def all_matchers_icp(fixtures_dir: Path) -> IcpConfig:
    """Returns the test ICP that uses every matcher and every criterion kind."""
    return load_icp(fixtures_dir / "icp" / "all_matchers.yaml")


@pytest.fixture(scope="session")
def one_criterion_icp() -> Callable[..., IcpConfig]:
    """Returns a builder of an ICP with one weighted criterion (weight 10) on `field` with `match`."""

    def build(field: str, match: str, *, kind: str = "strong", weight: float = 10) -> IcpConfig:
        dq = kind == "disqualifier"
        text = f"""
name: One criterion
criteria:
  - {{id: probe, dimension: firmographic, kind: {kind}, weight: {0 if dq else weight}, field: {field}, match: {match}}}
"""
        if dq:
            text += "  - {id: filler, dimension: firmographic, kind: strong, weight: 10, field: name, match: {exists: true}}\n"
        return load_icp_text(text)

    return build
