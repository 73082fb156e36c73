"""Generated history where the truth is known: one criterion doubles the win rate, one does nothing."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from known_truth_data import ICP, make_history

from scoring.config import load_icp_text
from scoring.validation import validate
from scoring.weights import propose_weights


def test_the_report_detects_the_real_criterion_and_not_the_noise() -> None:
    cfg = load_icp_text(ICP)
    report = validate(make_history(), config=cfg, generated_at="2026-01-01T00:00:00", permutations=2000, bootstrap=200)
    by_id = {c.id: c for c in report.criteria}
    real, noise = by_id["doubles_win_rate"], by_id["does_nothing"]
    assert real.p_value is not None and real.p_value < 0.01
    assert real.verdict == "predicts wins"
    assert real.met.win_rate is not None and real.unmet.win_rate is not None
    assert real.met.win_rate == pytest.approx(2 * real.unmet.win_rate, rel=0.25)
    assert noise.verdict not in ("predicts wins", "predicts losses")
    assert noise.p_value is None or noise.p_value >= 0.01


def test_proposed_weights_rank_the_real_criterion_first() -> None:
    cfg = load_icp_text(ICP)
    prop = propose_weights(make_history(), config=cfg, yaml_text=ICP, today=date(2026, 1, 1))
    new = {c.id: c.new for c in prop.criteria}
    assert new["doubles_win_rate"] > new["does_nothing"]
    assert sum(new.values()) == pytest.approx(100, abs=1)
    proposed = load_icp_text(prop.yaml_text)
    assert proposed.criterion("doubles_win_rate").weight == new["doubles_win_rate"]
    assert prop.auc_new is not None and prop.auc_old is not None
    assert prop.auc_new >= prop.auc_old - 0.01


def test_a_score_that_predicts_nothing_gets_an_honest_verdict() -> None:
    data = make_history(seed=9)
    rng = np.random.default_rng(10)
    data.won = rng.random(len(data.won)) < 0.3  # outcomes unrelated to anything
    report = validate(data, config=load_icp_text(ICP), generated_at="x", permutations=1000, bootstrap=200)
    assert report.overall.evidence == "none"
    assert "No reliable evidence" in report.overall.verdict


def test_small_groups_are_flagged_not_judged() -> None:
    data = make_history(accounts=40, per_account=1)
    report = validate(data, config=load_icp_text(ICP), generated_at="x", permutations=200, bootstrap=50, min_sample=30)
    assert all(c.verdict.startswith("too few") for c in report.criteria)
    assert all(b.few for b in report.bands if b.n)


def test_weights_stay_put_when_no_criterion_stands_out_from_noise() -> None:
    import numpy as np

    data = make_history(seed=9)
    data.won = np.random.default_rng(10).random(len(data.won)) < 0.3
    prop = propose_weights(data, config=load_icp_text(ICP), yaml_text=ICP, today=date(2026, 1, 1))
    assert all(c.new == c.old for c in prop.criteria)
    assert all("stands out" in c.note for c in prop.criteria)


def test_clustered_errors_are_wider_when_an_accounts_deals_move_together() -> None:
    import numpy as np

    from scoring.stats import cluster_robust_se, fit_logistic

    rng = np.random.default_rng(4)
    accounts = np.repeat(np.arange(60), 50)  # few accounts, many deals each
    x = rng.integers(0, 2, 60)[accounts].astype(float)[:, None]
    y = (rng.random(60) < 0.5)[accounts].astype(float)  # the outcome is the account's, not the deal's
    b0, b = fit_logistic(x, y, l2=1e-6)
    clustered = cluster_robust_se(x, y, b0, b, accounts)
    independent = cluster_robust_se(x, y, b0, b, np.arange(len(y)))
    assert clustered[0] > 3 * independent[0]
