"""`icp opportunities import`, `icp validate`, `icp weights propose`, `icp review`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import Format, cli_errors, fail, out, parse_mapping, plain, print_json, print_row_notes, services
from api.cli.icp_files import read_optional_icp
from api.ops.reviews import record_review, review_report
from api.ops.validation import run_validation, run_weight_proposal
from api.report_html import render_report_html
from scoring.crm import parse_opportunities_csv
from scoring.reviews import ReviewKind
from scoring.validation import GroupStats, ValidationReport
from store.opportunities import upsert_opportunities

opportunities_app = typer.Typer(help="Import won, lost and open deals.", no_args_is_help=True)
weights_app = typer.Typer(help="Learn criterion weights from closed deals.", no_args_is_help=True)


@opportunities_app.command("import")
@cli_errors
def import_opps(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of opportunities (deals).")],
    map_: Annotated[list[str] | None, typer.Option("--map", help="column=field override, repeatable.")] = None,
    stage: Annotated[list[str] | None, typer.Option(help="stage=won|lost|open override, repeatable.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.TEXT,
) -> None:
    """Imports opportunities; open deals are kept but left out of win/loss statistics."""
    svc = services(ctx)
    stage_map = parse_mapping(stage or [])
    parsed = parse_opportunities_csv(file.read_bytes(), mapping=parse_mapping(map_ or []), stage_map=stage_map or None)
    with svc.db.session() as s:
        counts = upsert_opportunities(s, svc.workspace, parsed.opportunities)
    warnings = [*((w.row, w.reason) for w in parsed.warnings), *counts.warnings]
    result = {
        "source": str(file),
        "rows_read": parsed.rows_read,
        "landed": len(parsed.opportunities),
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "outcomes": counts.outcomes,
        "linked_to_accounts": counts.linked,
        "account_not_found": counts.unlinked,
        "unmatched": [{"row": row, "reason": reason} for row, reason in counts.unmatched],
        "rejected": [{"row": e.row, "reason": e.reason} for e in parsed.errors],
        "warnings": [{"row": row, "reason": reason} for row, reason in warnings],
    }
    if fmt is Format.JSON:
        print_json(result)
        return
    stored = sum(counts.outcomes.values())
    out.print(
        f"{file}: {parsed.rows_read} rows read, {len(parsed.opportunities)} landed as {stored} deals "
        f"({counts.created} new, {counts.updated} updated, {counts.unchanged} unchanged), {len(parsed.errors)} rejected. "
        f"Outcomes: {', '.join(f'{k} {v}' for k, v in sorted(counts.outcomes.items()))}. "
        f"{counts.linked} linked to accounts, {counts.unlinked} name an account that is not imported or not unique.",
        markup=False,
    )
    print_row_notes([(None, e.row, e.reason) for e in parsed.errors], limit=20)
    print_row_notes([("unlinked", row, reason) for row, reason in counts.unmatched], limit=10)
    print_row_notes([("warning", row, reason) for row, reason in warnings], limit=10)


def _bands(spec: str | None) -> list[float] | None:
    if spec is None:
        return None
    try:
        edges = sorted({float(x) for x in spec.split(",") if x.strip()})
    except ValueError as exc:
        raise fail(f"--bands needs numbers like 0,50,70,90,100, got {spec!r}") from exc
    if len(edges) < 2 or edges[0] < 0 or edges[-1] > 100:
        raise fail("--bands needs at least two edges between 0 and 100")
    return edges


@cli_errors
def validate_cmd(
    ctx: typer.Context,
    icp: Annotated[str | None, typer.Option(help="Validate this ICP file instead of the active one.")] = None,
    html: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json")] = Format.TEXT,
    bands: Annotated[str | None, typer.Option(help="Fit band edges, e.g. 0,50,70,90,100 (default deciles).")] = None,
    min_sample: Annotated[int, typer.Option(min=1, max=10_000, help="Groups with fewer deals are flagged.")] = 30,
    permutations: Annotated[int, typer.Option(min=100, max=100_000, help="Shuffles for the permutation tests.")] = 2000,
) -> None:
    """Validates the ICP against won and lost deals: win rate, deal size and cycle per band, tier and criterion."""
    svc = services(ctx)
    cfg, _ = read_optional_icp(icp)
    report = run_validation(svc, config=cfg, bands=_bands(bands), min_sample=min_sample, permutations=permutations)
    if html is not None:
        html.write_text(render_report_html(report), encoding="utf-8")
    if fmt is Format.JSON:
        print_json(report.model_dump(mode="json"))
        return
    render_validation(report)
    if html is not None:
        out.print(f"\nHTML report written to {html}", markup=False)


def render_validation(r: ValidationReport) -> None:
    """Prints the validation report for a person."""
    o = r.overall
    out.print(
        f"ICP {r.icp_name!r} ({r.icp_version}) against {o.closed} closed deals from {o.accounts} accounts.",
        markup=False,
    )
    out.print(f"\n{o.verdict}\n", markup=False)
    out.print(
        f"Base win rate {o.base_win_rate:.1%} ({o.base_ci_low:.1%}–{o.base_ci_high:.1%}); "
        f"band trend (Spearman) {'n/a' if o.band_trend is None else f'{o.band_trend:.2f}'}.",
        markup=False,
    )
    out.print(_group_table("Win rate per fit band", r.bands))
    out.print(_group_table("Win rate per tier", r.tiers))
    t = Table(
        "criterion", "met n", "met win", "unmet n", "unmet win", "unknown n", "diff", "p", "verdict", title="Criteria"
    )
    for c in r.criteria:
        t.add_row(
            plain(c.id),
            str(c.met.n),
            _pct(c.met.win_rate),
            str(c.unmet.n),
            _pct(c.unmet.win_rate),
            str(c.unknown.n),
            "–" if c.difference is None else f"{c.difference * 100:+.1f}",
            "–" if c.p_value is None else f"{c.p_value:.3f}",
            plain(c.verdict),
        )
    out.print(t)
    out.print(str(r.leakage.get("note", "")), markup=False)


def _group_table(title: str, groups: list[GroupStats]) -> Table:
    t = Table(
        "group", "deals", "accts", "win rate", "95% interval", "lift", "avg won deal", "median cycle d", title=title
    )
    for g in groups:
        if g.n == 0:
            continue
        t.add_row(
            plain(g.label + (" *" if g.few else "")),
            str(g.n),
            str(g.accounts),
            _pct(g.win_rate),
            f"{_pct(g.ci_low)}–{_pct(g.ci_high)}",
            "–" if g.lift is None else f"{g.lift:.2f}×",
            "–" if g.avg_deal is None else f"{g.avg_deal:,.0f}",
            "–" if g.median_cycle_days is None else f"{g.median_cycle_days:.0f}",
        )
    return t


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


@weights_app.command("propose")
@cli_errors
def propose_cmd(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the proposed ICP.")] = Path(
        "icp.proposed.yaml"
    ),
    icp: Annotated[str | None, typer.Option(help="Start from this ICP file instead of the active one.")] = None,
    min_sample: Annotated[
        int, typer.Option(min=1, max=10_000, help="Criteria with fewer met or unmet deals keep their weight.")
    ] = 30,
    fmt: Annotated[Format, typer.Option("--format")] = Format.TEXT,
) -> None:
    """Learns weights on older deals, compares on newer ones, writes a proposed ICP (never applied silently)."""
    svc = services(ctx)
    cfg, text = read_optional_icp(icp)
    prop = run_weight_proposal(svc, config=cfg, yaml_text=text, min_sample=min_sample)
    out_file.write_text(prop.yaml_text, encoding="utf-8")
    if fmt is Format.JSON:
        print_json({**prop.as_dict(), "out": str(out_file)})
        return
    t = Table("criterion", "kind", "current", "proposed", "coef", "met", "unmet", "note", title="Weights")
    for c in prop.criteria:
        t.add_row(
            plain(c.id),
            plain(c.kind),
            f"{c.old:g}",
            f"{c.new:g}",
            "–" if c.coefficient is None else f"{c.coefficient:+.2f}",
            str(c.n_met),
            str(c.n_unmet),
            plain(c.note),
        )
    out.print(t)
    out.print(
        f"Trained on {prop.train_n} deals closed {prop.train_period[0]}–{prop.train_period[1]}; "
        f"tested on {prop.test_n} closed {prop.test_period[0]}–{prop.test_period[1]}.",
        markup=False,
    )
    auc_old = "n/a" if prop.auc_old is None else f"{prop.auc_old:.3f}"
    auc_new = "n/a" if prop.auc_new is None else f"{prop.auc_new:.3f}"
    out.print(f"Test-period AUC: current {auc_old}, proposed {auc_new}.", markup=False)
    b = Table(
        "fit band", "current n", "current win", "proposed n", "proposed win", title="Test-period win rate per band"
    )
    for band in prop.bands:
        if band.old_n or band.new_n:
            b.add_row(
                plain(band.label), str(band.old_n), _pct(band.old_win_rate), str(band.new_n), _pct(band.new_win_rate)
            )
    out.print(b)
    out.print(
        f"Proposed ICP (version {prop.version}) written to {out_file}. Apply it with: icp config apply {out_file}",
        markup=False,
    )


@cli_errors
def review_cmd(
    ctx: typer.Context,
    done: Annotated[ReviewKind | None, typer.Option(help="Record that this review was done.")] = None,
    notes: Annotated[str, typer.Option(help="Notes for the recorded review.")] = "",
) -> None:
    """Says which ICP reviews are due (monthly, quarterly, half-yearly, yearly) and what changed since."""
    svc = services(ctx)
    if done is not None:
        record_review(svc, done, notes=notes, when=svc.clock())
        out.print(f"Recorded the {done.value} review.", markup=False)
    rep = review_report(svc)
    t = Table("review", "last done", "status", "what", title="ICP review cadence")
    for st in rep.statuses:
        status = f"due since {st.due_since:%Y-%m-%d}" if st.due and st.due_since else "not due"
        t.add_row(st.kind.value, f"{st.last_done:%Y-%m-%d}" if st.last_done else "never", status, plain(st.what))
    out.print(t)
    out.print(
        f"Since {rep.since:%Y-%m-%d}: {rep.new_won} deals won, {rep.new_lost} lost, "
        f"{rep.icp_versions_applied} ICP version(s) applied, {rep.tier_changes} tier change(s).",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Adds the validation commands to the root app."""
    app.add_typer(opportunities_app, name="opportunities")
    app.add_typer(weights_app, name="weights")
    app.command("validate")(validate_cmd)
    app.command("review")(review_cmd)
