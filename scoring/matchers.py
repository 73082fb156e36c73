"""Evaluation of one criterion against one profile: status, the values read and the evidence.

Unknown is not unmet: a field with no data gives `unknown`. A field recorded as known to be
empty (a CRM column that was present but blank: None, "", whitespace, [] or NaN) gives `unmet`
for text matchers and `unknown` for numeric ones (a blank revenue is no revenue figure).

How values compare, after both sides are put in canonical form (`canonical_value`):

- `one_of` / `equals` (text): the value, or any element of a list value, equals a listed value.
- `contains_any` / `contains_all`: a list value holds the listed values as elements; a text value
  holds them as whole words or phrases ("lean" is found in "lean manufacturing", not in "clean").
- `range` / `equals` (number): numbers, or strings such as "1,200"; anything else is unknown.
- `equals` (true/false): booleans, 1/0, and "true"/"yes"/"1", "false"/"no"/"0".

The columnar engine (`scoring.columnar`) reuses `scalar_matches`, `wanted_values`, `as_number`,
`truth_value` and `is_empty`, so both engines read every value the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import assert_never

from scoring.config import EVENT_FIELD, Criterion, Match
from scoring.domain import CriterionKind, Evidence, JsonValue, Profile, Status
from scoring.normalize import canonical_value, technology_families

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})


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


def is_empty(value: JsonValue) -> bool:
    """Returns True for a value recorded as blank: None, "", whitespace, [] or NaN."""
    if value is None or value == []:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def reads_number(match: Match) -> bool:
    """Returns True when a matcher compares numbers (range, or equals with a number)."""
    if match.range is not None:
        return True
    return match.equals is not None and not isinstance(match.equals, str | bool)


def empty_is_unknown(match: Match) -> bool:
    """Returns True when a known-empty value leaves the matcher unknown rather than unmet."""
    return reads_number(match) or isinstance(match.equals, bool)


def _evaluate_condition(criterion: Criterion, profile: Profile, *, as_of: date) -> Outcome:
    m = criterion.match
    name = criterion.field
    if name == EVENT_FIELD:
        return _evaluate_events(m, profile, as_of=as_of)
    pv = profile.fields.get(name)
    if pv is None:
        return Outcome(Status.UNKNOWN, reason=f"no data for {name}")
    evidence = list(pv.fact_ids) or [f"{pv.origin.value}:{name}"]
    quotes = list(pv.evidence)
    value = pv.value
    empty = is_empty(value)
    if m.exists is not None:
        present = (not empty) is m.exists
        return Outcome(Status.MET if present else Status.UNMET, [value], evidence, quotes)
    if empty:
        if empty_is_unknown(m):
            return Outcome(Status.UNKNOWN, reason=f"no data for {name}")
        return Outcome(Status.UNMET, [value], evidence, quotes, f"{name} is known to be empty")
    ok: bool
    if reads_number(m):
        num = as_number(value)
        if num is None:
            # a value that is not a number says nothing about the number asked for
            return Outcome(Status.UNKNOWN, [value], evidence, quotes, f"{name} is not a number")
        ok = number_matches(m, num)
    elif isinstance(m.equals, bool):
        ok = truth_value(value) is m.equals
    elif isinstance(value, list):
        ok = list_matches(criterion, frozenset(canonical_values(name, value)))
    else:
        ok = scalar_matches(criterion, canonical_value(name, str(value)))
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


def as_number(value: JsonValue) -> float | None:
    """Returns a value as a finite number (numeric strings such as "1,200" included), else None."""
    num: float
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        num = float(value)
    elif isinstance(value, str):
        try:
            num = float(value.replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return num if math.isfinite(num) else None


def number_matches(match: Match, num: float) -> bool:
    """Returns True when a number satisfies a range or numeric equals matcher."""
    if match.range is not None:
        lo, hi = match.range.min, match.range.max
        return (lo is None or num >= lo) and (hi is None or num <= hi)
    assert isinstance(match.equals, int | float) and not isinstance(match.equals, bool)
    return num == float(match.equals)


def truth_value(value: JsonValue) -> bool | None:
    """Returns a value read as true or false (booleans, 1/0, yes/no words), or None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        word = value.strip().casefold()
        return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None
    return None


# List fields whose elements are sentences ("our priority is operational efficiency"): a criterion
# matches a whole-word phrase of up to three words inside an element.
PHRASE_LIST_FIELDS = frozenset(
    {"priorities", "pains", "competitors", "relationships", "integration_requirements", "it_maturity"}
)
# List fields of products: a criterion naming a vendor family ("SAP") matches its products ("SAP S/4HANA").
FAMILY_LIST_FIELDS = frozenset({"technologies", "legacy_systems"})
_WORDS = re.compile(r"[^\W_]+(?:[-'./+][^\W_]+)*")


def canonical_values(field: str, value: JsonValue) -> list[str]:
    """Returns the canonical form of a value, or of each element of a list value.

    Elements of product lists also stand for their vendor families; elements of sentence lists
    also stand for each of their one- to three-word phrases. Both engines (row and columnar)
    read elements through this one function, so they agree.
    """
    items = value if isinstance(value, list) else [value]
    out = [canonical_value(field, str(v)) for v in items if v is not None and v != ""]
    if not isinstance(value, list):
        return out
    if field in FAMILY_LIST_FIELDS:
        return list(dict.fromkeys([*out, *(f for v in out for f in technology_families(v))]))
    if field in PHRASE_LIST_FIELDS:
        return list(dict.fromkeys([*out, *(g for v in out for g in _phrases(v))]))
    return out


@lru_cache(maxsize=65536)
def _phrases(text: str) -> tuple[str, ...]:
    words = _WORDS.findall(text.casefold())
    return tuple(" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1))


def wanted_values(criterion: Criterion) -> frozenset[str]:
    """Returns the values a text matcher looks for, in canonical form."""
    return _wanted(criterion.field, _listed(criterion.match))


def _listed(m: Match) -> tuple[str, ...]:
    for values in (m.one_of, m.contains_any, m.contains_all):
        if values is not None:
            return tuple(values)
    if isinstance(m.equals, str):
        return (m.equals,)
    raise ValueError(f"the {m.op} matcher lists no text values")


@lru_cache(maxsize=4096)
def _wanted(field: str, values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(canonical_value(field, v) for v in values)


def scalar_matches(criterion: Criterion, text: str) -> bool:
    """Returns True when one canonical text value satisfies a text matcher."""
    m = criterion.match
    wanted = wanted_values(criterion)
    if m.contains_any is not None:
        return any(contains_phrase(text, w) for w in wanted)
    if m.contains_all is not None:
        return all(contains_phrase(text, w) for w in wanted)
    return text in wanted


def list_matches(criterion: Criterion, elements: frozenset[str]) -> bool:
    """Returns True when the canonical elements of a list value satisfy a text matcher."""
    wanted = wanted_values(criterion)
    if criterion.match.contains_all is not None:
        return wanted <= elements
    return not wanted.isdisjoint(elements)


def contains_phrase(text: str, phrase: str) -> bool:
    """Returns True when a phrase occurs in a text as whole words."""
    return _phrase_pattern(phrase).search(text) is not None


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # word boundaries only where the phrase starts or ends with a word character, so "c++"
    # and ".net" still match at their edges
    head = r"(?<!\w)" if phrase[:1].isalnum() or phrase[:1] == "_" else ""
    tail = r"(?!\w)" if phrase[-1:].isalnum() or phrase[-1:] == "_" else ""
    return re.compile(head + re.escape(phrase) + tail)


def status_counts_as_known(status: Status) -> bool:
    """Returns True when a status rests on data (anything but unknown)."""
    match status:
        case Status.UNKNOWN:
            return False
        case Status.MET | Status.UNMET | Status.DISQUALIFIED:
            return True
        case _:
            assert_never(status)
