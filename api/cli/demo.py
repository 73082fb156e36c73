"""`icp demo`: the whole pipeline, offline, on the fictional demo data shipped in the package."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.accounts import render_import
from api.cli.common import cli_errors, out
from api.cli.ingest_cmd import render_summary
from api.cli.scoring_cmd import run_rescore, tiers_cmd
from api.ops.accounts import import_accounts
from api.ops.extraction import extract_and_rescore
from api.ops.ingest import run_ingest
from api.services import Services
from api.settings import Settings
from scoring.domain import Ledger, Status, Tier
from store.accounts import find_account
from store.documents import add_source
from store.scores import get_ledger, list_scores

# The demo corpus is dated; scoring "as of" a fixed day keeps the demo's recency windows stable.
DEMO_AS_OF = date(2026, 12, 1)
DEMO_WORKSPACE = "demo"
DEMO_SOURCES = (
    # (path inside demo_data, account, public base URL the saved files stand for)
    ("web/stark-chem.example", "stark-chem.example", "https://stark-chem.example/"),
    ("web/northwind-fab.example", "northwind-fab.example", "https://northwind-fab.example/"),
    ("web/globex-precision.example", "globex-precision.example", "https://globex-precision.example/"),
    ("feeds/industry-news.xml", None, None),
    ("feeds/northwind-alerts.atom", "northwind-fab.example", None),
)


def demo_path(name: str) -> Path:
    """Returns the path of a file or folder of the shipped demo data."""
    return Path(str(resources.files("api") / "demo_data" / name))


@dataclass
class TierChange:
    """An account whose tier moved, and the evidence that moved it."""

    account: str
    before: Tier
    after: Tier
    criteria: list[str]
    quotes: list[tuple[str, str | None]]


def _step(title: str, quiet: bool) -> None:
    if not quiet:
        out.rule(f"[bold]{title}[/]", align="left")


def _tiers(svc: Services) -> dict[int, Ledger]:
    with svc.db.session() as s:
        pairs = list_scores(s, svc.workspace)
        return {a.id: lg for a, _ in pairs if (lg := get_ledger(s, svc.workspace, a.id)) is not None}


def tier_changes(before: dict[int, Ledger], after: dict[int, Ledger]) -> list[TierChange]:
    """Returns the accounts whose tier changed, with the criteria and quotes that changed with it."""
    changes = []
    for acc, new in after.items():
        old = before.get(acc)
        if old is None or old.tier is new.tier:
            continue
        moved = [line for line in new.lines if line.status is Status.MET and old.line(line.id).status is not Status.MET]
        # trigger events first: the news that moved the account is the story a rep wants
        moved.sort(key=lambda line: line.field != "events")
        quotes = [(q.quote, q.url) for line in moved for q in line.quotes[:1]]
        changes.append(
            TierChange(new.account_name or str(acc), old.tier, new.tier, [line.id for line in moved], quotes)
        )
    changes.sort(key=lambda c: (c.after.rank, c.account))
    return changes


def build_demo(home: Path, *, quiet: bool = False) -> Services:
    """Builds the demo workspace from scratch in `home` and returns its services."""
    if home.exists():
        shutil.rmtree(home)
    svc = Services.create(Settings(icp_home=home), workspace=DEMO_WORKSPACE)
    _step("1. Import a CRM export (HubSpot-style columns, two bad rows on purpose)", quiet)
    report = import_accounts(svc, demo_path("accounts.csv").read_bytes(), source="demo_data/accounts.csv")
    if not quiet:
        render_import(report)
    _step(f"2. Score every account against the default ICP, as of {DEMO_AS_OF} (CRM data only)", quiet)
    run_rescore(svc, as_of=DEMO_AS_OF, quiet=quiet)
    before = _tiers(svc)
    _step("3. Ingest the demo corpus: three company sites, a shared industry feed, a news alert", quiet)
    with svc.db.session() as s:
        for rel, account, base in DEMO_SOURCES:
            acc_id = find_account(s, svc.workspace, account).id if account else None
            add_source(
                s,
                svc.workspace,
                url=str(demo_path(rel)),
                kind="file",
                account_id=acc_id,
                options={"base_url": base} if base else None,
            )
    summary = run_ingest(svc).summary
    if not quiet:
        render_summary(summary)
    _step("4. Extract facts offline (every fact with its quote), then rescore", quiet)
    ex = extract_and_rescore(svc, choice="offline", as_of=DEMO_AS_OF)
    if not quiet:
        dropped = sum(ex.dropped.values())
        out.print(
            f"{ex.facts} facts ({ex.events} trigger events) from {ex.extracted} documents; "
            f"{dropped} items dropped by the grounding check.",
            markup=False,
        )
    run_rescore(svc, as_of=DEMO_AS_OF, quiet=True)
    if not quiet:
        changes = tier_changes(before, _tiers(svc))
        if changes:
            table = Table("account", "before", "after", "what moved it", title="Tier changes from the news and pages")
            for c in changes:
                table.add_row(c.account, c.before.value, c.after.value, ", ".join(c.criteria))
            out.print(table)
            for c in changes:
                if c.quotes:
                    quote, url = c.quotes[0]
                    out.print(f"{c.account} moved to {c.after.value} because of: “{quote}” ({url})", markup=False)
    return svc


def demo_cmd(
    ctx: typer.Context,
    home: Annotated[Path, typer.Option(help="Folder for the demo's data (recreated on every run).")] = Path(
        ".icp-demo"
    ),
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the API on the demo data with a printed key.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Runs the pipeline offline on fictional sample data: import, score, ingest, extract, answer."""
    from api.cli.agent_cmd import render_answer
    from api.ops import answers as ops

    svc = build_demo(home)
    _step("5. Tiers", False)
    ctx.find_root().obj = {"factory": lambda: svc, "services": svc}
    tiers_cmd(ctx, tier=None, min_fit=None, limit=None)
    report = ops.import_contacts_csv(svc, demo_path("contacts.csv").read_bytes())
    tier2 = _first_in(svc, Tier.TIER_2) or "Northwind"
    _step(f'6. "Why is {tier2} Tier 2?" (offline, from the ledger, with sources)', False)
    render_answer(ops.ask(svc, f"why is {tier2} Tier 2?", user_id="demo", conversation_id="demo"))
    _step(f"7. Research brief before outreach: {tier2} ({report.created} CRM contacts imported)", False)
    out.print(ops.brief(svc, tier2).to_markdown(), markup=False)
    _step(f"8. The daily digest for {', '.join(t.value for t in ops.digest_tiers(svc))} accounts", False)
    out.print(ops.preview_digest(svc, day=DEMO_AS_OF).to_markdown(), markup=False)
    out.print(f"Explore the demo data: ./run icp --home {home} --workspace {DEMO_WORKSPACE} tiers", markup=False)
    out.print(
        f'Ask it something:      ./run icp --home {home} --workspace {DEMO_WORKSPACE} ask "who should I talk to at Stark Chemicals?"',
        markup=False,
    )
    if serve:
        _serve(svc, port=port)


def _first_in(svc: Services, tier: Tier) -> str | None:
    with svc.db.session() as s:
        pairs = list_scores(s, svc.workspace, tiers=[tier], limit=1)
    return pairs[0][0].name if pairs else None


def _serve(svc: Services, *, port: int) -> None:
    import uvicorn

    from api.http import create_app
    from store.keys import create_key

    with svc.db.session() as s:
        secret, _ = create_key(s, svc.workspace, scope="write", name="demo")
    out.print(f"Demo API key (write scope, workspace {svc.workspace!r}): {secret}", markup=False)
    out.print(f"Try: curl -H 'Authorization: Bearer {secret}' http://127.0.0.1:{port}/accounts", markup=False)
    uvicorn.run(create_app(svc), host="127.0.0.1", port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Adds `icp demo` to the root app."""
    app.command("demo")(cli_errors(demo_cmd))
