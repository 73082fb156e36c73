"""`icp demo`: the whole pipeline, offline, on the fictional demo data shipped in the package."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from api.cli.accounts import render_import
from api.cli.common import cli_errors, out
from api.cli.scoring_cmd import run_rescore, tiers_cmd
from api.ops.accounts import import_accounts
from api.services import Services
from api.settings import Settings
from scoring.explain import explain_ledger
from store.accounts import find_account
from store.scores import get_ledger

# The demo corpus is dated; scoring "as of" a fixed day keeps the demo's recency windows stable.
DEMO_AS_OF = date(2026, 12, 1)
DEMO_WORKSPACE = "demo"


def demo_file(name: str) -> bytes:
    """Returns a file of the shipped demo data."""
    return (resources.files("api") / "demo_data" / name).read_bytes()


def build_demo(home: Path, *, quiet: bool = False) -> Services:
    """Builds the demo workspace from scratch in `home` and returns its services."""
    if home.exists():
        shutil.rmtree(home)
    svc = Services.create(Settings(icp_home=home), workspace=DEMO_WORKSPACE)
    _step("1. Import a CRM export (HubSpot-style columns, two bad rows on purpose)", quiet)
    report = import_accounts(svc, demo_file("accounts.csv"), source="demo_data/accounts.csv")
    if not quiet:
        render_import(report)
    _step(f"2. Score every account against the default ICP, as of {DEMO_AS_OF}", quiet)
    run_rescore(svc, as_of=DEMO_AS_OF, quiet=quiet)
    return svc


def demo_cmd(
    ctx: typer.Context,
    home: Annotated[Path, typer.Option(help="Folder for the demo's data (recreated on every run).")] = Path(
        ".icp-demo"
    ),
) -> None:
    """Runs the pipeline offline on fictional sample data: import, score, tiers, an explanation."""
    svc = build_demo(home)
    _step("3. Tiers", False)
    ctx.obj = {"factory": lambda: svc, "services": svc}
    tiers_cmd(ctx, tier=None, min_fit=None, limit=None)
    _step("4. Why is Northwind Fabrication where it is?", False)
    with svc.db.session() as s:
        row = find_account(s, svc.workspace, "Northwind")
        ledger = get_ledger(s, svc.workspace, row.id)
    if ledger is not None:
        for line in explain_ledger(ledger):
            out.print(line, markup=False)
    out.print(f"\nExplore the demo data: ./run icp --home {home} --workspace {DEMO_WORKSPACE} tiers", markup=False)


def _step(title: str, quiet: bool) -> None:
    if not quiet:
        out.rule(f"[bold]{title}[/]", align="left")


def register(app: typer.Typer) -> None:
    """Adds `icp demo` to the root app."""
    app.command("demo")(cli_errors(demo_cmd))
