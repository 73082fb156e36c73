"""The Maven sample end to end: import, apply its ICP, validate; the report must be honest about weak evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.ops.accounts import import_accounts
from api.ops.validation import run_validation, run_weight_proposal
from api.report_html import render_report_html
from api.services import Services
from api.settings import Settings
from scoring.config import builtin_icp_text
from scoring.crm import parse_opportunities_csv
from scoring.validation import ValidationReport
from store.icps import apply_icp, register_icp
from store.opportunities import upsert_opportunities


@pytest.fixture(scope="module")
def maven(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    svc = Services.create(Settings(icp_home=tmp_path_factory.mktemp("maven")), workspace="maven")
    import_accounts(svc, (shared_data / "maven-crm" / "accounts.csv").read_bytes(), source="accounts.csv")
    parsed = parse_opportunities_csv((shared_data / "maven-crm" / "sales_pipeline.csv").read_bytes())
    with svc.db.session() as s:
        upsert_opportunities(s, svc.workspace, (p.opportunity for p in parsed.opportunities))
        row = register_icp(s, svc.workspace, builtin_icp_text("maven"), source="maven")
        apply_icp(s, svc.workspace, row.version)
    return svc


@pytest.fixture(scope="module")
def report(maven: Services) -> ValidationReport:
    return run_validation(maven, permutations=1000, bootstrap=300)


def test_open_deals_and_deals_without_account_stay_out_of_the_statistics(report: ValidationReport) -> None:
    assert report.overall.closed == 4238 + 2473
    assert report.overall.won == 4238
    assert report.overall.accounts == 85
    assert report.data["open_excluded"] == 2089


def test_the_verdict_does_not_invent_lift_on_firmographics_that_barely_move_the_win_rate(
    report: ValidationReport,
) -> None:
    assert report.overall.evidence in ("none", "weak")
    assert report.overall.auc is not None and abs(report.overall.auc - 0.5) < 0.05
    assert all(c.verdict != "predicts wins" for c in report.criteria)
    lifts = [b.lift for b in report.bands if b.lift is not None and not b.few]
    assert max(lifts) < 1.15 and min(lifts) > 0.85


def test_band_and_criterion_numbers_add_up(report: ValidationReport) -> None:
    assert sum(b.n for b in report.bands) == report.overall.closed
    assert sum(t.n for t in report.tiers) == report.overall.closed
    for c in report.criteria:
        assert c.met.n + c.unmet.n + c.unknown.n == report.overall.closed
        for st in (c.met, c.unmet):
            if st.n:
                assert st.ci_low is not None and st.ci_high is not None
                assert st.ci_low <= (st.win_rate or 0) <= st.ci_high


def test_the_html_report_carries_the_same_numbers(report: ValidationReport) -> None:
    html = render_report_html(report)
    assert f"{report.overall.closed} closed deals" in html
    assert report.overall.verdict.split(":")[0] in html


def test_weight_proposals_run_on_a_time_split_and_are_written_not_applied(maven: Services) -> None:
    prop = run_weight_proposal(maven)
    assert prop.train_n + prop.test_n == 6711
    assert prop.train_period[1] is not None and prop.test_period[0] is not None
    assert prop.train_period[1] <= prop.test_period[0]
    assert "icp config apply" in prop.yaml_text
    with maven.db.session() as s:
        from store.icps import active_icp

        active, _ = active_icp(s, maven.workspace)
    assert active.version != prop.version or all(c.new == c.old for c in prop.criteria)
