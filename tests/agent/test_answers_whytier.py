"""Why-tier answers: numbers equal the ledger's, claims cite their quotes, next tier and why-now are shown."""

from __future__ import annotations

import re

import pytest
from answers_support import FIXTURES, World, svc_fixture, use_icp, world_fixture  # noqa: F401 - fixtures

from agent.citations import unresolved_markers
from agent.tools import explain_score
from agent.whytier import why_tier
from scoring.domain import Ledger, Status


def _ledger(world: World, name: str) -> Ledger:
    ledger = explain_score(world.svc.db, world.svc.workspace, world.ids[name])
    assert ledger is not None
    return ledger


@pytest.mark.parametrize("name", ["Acme Robotics", "Globex Precision", "Initech", "Stark Logistics"])
def test_numbers_in_the_text_are_the_ledgers(world: World, name: str) -> None:
    answer = why_tier(world.svc, name)
    ledger = _ledger(world, name)
    head = re.match(r"(.+) is (.+) \(fit (\d+\.\d)%, coverage (\d+)%\)", answer.text)
    assert head is not None, answer.text
    assert head.group(1) == name
    assert head.group(2) == ledger.tier.value
    assert float(head.group(3)) == pytest.approx(round(ledger.fit, 1))
    assert int(head.group(4)) == round(ledger.coverage)
    points = dict(re.findall(r"• (.+?) \((?:must have|strong|nice to have), (\S+) pts\)", answer.text))
    scoring = [ln for ln in ledger.lines if ln.kind.value != "disqualifier"]
    assert points == {ln.label: f"{ln.points:g}/{ln.weight:g}" for ln in scoring}
    assert answer.produced_by == "offline"
    assert answer.data["fit"] == ledger.fit


def test_a_met_criterion_cites_the_quote_behind_it(world: World) -> None:
    answer = why_tier(world.svc, "Acme")
    sap_line = next(line for line in answer.text.splitlines() if line.startswith("• Runs SAP"))
    quote = "Acme Robotics runs SAP S/4HANA across its plants in the Netherlands and Poland."
    assert f'"{quote}"' in sap_line
    (n,) = [int(m) for m in re.findall(r"\[(\d+)\]", sap_line)]
    citation = next(c for c in answer.citations if c.n == n)
    assert citation.document_id == "acme-about"
    assert citation.url == "https://acme-robotics.example/about"
    assert citation.quote in world.doc_text("acme-about")
    assert unresolved_markers(answer) == []


def test_unknown_criteria_are_listed_as_missing(world: World) -> None:
    answer = why_tier(world.svc, "Acme Robotics")
    ledger = _ledger(world, "Acme Robotics")
    unknown = [ln.label for ln in ledger.lines if ln.status is Status.UNKNOWN]
    assert unknown == ["Multi-site operations"]
    assert "Unknown (no data):\n• Multi-site operations" in answer.text
    assert answer.missing == ["data for Multi-site operations"]
    assert answer.unknown is False


def test_next_tier_criteria_and_fit_come_from_the_ledger(world: World) -> None:
    answer = why_tier(world.svc, "Initech")
    ledger = _ledger(world, "Initech")
    nt = ledger.next_tier
    assert nt is not None and nt.reachable and nt.criteria and nt.fit_after is not None
    assert ledger.tier.value == "Tier 3" and nt.tier.value == "Tier 2"
    labels = {ln.id: ln.label for ln in ledger.lines}
    wanted = ", ".join(labels[c] for c in nt.criteria)
    assert f"To reach {nt.tier.value}: meet {wanted} (fit would be {nt.fit_after:.1f}%)." in answer.text


def test_a_blocked_next_tier_names_its_blockers(world: World) -> None:
    answer = why_tier(world.svc, "Acme Robotics")
    nt = _ledger(world, "Acme Robotics").next_tier
    assert nt is not None and not nt.reachable
    assert f"Tier 1 is out of reach: {'; '.join(nt.blockers)}." in answer.text


def test_why_now_lists_material_events_newest_first_with_citations(world: World) -> None:
    answer = why_tier(world.svc, "Globex Precision")
    why_now = answer.text.split("Why now:\n", 1)[1].split("\nScored", 1)[0].splitlines()
    assert [line.split(" — ")[1].split(":")[0] for line in why_now] == ["expansion", "funding"]  # partnership is 0.40
    assert why_now[0].startswith("• 2026-03-16") and why_now[1].startswith("• 2025-12-01")
    expansion_docs = {c.document_id for c in answer.citations if f"[{c.n}]" in why_now[0]}
    assert expansion_docs == {"globex-wire", "globex-daily", "globex-trade"}
    assert [e["type"] for e in answer.data["events"]] == ["expansion", "funding"]


def test_a_not_a_target_account_names_its_dealbreaker(world: World) -> None:
    answer = why_tier(world.svc, "Stark Logistics")
    assert answer.text.startswith("Stark Logistics is Not a target")
    assert "Dealbreakers (unmet must-haves): Manufacturing." in answer.text
    assert "Why now: unknown, no news or pages about Stark Logistics are monitored." in answer.text


@pytest.mark.parametrize(
    ("query", "starts", "missing"),
    [
        ("Umbrella Labs", "Umbrella Labs has not been scored yet", "a score for Umbrella Labs (run `icp score`)"),
        ("Nakatomi Trading", "I don't know an account called", 'an account matching "Nakatomi Trading"'),
        ("Stark", 'Which account do you mean by "Stark"? It matches 2', "which account is meant"),
    ],
)
def test_unscored_unknown_and_ambiguous_accounts_get_i_dont_know(
    world: World, query: str, starts: str, missing: str
) -> None:
    answer = why_tier(world.svc, query)
    assert answer.unknown is True
    assert answer.text.startswith(starts)
    assert answer.missing[0].startswith(missing)
    assert answer.citations == []
    assert not re.search(r"\d+\.\d%", answer.text)  # no number without a ledger


def test_a_score_from_an_older_icp_says_so(world: World) -> None:
    tweaked = (FIXTURES / "icp.yaml").read_text().replace("weight: 30", "weight: 35")
    path = world.svc.settings.icp_home / "tweaked.yaml"
    path.write_text(tweaked)
    version = use_icp(world.svc, path)
    answer = why_tier(world.svc, "Acme Robotics")
    assert f"The active ICP is now {version}: run `icp score` to rescore." in answer.text
    assert answer.data["stale"] is True
