"""`icp extract`, `icp profile ACCOUNT`, `icp signals`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.cli.common import Format, cli_errors, err, fail, out, plain, print_json, services
from api.ops.extraction import ExtractorChoice, extract_and_rescore
from api.ops.profiles import build_profiles
from scoring.domain import EventType, Profile
from scoring.merge import dedupe_events
from store.accounts import find_account, list_accounts
from store.facts import document_clusters, list_event_facts


@cli_errors
def extract_cmd(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account's documents.")] = None,
    extractor: Annotated[str, typer.Option(help="auto (LLM when configured), offline or llm.")] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Extract again even when a document did not change.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Extracts grounded facts from stored documents, then rescores the accounts they touched."""
    if extractor not in ("auto", "offline", "llm"):
        raise fail("--extractor must be auto, offline or llm")
    svc = services(ctx)
    ids = None
    if account:
        with svc.db.session() as s:
            ids = [find_account(s, svc.workspace, account).id]
    show = fmt is not Format.JSON and err.is_terminal
    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), console=err, disable=not show) as bar:
        task = bar.add_task("extract", total=None)
        choice: ExtractorChoice = extractor  # type: ignore[assignment]
        summary = extract_and_rescore(
            svc,
            choice=choice,
            account_ids=ids,
            force=force,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    if fmt is Format.JSON:
        print_json(summary.as_dict())
        return
    d = summary.as_dict()
    out.print(
        f"{summary.extractor}: {summary.documents} documents, {summary.extracted} extracted, {summary.cached} from cache, "
        f"{summary.unchanged} unchanged, {summary.skipped_irrelevant} skipped by the prefilter; {summary.facts} facts "
        f"({summary.events} events) for {len(summary.accounts)} accounts.",
        markup=False,
    )
    if summary.dropped:
        out.print(
            "Dropped by the grounding check: " + ", ".join(f"{k} {v}" for k, v in summary.dropped.items()), markup=False
        )
    if summary.quarantined:
        out.print(f"{summary.quarantined} model outputs quarantined (invalid after one repair).", markup=False)
    if summary.prompt_tokens or summary.completion_tokens:
        out.print(f"Tokens: {d['tokens']}; estimated cost ${summary.cost:.4f}.", markup=False)
    for f in summary.failed[:20]:
        out.print(f"  failed: {f['document']}: {f['reason']}", markup=False)
    if summary.stale_accounts:
        out.print(f"{len(summary.stale_accounts)} accounts kept their previous facts, marked stale.", markup=False)


def profile_json(profile: Profile, *, name: str) -> dict[str, Any]:
    """Returns a profile with every value's sources, confidence and conflicts."""
    return {
        "account_id": profile.account_id,
        "name": name,
        "monitored": profile.monitored,
        "fields": {
            k: {
                "value": v.value,
                "origin": v.origin.value,
                "confidence": v.confidence,
                "conflicts": v.conflicts,
                "sources": [e.model_dump(mode="json") for e in v.evidence],
            }
            for k, v in sorted(profile.fields.items())
        },
        "events": [e.model_dump(mode="json") for e in profile.events],
    }


@cli_errors
def profile_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Shows what is known about an account: every fact with its quote, source and confidence."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = find_account(s, svc.workspace, account)
        prof = build_profiles(s, svc.workspace, [row], now=svc.clock())[row.id]
        name = row.name
    data = profile_json(prof, name=name)
    if fmt is Format.JSON:
        print_json(data)
        return
    out.print(f"{name}" + ("" if prof.monitored else " (news and pages not monitored yet)"), markup=False)
    table = Table("field", "value", "origin", "confidence", "source")
    for k, v in data["fields"].items():
        src = v["sources"][0] if v["sources"] else None
        source = f"“{_clip(src['quote'])}” {src.get('url') or ''}" if src else ""
        conflicts = f" (also: {', '.join(map(str, v['conflicts']))})" if v["conflicts"] else ""
        table.add_row(
            plain(k), plain(f"{_value(v['value'])}{conflicts}"), v["origin"], f"{v['confidence']:.2f}", plain(source)
        )
    out.print(table)
    for e in prof.events:
        when = e.when.isoformat() if e.when else "undated"
        out.print(
            f"• {when} {e.type.value}: {e.summary} (materiality {e.materiality:.2f}, {len(e.evidence)} source(s))",
            markup=False,
        )
        for ev in e.evidence[:3]:
            out.print(f"    “{_clip(ev.quote)}” {ev.url or ''}", markup=False)


@cli_errors
def signals_cmd(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Only events on or after this date (YYYY-MM-DD).")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="Only these event types, repeatable.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.TABLE,
) -> None:
    """Lists trigger events (deduplicated across outlets), newest first, with their sources."""
    svc = services(ctx)
    try:
        since_d = date.fromisoformat(since) if since else None
        types = {EventType(t) for t in type_ or []}
    except ValueError as exc:
        raise fail(f"{exc}; event types are {', '.join(t.value for t in EventType)}") from exc
    with svc.db.session() as s:
        accounts = {a.id: a for a in list_accounts(s, svc.workspace)}
        ids = [find_account(s, svc.workspace, account).id] if account else list(accounts)
        facts = list_event_facts(s, svc.workspace, account_ids=ids)
        clusters = document_clusters(s, svc.workspace, [f.evidence.document_id for f in facts if f.evidence])
    by_account: dict[int, list[Any]] = {}
    for f in facts:
        if f.account_id is not None:
            by_account.setdefault(f.account_id, []).append(f)
    rows = []
    for acc_id, fs in by_account.items():
        for e in dedupe_events(fs, clusters=clusters):
            if types and e.type not in types:
                continue
            if since_d and (e.when is None or e.when < since_d):
                continue
            rows.append((acc_id, e))
    rows.sort(key=lambda p: (p[1].when or date.min, p[0]), reverse=True)
    data = [
        {
            "account_id": acc,
            "account": accounts[acc].name if acc in accounts else None,
            **e.model_dump(mode="json", exclude={"fact_ids"}),
        }
        for acc, e in rows
    ]
    if fmt is Format.JSON:
        print_json(data)
        return
    table = Table("date", "account", "type", "summary", "sources", title=f"{len(data)} signals")
    for d in data:
        table.add_row(
            str(d["event_date"] or (d["published_at"] or "")[:10]),
            plain(d["account"]),
            d["type"],
            plain(d["summary"]),
            str(len(d["evidence"])),
        )
    out.print(table)


def _clip(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float):
        return f"{v:,.0f}"
    return str(v)


def register(app: typer.Typer) -> None:
    """Adds the extraction commands to the root app."""
    app.command("extract")(extract_cmd)
    app.command("profile")(profile_cmd)
    app.command("signals")(signals_cmd)


__all__ = ["register"]
