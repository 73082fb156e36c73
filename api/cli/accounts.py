"""`icp accounts import|list|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import (
    Format,
    cli_errors,
    out,
    parse_mapping,
    plain,
    print_csv,
    print_json,
    print_row_notes,
    row_number,
    services,
)
from api.ops.accounts import ImportReport, import_accounts
from store.accounts import account_from_row, find_account, list_accounts
from store.scores import get_ledger

app = typer.Typer(help="Import and inspect target accounts.", no_args_is_help=True)


@app.command("import")
@cli_errors
def import_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV export from a CRM (Salesforce, HubSpot, ...).", exists=True, dir_okay=False)
    ],
    map_: Annotated[list[str] | None, typer.Option("--map", help="column=field override, repeatable.")] = None,
    preset: Annotated[
        str | None, typer.Option(help="Force a known layout (maven, fortune500, salesforce, hubspot).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.TABLE,
    no_score: Annotated[bool, typer.Option("--no-score", help="Import without rescoring.")] = False,
) -> None:
    """Imports accounts from a CSV file; bad rows are reported with their row number and reason."""
    svc = services(ctx)
    report = import_accounts(svc, file.read_bytes(), source=str(file), mapping=parse_mapping(map_ or []), preset=preset)
    if not no_score and report.account_ids:
        from api.ops.scoring import rescore

        rescore(svc, account_ids=report.account_ids)
    if fmt is Format.JSON:
        print_json(report.as_dict())
        return
    render_import(report)


def render_import(report: ImportReport) -> None:
    """Prints an import report for a person."""
    preset = f" (layout: {report.preset})" if report.preset else ""
    out.print(
        f"{report.source}{preset}: {report.rows_read} rows read, {report.landed} landed "
        f"({report.created} new, {report.updated} updated, {report.unchanged} unchanged), "
        f"{len(report.rejected)} rejected.",
        markup=False,
    )
    print_row_notes([(None, row_number(r["row"]), str(r["reason"])) for r in report.rejected], limit=20)
    print_row_notes([("warning", row_number(w["row"]), str(w["reason"])) for w in report.warnings], limit=10)
    if report.opportunities_linked:
        out.print(
            f"  {report.opportunities_linked} deals imported earlier are now linked to their accounts.", markup=False
        )
    if report.unmapped_columns:
        out.print(f"  kept as custom fields: {', '.join(report.unmapped_columns)}", markup=False)


@app.command("list")
@cli_errors
def list_cmd(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.TABLE,
) -> None:
    """Lists accounts with their normalised firmographics."""
    svc = services(ctx)
    with svc.db.session() as s:
        accounts = [account_from_row(r) for r in list_accounts(s, svc.workspace)]
    rows = [a.model_dump(mode="json", exclude={"workspace"}) for a in accounts]
    if fmt is Format.JSON:
        print_json(rows)
        return
    cols = ["id", "name", "domain", "industry", "revenue", "currency", "employees", "country"]
    if fmt is Format.CSV:
        print_csv(rows, cols)
        return
    table = Table(*cols, title=f"{len(rows)} accounts")
    for r in rows:
        table.add_row(*[plain(_cell(r.get(c))) for c in cols])
    out.print(table)


@app.command("show")
@cli_errors
def show_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.TABLE,
) -> None:
    """Shows one account's stored, normalised fields and its current tier."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = find_account(s, svc.workspace, account)
        acct = account_from_row(row)
        ledger = get_ledger(s, svc.workspace, row.id)
    data = acct.model_dump(mode="json", exclude={"workspace"})
    if ledger is not None:
        data["tier"] = ledger.tier.value
        data["fit"] = ledger.fit
        data["coverage"] = ledger.coverage
    if fmt is Format.JSON:
        print_json(data)
        return
    table = Table("field", "value", title=plain(acct.name), show_header=False)
    for k, v in data.items():
        if v not in (None, [], {}):
            table.add_row(plain(k), plain(_cell(v)))
    out.print(table)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"
    return str(v)
