"""`icp config check|show|apply|rollback|list`: the ICP as versioned configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import cli_errors, out, services
from scoring.config import builtin_icp_text, builtin_icps, load_icp, load_icp_text
from store.icps import active_icp, apply_icp, list_icps, register_icp, rollback_icp

app = typer.Typer(help="Check, apply and roll back ICP configurations.", no_args_is_help=True)


@app.command("check")
@cli_errors
def check_cmd(
    file: Annotated[str, typer.Argument(help=f"ICP YAML file, or a built-in name ({', '.join(builtin_icps())}).")],
) -> None:
    """Validates an ICP file and prints what it means in words."""
    cfg = load_icp(file)
    out.print(f"[green]✓[/] {file} is a valid ICP.", markup=True)
    for line in cfg.describe():
        out.print(line, markup=False)


@app.command("show")
@cli_errors
def show_cmd(ctx: typer.Context) -> None:
    """Prints the active ICP of the workspace in words."""
    svc = services(ctx)
    with svc.db.session() as s:
        cfg, row = active_icp(s, svc.workspace)
    where = f"applied {row.applied_at:%Y-%m-%d %H:%M}" if row and row.applied_at else "built-in default"
    out.print(f"Active ICP ({where}):", markup=False)
    for line in cfg.describe():
        out.print(line, markup=False)


@app.command("apply")
@cli_errors
def apply_cmd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="ICP YAML file or built-in name to make active.")],
    no_score: Annotated[bool, typer.Option("--no-score", help="Do not rescore after switching.")] = False,
) -> None:
    """Makes an ICP file the active one (previous versions are kept) and rescores."""
    svc = services(ctx)
    path = Path(file)
    text = path.read_text(encoding="utf-8") if path.exists() else builtin_icp_text(file)
    cfg = load_icp_text(text, source=file)
    with svc.db.session() as s:
        _, before = active_icp(s, svc.workspace)
        register_icp(s, svc.workspace, text, source=file)
        apply_icp(s, svc.workspace, cfg.version)
    prev = f" (was {before.version})" if before else " (was the built-in default)"
    out.print(f"Active ICP is now {cfg.name!r} version {cfg.version}{prev}.", markup=False)
    if not no_score:
        _rescore(ctx)


@app.command("rollback")
@cli_errors
def rollback_cmd(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option(help="Version to return to (default: the previous one).")] = None,
    no_score: Annotated[bool, typer.Option("--no-score")] = False,
) -> None:
    """Returns to an earlier ICP version and rescores."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = rollback_icp(s, svc.workspace, to=to)
        out.print(f"Active ICP is now {row.name!r} version {row.version}.", markup=False)
    if not no_score:
        _rescore(ctx)


@app.command("list")
@cli_errors
def list_cmd(ctx: typer.Context) -> None:
    """Lists the stored ICP versions."""
    svc = services(ctx)
    with svc.db.session() as s:
        rows = list_icps(s, svc.workspace)
        table = Table("version", "name", "active", "applied", "source")
        for r in rows:
            table.add_row(
                r.version,
                r.name,
                "yes" if r.active else "",
                f"{r.applied_at:%Y-%m-%d %H:%M}" if r.applied_at else "",
                r.source,
            )
    out.print(table)


def _rescore(ctx: typer.Context) -> None:
    from api.cli.scoring_cmd import run_rescore

    run_rescore(services(ctx), quiet=False)
