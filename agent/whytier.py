"""Why is an account in its tier: the ledger in words, each claim cited, plus what would move it and why now.

Every number in the answer is read from the stored ledger (fit, coverage, points, weights, the fit
the next tier would bring); trigger events come from stored facts with their quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.answers import Answer
from agent.citations import CitationBuilder, inline_quote
from agent.tools import (
    MATERIAL,
    AgentContext,
    account_events,
    active_config,
    explain_score,
    find_account,
    is_monitored,
    not_resolved_answer,
)
from scoring.domain import Account, CriterionKind, Ledger, LedgerLine, Status, Tier, TriggerEvent

WHY_NOW_LIMIT = 3


def _values(line: LedgerLine) -> str:
    shown = []
    for v in line.values[:4]:
        if isinstance(v, dict):
            v = v.get("summary") or v.get("name") or v.get("type") or str(v)
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v[:6])
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if v is not None and v != "":
            shown.append(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
    return "; ".join(shown)


def _line_text(line: LedgerLine, cites: CitationBuilder) -> str:
    if line.kind is CriterionKind.DISQUALIFIER:
        head = f"• {line.label} (disqualifier): {line.reason}"
    else:
        kind = line.kind.value.replace("_", " ")
        head = f"• {line.label} ({kind}, {line.points:g}/{line.weight:g} pts): {line.reason}"
    if line.quotes:
        return f'{head}. "{inline_quote(line.quotes[0].quote)}" {cites.cite(line.quotes, limit=2)}'
    values = _values(line)
    if values and line.status is not Status.UNKNOWN:
        return f"{head} (CRM or stored value: {values})."
    return f"{head}."


def _labels(ledger: Ledger, ids: Sequence[str]) -> str:
    by_id = {line.id: line.label for line in ledger.lines}
    return ", ".join(by_id.get(i, i) for i in ids)


def _next_tier_text(ledger: Ledger) -> str:
    nt = ledger.next_tier
    if ledger.tier is Tier.TIER_1:
        return "It is already in the top tier."
    if nt is None:
        return "No better tier is within reach with the current ICP."
    if nt.reachable and nt.criteria:
        fit = f" (fit would be {nt.fit_after:.1f}%)" if nt.fit_after is not None else ""
        return f"To reach {nt.tier.value}: meet {_labels(ledger, nt.criteria)}{fit}."
    if nt.reachable:
        return f"{nt.tier.value} is within reach once the data is refreshed."
    return f"{nt.tier.value} is out of reach: " + "; ".join(nt.blockers) + "."


def event_text(event: TriggerEvent) -> str:
    """Returns a trigger event in words: date, type, summary, materiality and number of sources."""
    when = event.when.isoformat() if event.when else "undated"
    kind = event.type.value.replace("_", " ")
    sources = f", {len(event.evidence)} sources" if len(event.evidence) > 1 else ""
    summary = " ".join(event.summary.split()).replace("[", "(").replace("]", ")")
    return f"{when} — {kind}: {summary} (materiality {event.materiality:.2f}{sources})"


def event_line(event: TriggerEvent, cites: CitationBuilder) -> str:
    """Returns one cited bullet about a trigger event."""
    return f"• {event_text(event)} {cites.cite(event.evidence)}"


def ledger_answer(
    ledger: Ledger,
    *,
    account: Account,
    events: Sequence[TriggerEvent],
    monitored: bool,
    active_version: str | None = None,
) -> Answer:
    """Returns the why-tier answer for a ledger and the account's trigger events (pure, no I/O)."""
    cites = CitationBuilder()
    name = account.name
    lines = [
        f"{name} is {ledger.tier.value} (fit {ledger.fit:.1f}%, coverage {ledger.coverage:.0f}%): {ledger.tier_reason}."
    ]
    if ledger.revenue_potential is not None:
        lines.append(f"Revenue potential {ledger.revenue_potential:,.0f} (from {ledger.potential_source}).")
    groups = (
        ("Disqualified by", [ln for ln in ledger.lines if ln.status is Status.DISQUALIFIED]),
        ("Met", [ln for ln in ledger.lines if ln.status is Status.MET]),
        (
            "Unmet",
            [ln for ln in ledger.lines if ln.status is Status.UNMET and ln.kind is not CriterionKind.DISQUALIFIER],
        ),
        ("Unknown (no data)", [ln for ln in ledger.lines if ln.status is Status.UNKNOWN]),
    )
    for title, group in groups:
        if group:
            lines.append(f"{title}:")
            lines.extend(_line_text(ln, cites) for ln in sorted(group, key=lambda ln: -ln.weight))
    if ledger.dealbreakers:
        lines.append(f"Dealbreakers (unmet must-haves): {_labels(ledger, ledger.dealbreakers)}.")
    if ledger.unproven:
        lines.append(f"Unproven (must-haves with no data): {_labels(ledger, ledger.unproven)}.")
    lines.append(_next_tier_text(ledger))
    material = [e for e in events if e.materiality >= MATERIAL][:WHY_NOW_LIMIT]
    if material:
        lines.append("Why now:")
        lines.extend(event_line(e, cites) for e in material)
    elif monitored:
        lines.append("Why now: no material trigger event on record.")
    else:
        lines.append(f"Why now: unknown, no news or pages about {name} are monitored.")
    stale = active_version is not None and active_version != ledger.icp_version
    footer = f"Scored {ledger.scored_at:%Y-%m-%d} as of {ledger.as_of} with ICP version {ledger.icp_version}."
    if stale:
        footer += f" The active ICP is now {active_version}: run `icp score` to rescore."
    lines.append(footer)
    missing = [f"data for {ln.label}" for ln in ledger.lines if ln.status is Status.UNKNOWN]
    if not monitored:
        missing.append(f"news or pages about {name} (add a feed or the company site as a source)")
    return Answer(
        text="\n".join(lines),
        intent="why_tier",
        citations=cites.citations,
        account_id=account.id,
        account_name=name,
        missing=missing,
        data={
            "tier": ledger.tier.value,
            "fit": ledger.fit,
            "coverage": ledger.coverage,
            "icp_version": ledger.icp_version,
            "stale": stale,
            "met": [ln.id for ln in ledger.lines if ln.status is Status.MET],
            "unmet": [ln.id for ln in ledger.lines if ln.status is Status.UNMET],
            "unknown": [ln.id for ln in ledger.lines if ln.status is Status.UNKNOWN],
            "disqualified_by": list(ledger.disqualified_by),
            "next_tier": ledger.next_tier.model_dump(mode="json") if ledger.next_tier else None,
            "events": [e.model_dump(mode="json") for e in material],
        },
    )


def not_scored_answer(account: Account) -> Answer:
    """Returns the answer for an account that was never scored: unknown tier, and what to run."""
    return Answer(
        text=f"{account.name} has not been scored yet, so I don't know its tier. Run `icp score` to score it.",
        intent="why_tier",
        account_id=account.id,
        account_name=account.name,
        unknown=True,
        missing=[f"a score for {account.name} (run `icp score`)"],
    )


def why_tier(svc: AgentContext, account_query: str) -> Answer:
    """Answers "why is X Tier 2?": criteria met, unmet and unknown with cited quotes, what moves it, why now."""
    lookup = find_account(svc.db, svc.workspace, account_query)
    account = lookup.account
    if account is None or account.id is None:
        return not_resolved_answer(lookup, intent="why_tier")
    ledger = explain_score(svc.db, svc.workspace, account.id)
    if ledger is None:
        return not_scored_answer(account)
    events = account_events(svc.db, svc.workspace, [account.id]).get(account.id, [])
    with svc.db.session() as s:
        cfg = active_config(s, svc.workspace)
    return ledger_answer(
        ledger,
        account=account,
        events=events,
        monitored=is_monitored(svc.db, svc.workspace, account.id) or bool(events),
        active_version=cfg.version,
    )


__all__ = ["event_line", "event_text", "ledger_answer", "not_scored_answer", "why_tier"]
