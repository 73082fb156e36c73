"""Merging facts into a profile, with provenance; deduplicating trigger events across outlets and days.

Per field the profile keeps the chosen value, every source behind it, the values it beat, and a
confidence computed from independent agreement and recency (never from a model's self-report):

    confidence = min(0.95, 0.5 + 0.2 × (independent agreeing sources − 1)) × recency
    recency    = 1.0 under 180 days old, 0.8 under two years, 0.6 beyond

CRM values count as one source with confidence 0.9 ("as entered"). Which origin wins is a
policy: by default the CRM for firmographics and the newest extracted value for the rest.

Money keeps its currency: $300M and ¥300M are different values, and when an extracted revenue
wins, its currency becomes the profile's `currency` (the CRM's revenue potential keeps the CRM's,
in `revenue_potential_currency`). `scoring.money` converts both before they are compared.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scoring.config import LIST_FIELDS
from scoring.domain import (
    Account,
    EventType,
    Evidence,
    Fact,
    FactKind,
    JsonValue,
    Origin,
    Profile,
    ProfileValue,
    TriggerEvent,
)
from scoring.money import CURRENCY_FIELD, POTENTIAL_CURRENCY_FIELD
from scoring.profiles import profile_from_account

FIRMOGRAPHIC_FIELDS = frozenset(
    {"industry", "revenue", "currency", "employees", "country", "city", "founded_year", "parent_company", "region"}
)
EVENT_WINDOW_DAYS = 10


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """Which origin wins per field: `crm_first` fields prefer the CRM, the rest the newest extracted value."""

    crm_first: frozenset[str] = FIRMOGRAPHIC_FIELDS

    def prefers_crm(self, field: str) -> bool:
        """Returns True when the CRM value wins for a field."""
        return field in self.crm_first


def recency_factor(observed: datetime | None, *, now: datetime) -> float:
    """Returns 1.0 for recent evidence, 0.8 under two years, 0.6 beyond (and for undated evidence)."""
    if observed is None:
        return 0.6
    age = (now - observed).days
    if age < 180:
        return 1.0
    if age < 730:
        return 0.8
    return 0.6


def _agreement(n_independent: int) -> float:
    return min(0.95, 0.5 + 0.2 * max(0, n_independent - 1))


def _key(value: JsonValue) -> str:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, dict):
        return str(sorted(value.items()))
    return str(value)


def _dated(fact: Fact) -> datetime | None:
    """Returns how old the evidence is: its publication date, else when the fact was observed."""
    if fact.evidence is not None and fact.evidence.published_at is not None:
        return fact.evidence.published_at
    return fact.observed_at


def _scalar(fact: Fact) -> JsonValue:
    v = fact.value
    if isinstance(v, dict) and "amount" in v:
        return v["amount"]  # type: ignore[no-any-return]
    if isinstance(v, dict) and "name" in v:
        return v["name"]  # type: ignore[no-any-return]
    return v


def _currency(fact: Fact) -> str | None:
    """Returns the currency of a money fact ({"amount", "currency"}), upper-cased, or None."""
    v = fact.value
    if isinstance(v, dict) and "amount" in v:
        cur = v.get("currency")
        if isinstance(cur, str) and cur.strip():
            return cur.strip().upper()
    return None


def _group_key(fact: Fact) -> str:
    """Returns what two facts must share to state the same value: $300M and ¥300M are different."""
    cur = _currency(fact)
    key = _key(_scalar(fact))
    return key if cur is None else f"{key} {cur}"


def _code(pv: ProfileValue | None) -> str | None:
    """Returns the currency code a profile value states, upper-cased, or None."""
    if pv is None or not isinstance(pv.value, str) or not pv.value.strip():
        return None
    return pv.value.strip().upper()


def _independent(facts: Sequence[Fact], clusters: dict[str, str]) -> int:
    """Counts independent sources: documents in the same near-duplicate cluster count once."""
    keys = set()
    for f in facts:
        doc = f.evidence.document_id if f.evidence else None
        keys.add(clusters.get(doc, doc) if doc else f"{f.origin}:{f.id}")
    return len(keys)


def merge_profile(
    account: Account,
    facts: Iterable[Fact],
    *,
    now: datetime,
    known_empty: frozenset[str] = frozenset(),
    policy: MergePolicy | None = None,
    clusters: dict[str, str] | None = None,
    monitored: bool = False,
) -> Profile:
    """Returns the account's profile: CRM fields and extracted facts merged, events deduplicated."""
    policy = policy or MergePolicy()
    clusters = clusters or {}
    base = profile_from_account(account, known_empty=known_empty)
    fields: dict[str, ProfileValue] = {}
    for name, pv in base.fields.items():
        pv.confidence = 0.9  # a fresh object from profile_from_account; "as entered" in the CRM
        fields[name] = pv
    by_field: dict[str, list[Fact]] = defaultdict(list)
    events: list[Fact] = []
    for f in facts:
        # stale facts still count: a failed refresh must not change a score (RELIABILITY.md L-4)
        if f.kind is FactKind.TRIGGER:
            events.append(f)
        elif f.kind is FactKind.PERSON:
            continue
        else:
            by_field[f.field].append(f)
    for name, fs in by_field.items():
        if name in LIST_FIELDS:
            fields[name] = _merge_list(name, fs, fields.get(name), now=now, clusters=clusters)
        elif name == "revenue":
            fields.update(_merge_revenue(fs, fields, policy=policy, now=now, clusters=clusters))
        else:
            fields[name] = _merge_scalar(name, fs, fields.get(name), policy=policy, now=now, clusters=clusters)[0]
        if name == "technologies":
            cats = sorted(
                {
                    str(f.value["category"])
                    for f in fs
                    if isinstance(f.value, dict) and f.value.get("category") not in (None, "other")
                }
            )
            if cats:
                fields["tech_categories"] = ProfileValue(value=list(cats), origin=fs[0].origin, confidence=0.7)
    return Profile(
        account_id=account.id, fields=fields, events=dedupe_events(events, clusters=clusters), monitored=monitored
    )


def _merge_revenue(
    facts: list[Fact],
    fields: dict[str, ProfileValue],
    *,
    policy: MergePolicy,
    now: datetime,
    clusters: dict[str, str],
) -> dict[str, ProfileValue]:
    """Returns revenue and, when the chosen amount comes with its own currency, the currency fields.

    The profile's `currency` is the currency of its revenue, so an extracted "$300 million" that
    wins brings USD with it. The CRM's revenue potential stays in the CRM's currency: when that
    is replaced, `revenue_potential_currency` keeps it (None when the CRM stated none).
    """
    crm_currency = _code(fields.get(CURRENCY_FIELD))
    chosen, behind = _merge_scalar(
        "revenue", facts, fields.get("revenue"), policy=policy, now=now, clusters=clusters, crm_currency=crm_currency
    )
    out = {"revenue": chosen}
    stated = next((c for f in behind if (c := _currency(f)) is not None), None)
    if stated is None or stated == crm_currency:
        return out
    out[CURRENCY_FIELD] = ProfileValue(
        value=stated,
        origin=behind[0].origin,
        evidence=chosen.evidence,
        fact_ids=chosen.fact_ids,
        confidence=chosen.confidence,
        conflicts=[crm_currency] if crm_currency else [],
        observed_at=chosen.observed_at,
    )
    potential = fields.get("revenue_potential")
    if potential is not None and potential.origin is Origin.CRM and POTENTIAL_CURRENCY_FIELD not in fields:
        out[POTENTIAL_CURRENCY_FIELD] = ProfileValue(value=crm_currency, origin=Origin.CRM, confidence=0.9)
    return out


def _merge_scalar(
    name: str,
    facts: list[Fact],
    crm: ProfileValue | None,
    *,
    policy: MergePolicy,
    now: datetime,
    clusters: dict[str, str],
    crm_currency: str | None = None,
) -> tuple[ProfileValue, list[Fact]]:
    """Returns the chosen value and the extracted facts behind it ([] when a CRM value beat them)."""
    groups: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        groups[_group_key(f)].append(f)

    def newest(fs: list[Fact]) -> datetime:
        return max((_dated(f) or datetime.min.replace(tzinfo=now.tzinfo)) for f in fs)

    ranked = sorted(groups.values(), key=lambda fs: (_independent(fs, clusters), newest(fs)), reverse=True)
    if name not in FIRMOGRAPHIC_FIELDS:
        ranked = sorted(groups.values(), key=lambda fs: (newest(fs), _independent(fs, clusters)), reverse=True)
    best = ranked[0]
    value = _scalar(best[0])
    others: list[JsonValue] = [_scalar(fs[0]) for fs in ranked[1:]]
    conf = _agreement(_independent(best, clusters)) * recency_factor(newest(best), now=now)
    extracted = ProfileValue(
        value=value,
        origin=best[0].origin,
        evidence=[f.evidence for f in best if f.evidence is not None],
        fact_ids=[f.id for f in best if f.id],
        confidence=round(conf, 3),
        conflicts=others,
        observed_at=newest(best),
    )
    if crm is None or crm.value is None:
        return extracted, best
    stated = _currency(best[0])
    same_currency = crm_currency is None or stated is None or crm_currency == stated
    if _key(crm.value) == _key(value) and same_currency:
        corroborated = crm.model_copy(
            update={
                "evidence": extracted.evidence,
                "fact_ids": extracted.fact_ids,
                "confidence": min(0.95, 0.9 + 0.05 * len(best)),
                "conflicts": others,
            }
        )
        return corroborated, best
    if policy.prefers_crm(name):
        return crm.model_copy(update={"conflicts": [value, *others]}), []
    return extracted.model_copy(update={"conflicts": [crm.value, *others]}), best


def _merge_list(
    name: str, facts: list[Fact], crm: ProfileValue | None, *, now: datetime, clusters: dict[str, str]
) -> ProfileValue:
    seen: dict[str, JsonValue] = {}
    if crm is not None and isinstance(crm.value, list):
        for v in crm.value:
            seen.setdefault(_key(v), v)
    for f in sorted(facts, key=lambda f: _dated(f) or now, reverse=True):
        v = _scalar(f)
        seen.setdefault(_key(v), v)
    newest = max((d for f in facts if (d := _dated(f)) is not None), default=None)
    conf = _agreement(_independent(facts, clusters)) * recency_factor(newest, now=now)
    return ProfileValue(
        value=list(seen.values()),
        origin=facts[0].origin,
        evidence=[f.evidence for f in facts if f.evidence is not None],
        fact_ids=[f.id for f in facts if f.id],
        confidence=round(conf, 3),
        observed_at=newest,
    )


# --- events --------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"the", "a", "an", "of", "and", "in", "to", "for", "its", "as", "new", "inc", "ltd", "group"})


def _tokens(*parts: Any) -> frozenset[str]:
    out: set[str] = set()
    for p in parts:
        if p:
            out.update(t for t in _WORD.findall(str(p).casefold()) if t not in _STOP and len(t) > 1)
    return frozenset(out)


def _salient(f: Fact) -> frozenset[str]:
    v = f.value if isinstance(f.value, dict) else {}
    return _tokens(v.get("person"), v.get("target"), v.get("acquirer"), v.get("location"), v.get("round"))


def _when(f: Fact) -> date | None:
    if f.event_date:
        return f.event_date
    if f.evidence and f.evidence.published_at:
        return f.evidence.published_at.date()
    return f.observed_at.date() if f.observed_at else None


def _same_event(a: Fact, b: Fact, clusters: dict[str, str]) -> bool:
    va = a.value if isinstance(a.value, dict) else {}
    vb = b.value if isinstance(b.value, dict) else {}
    if va.get("type") != vb.get("type"):
        return False
    da, db = _when(a), _when(b)
    if da and db and abs((da - db).days) > EVENT_WINDOW_DAYS:
        return False
    doc_a = a.evidence.document_id if a.evidence else None
    doc_b = b.evidence.document_id if b.evidence else None
    if doc_a and doc_b and clusters.get(doc_a, doc_a) == clusters.get(doc_b, doc_b):
        return True
    sa, sb = _salient(a), _salient(b)
    if sa and sb:
        return bool(sa & sb)
    amount_a, amount_b = va.get("amount"), vb.get("amount")
    if amount_a and amount_b:
        return abs(float(amount_a) - float(amount_b)) <= 0.05 * max(float(amount_a), float(amount_b))
    # nothing salient on either side: same type, close dates, overlapping summaries
    ta, tb = _tokens(va.get("summary")), _tokens(vb.get("summary"))
    return len(ta & tb) >= max(2, min(len(ta), len(tb)) // 2)


def materiality(event_type: EventType, value: dict[str, Any], *, sources: int) -> float:
    """Returns how much an event matters, 0..1, from its type, size and number of independent sources."""
    base = {
        EventType.FUNDING: 0.6,
        EventType.LEADERSHIP_CHANGE: 0.5,
        EventType.ACQUISITION: 0.8,
        EventType.EXPANSION: 0.7,
        EventType.LAYOFFS: 0.7,
        EventType.PARTNERSHIP: 0.4,
        EventType.PRODUCT_LAUNCH: 0.4,
        EventType.HIRING_SURGE: 0.5,
        EventType.IPO: 0.9,
    }[event_type]
    amount = value.get("amount")
    if isinstance(amount, int | float):
        if amount >= 50_000_000:
            base += 0.2
        elif amount >= 10_000_000:
            base += 0.1
    role = str(value.get("role") or "").casefold()
    if event_type is EventType.LEADERSHIP_CHANGE and re.search(
        r"\bchief\b|\bceo\b|\bcfo\b|\bcoo\b|\bcio\b|\bcto\b", role
    ):
        base += 0.3
    base += 0.05 * max(0, sources - 1)
    return round(min(1.0, base), 2)


def dedupe_events(facts: Sequence[Fact], *, clusters: dict[str, str] | None = None) -> list[TriggerEvent]:
    """Groups event facts reporting the same event (across outlets and days) into trigger events, newest first."""
    clusters = clusters or {}
    groups: list[list[Fact]] = []
    for f in sorted(facts, key=lambda f: (_when(f) or date.min, f.id or "")):
        for g in groups:
            if any(_same_event(f, other, clusters) for other in g):
                g.append(f)
                break
        else:
            groups.append([f])
    events = []
    for g in groups:
        lead = max(g, key=lambda f: (len(str(f.value)), f.id or ""))
        v: dict[str, Any] = dict(lead.value) if isinstance(lead.value, dict) else {"summary": str(lead.value)}
        etype = EventType(v.get("type", "funding"))
        dated = [f.event_date for f in g if f.event_date]
        published = [f.evidence.published_at for f in g if f.evidence and f.evidence.published_at]
        evidence: list[Evidence] = []
        seen_docs = set()
        for f in g:
            if f.evidence and f.evidence.document_id not in seen_docs:
                seen_docs.add(f.evidence.document_id)
                evidence.append(f.evidence)
        sources = _independent(g, clusters)
        people = [str(v[k]) for k in ("person",) if v.get(k)]
        events.append(
            TriggerEvent(
                type=etype,
                event_date=min(dated) if dated else None,
                published_at=min(published) if published else None,
                summary=str(v.get("summary") or etype.value),
                people=people,
                amount=float(v["amount"]) if isinstance(v.get("amount"), int | float) else None,
                currency=v.get("currency"),
                materiality=materiality(etype, v, sources=sources),
                evidence=evidence,
                fact_ids=[f.id for f in g if f.id],
            )
        )
    events.sort(key=lambda e: e.when or date.min, reverse=True)
    return events


def people_from_facts(facts: Iterable[Fact]) -> list[tuple[dict[str, Any], list[Evidence], Origin]]:
    """Returns the distinct people found in facts, with their evidence (by name)."""
    people: dict[str, tuple[dict[str, Any], list[Evidence], Origin]] = {}
    for f in facts:
        if f.kind is not FactKind.PERSON or not isinstance(f.value, dict):
            continue
        name = " ".join(str(f.value.get("name", "")).split())
        if not name:
            continue
        key = name.casefold()
        if key not in people:
            people[key] = (dict(f.value), [], f.origin)
        value, ev, _ = people[key]
        if not value.get("title") and f.value.get("title"):
            value["title"] = f.value["title"]
        if f.evidence:
            ev.append(f.evidence)
    return list(people.values())
