"""`icp ask`, `icp why`, `icp brief`, `icp stakeholders`, `icp digest`, `icp contacts import`."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from agent.answers import Answer
from api.cli.common import Format, cli_errors, fail, out, print_json, print_row_notes, row_number, services
from api.ops import answers as ops

contacts_app = typer.Typer(help="Import contacts for stakeholder maps.", no_args_is_help=True)


def render_answer(answer: Answer) -> None:
    """Prints an answer with its numbered sources."""
    out.print(answer.text, markup=False)
    missing = [m for m in answer.missing if m not in answer.text]
    if missing:
        out.print("Missing: " + "; ".join(missing), markup=False)
    if answer.citations:
        out.print("\nSources:", markup=False)
        for c in answer.citations:
            when = f" ({c.published_at:%Y-%m-%d})" if c.published_at else ""
            title = c.title or "source"
            quote = " ".join(c.quote.split())
            quote = quote if len(quote) <= 200 else quote[:199] + "…"
            out.print(f"[{c.n}] {title}{when} — {c.url or c.document_id} — “{quote}”", markup=False)


def _emit(answer: Answer, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(answer.model_dump(mode="json"))
    else:
        render_answer(answer)


@cli_errors
def ask_cmd(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help='A question, e.g. "why is Acme Tier 2?"')],
    conversation: Annotated[str, typer.Option(help="Conversation id, to ask follow-ups.")] = "cli",
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Answers a question about your accounts, citing its sources (offline unless an LLM is configured)."""
    svc = services(ctx)
    if len(question) > svc.settings.max_message_chars:
        raise fail(f"the question is longer than {svc.settings.max_message_chars} characters")
    _emit(ops.ask(svc, question, user_id=f"cli:{getpass.getuser()}", conversation_id=conversation), fmt)


@cli_errors
def why_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Says why an account has its tier: criteria met, unmet and unknown, what would move it up, and why now."""
    _emit(ops.why(services(ctx), account), fmt)


@cli_errors
def brief_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="markdown or json")] = Format.MARKDOWN,
    output: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
) -> None:
    """Writes a research brief before outreach, with per-claim citations and a freshness date per section."""
    b = ops.brief(services(ctx), account)
    text = b.model_dump_json(indent=2) if fmt is Format.JSON else b.to_markdown()
    if output is not None:
        output.write_text(text, encoding="utf-8")
        out.print(f"Brief written to {output}", markup=False)
    elif fmt is Format.JSON:
        print(text)
    else:
        out.print(text, markup=False)


@cli_errors
def stakeholders_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, domain or name.")],
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
) -> None:
    """Maps decision makers, influencers, potential champions and gatekeepers at an account."""
    _emit(ops.stakeholders(services(ctx), account), fmt)


@cli_errors
def digest_cmd(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD), default today.")] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Record and send it (to Slack when configured), once per day.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="markdown or json")] = Format.MARKDOWN,
) -> None:
    """Shows the daily digest of new trigger events at Tier 1 accounts (ICP_DIGEST_TIERS); --send sends it once."""
    svc = services(ctx)
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise fail(f"--day needs a date like 2026-12-01, got {day!r}") from exc
    if send:
        outcome = ops.send_digest(svc, day=when)
        out.print(
            f"Digest for {outcome.day}: {outcome.status.value}" + (f" ({outcome.error})" if outcome.error else ""),
            markup=False,
        )
        digest = outcome.digest
        if digest is None:
            return
    else:
        digest = ops.preview_digest(svc, day=when)
    if fmt is Format.JSON:
        print(digest.model_dump_json(indent=2))
    else:
        out.print(digest.to_markdown(), markup=False)


@contacts_app.command("import")
@cli_errors
def contacts_import_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV of contacts (name, title, e-mail, account).")
    ],
    fmt: Annotated[Format, typer.Option("--format")] = Format.TEXT,
) -> None:
    """Imports contacts; rows naming no known account, or with no name, are reported."""
    rep = ops.import_contacts_csv(services(ctx), file.read_bytes())
    if fmt is Format.JSON:
        print_json(rep.__dict__)
        return
    out.print(
        f"{file}: {rep.rows_read} rows read, {rep.created} new, {rep.updated} updated, {rep.unchanged} unchanged, "
        f"{len(rep.rejected)} rejected, {len(rep.unmatched)} naming no known account.",
        markup=False,
    )
    notes = [(None, row_number(r["row"]), str(r["reason"])) for r in rep.rejected]
    # the account resolver's message says what was wrong (unknown, or a name several accounts share)
    notes += [(None, row_number(r["row"]), str(r["account"])) for r in rep.unmatched]
    print_row_notes(notes, limit=20)


def register(app: typer.Typer) -> None:
    """Adds the answer commands to the root app."""
    app.command("ask")(ask_cmd)
    app.command("why")(why_cmd)
    app.command("brief")(brief_cmd)
    app.command("stakeholders")(stakeholders_cmd)
    app.command("digest")(digest_cmd)
    app.add_typer(contacts_app, name="contacts")
