"""`icp config check|show|apply|rollback|list`: the ICP as versioned configuration."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from api.cli.common import cli_errors, out, plain, services
from api.cli.icp_files import read_icp
from scoring.config import builtin_icps
from store.icps import active_icp, apply_icp, list_icps, register_icp, rollback_icp

app = typer.Typer(help="Check, apply and roll back ICP configurations.", no_args_is_help=True)


@app.command("check")
@cli_errors
def check_cmd(
    file: Annotated[str, typer.Argument(help=f"ICP YAML file, or a built-in name ({', '.join(builtin_icps())}).")],
) -> None:
    """Validates an ICP file and prints what it means in words."""
    cfg, _ = read_icp(file)
    out.print(Text.assemble(("✓", "green"), f" {file} is a valid ICP."))
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
    cfg, text = read_icp(file)
    with svc.db.session() as s:
        _, before = active_icp(s, svc.workspace)
        was = (before.version, before.yaml) if before else None
        register_icp(s, svc.workspace, text, source=file)
        apply_icp(s, svc.workspace, cfg.version)
    if was is None:
        prev = " (was the built-in default)"
    elif was == (cfg.version, text):
        prev = " (unchanged)"
    elif was[0] == cfg.version:
        prev = " (same version: only personas or descriptions changed, so scores stay valid)"
    else:
        prev = f" (was {was[0]})"
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
                plain(r.name),
                "yes" if r.active else "",
                f"{r.applied_at:%Y-%m-%d %H:%M}" if r.applied_at else "",
                plain(r.source),
            )
    out.print(table)


def _rescore(ctx: typer.Context) -> None:
    from api.cli.scoring_cmd import run_rescore

    run_rescore(services(ctx), quiet=False)
