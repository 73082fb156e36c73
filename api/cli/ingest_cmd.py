"""`icp sources add|add-sites|list|remove` and `icp ingest`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from api.cli.common import Format, cli_errors, err, fail, out, plain, print_json, services
from api.ops.ingest import run_ingest
from api.services import Services
from ingest.job import IngestSummary
from store.accounts import find_account, list_accounts
from store.documents import add_source, find_source, list_sources, remove_source

sources_app = typer.Typer(help="Feeds, sites, pages and local folders to watch.", no_args_is_help=True)
_FEEDISH = re.compile(r"(\.xml|\.rss|\.atom|/feed/?|/rss/?|\.json)$", re.IGNORECASE)


def guess_kind(target: str) -> str:
    """Returns the likely source kind of a URL or path."""
    if not re.match(r"^https?://", target, re.IGNORECASE):
        return "file"
    if _FEEDISH.search(target.split("?")[0]):
        return "feed"
    return "site"


@sources_app.command("add")
@cli_errors
def add_cmd(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A feed or site URL, or a local file or folder.")],
    account: Annotated[
        str | None, typer.Option(help="The account this source is about (omit for shared feeds).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="feed, site, page or file (guessed when omitted).")] = None,
    base_url: Annotated[str | None, typer.Option(help="For local folders: the public URL the files stand for.")] = None,
    label: Annotated[str, typer.Option(help="A name for the source.")] = "",
) -> None:
    """Adds a source to watch; shared sources are linked to accounts by entity matching."""
    svc = services(ctx)
    k = kind or guess_kind(target)
    url = target
    if k == "file":
        p = Path(target).expanduser()
        if not p.exists():
            raise fail(f"{target}: no such file or folder")
        url = str(p.resolve())
    elif not re.match(r"^https?://", target, re.IGNORECASE):
        raise fail(f"{target}: sources are http(s) URLs or local paths")
    with svc.db.session() as s:
        acc_id = find_account(s, svc.workspace, account).id if account else None
        row = add_source(
            s,
            svc.workspace,
            url=url,
            kind=k,
            account_id=acc_id,
            label=label,
            options={"base_url": base_url} if base_url else None,
        )
        out.print(f"Source {row.id}: {k} {url}" + (f" for account {account}" if account else " (shared)"), markup=False)


@sources_app.command("add-sites")
@cli_errors
def add_sites_cmd(ctx: typer.Context) -> None:
    """Adds every account's website (https://<domain>/) as a site source."""
    svc = services(ctx)
    n = 0
    with svc.db.session() as s:
        for a in list_accounts(s, svc.workspace):
            if a.domain:
                add_source(s, svc.workspace, url=f"https://{a.domain}/", kind="site", account_id=a.id, label=a.name)
                n += 1
    out.print(f"Added or refreshed {n} site sources.", markup=False)


@sources_app.command("list")
@cli_errors
def list_cmd(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.TABLE) -> None:
    """Lists sources with their health: last success, last error, items."""
    svc = services(ctx)
    with svc.db.session() as s:
        names = {a.id: a.name for a in list_accounts(s, svc.workspace)}
        data = [
            {
                "id": r.id,
                "kind": r.kind,
                "url": r.url,
                "account": names.get(r.account_id) if r.account_id else None,
                "items": r.items,
                "last_success": r.last_success_at.isoformat(timespec="seconds") if r.last_success_at else None,
                "last_status": r.last_status,
                "last_error": r.last_error,
                "stale": r.stale,
            }
            for r in list_sources(s, svc.workspace)
        ]
    if fmt is Format.JSON:
        print_json(data)
        return
    table = Table("id", "kind", "source", "account", "items", "last success", "health", title=f"{len(data)} sources")
    for d in data:
        health = "stale: " + str(d["last_error"]) if d["stale"] else (str(d["last_status"] or "never run"))
        table.add_row(
            str(d["id"]),
            plain(d["kind"]),
            plain(d["url"]),
            plain(d["account"] or "shared"),
            str(d["items"]),
            str(d["last_success"] or ""),
            plain(health),
        )
    out.print(table)


@sources_app.command("remove")
@cli_errors
def remove_cmd(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Stops watching a source (its documents stay, since facts may cite them)."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = remove_source(s, svc.workspace, source)
        out.print(f"Removed source {row.id} ({row.url}).", markup=False)


def run_with_progress(
    svc: Services, *, account_id: int | None, source_ids: list[int] | None, quiet: bool
) -> IngestSummary:
    """Runs ingest with a progress bar on a terminal; returns the summary."""
    show = not quiet and err.is_terminal
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err, disable=not show
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        return run_ingest(svc, account_id=account_id, source_ids=source_ids, progress=progress).summary


def render_summary(summary: IngestSummary) -> None:
    """Prints an ingest summary for a person."""
    out.print(
        f"{summary.sources} sources: {summary.fetched} fetched, {summary.not_modified} not modified, "
        f"{summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, {summary.duplicates} duplicates, "
        f"{len(summary.failed)} failed; {summary.embedded_chunks} chunks embedded.",
        markup=False,
    )
    if summary.linked:
        linked = ", ".join(f"{k} {v}" for k, v in sorted(summary.linked.items(), key=lambda kv: -kv[1]))
        out.print(f"Linked to accounts: {linked}; {summary.unattributed} items about no account.", markup=False)
    for f in summary.failed:
        out.print(f"  failed: {f['source']}: {f['reason']}", markup=False)


@cli_errors
def ingest_cmd(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account's sources.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these sources (id or URL), repeatable.")] = None,
    every: Annotated[str | None, typer.Option(help="Repeat at this interval, e.g. 30m, 1h, 1d.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Fetches sources, stores new and changed documents, embeds them; unchanged sources cost one request."""
    svc = services(ctx)
    with svc.db.session() as s:
        acc_id = find_account(s, svc.workspace, account).id if account else None
        ids = [find_source(s, svc.workspace, q).id for q in source or []] or None
    interval = _interval(every) if every else None
    while True:
        summary = run_with_progress(svc, account_id=acc_id, source_ids=ids, quiet=fmt is Format.JSON)
        if fmt is Format.JSON:
            print_json(summary.as_dict())
        else:
            render_summary(summary)
        if interval is None:
            return
        out.print(f"Next run in {every}.", markup=False)
        time.sleep(interval)


def _interval(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not m:
        raise fail(f"--every needs a number and a unit (s, m, h, d), e.g. 1h; got {text!r}")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def register(app: typer.Typer) -> None:
    """Adds the ingest commands to the root app."""
    app.add_typer(sources_app, name="sources")
    app.command("ingest")(ingest_cmd)
