"""Evaluation of one criterion against one profile: status, the values read and the evidence.

Unknown is not unmet: a field with no data gives `unknown`. A field recorded as known to be
empty (a CRM column that was present but blank) gives `unmet`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import assert_never

from scoring.config import EVENT_FIELD, Criterion, Match
from scoring.domain import CriterionKind, Evidence, JsonValue, Profile, Status
from scoring.normalize import canonical_value


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a criterion found: its status, the values it read, evidence ids and quotes."""

    status: Status
    values: list[JsonValue] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    quotes: list[Evidence] = field(default_factory=list)
    reason: str = ""


def evaluate_criterion(criterion: Criterion, profile: Profile, *, as_of: date) -> Outcome:
    """Evaluates a criterion on a profile as of a date."""
    raw = _evaluate_condition(criterion, profile, as_of=as_of)
    if criterion.kind is CriterionKind.DISQUALIFIER and raw.status is Status.MET:
        return Outcome(Status.DISQUALIFIED, raw.values, raw.evidence, raw.quotes, raw.reason)
    return raw


def _evaluate_condition(criterion: Criterion, profile: Profile, *, as_of: date) -> Outcome:
    m = criterion.match
    if criterion.field == EVENT_FIELD:
        return _evaluate_events(m, profile, as_of=as_of)
    pv = profile.fields.get(criterion.field)
    if pv is None:
        return Outcome(Status.UNKNOWN, reason=f"no data for {criterion.field}")
    evidence = list(pv.fact_ids) or [f"{pv.origin.value}:{criterion.field}"]
    quotes = list(pv.evidence)
    value = pv.value
    empty = value is None or value == "" or value == []
    if m.exists is not None:
        present = (not empty) is m.exists
        return Outcome(Status.MET if present else Status.UNMET, [value], evidence, quotes)
    if empty:
        if m.range is not None or (m.equals is not None and not isinstance(m.equals, str)):
            return Outcome(Status.UNKNOWN, reason=f"no data for {criterion.field}")
        return Outcome(Status.UNMET, [value], evidence, quotes, f"{criterion.field} is known to be empty")
    ok: bool
    if m.range is not None:
        num = _as_number(value)
        if num is None:
            return Outcome(Status.UNKNOWN, [value], evidence, quotes, f"{value!r} is not a number")
        ok = (m.range.min is None or num >= m.range.min) and (m.range.max is None or num <= m.range.max)
    elif m.equals is not None:
        ok = _equals(criterion.field, value, m.equals)
    elif m.one_of is not None:
        wanted = _canon_set(criterion.field, tuple(m.one_of))
        ok = any(v in wanted for v in _canon_values(criterion.field, value))
    elif m.contains_any is not None or m.contains_all is not None:
        ok = _contains(criterion.field, value, m)
    else:  # pragma: no cover - Match validation guarantees one matcher
        raise AssertionError(f"unhandled matcher {m.op}")
    return Outcome(Status.MET if ok else Status.UNMET, [value], evidence, quotes)


def _evaluate_events(m: Match, profile: Profile, *, as_of: date) -> Outcome:
    if m.exists is not None:
        found = bool(profile.events)
        if not found and not profile.monitored:
            return Outcome(Status.UNKNOWN, reason="the account's news is not monitored")
        return Outcome(Status.MET if found is m.exists else Status.UNMET)
    recent = m.recent
    assert recent is not None
    wanted = set(recent.event)
    hits = []
    for ev in profile.events:
        when = ev.when
        if ev.type not in wanted or when is None or ev.materiality < recent.min_materiality:
            continue
        age = (as_of - when).days
        if 0 <= age <= recent.within_days:
            hits.append(ev)
    if hits:
        hits.sort(key=lambda e: e.when or date.min, reverse=True)
        values: list[JsonValue] = [f"{e.type.value} on {e.when}: {e.summary}" for e in hits]
        evidence = [fid for e in hits for fid in e.fact_ids] or [q.document_id for e in hits for q in e.evidence]
        quotes = [q for e in hits for q in e.evidence]
        return Outcome(Status.MET, values, evidence, quotes)
    if not profile.monitored:
        return Outcome(Status.UNKNOWN, reason="the account's news is not monitored")
    return Outcome(Status.UNMET, reason=f"no matching event in the last {recent.within_days} days")


def _as_number(value: JsonValue) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _equals(field: str, value: JsonValue, wanted: str | float | bool) -> bool:
    if isinstance(wanted, bool):
        if isinstance(value, str):
            return value.strip().casefold() in ({"true", "yes", "1"} if wanted else {"false", "no", "0"})
        return value is wanted or value == wanted
    if isinstance(wanted, int | float):
        num = _as_number(value)
        return num is not None and num == float(wanted)
    return any(v == canonical_value(field, wanted) for v in _canon_values(field, value))


@lru_cache(maxsize=4096)
def _canon_set(field: str, values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(canonical_value(field, v) for v in values)


def _canon_values(field: str, value: JsonValue) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [canonical_value(field, str(v)) for v in items if v is not None and v != ""]


def _contains(field: str, value: JsonValue, m: Match) -> bool:
    wanted = m.contains_any if m.contains_any is not None else m.contains_all
    assert wanted is not None
    if isinstance(value, list):
        have = set(_canon_values(field, value))

        def present(item: str) -> bool:
            return canonical_value(field, item) in have
    else:
        text = canonical_value(field, str(value))

        def present(item: str) -> bool:
            return canonical_value(field, item) in text

    if m.contains_any is not None:
        return any(present(i) for i in wanted)
    return all(present(i) for i in wanted)


def status_counts_as_known(status: Status) -> bool:
    """Returns True when a status rests on data (anything but unknown)."""
    match status:
        case Status.UNKNOWN:
            return False
        case Status.MET | Status.UNMET | Status.DISQUALIFIED:
            return True
        case _:
            assert_never(status)
