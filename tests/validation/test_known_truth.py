"""Generated history where the truth is known: one criterion doubles the win rate, one does nothing."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from known_truth_data import ICP, make_history

from scoring.config import load_icp_text
from scoring.domain import Status
from scoring.errors import ScoringError, ValidationDataError
from scoring.stats import Clustered, bootstrap_auc, permutation_p, permutation_p_difference
from scoring.validation import STATUS_CODES, ValidationInput, validate, verdict_for
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


def _backwards_history(seed: int = 12, accounts: int = 400, per_account: int = 2) -> ValidationInput:
    """Win rates fall from 82% in the lowest fit band to 18% in the highest: the ICP ranks backwards."""
    rng = np.random.default_rng(seed)
    acc_fit = rng.integers(0, 1001, accounts) / 10.0
    acc = np.repeat(np.arange(accounts), per_account)
    fit = acc_fit[acc]
    won = rng.random(len(acc)) < 0.82 - 0.64 * fit / 100.0
    good = np.where(fit >= 50, STATUS_CODES[Status.MET], STATUS_CODES[Status.UNMET])
    return ValidationInput(
        account=acc.astype(np.int64),
        fit=fit,
        tier=["Tier 3"] * len(acc),
        won=won,
        amount=np.where(won, 1000.0, 0.0),
        cycle_days=np.full(len(acc), 30.0),
        closed=[date(2024, 1, 1) + timedelta(days=int(i % 700)) for i in range(len(acc))],
        status=np.stack([good, good], axis=1).astype(np.int8),
    )


def test_an_icp_that_ranks_backwards_is_called_inverted_not_noise() -> None:
    report = validate(
        _backwards_history(), config=load_icp_text(ICP), generated_at="x", permutations=1000, bootstrap=300
    )
    o = report.overall
    assert o.auc is not None and o.auc_ci_high is not None and o.auc_ci_high < 0.5
    assert o.band_trend is not None and o.band_trend < -0.9
    assert o.evidence == "inverted"
    assert "Higher-fit accounts lose more often" in o.verdict
    assert "the criteria point the wrong way" in o.verdict
    assert "barely move" not in o.verdict
    assert o.p_value is not None and o.p_value > 0.5  # the one-sided test alone sees nothing
    assert o.p_value_lower is not None and o.p_value_lower < 0.01


@pytest.mark.parametrize(
    ("auc", "ci", "p", "p_lower", "evidence"),
    [
        (0.70, (0.65, 0.75), 0.0005, 0.9995, "strong"),
        (0.53, (0.49, 0.57), 0.03, 0.97, "weak"),
        (0.49, (0.45, 0.53), 0.70, 0.30, "none"),
        (0.45, (0.40, 0.49), 0.99, 0.02, "inverted"),  # the interval lies below 0.5
        (0.46, (0.41, 0.51), 0.99, 0.004, "inverted"),  # the lower tail is significant
        (0.47, (0.42, 0.52), 0.97, 0.03, "none"),
    ],
)
def test_verdict_levels(auc: float, ci: tuple[float, float], p: float, p_lower: float, evidence: str) -> None:
    assert verdict_for(auc, ci, p, 100, p_lower=p_lower)[0] == evidence


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("permutations", 0, "permutations must be a whole number of at least 1, not 0"),
        ("permutations", -5, "permutations must be a whole number of at least 1, not -5"),
        ("bootstrap", 0, "bootstrap resamples must be a whole number of at least 1, not 0"),
        ("min_sample", 0, "min_sample must be a whole number of at least 1, not 0"),
        ("permutations", 2.5, "permutations must be a whole number of at least 1, not 2.5"),
    ],
)
def test_validate_rejects_counts_under_one(option: str, value: float, message: str) -> None:
    with pytest.raises(ValidationDataError, match=message):
        validate(make_history(accounts=40), config=load_icp_text(ICP), generated_at="x", **{option: value})  # type: ignore[arg-type]


def test_the_statistics_refuse_counts_under_one() -> None:
    c = Clustered.build(np.array([10.0, 90.0]), np.array([False, True]), np.array([1, 2]))
    for call in (
        lambda: permutation_p(c, 1.0, n=-1),
        lambda: bootstrap_auc(c, n=0),
        lambda: permutation_p_difference(np.array([True, False]), np.array([1.0, 0.0]), np.array([1.0, 1.0]), n=0),
    ):
        with pytest.raises(ValidationDataError):
            call()


@pytest.mark.parametrize(
    ("accounts", "options", "message"),
    [
        (20, {}, "40 closed deals are too few to learn weights \\(need at least 60\\)"),
        (1500, {"min_sample": 0}, "min_sample must be a whole number of at least 1"),
        (1500, {"train_share": 1.0}, "train_share must be between 0 and 1"),
    ],
)
def test_weight_proposals_explain_what_the_data_cannot_support(
    accounts: int, options: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationDataError, match=message) as info:
        propose_weights(
            make_history(accounts=accounts), config=load_icp_text(ICP), yaml_text=ICP, today=date(2026, 1, 1), **options
        )  # type: ignore[arg-type]
    assert isinstance(info.value, ScoringError)
