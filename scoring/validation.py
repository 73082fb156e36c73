"""Validating an ICP against win/loss history: per band, per tier, per criterion, overall.

Input is one row per closed opportunity with the fit, tier and criterion statuses its account
had when the opportunity was created (as far as history allows). Every figure carries its
sample size; the verdict says plainly when the evidence is weak, and when the score ranks
accounts backwards (higher fit, more losses).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from scoring.config import IcpConfig
from scoring.domain import Status, Tier
from scoring.stats import (
    Clustered,
    bootstrap_auc,
    fit_logistic,
    permutation_p_difference,
    permutation_tails,
    predict_logistic,
    require_count,
    spearman,
    wilson_interval,
)

STATUS_CODES: dict[Status, int] = {Status.MET: 0, Status.UNMET: 1, Status.UNKNOWN: 2, Status.DISQUALIFIED: 3}
DECILES: tuple[float, ...] = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


@dataclass
class ValidationInput:
    """Closed opportunities as arrays (one entry per opportunity)."""

    account: NDArray[np.int64]
    fit: NDArray[np.float64]
    tier: list[str]
    won: NDArray[np.bool_]
    amount: NDArray[np.float64]
    cycle_days: NDArray[np.float64]
    closed: list[date | None]
    status: NDArray[np.int8]  # (n, criteria) codes from STATUS_CODES
    segment: list[str | None] = field(default_factory=list)
    acquisition_cost: NDArray[np.float64] | None = None
    lifetime_value: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.fit)

    def subset(self, mask: NDArray[np.bool_]) -> ValidationInput:
        """Returns the rows where mask is true."""
        idx = np.flatnonzero(mask)
        return ValidationInput(
            account=self.account[idx],
            fit=self.fit[idx],
            tier=[self.tier[i] for i in idx],
            won=self.won[idx],
            amount=self.amount[idx],
            cycle_days=self.cycle_days[idx],
            closed=[self.closed[i] for i in idx],
            status=self.status[idx],
            segment=[self.segment[i] for i in idx] if self.segment else [],
            acquisition_cost=None if self.acquisition_cost is None else self.acquisition_cost[idx],
            lifetime_value=None if self.lifetime_value is None else self.lifetime_value[idx],
        )


class GroupStats(BaseModel):
    """Win rate, deal size and cycle length of one group of closed opportunities."""

    label: str
    lo: float | None = None
    hi: float | None = None
    n: int
    accounts: int
    wins: int
    win_rate: float | None
    ci_low: float | None
    ci_high: float | None
    lift: float | None
    avg_deal: float | None = Field(description="Mean amount of won deals.")
    median_deal: float | None
    median_cycle_days: float | None = Field(description="Median days from creation to close, closed deals.")
    few: bool = Field(description="True when the group is under the minimum sample size.")


class StatusStats(BaseModel):
    """One criterion status: how its deals went."""

    n: int
    accounts: int
    wins: int
    win_rate: float | None
    ci_low: float | None
    ci_high: float | None
    avg_deal: float | None
    avg_ltv: float | None = None


class CriterionStats(BaseModel):
    """Whether a criterion goes with winning, with counts, intervals and a test."""

    id: str
    label: str
    kind: str
    weight: float
    met: StatusStats
    unmet: StatusStats
    unknown: StatusStats
    difference: float | None = Field(description="Win rate when met minus when unmet.")
    p_value: float | None
    verdict: str


class CalibrationBin(BaseModel):
    """Predicted vs observed win rate in one bin of the fitted curve."""

    lo: float
    hi: float
    n: int
    predicted: float
    observed: float


class Overall(BaseModel):
    """Does the score separate wins from losses?"""

    closed: int
    won: int
    lost: int
    accounts: int
    base_win_rate: float
    base_ci_low: float
    base_ci_high: float
    auc: float | None
    auc_ci_low: float | None
    auc_ci_high: float | None
    p_value: float | None
    p_value_lower: float | None = Field(
        default=None, description="One-sided p-value of the opposite question: do higher-fit accounts lose more?"
    )
    permutations: int
    bootstrap: int
    unit: str = "account"
    band_trend: float | None = Field(description="Spearman correlation of band midpoint and win rate.")
    evidence: str = Field(description="strong, weak, none, or inverted (higher-fit accounts lose more often).")
    verdict: str


class SegmentCost(BaseModel):
    """Acquisition cost per segment."""

    segment: str
    n: int
    avg_acquisition_cost: float | None


class ValidationReport(BaseModel):
    """The whole validation report; the JSON carries the same numbers as the HTML."""

    icp_name: str
    icp_version: str
    generated_at: str
    data: dict[str, object]
    leakage: dict[str, object]
    overall: Overall
    bands: list[GroupStats]
    tiers: list[GroupStats]
    calibration: list[CalibrationBin]
    calibration_brier: float | None
    criteria: list[CriterionStats]
    acquisition_cost_per_segment: list[SegmentCost] | None
    notes: list[str]


def _median(v: NDArray[np.float64]) -> float | None:
    v = v[~np.isnan(v)]
    return None if len(v) == 0 else float(np.median(v))


def _mean(v: NDArray[np.float64]) -> float | None:
    v = v[~np.isnan(v)]
    return None if len(v) == 0 else float(v.mean())


def group_stats(
    data: ValidationInput,
    mask: NDArray[np.bool_],
    *,
    label: str,
    base: float,
    min_sample: int,
    lo: float | None = None,
    hi: float | None = None,
) -> GroupStats:
    """Returns the stats of the opportunities selected by mask."""
    n = int(mask.sum())
    wins = int(data.won[mask].sum())
    rate = wins / n if n else None
    ci = wilson_interval(wins, n) if n else (None, None)
    won_amounts = data.amount[mask & data.won]
    return GroupStats(
        label=label,
        lo=lo,
        hi=hi,
        n=n,
        accounts=len(np.unique(data.account[mask])) if n else 0,
        wins=wins,
        win_rate=rate,
        ci_low=ci[0],
        ci_high=ci[1],
        lift=(rate / base) if (rate is not None and base > 0) else None,
        avg_deal=_mean(won_amounts),
        median_deal=_median(won_amounts),
        median_cycle_days=_median(data.cycle_days[mask]),
        few=n < min_sample,
    )


def _status_stats(data: ValidationInput, mask: NDArray[np.bool_]) -> StatusStats:
    n = int(mask.sum())
    wins = int(data.won[mask].sum())
    ci = wilson_interval(wins, n) if n else (None, None)
    ltv = None
    if data.lifetime_value is not None:
        ltv = _mean(data.lifetime_value[mask & data.won])
    return StatusStats(
        n=n,
        accounts=len(np.unique(data.account[mask])) if n else 0,
        wins=wins,
        win_rate=wins / n if n else None,
        ci_low=ci[0],
        ci_high=ci[1],
        avg_deal=_mean(data.amount[mask & data.won]),
        avg_ltv=ltv,
    )


def _account_level(data: ValidationInput) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    codes, inv = np.unique(data.account, return_inverse=True)
    wins = np.bincount(inv, weights=data.won.astype(np.float64), minlength=len(codes)).astype(np.float64)
    n = np.bincount(inv, minlength=len(codes)).astype(np.float64)
    return inv.astype(np.int64), wins, n


def criterion_stats(
    data: ValidationInput, *, config: IcpConfig, min_sample: int, permutations: int, alpha: float = 0.01
) -> list[CriterionStats]:
    """Returns per-criterion win rates when met, unmet and unknown, with an account-level test."""
    inv, acc_wins, acc_n = _account_level(data)
    out = []
    for j, c in enumerate(config.criteria):
        col = data.status[:, j]
        met = col == STATUS_CODES[Status.MET]
        if c.kind.value == "disqualifier":
            met = col == STATUS_CODES[Status.DISQUALIFIED]
        unmet = col == STATUS_CODES[Status.UNMET]
        unknown = col == STATUS_CODES[Status.UNKNOWN]
        s_met, s_unmet, s_unknown = _status_stats(data, met), _status_stats(data, unmet), _status_stats(data, unknown)
        diff = None
        p = None
        if s_met.win_rate is not None and s_unmet.win_rate is not None:
            diff = s_met.win_rate - s_unmet.win_rate
        # account-level: an account counts as met when most of its known deals saw the criterion met
        known = met | unmet
        acc_met = np.bincount(inv[known], weights=met[known].astype(np.float64), minlength=len(acc_n))
        acc_known = np.bincount(inv[known], minlength=len(acc_n)).astype(np.float64)
        has = acc_known > 0
        few = min(s_met.n, s_unmet.n) < min_sample or min(s_met.accounts, s_unmet.accounts) < 3
        if not few and has.sum() >= 4:
            status_acc = (acc_met[has] / acc_known[has]) >= 0.5
            p = permutation_p_difference(status_acc, acc_wins[has], acc_n[has], n=permutations, seed=17 + j)
            if math.isnan(p):
                p = None
        if few:
            verdict = f"too few observations (fewer than {min_sample} deals or 3 accounts met or unmet)"
        elif p is not None and p < alpha and diff is not None and diff > 0:
            verdict = "predicts wins"
        elif p is not None and p < alpha and diff is not None and diff < 0:
            verdict = "predicts losses"
        elif p is not None and p < 0.05:
            verdict = "weak evidence"
        else:
            verdict = "no evidence it matters"
        out.append(
            CriterionStats(
                id=c.id,
                label=c.title,
                kind=c.kind.value,
                weight=c.weight,
                met=s_met,
                unmet=s_unmet,
                unknown=s_unknown,
                difference=diff,
                p_value=p,
                verdict=verdict,
            )
        )
    return out


def calibration(data: ValidationInput, *, bins: int = 10) -> tuple[list[CalibrationBin], float | None]:
    """Returns observed vs predicted win rates for a logistic curve fitted on fit %, and the Brier score."""
    if len(data) < 20 or data.won.all() or not data.won.any():
        return [], None
    x = (data.fit / 100.0)[:, None]
    b0, b = fit_logistic(x, data.won.astype(np.float64), l2=1e-3)
    p = predict_logistic(b0, b, x)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    out = []
    if len(edges) < 2:
        edges = np.array([p.min(), p.max() + 1e-12])
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    for k in range(len(edges) - 1):
        m = idx == k
        if not m.any():
            continue
        out.append(
            CalibrationBin(
                lo=float(edges[k]),
                hi=float(edges[k + 1]),
                n=int(m.sum()),
                predicted=float(p[m].mean()),
                observed=float(data.won[m].mean()),
            )
        )
    brier = float(((p - data.won) ** 2).mean())
    return out, brier


def verdict_for(
    auc: float | None,
    ci: tuple[float | None, float | None],
    p: float | None,
    n_acc: int,
    *,
    p_lower: float | None = None,
) -> tuple[str, str]:
    """Returns (evidence level, plain-language verdict): strong, weak, none, or inverted.

    `p` asks whether higher-fit accounts win more often, `p_lower` the opposite. A score whose
    AUC interval lies below 0.5, or that the lower tail calls significant, ranks backwards, and
    the verdict says so instead of calling it noise.
    """
    if auc is None or p is None:
        return "none", "Not enough closed deals on both sides (won and lost) to judge the score."
    lo, hi = ci
    interval = f"AUC {auc:.3f} (95% interval {lo:.3f}–{hi:.3f}, resampling {n_acc} accounts)"
    backwards = hi is not None and hi < 0.5
    if auc < 0.5 and (backwards or (p_lower is not None and p_lower < 0.01)):
        tail = f", one-sided p = {p_lower:.4f} for a score this far below 0.5" if p_lower is not None else ""
        return "inverted", (
            f"The score ranks accounts backwards: {interval}{tail}. Higher-fit accounts lose more often than "
            "lower-fit ones: the criteria point the wrong way. Do not prioritise by these tiers; review the "
            "criteria below, starting with those that predict losses."
        )
    span = f"{interval}, p = {p:.4f}"
    if p < 0.01 and lo is not None and lo > 0.5:
        return "strong", f"The score separates wins from losses: {span}. Higher-fit accounts win more often."
    if p < 0.05:
        return "weak", (
            f"Weak evidence that the score separates wins from losses: {span}. "
            "Treat the tiers as a working hypothesis and review the criteria below."
        )
    return "none", (
        f"No reliable evidence that the score separates wins from losses: {span}. "
        "Win rates barely move with fit; do not read tiers as win predictions until the criteria are refined."
    )


def validate(
    data: ValidationInput,
    *,
    config: IcpConfig,
    generated_at: str,
    bands: Sequence[float] = DECILES,
    min_sample: int = 30,
    permutations: int = 2000,
    bootstrap: int = 1000,
    data_notes: dict[str, object] | None = None,
    leakage: dict[str, object] | None = None,
    notes: Sequence[str] = (),
) -> ValidationReport:
    """Builds the validation report from closed opportunities.

    Raises ValidationDataError when a count (permutations, bootstrap, min_sample) is under 1.
    """
    require_count("permutations", permutations)
    require_count("bootstrap resamples", bootstrap)
    require_count("min_sample", min_sample)
    n = len(data)
    wins = int(data.won.sum())
    base = wins / n if n else 0.0
    base_ci = wilson_interval(wins, n)
    edges = sorted(set(bands))
    band_stats = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        mask = (data.fit >= lo) & ((data.fit <= hi) if last else (data.fit < hi))
        band_stats.append(
            group_stats(data, mask, label=f"{lo:g}–{hi:g}", base=base, min_sample=min_sample, lo=lo, hi=hi)
        )
    tier_arr = np.array(data.tier, dtype=object)
    tier_stats = [group_stats(data, tier_arr == t.value, label=t.value, base=base, min_sample=min_sample) for t in Tier]
    auc_v: float | None = None
    ci: tuple[float | None, float | None] = (None, None)
    p: float | None = None
    p_lower: float | None = None
    n_acc = len(np.unique(data.account)) if n else 0
    if 0 < wins < n:
        clustered = Clustered.build(data.fit, data.won, data.account)
        auc_v = clustered.auc()
        ci = bootstrap_auc(clustered, n=bootstrap)
        p, p_lower = permutation_tails(clustered, auc_v, n=permutations)
    usable = [b for b in band_stats if b.n >= min_sample and b.win_rate is not None]
    trend = None
    if len(usable) >= 3:
        mids = np.array([((b.lo or 0) + (b.hi or 0)) / 2 for b in usable])
        rates = np.array([b.win_rate for b in usable], dtype=np.float64)
        t = spearman(mids, rates)
        trend = None if math.isnan(t) else t
    evidence, verdict = verdict_for(auc_v, ci, p, n_acc, p_lower=p_lower)
    cal, brier = calibration(data)
    segs = None
    if data.acquisition_cost is not None and data.segment and any(s for s in data.segment):
        seg_arr = np.array([s or "(none)" for s in data.segment], dtype=object)
        segs = [
            SegmentCost(
                segment=str(s),
                n=int((seg_arr == s).sum()),
                avg_acquisition_cost=_mean(data.acquisition_cost[seg_arr == s]),
            )
            for s in sorted(set(seg_arr.tolist()))
        ]
    return ValidationReport(
        icp_name=config.name,
        icp_version=config.version,
        generated_at=generated_at,
        data=data_notes or {},
        leakage=leakage or {},
        overall=Overall(
            closed=n,
            won=wins,
            lost=n - wins,
            accounts=n_acc,
            base_win_rate=base,
            base_ci_low=base_ci[0],
            base_ci_high=base_ci[1],
            auc=auc_v,
            auc_ci_low=ci[0],
            auc_ci_high=ci[1],
            p_value=p,
            p_value_lower=p_lower,
            permutations=permutations,
            bootstrap=bootstrap,
            band_trend=trend,
            evidence=evidence,
            verdict=verdict,
        ),
        bands=band_stats,
        tiers=tier_stats,
        calibration=cal,
        calibration_brier=brier,
        criteria=criterion_stats(data, config=config, min_sample=min_sample, permutations=permutations),
        acquisition_cost_per_segment=segs,
        notes=list(notes),
    )
