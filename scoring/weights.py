"""Weight proposals learned from closed deals: L2 logistic regression on a time-based split.

Each scoring criterion is one feature (1 met, 0 unmet, the training share for unknown). Criteria
whose effect stands out from noise (z ≥ 1.96, standard errors clustered by account) share the
learned criteria's current weight in proportion to their coefficients; the others get 0, with
the reason. When no effect stands out, every weight is kept: the data cannot support a change.
Criteria with too few observations keep their weight. Proposals are written to a new ICP file
and never applied silently.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import yaml
from numpy.typing import NDArray

from scoring.config import IcpConfig, load_icp_text
from scoring.domain import CriterionKind, Status
from scoring.errors import ValidationDataError
from scoring.stats import auc, cluster_robust_se, fit_logistic, require_count, wilson_interval
from scoring.validation import DECILES, STATUS_CODES, ValidationInput

Z_EVIDENT = 1.96


@dataclass
class ProposedWeight:
    """Old and proposed weight of one criterion, with the evidence behind it."""

    id: str
    label: str
    kind: str
    old: float
    new: float
    coefficient: float | None
    n_met: int
    n_unmet: int
    note: str = ""


@dataclass
class BandCompare:
    """Win rate of one fit band in the test period under the old and the proposed weights."""

    label: str
    old_n: int
    old_win_rate: float | None
    new_n: int
    new_win_rate: float | None


@dataclass
class WeightProposal:
    """A proposal: weights side by side, test-period AUC and band win rates, and the new ICP file."""

    criteria: list[ProposedWeight]
    train_n: int
    test_n: int
    train_period: tuple[date | None, date | None]
    test_period: tuple[date | None, date | None]
    auc_old: float | None
    auc_new: float | None
    bands: list[BandCompare] = field(default_factory=list)
    yaml_text: str = ""
    version: str = ""

    def as_dict(self) -> dict[str, object]:
        """Returns the proposal as JSON-able data (without the YAML text)."""
        return {
            "criteria": [c.__dict__ for c in self.criteria],
            "train_n": self.train_n,
            "test_n": self.test_n,
            "train_period": [str(d) if d else None for d in self.train_period],
            "test_period": [str(d) if d else None for d in self.test_period],
            "auc_old": self.auc_old,
            "auc_new": self.auc_new,
            "bands": [b.__dict__ for b in self.bands],
            "version": self.version,
        }


def _features(status: NDArray[np.int8], fill: NDArray[np.float64]) -> NDArray[np.float64]:
    met = (status == STATUS_CODES[Status.MET]).astype(np.float64)
    unknown = status == STATUS_CODES[Status.UNKNOWN]
    return np.where(unknown, fill[None, :], met)


def _fit_from(status: NDArray[np.int8], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    met = (status == STATUS_CODES[Status.MET]).astype(np.float64)
    total = float(weights.sum())
    return np.asarray(100.0 * (met @ weights) / total if total > 0 else np.zeros(len(status)), dtype=np.float64)


def propose_weights(
    data: ValidationInput,
    *,
    config: IcpConfig,
    yaml_text: str,
    train_share: float = 0.7,
    l2: float = 1.0,
    min_sample: int = 30,
    today: date | None = None,
) -> WeightProposal:
    """Learns weights on the older deals and compares old and new weights on the newer ones.

    Raises ValidationDataError when there are too few closed deals or an option is out of range.
    """
    require_count("min_sample", min_sample)
    if not 0 < train_share < 1:
        raise ValidationDataError(f"train_share must be between 0 and 1 (exclusive), not {train_share:g}")
    n = len(data)
    if n < 2 * min_sample:
        raise ValidationDataError(
            f"{n} closed deals are too few to learn weights (need at least {2 * min_sample}): "
            "import more won and lost opportunities, or lower min_sample"
        )
    order = sorted(range(n), key=lambda i: (data.closed[i] or date.min, i))
    cut = round(n * train_share)
    train_idx, test_idx = np.array(order[:cut]), np.array(order[cut:])
    scoring = [j for j, c in enumerate(config.criteria) if c.kind is not CriterionKind.DISQUALIFIER]
    st_train = data.status[train_idx][:, scoring]
    st_test = data.status[test_idx][:, scoring]
    y = data.won[train_idx].astype(np.float64)
    known = st_train != STATUS_CODES[Status.UNKNOWN]
    met = st_train == STATUS_CODES[Status.MET]
    fill = np.divide(met.sum(0), known.sum(0), out=np.zeros(len(scoring)), where=known.sum(0) > 0)
    x = _features(st_train, fill)
    usable = [
        k for k in range(len(scoring)) if min(int(met[:, k].sum()), int((known[:, k] & ~met[:, k]).sum())) >= min_sample
    ]
    coefs = np.full(len(scoring), np.nan)
    zs = np.full(len(scoring), np.nan)
    if usable:
        # identical rows are common (one status pattern per account): fit on unique rows with counts
        xu = np.hstack([x[:, usable], y[:, None]])
        uniq, counts = np.unique(xu, axis=0, return_counts=True)
        b0, b = fit_logistic(uniq[:, :-1], uniq[:, -1], weights=counts.astype(np.float64), l2=l2)
        coefs[usable] = b
        se = cluster_robust_se(x[:, usable], y, b0, b, data.account[train_idx], l2=l2)
        zs[usable] = np.divide(b, se, out=np.zeros_like(b), where=se > 0)
    old = np.array([config.criteria[j].weight for j in scoring], dtype=np.float64)
    new = old.copy()
    learned = list(usable)
    # only effects the data can tell from noise move a weight (z at least 1.96, errors clustered by
    # account); everything else a proposal would change would be chasing noise
    evident = [k for k in learned if zs[k] >= Z_EVIDENT]
    if evident:
        free = float(sum(old[k] for k in learned))
        total = float(sum(coefs[k] for k in evident))
        for k in learned:
            new[k] = round(free * coefs[k] / total) if k in evident else 0.0
    proposed = []
    for k, j in enumerate(scoring):
        c = config.criteria[j]
        n_met = int(met[:, k].sum())
        n_unmet = int((known[:, k] & ~met[:, k]).sum())
        z = zs[k]
        if k not in learned:
            note = f"too few observations (met {n_met}, unmet {n_unmet}; need {min_sample} each): kept"
        elif not evident:
            note = f"no criterion's effect stands out from noise (this one: z {z:+.2f}): kept"
        elif k in evident:
            note = f"odds of winning ×{np.exp(coefs[k]):.2f} when met (z {z:+.2f})"
        elif z <= -Z_EVIDENT:
            note = f"goes with losing (z {z:+.2f}): weight 0 proposed; consider a disqualifier"
        else:
            note = f"no effect distinguishable from noise (z {z:+.2f}): weight 0 proposed"
        proposed.append(
            ProposedWeight(
                id=c.id,
                label=c.title,
                kind=c.kind.value,
                old=float(old[k]),
                new=float(new[k]),
                coefficient=None if np.isnan(coefs[k]) else float(coefs[k]),
                n_met=n_met,
                n_unmet=n_unmet,
                note=note,
            )
        )
    won_test = data.won[test_idx]
    fit_old = _fit_from(st_test, old)
    fit_new = _fit_from(st_test, new)
    both = 0 < int(won_test.sum()) < len(won_test)
    auc_old = auc(fit_old, won_test) if both else None
    auc_new = auc(fit_new, won_test) if both else None
    bands = []
    for i, (lo, hi) in enumerate(itertools.pairwise(DECILES)):
        last = i == len(DECILES) - 2

        def sel(f: NDArray[np.float64], lo: float = lo, hi: float = hi, last: bool = last) -> NDArray[np.bool_]:
            return np.asarray((f >= lo) & ((f <= hi) if last else (f < hi)), dtype=np.bool_)

        mo, mn = sel(fit_old), sel(fit_new)
        bands.append(
            BandCompare(
                label=f"{lo:g}–{hi:g}",
                old_n=int(mo.sum()),
                old_win_rate=float(won_test[mo].mean()) if mo.any() else None,
                new_n=int(mn.sum()),
                new_win_rate=float(won_test[mn].mean()) if mn.any() else None,
            )
        )
    closed_train = [data.closed[i] for i in train_idx if data.closed[i]]
    closed_test = [data.closed[i] for i in test_idx if data.closed[i]]
    header = (
        f"# Proposed by `icp weights propose` on {today or date.today()} from {len(train_idx)} older closed deals;\n"
        f"# compared on {len(test_idx)} newer ones: AUC {_fmt(auc_old)} (current) vs {_fmt(auc_new)} (proposed).\n"
        "# Review it, then: icp config apply <this file>\n"
    )
    text = header + rewrite_weights(yaml_text, {p.id: p.new for p in proposed if p.new != p.old})
    return WeightProposal(
        criteria=proposed,
        train_n=len(train_idx),
        test_n=len(test_idx),
        train_period=(min(closed_train, default=None), max(closed_train, default=None)),
        test_period=(min(closed_test, default=None), max(closed_test, default=None)),
        auc_old=auc_old,
        auc_new=auc_new,
        bands=bands,
        yaml_text=text,
        version=load_icp_text(text, source="proposal").version,
    )


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def rewrite_weights(yaml_text: str, weights: dict[str, float]) -> str:
    """Returns the ICP YAML with the given criteria's weights replaced, comments and layout kept."""
    root = yaml.compose(yaml_text)
    edits: list[tuple[int, int, str]] = []
    if not isinstance(root, yaml.MappingNode):
        return yaml_text
    crit_node = next((v for k, v in root.value if getattr(k, "value", None) == "criteria"), None)
    if not isinstance(crit_node, yaml.SequenceNode):
        return yaml_text
    for item in crit_node.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        fields = {getattr(k, "value", None): (k, v) for k, v in item.value}
        cid = fields.get("id", (None, None))[1]
        cid_value = getattr(cid, "value", None)
        if cid_value not in weights:
            continue
        new = f"{weights[cid_value]:g}"
        if "weight" in fields:
            v = fields["weight"][1]
            edits.append((v.start_mark.index, v.end_mark.index, new))
        elif "kind" in fields:
            k = fields["kind"][1]
            indent = " " * fields["kind"][0].start_mark.column
            flow = item.flow_style
            insert = f", weight: {new}" if flow else f"\n{indent}weight: {new}"
            edits.append((k.end_mark.index, k.end_mark.index, insert))
    for start, end, text in sorted(edits, reverse=True):
        yaml_text = yaml_text[:start] + text + yaml_text[end:]
    return yaml_text


def band_win_rate(won: NDArray[np.bool_]) -> tuple[float | None, tuple[float, float]]:
    """Returns a win rate and its Wilson interval."""
    n = len(won)
    w = int(won.sum())
    return (w / n if n else None), wilson_interval(w, n)
