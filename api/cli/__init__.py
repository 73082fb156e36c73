"""The `icp` command line: one module per command group, wired here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli import (
    accounts,
    agent_cmd,
    config_cmd,
    demo,
    eval_cmd,
    extract_cmd,
    ingest_cmd,
    scoring_cmd,
    server_cmd,
    validate_cmd,
)

app = typer.Typer(
    name="icp",
    help="Account intelligence for B2B sales: ICP scoring with a readable ledger, trigger events, cited answers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[str | None, typer.Option("--workspace", "-w", help="Workspace to work in.")] = None,
    home: Annotated[Path | None, typer.Option("--home", help="Data directory (default ./.icp or $ICP_HOME).")] = None,
) -> None:
    """Reads settings once and prepares services lazily for the command that runs."""
    from api.services import Services
    from api.settings import Settings

    def factory() -> Services:
        settings = Settings() if home is None else Settings(icp_home=home)
        return Services.create(settings, workspace=workspace)

    ctx.obj = {"factory": factory}


app.add_typer(accounts.app, name="accounts")
app.add_typer(config_cmd.app, name="config")
app.add_typer(eval_cmd.app, name="eval")
scoring_cmd.register(app)
demo.register(app)
validate_cmd.register(app)
server_cmd.register(app)
ingest_cmd.register(app)
extract_cmd.register(app)
agent_cmd.register(app)


def main() -> None:
    """Runs the CLI."""
    app()
