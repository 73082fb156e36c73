"""Win/loss validation of the active (or a given) ICP, and weight proposals, from stored opportunities.

Leakage guard: each opportunity is scored as of its creation date. Trigger events count only
when they were published before that date; CRM firmographics have no history, so they are the
current values, and the report says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from api.ops.profiles import build_profiles
from api.services import Services
from scoring.config import IcpConfig, builtin_icp_text
from scoring.domain import Outcome, Profile
from scoring.errors import ValidationDataError
from scoring.scorer import score_account
from scoring.validation import DECILES, STATUS_CODES, ValidationInput, ValidationReport, validate
from scoring.weights import WeightProposal, propose_weights
from store.accounts import list_accounts
from store.icps import active_icp
from store.opportunities import opportunity_facts


@dataclass
class LoadedHistory:
    """Closed opportunities scored as of their creation, plus what could not be used."""

    data: ValidationInput
    notes: dict[str, object]
    leakage: dict[str, object]


def _visible(profile: Profile, cutoff: date | None) -> Profile:
    if cutoff is None or not profile.events:
        return profile
    events = [e for e in profile.events if (e.published_at.date() if e.published_at else e.when or date.max) <= cutoff]
    return profile.model_copy(update={"events": events})


def load_history(svc: Services, *, config: IcpConfig) -> LoadedHistory:
    """Scores every closed opportunity's account as of the opportunity's creation date."""
    with svc.db.session() as s:
        opps = opportunity_facts(s, svc.workspace)
        accounts = {r.id: r for r in list_accounts(s, svc.workspace)}
        profiles = build_profiles(s, svc.workspace, list(accounts.values()))
    outcomes = Counter(o.outcome for o in opps)
    closed = [o for o in opps if o.outcome in (Outcome.WON.value, Outcome.LOST.value)]
    usable = [o for o in closed if o.account_id is not None and o.account_id in profiles]
    if not usable:
        raise ValidationDataError(
            "no closed (won or lost) opportunities linked to accounts: import accounts and opportunities first "
            "(icp accounts import, icp opportunities import)"
        )
    cache: dict[tuple[int, date | None], tuple[float, str, list[int]]] = {}
    scored_at = svc.clock()
    fits, tiers, statuses = [], [], []
    event_accounts = 0
    for o in usable:
        assert o.account_id is not None
        prof = profiles[o.account_id]
        as_of = o.created or o.closed or svc.today()
        key = (o.account_id, as_of if prof.events else None)
        if key not in cache:
            if prof.events:
                event_accounts += 1
            lg = score_account(_visible(prof, as_of), config=config, as_of=as_of, scored_at=scored_at)
            cache[key] = (lg.fit, lg.tier.value, [STATUS_CODES[line.status] for line in lg.lines])
        fit, tier, st = cache[key]
        fits.append(fit)
        tiers.append(tier)
        statuses.append(st)

    def arr(attr: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([np.nan if getattr(o, attr) is None else float(getattr(o, attr)) for o in usable])

    cycle = np.array(
        [np.nan if (o.created is None or o.closed is None) else float((o.closed - o.created).days) for o in usable]
    )
    data = ValidationInput(
        account=np.array([o.account_id for o in usable], dtype=np.int64),
        fit=np.array(fits, dtype=np.float64),
        tier=tiers,
        won=np.array([o.outcome == Outcome.WON.value for o in usable], dtype=bool),
        amount=arr("amount"),
        cycle_days=cycle,
        closed=[o.closed for o in usable],
        status=np.array(statuses, dtype=np.int8).reshape(len(usable), len(config.criteria)),
        segment=[o.segment for o in usable],
        acquisition_cost=arr("acquisition_cost") if any(o.acquisition_cost is not None for o in usable) else None,
        lifetime_value=arr("lifetime_value") if any(o.lifetime_value is not None for o in usable) else None,
    )
    dates = [o.closed for o in usable if o.closed]
    notes: dict[str, object] = {
        "opportunities": len(opps),
        "won": outcomes.get(Outcome.WON.value, 0),
        "lost": outcomes.get(Outcome.LOST.value, 0),
        "open_excluded": outcomes.get(Outcome.OPEN.value, 0),
        "closed_without_account": len(closed) - len(usable),
        "closed_used": len(usable),
        "accounts_with_closed_deals": len({o.account_id for o in usable}),
        "closed_from": str(min(dates)) if dates else None,
        "closed_to": str(max(dates)) if dates else None,
    }
    event_fields = sorted({c.id for c in config.criteria if c.field == "events"})
    current_fields = sorted({c.field for c in config.criteria if c.field != "events"})
    leakage: dict[str, object] = {
        "as_of": "each opportunity is scored as of its creation date",
        "as_of_criteria": event_fields,
        "current_fields": current_fields,
        "accounts_with_event_history": event_accounts,
        "note": (
            "Trigger events count only when published before the opportunity was created. "
            "Firmographic and other CRM fields have no history here, so their current values are used: "
            "if they changed because of a deal (for example headcount after an acquisition), the report may "
            "flatter those criteria."
        ),
    }
    return LoadedHistory(data=data, notes=notes, leakage=leakage)


def run_validation(
    svc: Services,
    *,
    config: IcpConfig | None = None,
    bands: list[float] | None = None,
    min_sample: int = 30,
    permutations: int = 2000,
    bootstrap: int = 1000,
) -> ValidationReport:
    """Validates an ICP (the active one by default) against the stored win/loss history."""
    if config is None:
        with svc.db.session() as s:
            config = active_icp(s, svc.workspace)[0]
    hist = load_history(svc, config=config)
    edges = bands or list(DECILES)
    return validate(
        hist.data,
        config=config,
        generated_at=svc.clock().isoformat(timespec="seconds"),
        bands=edges,
        min_sample=min_sample,
        permutations=permutations,
        bootstrap=bootstrap,
        data_notes=hist.notes,
        leakage=hist.leakage,
    )


def run_weight_proposal(
    svc: Services, *, config: IcpConfig | None = None, yaml_text: str | None = None, min_sample: int = 30
) -> WeightProposal:
    """Learns weights from the stored history and returns the proposal (nothing is applied)."""
    with svc.db.session() as s:
        active, row = active_icp(s, svc.workspace)
    cfg = config or active
    text = yaml_text or (row.yaml if row is not None and config is None else builtin_icp_text("default"))
    hist = load_history(svc, config=cfg)
    return propose_weights(hist.data, config=cfg, yaml_text=text, min_sample=min_sample, today=svc.today())


def today_iso(now: datetime) -> str:
    """Returns a date stamp for file names."""
    return now.strftime("%Y-%m-%d")
