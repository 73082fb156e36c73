"""Small, honest statistics for win/loss validation, in numpy.

Opportunities of one account are not independent, so uncertainty is computed with the account
as the unit: the bootstrap resamples accounts and the permutation test shuffles account scores.
AUC is computed from score histograms (scores live on a 0.1-point grid), which keeps thousands
of resamples cheap for 100,000 opportunities.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.errors import ValidationDataError

Z95 = 1.959963984540054
GRID = 1001  # fit scores in tenths of a point: 0.0 .. 100.0


def wilson_interval(wins: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Returns the Wilson score interval of a proportion (0, 0 when n is 0)."""
    if n <= 0:
        return (0.0, 0.0)
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def to_grid(scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """Returns scores in 0..100 as indices on the tenth-of-a-point grid."""
    return np.clip(np.rint(np.asarray(scores, dtype=np.float64) * 10.0), 0, GRID - 1).astype(np.int64)


def auc_from_hist(pos: NDArray[np.float64], neg: NDArray[np.float64]) -> float:
    """Returns the AUC (ties count one half) from weighted histograms of positives and negatives."""
    n_pos = float(pos.sum())
    n_neg = float(neg.sum())
    if n_pos <= 0 or n_neg <= 0:
        return float("nan")
    below = np.cumsum(neg) - neg  # negatives strictly below each bin
    return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))


def auc(scores: NDArray[np.float64], won: NDArray[np.bool_]) -> float:
    """Returns the AUC of scores (0..100) against outcomes."""
    g = to_grid(scores)
    w = np.asarray(won, dtype=bool)
    pos = np.bincount(g[w], minlength=GRID).astype(np.float64)
    neg = np.bincount(g[~w], minlength=GRID).astype(np.float64)
    return auc_from_hist(pos, neg)


@dataclass(frozen=True, slots=True)
class Clustered:
    """Opportunities grouped into (account, score bin) cells with win and loss counts."""

    cell_account: NDArray[np.int64]
    cell_bin: NDArray[np.int64]
    cell_wins: NDArray[np.float64]
    cell_losses: NDArray[np.float64]
    n_accounts: int
    account_bin: NDArray[np.int64]  # each account's median score bin, for permutations

    @classmethod
    def build(cls, scores: NDArray[np.float64], won: NDArray[np.bool_], accounts: NDArray[np.int64]) -> Clustered:
        """Groups opportunities by account and score bin."""
        g = to_grid(scores)
        acc_codes, acc_idx = np.unique(np.asarray(accounts), return_inverse=True)
        n_acc = len(acc_codes)
        key = acc_idx.astype(np.int64) * GRID + g
        cells, inv = np.unique(key, return_inverse=True)
        w = np.asarray(won, dtype=np.float64)
        wins = np.bincount(inv, weights=w, minlength=len(cells)).astype(np.float64)
        losses = np.bincount(inv, weights=1.0 - w, minlength=len(cells)).astype(np.float64)
        order = np.lexsort((g, acc_idx))
        sorted_acc = acc_idx[order]
        starts = np.searchsorted(sorted_acc, np.arange(n_acc))
        ends = np.searchsorted(sorted_acc, np.arange(n_acc), side="right")
        mid = (starts + ends - 1) // 2
        account_bin = g[order][mid].astype(np.int64)
        return cls(cells // GRID, cells % GRID, wins, losses, n_acc, account_bin)

    def auc(self, account_weights: NDArray[np.float64] | None = None, bins: NDArray[np.int64] | None = None) -> float:
        """Returns the AUC with optional per-account weights (bootstrap) or replaced bins (permutation)."""
        b = self.cell_bin if bins is None else bins
        w = 1.0 if account_weights is None else account_weights[self.cell_account]
        pos = np.bincount(b, weights=self.cell_wins * w, minlength=GRID).astype(np.float64)
        neg = np.bincount(b, weights=self.cell_losses * w, minlength=GRID).astype(np.float64)
        return auc_from_hist(pos, neg)


def require_count(name: str, n: int) -> None:
    """Raises ValidationDataError unless a resampling count is at least 1."""
    try:
        whole = operator.index(n)  # numpy integers too, but not 2.5
    except TypeError:
        whole = 0
    if isinstance(n, bool) or whole < 1:
        raise ValidationDataError(f"{name} must be a whole number of at least 1, not {n!r}")


def bootstrap_auc(c: Clustered, *, n: int = 1000, seed: int = 7) -> tuple[float, float]:
    """Returns a 95% percentile interval of the AUC, resampling accounts."""
    require_count("bootstrap resamples", n)
    rng = np.random.default_rng(seed)
    vals = np.empty(n)
    for i in range(n):
        counts = np.bincount(rng.integers(0, c.n_accounts, c.n_accounts), minlength=c.n_accounts).astype(np.float64)
        vals[i] = c.auc(account_weights=counts)
    vals = vals[~np.isnan(vals)]
    if len(vals) == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return (float(lo), float(hi))


def permutation_p(c: Clustered, observed: float, *, n: int = 2000, seed: int = 11) -> float:
    """Returns the one-sided p-value of "scores separate wins from losses", shuffling account scores.

    Each account's opportunities keep their outcomes; the account's (median) score moves to
    another account. The +1 correction keeps p above zero.
    """
    return permutation_tails(c, observed, n=n, seed=seed)[0]


def permutation_tails(c: Clustered, observed: float, *, n: int = 2000, seed: int = 11) -> tuple[float, float]:
    """Returns both one-sided permutation p-values of the AUC: (higher scores win, higher scores lose).

    One set of shuffles serves both tails, so asking whether a score ranks backwards costs nothing.
    """
    require_count("permutations", n)
    if math.isnan(observed) or c.n_accounts < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    above = below = 0
    for _ in range(n):
        perm = rng.permutation(c.n_accounts)
        bins = c.account_bin[perm][c.cell_account]
        shuffled = c.auc(bins=bins)
        above += shuffled >= observed - 1e-12
        below += shuffled <= observed + 1e-12
    return (above + 1) / (n + 1), (below + 1) / (n + 1)


def permutation_p_difference(
    status: NDArray[np.bool_],
    acc_wins: NDArray[np.float64],
    acc_n: NDArray[np.float64],
    *,
    n: int = 2000,
    seed: int = 13,
) -> float:
    """Returns the two-sided p-value of a win-rate difference between accounts with and without a status.

    The unit is the account: which accounts have the status is shuffled, their deals stay theirs.
    """
    require_count("permutations", n)
    status = np.asarray(status, dtype=bool)
    k = int(status.sum())
    m = len(status)
    if k == 0 or k == m:
        return float("nan")
    total_w, total_n = float(acc_wins.sum()), float(acc_n.sum())

    def diff(mask_w: NDArray[np.float64], mask_n: NDArray[np.float64]) -> NDArray[np.float64]:
        in_rate = np.divide(mask_w, mask_n, out=np.zeros_like(mask_w), where=mask_n > 0)
        out_n = total_n - mask_n
        out_rate = np.divide(total_w - mask_w, out_n, out=np.zeros_like(mask_w), where=out_n > 0)
        return np.asarray(in_rate - out_rate, dtype=np.float64)

    observed = diff(np.array([acc_wins[status].sum()]), np.array([acc_n[status].sum()]))[0]
    rng = np.random.default_rng(seed)
    batch = 500
    hits = 0
    done = 0
    while done < n:
        b = min(batch, n - done)
        keys = rng.random((b, m))
        chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
        w = acc_wins[chosen].sum(axis=1)
        nn = acc_n[chosen].sum(axis=1)
        hits += int((np.abs(diff(w, nn)) >= abs(observed) - 1e-12).sum())
        done += b
    return (hits + 1) / (n + 1)


def fit_logistic(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    weights: NDArray[np.float64] | None = None,
    l2: float = 1.0,
    iters: int = 50,
) -> tuple[float, NDArray[np.float64]]:
    """Returns intercept and coefficients of an L2-regularised logistic regression (Newton's method).

    The intercept is not penalised. `weights` lets identical rows be passed once with a count.
    """
    n, d = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    xa = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(d + 1)
    pen = np.full(d + 1, l2)
    pen[0] = 0.0
    for _ in range(iters):
        z = np.clip(xa @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = xa.T @ (w * (p - y)) + pen * beta
        h = (xa * (w * p * (1 - p))[:, None]).T @ xa + np.diag(pen) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(h, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return float(beta[0]), beta[1:]


def cluster_robust_se(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    intercept: float,
    coefs: NDArray[np.float64],
    clusters: NDArray[np.int64],
    *,
    l2: float = 0.0,
) -> NDArray[np.float64]:
    """Returns standard errors of the coefficients that allow for correlated rows within a cluster.

    The sandwich H⁻¹ B H⁻¹, with B summing each cluster's score outer product: deals of one account
    are not independent, and naive errors would call noise significant.
    """
    n, d = x.shape
    xa = np.hstack([np.ones((n, 1)), x])
    p = predict_logistic(intercept, coefs, x)
    pen = np.full(d + 1, l2)
    pen[0] = 0.0
    h = (xa * (p * (1 - p))[:, None]).T @ xa + np.diag(pen) + 1e-9 * np.eye(d + 1)
    scores = xa * (y - p)[:, None]
    _, inv = np.unique(clusters, return_inverse=True)
    per_cluster = np.zeros((int(inv.max()) + 1, d + 1))
    np.add.at(per_cluster, inv, scores)
    g = len(per_cluster)
    correction = g / (g - 1) if g > 1 else 1.0
    h_inv = np.linalg.inv(h)
    cov = correction * h_inv @ (per_cluster.T @ per_cluster) @ h_inv
    return np.asarray(np.sqrt(np.maximum(np.diag(cov)[1:], 0.0)), dtype=np.float64)


def predict_logistic(intercept: float, coefs: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Returns predicted probabilities."""
    z = np.clip(intercept + x @ coefs, -30, 30)
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def spearman(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Returns Spearman's rank correlation (average ranks for ties)."""
    if len(a) < 3:
        return float("nan")

    def ranks(v: NDArray[np.float64]) -> NDArray[np.float64]:
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=np.float64)
        _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=r)
        return np.asarray(sums[inv] / counts[inv], dtype=np.float64)

    ra, rb = ranks(np.asarray(a, dtype=np.float64)), ranks(np.asarray(b, dtype=np.float64))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])
