"""The statistics behind validation, checked against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.stats import Clustered, auc, fit_logistic, permutation_p, spearman, wilson_interval


@pytest.mark.parametrize(
    ("wins", "n", "low", "high"),
    [
        # reference values from the Wilson formula (Newcombe 1998, table I, case 81/263 and 0/10)
        (81, 263, 0.2553, 0.3662),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(wins: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(wins, n)
    assert lo == pytest.approx(low, abs=5e-4)
    assert hi == pytest.approx(high, abs=5e-4)


def test_auc_counts_pairs_and_ties() -> None:
    scores = np.array([10.0, 20.0, 20.0, 30.0])
    won = np.array([False, False, True, True])
    # pairs (win, loss): (20,10) 1, (20,20) .5, (30,10) 1, (30,20) 1 → 3.5 / 4
    assert auc(scores, won) == pytest.approx(0.875)
    assert auc(scores, ~won) == pytest.approx(0.125)


def test_clustered_auc_equals_plain_auc() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 100, 500).round(1)
    won = rng.random(500) < scores / 100
    accounts = rng.integers(0, 80, 500)
    assert Clustered.build(scores, won, accounts).auc() == pytest.approx(auc(scores, won))


def test_permutation_p_is_small_for_a_real_signal_and_large_for_noise() -> None:
    rng = np.random.default_rng(2)
    acc_score = rng.uniform(0, 100, 300).round(1)
    accounts = np.repeat(np.arange(300), 3)
    scores = acc_score[accounts]
    won_signal = rng.random(900) < 0.15 + 0.5 * scores / 100
    won_noise = rng.random(900) < 0.4
    c1 = Clustered.build(scores, won_signal, accounts)
    c2 = Clustered.build(scores, won_noise, accounts)
    assert permutation_p(c1, c1.auc(), n=500) < 0.01
    assert permutation_p(c2, c2.auc(), n=500) > 0.05


def test_logistic_regression_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, (20000, 2)).astype(float)
    p = 1 / (1 + np.exp(-(-1.0 + 1.2 * x[:, 0] + 0.0 * x[:, 1])))
    y = (rng.random(20000) < p).astype(float)
    b0, b = fit_logistic(x, y, l2=1e-6)
    assert b0 == pytest.approx(-1.0, abs=0.1)
    assert b[0] == pytest.approx(1.2, abs=0.1)
    assert abs(b[1]) < 0.1


def test_spearman_handles_ties_and_constants() -> None:
    assert spearman(np.array([1.0, 2, 3, 4]), np.array([10.0, 20, 30, 40])) == pytest.approx(1.0)
    assert math.isnan(spearman(np.array([1.0, 2, 3]), np.array([5.0, 5, 5])))
