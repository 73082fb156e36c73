"""`icp score`, `icp tiers`, `icp explain`: the ledger and the tiers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from api.cli.common import Format, cli_errors, err, fail, out, plain, print_csv, print_json, services
from api.ops.scoring import RescoreSummary, rescore
from api.services import Services
from scoring.domain import Tier
from scoring.explain import explain_ledger, ledger_json
from store.accounts import find_account
from store.scores import get_ledger, list_scores

TIER_STYLE = {
    Tier.TIER_1: "bold green",
    Tier.TIER_2: "green",
    Tier.TIER_3: "yellow",
    Tier.NOT_A_TARGET: "dim",
    Tier.DISQUALIFIED: "red",
}


def run_rescore(svc: Services, *, as_of: date | None = None, quiet: bool = False) -> RescoreSummary:
    """Rescores every account with a progress bar on a terminal; prints a one-line summary."""
    show = not quiet and err.is_terminal
    with Progress(
        TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err, disable=not show
    ) as bar:
        task = bar.add_task("score", total=None)
        summary = rescore(svc, as_of=as_of, progress=lambda done, total: bar.update(task, completed=done, total=total))
    if not quiet:
        counts = ", ".join(f"{k}: {v}" for k, v in summary.by_tier.items() if v)
        out.print(
            f"Scored {summary.scored} accounts with ICP {summary.icp_name!r} ({summary.icp_version}) as of "
            f"{summary.as_of}; {summary.tier_changes} changed tier. {counts}",
            markup=False,
        )
    return summary


def score_cmd(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Score as of this date (YYYY-MM-DD); default today.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Rescores every account against the active ICP."""
    svc = services(ctx)
    when = _parse_date(as_of)
    summary = run_rescore(svc, as_of=when, quiet=fmt is Format.JSON)
    if fmt is Format.JSON:
        print_json(summary.__dict__)


def tiers_cmd(
    ctx: typer.Context,
    tier: Annotated[
        list[str] | None, typer.Option(help="Only these tiers ('Tier 1', '1', 'not', 'disq'); repeatable.")
    ] = None,
    min_fit: Annotated[
        float | None, typer.Option(min=0, max=100, help="Only accounts with at least this fit %.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.TABLE,
) -> None:
    """Lists accounts by tier, best first."""
    svc = services(ctx)
    wanted = [_parse_tier(t) for t in tier or []]
    with svc.db.session() as s:
        rows = list_scores(s, svc.workspace, tiers=wanted or None, min_fit=min_fit, limit=limit, with_ledger=True)
        data = [
            {
                "id": a.id,
                "name": a.name,
                "domain": a.domain,
                "fit": round(sc.fit, 2),
                "coverage": round(sc.coverage, 2),
                "tier": sc.tier,
                "tier_reason": sc.ledger.get("tier_reason"),
                "icp_version": sc.icp_version,
                "scored_at": sc.scored_at.isoformat(),
                "stale": sc.stale,
            }
            for a, sc in rows
        ]
    if fmt is Format.JSON:
        print_json(data)
        return
    if fmt is Format.CSV:
        print_csv(data, ["id", "name", "domain", "fit", "coverage", "tier", "tier_reason", "icp_version", "scored_at"])
        return
    if not data:
        out.print("No scored accounts yet: import some with `icp accounts import FILE.csv`, then `icp score`.")
        return
    table = Table("tier", "account", "domain", "fit %", "coverage %", "why", title=f"{len(data)} accounts")
    for d in data:
        t = Tier(str(d["tier"]))
        table.add_row(
            Text(t.value, style=TIER_STYLE[t]),
            plain(d["name"]),
            plain(d["domain"]),
            f"{d['fit']:.1f}",
            f"{d['coverage']:.0f}",
            plain(d["tier_reason"]),
        )
    out.print(table)


def explain_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Explains an account's score line by line, and what would move it up a tier."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = find_account(s, svc.workspace, account)
        ledger = get_ledger(s, svc.workspace, row.id)
        domain = row.domain
    if ledger is None:
        raise fail(f"{row.name} has not been scored yet: run `icp score`")
    if fmt is Format.JSON:
        print_json(ledger_json(ledger, domain=domain))
        return
    for line in explain_ledger(ledger):
        out.print(line, markup=False)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"--as-of needs a date like 2026-01-31, got {value!r}") from exc


_TIER_WORDS = {
    "1": Tier.TIER_1,
    "tier1": Tier.TIER_1,
    "2": Tier.TIER_2,
    "tier2": Tier.TIER_2,
    "3": Tier.TIER_3,
    "tier3": Tier.TIER_3,
    "not": Tier.NOT_A_TARGET,
    "notatarget": Tier.NOT_A_TARGET,
    "disq": Tier.DISQUALIFIED,
    "disqualified": Tier.DISQUALIFIED,
}


def _parse_tier(value: str) -> Tier:
    key = "".join(value.split()).casefold()
    if key in _TIER_WORDS:
        return _TIER_WORDS[key]
    raise fail(f"unknown tier {value!r}; use 1, 2, 3, not or disq")


def register(app: typer.Typer) -> None:
    """Adds the scoring commands to the root app."""
    app.command("score")(cli_errors(score_cmd))
    app.command("tiers")(cli_errors(tiers_cmd))
    app.command("explain")(cli_errors(explain_cmd))


__all__ = ["register", "run_rescore"]
