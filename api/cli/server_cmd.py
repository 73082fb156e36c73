"""`icp keys create|list|revoke` and `icp serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import cli_errors, out, plain, services
from store.keys import SCOPES, create_key, list_keys, revoke_key

keys_app = typer.Typer(help="API keys per workspace (stored hashed; shown once).", no_args_is_help=True)


@keys_app.command("create")
@cli_errors
def create_cmd(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option(help=f"One of {', '.join(SCOPES)}.")] = "read",
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
) -> None:
    """Creates an API key for the workspace and prints it once."""
    svc = services(ctx)
    with svc.db.session() as s:
        secret, row = create_key(s, svc.workspace, scope=scope, name=name)
    out.print(f"Created {scope} key {row.prefix}… (id {row.id}) for workspace {svc.workspace!r}.", markup=False)
    out.print("Store it now; it is not shown again:", markup=False)
    print(secret)


@keys_app.command("list")
@cli_errors
def list_cmd(ctx: typer.Context) -> None:
    """Lists the workspace's keys (never the secrets)."""
    svc = services(ctx)
    with svc.db.session() as s:
        table = Table("id", "prefix", "scope", "name", "created", "revoked")
        for r in list_keys(s, svc.workspace):
            table.add_row(
                str(r.id),
                r.prefix + "…",
                r.scope,
                plain(r.name),
                f"{r.created_at:%Y-%m-%d}",
                f"{r.revoked_at:%Y-%m-%d}" if r.revoked_at else "",
            )
    out.print(table)


@keys_app.command("revoke")
@cli_errors
def revoke_cmd(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Key id or prefix.")]) -> None:
    """Revokes a key; requests with it get 401 from then on."""
    svc = services(ctx)
    with svc.db.session() as s:
        row = revoke_key(s, svc.workspace, key)
    out.print(f"Revoked key {row.prefix}… (id {row.id}).", markup=False)


@cli_errors
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65_535, help="Port.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run scheduled jobs in this process.")
    ] = False,
) -> None:
    """Serves the HTTP API (and Slack endpoints when SLACK_SIGNING_SECRET is set)."""
    import uvicorn

    from api.http import create_app

    svc = services(ctx)
    app = create_app(svc, scheduler=not no_scheduler)
    out.print(f"Serving icp-agent on http://{host}:{port} (docs at /docs)", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Adds the key and server commands to the root app."""
    app.add_typer(keys_app, name="keys")
    app.command("serve")(serve_cmd)
