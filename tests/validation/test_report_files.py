"""The proposed ICP keeps comments; the HTML report is self-contained and carries the JSON's numbers."""

from __future__ import annotations

import re

from known_truth_data import ICP, make_history

from api.report_html import render_report_html
from scoring.config import builtin_icp_text, load_icp_text
from scoring.validation import validate
from scoring.weights import rewrite_weights


def test_rewrite_weights_changes_only_the_weights_and_keeps_comments() -> None:
    text = builtin_icp_text("default")
    new = rewrite_weights(text, {"industry_fit": 40, "cloud_ready": 0})
    cfg = load_icp_text(new)
    assert cfg.criterion("industry_fit").weight == 40
    assert cfg.criterion("cloud_ready").weight == 0
    assert cfg.criterion("revenue_band").weight == load_icp_text(text).criterion("revenue_band").weight
    assert new.count("#") == text.count("#")
    assert len(new.splitlines()) == len(text.splitlines())


def test_rewrite_weights_inserts_a_missing_weight() -> None:
    text = "name: x\ncriteria:\n  - id: a\n    dimension: firmographic\n    kind: strong\n    field: employees\n    match: {exists: true}\n  - id: b\n    dimension: firmographic\n    kind: strong\n    weight: 1\n    field: revenue\n    match: {exists: true}\n"
    assert load_icp_text(rewrite_weights(text, {"a": 7})).criterion("a").weight == 7


def test_html_report_is_self_contained_and_shows_the_numbers() -> None:
    report = validate(
        make_history(), config=load_icp_text(ICP), generated_at="2026-01-01", permutations=200, bootstrap=50
    )
    html = render_report_html(report)
    assert "<svg" in html and html.count("<svg") >= 3
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert f"{report.overall.base_win_rate:.1%}" in html
    assert f"{report.overall.auc:.3f}" in html
    for c in report.criteria:
        assert c.id in html
