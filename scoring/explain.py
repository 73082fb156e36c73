"""A ledger in words and in a stable JSON shape: what `icp explain` and the why-tier answer show."""

from __future__ import annotations

from typing import Any

from scoring.domain import CriterionKind, Ledger, LedgerLine, Status

_MARK = {Status.MET: "✓", Status.UNMET: "✗", Status.UNKNOWN: "?", Status.DISQUALIFIED: "⛔"}


def ledger_json(ledger: Ledger, *, domain: str | None = None) -> dict[str, Any]:
    """Returns the ledger in the documented JSON shape (`criteria` and `next_tier` included)."""
    data = ledger.model_dump(mode="json", exclude={"lines"})
    data["id"] = ledger.account_id
    data["name"] = ledger.account_name
    data["domain"] = domain
    data["criteria"] = [
        {
            "id": line.id,
            "label": line.label,
            "dimension": line.dimension.value,
            "kind": line.kind.value,
            "field": line.field,
            "status": line.status.value,
            "weight": line.weight,
            "points": line.points,
            "values": line.values,
            "evidence": line.evidence,
            "quotes": [q.model_dump(mode="json") for q in line.quotes],
            "reason": line.reason,
        }
        for line in ledger.lines
    ]
    return data


def explain_ledger(ledger: Ledger) -> list[str]:
    """Returns the ledger as plain sentences, most telling first."""
    name = ledger.account_name or f"account {ledger.account_id}"
    out = [
        f"{name} is {ledger.tier.value}: {ledger.tier_reason}.",
        f"Fit {ledger.fit:.1f}% with {ledger.coverage:.0f}% data coverage (ICP version {ledger.icp_version}, "
        f"scored {ledger.scored_at:%Y-%m-%d %H:%M} UTC as of {ledger.as_of}).",
    ]
    if ledger.revenue_potential is not None:
        out.append(f"Revenue potential {ledger.revenue_potential:,.0f} (from {ledger.potential_source}).")
    if ledger.unproven:
        out.append("Unproven: no data yet for must-have " + ", ".join(ledger.unproven) + ".")
    groups = (
        ("Disqualified by", [ln for ln in ledger.lines if ln.status is Status.DISQUALIFIED]),
        ("Met", [ln for ln in ledger.lines if ln.status is Status.MET]),
        (
            "Unmet",
            [ln for ln in ledger.lines if ln.status is Status.UNMET and ln.kind is not CriterionKind.DISQUALIFIER],
        ),
        ("Unknown (no data)", [ln for ln in ledger.lines if ln.status is Status.UNKNOWN]),
    )
    for title, lines in groups:
        if lines:
            out.append(f"{title}:")
            out.extend(f"  {_MARK[ln.status]} {_line_text(ln)}" for ln in lines)
    nt = ledger.next_tier
    if nt is not None:
        if nt.reachable and nt.criteria:
            fit_after = f" (fit would be {nt.fit_after:.1f}%)" if nt.fit_after is not None else ""
            out.append(f"To reach {nt.tier.value}: meet {', '.join(nt.criteria)}{fit_after}.")
        elif nt.reachable:
            out.append(f"{nt.tier.value} is within reach once the data is refreshed.")
        else:
            out.append(f"{nt.tier.value} is out of reach: " + "; ".join(nt.blockers) + ".")
    return out


def _line_text(line: LedgerLine) -> str:
    pts = f"{line.points:g}/{line.weight:g} pts" if line.kind is not CriterionKind.DISQUALIFIER else "disqualifier"
    text = f"[{line.id}] {line.reason} ({line.kind.value.replace('_', ' ')}, {pts})"
    if line.quotes:
        q = line.quotes[0]
        src = f" — {q.url}" if q.url else ""
        text += f'\n      "{_clip(q.quote, 160)}"{src}'
    return text


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
