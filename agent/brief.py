"""Research briefs: what a rep reads before outreach, every claim cited, every section dated.

Sections: firmographics, technology footprint, recent triggers, strategic priorities, competitive
situation, existing relationships and stakeholders; then a suggested angle (templated from the
strongest met criteria, the newest buying signal and a stated priority or pain) and open questions
(from unknown criteria and empty sections). Each section's freshness is its newest evidence date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.answers import Answer, Citation
from agent.citations import CitationBuilder, inline_quote
from agent.stakeholders import ROLE_LABEL, ROLES, StakeholderMap, map_stakeholders
from agent.tools import (
    MATERIAL,
    AccountNotResolved,
    AgentContext,
    active_config,
    find_account,
    not_resolved_answer,
)
from agent.whytier import event_text
from scoring.config import IcpConfig
from scoring.domain import (
    Account,
    CriterionKind,
    Evidence,
    Fact,
    FactKind,
    JsonValue,
    Ledger,
    Origin,
    Profile,
    ProfileValue,
    Status,
    TriggerEvent,
)
from scoring.merge import merge_profile
from store.accounts import account_from_row, get_account
from store.db import Database
from store.facts import document_clusters, list_facts
from store.models import OpportunityRow
from store.scores import get_ledger

TRIGGER_LIMIT = 8
_FIRMO = (
    ("industry", "Industry"),
    ("revenue", "Revenue"),
    ("employees", "Employees"),
    ("country", "Country"),
    ("region", "Region"),
    ("city", "City"),
    ("founded_year", "Founded"),
    ("parent_company", "Parent company"),
    ("structure", "Structure"),
    ("growth_stage", "Growth stage"),
)
_TECH = (
    ("technologies", "Technologies"),
    ("tech_categories", "Categories"),
    ("cloud_orientation", "Cloud orientation"),
    ("legacy_systems", "Legacy systems"),
    ("it_maturity", "IT maturity"),
    ("integration_requirements", "Integration requirements"),
)
_QUESTIONS = {
    "industry": "Which industry are they in?",
    "revenue": "What is their annual revenue?",
    "employees": "How many employees do they have?",
    "structure": "Do they run several sites or subsidiaries?",
    "country": "Where are they headquartered?",
    "technologies": "Which ERP and core systems do they run?",
    "cloud_orientation": "Is their IT cloud, hybrid or on-premise?",
    "priorities": "What are their stated priorities?",
    "pains": "What pains do they talk about?",
    "competitors": "Which vendors do they use or evaluate?",
    "relationships": "Do we have existing relationships there?",
    "events": "Any recent trigger (expansion, funding, new leadership)?",
}
_SECTION_QUESTIONS = {
    "firmographics": "What are their basic firmographics (industry, size, location)?",
    "technology": "Which systems do they run?",
    "triggers": "Has anything changed recently (expansion, funding, new leadership)?",
    "priorities": "What are their stated priorities and pains?",
    "competition": "Which vendors do they use or evaluate?",
    "relationships": "Does anyone on the team know them, or have we sold to them before?",
    "stakeholders": "Who are the people to talk to?",
}


class BriefClaim(BaseModel):
    """One statement in a brief, with the citation numbers behind it and where it came from."""

    text: str
    citations: list[int] = Field(default_factory=list)
    origin: str | None = None
    as_of: date | None = None


class BriefSection(BaseModel):
    """A titled group of claims; `freshness` is the newest evidence date in it (None: no dated evidence)."""

    key: str
    title: str
    claims: list[BriefClaim] = Field(default_factory=list)
    freshness: date | None = None

    @property
    def freshness_text(self) -> str:
        """Returns the freshness as shown: a date, 'undated' or 'no data'."""
        if not self.claims:
            return "no data"
        return self.freshness.isoformat() if self.freshness else "undated"


class Brief(BaseModel):
    """A research brief of one account: sections, a suggested angle, open questions and sources."""

    account_id: int
    account_name: str
    domain: str | None = None
    generated_at: datetime
    tier: str | None = None
    fit: float | None = None
    coverage: float | None = None
    icp_version: str | None = None
    sections: list[BriefSection] = Field(default_factory=list)
    angle: str = ""
    angle_citations: list[int] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)

    def section(self, key: str) -> BriefSection:
        """Returns one section by key."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def to_markdown(self, *, sources: bool = True) -> str:
        """Returns the brief as markdown, with [n] markers and (optionally) the numbered sources."""
        head = [self.domain or "no domain"]
        if self.tier is not None and self.fit is not None and self.coverage is not None:
            head.append(f"{self.tier} · fit {self.fit:.1f}% · coverage {self.coverage:.0f}%")
        else:
            head.append("not scored yet")
        head.append(f"generated {self.generated_at:%Y-%m-%d}")
        out = [f"# Research brief: {self.account_name}", "", " · ".join(head), ""]
        for s in self.sections:
            out += [f"## {s.title}", f"_Freshness: {s.freshness_text}_", ""]
            out += [f"- {_claim_text(c)}" for c in s.claims] or ["- No data."]
            out.append("")
        out += ["## Suggested angle", self.angle + _markers(self.angle_citations), ""]
        out += ["## Open questions"]
        out += [f"- {q}" for q in self.open_questions] or ["- None."]
        if sources and self.citations:
            out += ["", "## Sources"]
            for c in self.citations:
                when = f" ({c.published_at:%Y-%m-%d})" if c.published_at else ""
                where = f" — {c.url}" if c.url else ""
                out.append(f"[{c.n}] {_safe(c.title or 'source')}{where} — “{inline_quote(c.quote, limit=300)}”{when}")
        return "\n".join(out).rstrip() + "\n"

    def to_answer(self) -> Answer:
        """Returns the brief as an answer (markdown text without the source list; citations beside it)."""
        return Answer(
            text=self.to_markdown(sources=False),
            intent="brief",
            citations=list(self.citations),
            account_id=self.account_id,
            account_name=self.account_name,
            missing=list(self.open_questions),
            data=self.model_dump(mode="json"),
        )


def _safe(text: str) -> str:
    return " ".join(str(text).split()).replace("[", "(").replace("]", ")")


def _markers(numbers: Sequence[int]) -> str:
    return (" " + "".join(f"[{n}]" for n in numbers)) if numbers else ""


def _claim_text(claim: BriefClaim) -> str:
    return claim.text + _markers(claim.citations)


def _scalar(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return value.get("amount", value.get("name", value.get("value")))
    return value


def _key(value: JsonValue) -> str:
    return " ".join(str(_scalar(value)).split()).casefold()


def _fmt(value: JsonValue, *, grouped: bool = True) -> str:
    v = _scalar(value)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return f"{v:,}" if grouped else str(v)
    return _safe(str(v))


class _Sources:
    """Evidence per (field, value) from the account's facts, for citing list items and conflicts."""

    def __init__(self, facts: Sequence[Fact], crm_as_of: date | None) -> None:
        self.crm_as_of = crm_as_of
        self.by_value: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
        for f in facts:
            if f.evidence is not None and not f.stale:
                self.by_value[(f.field, _key(f.value))].append(f.evidence)

    def evidence(self, field: str, value: JsonValue) -> list[Evidence]:
        """Returns the evidence behind one value of a field."""
        return self.by_value.get((field, _key(value)), [])


def _newest(evidence: Sequence[Evidence]) -> date | None:
    dates = [e.published_at.date() for e in evidence if e.published_at]
    return max(dates) if dates else None


def _claim(
    text: str, evidence: Sequence[Evidence], cites: CitationBuilder, *, origin: Origin | None, as_of: date | None
) -> BriefClaim:
    numbers = cites.numbers(evidence) if evidence else []
    return BriefClaim(
        text=text,
        citations=numbers,
        origin=origin.value if origin else None,
        as_of=_newest(evidence) or as_of,
    )


def _section(key: str, title: str, claims: list[BriefClaim]) -> BriefSection:
    dates = [c.as_of for c in claims if c.as_of]
    return BriefSection(key=key, title=title, claims=claims, freshness=max(dates) if dates else None)


def _field_claims(
    fields: Sequence[tuple[str, str]], profile: Profile, src: _Sources, cites: CitationBuilder
) -> list[BriefClaim]:
    claims = []
    for name, label in fields:
        pv = profile.fields.get(name)
        if pv is None or pv.value in (None, "", []):
            continue
        claims.extend(_value_claims(name, label, pv, profile, src, cites))
    return claims


def _value_claims(
    name: str, label: str, pv: ProfileValue, profile: Profile, src: _Sources, cites: CitationBuilder
) -> list[BriefClaim]:
    crm_date = src.crm_as_of if pv.origin is Origin.CRM else None
    if isinstance(pv.value, list):
        out = []
        for item in pv.value:
            ev = src.evidence(name, item)
            out.append(_claim(f"{label}: {_fmt(item)}", ev, cites, origin=pv.origin, as_of=None if ev else crm_date))
        return out
    shown = _fmt(pv.value, grouped=name != "founded_year")
    if name == "revenue" and profile.value("currency"):
        shown += f" {profile.value('currency')}"
    text = f"{label}: {shown} ({pv.origin.value})"
    evidence = list(pv.evidence)
    if pv.conflicts:
        others = []
        for other in pv.conflicts[:3]:
            ev = src.evidence(name, other)
            evidence.extend(ev[:1])
            others.append(_fmt(other, grouped=name != "founded_year"))
        text += f"; conflicting values: {', '.join(others)}"
    return [_claim(text, evidence, cites, origin=pv.origin, as_of=crm_date)]


def _event_claims(events: Sequence[TriggerEvent], cites: CitationBuilder) -> list[BriefClaim]:
    out = []
    for e in events[:TRIGGER_LIMIT]:
        out.append(_claim(event_text(e), e.evidence, cites, origin=None, as_of=e.when))
    return out


def _relationship_claims(
    profile: Profile, src: _Sources, cites: CitationBuilder, opportunities: Sequence[OpportunityRow]
) -> list[BriefClaim]:
    claims = _field_claims([("relationships", "Relationship")], profile, src, cites)
    if profile.value("custom.customer") is True:
        claims.append(_claim("Already a customer (CRM)", [], cites, origin=Origin.CRM, as_of=src.crm_as_of))
    for o in opportunities:
        amount = f", {o.amount:,.0f}" if o.amount else ""
        when = o.closed or o.created
        text = f"{o.outcome.capitalize()} opportunity{(' ' + _safe(o.product)) if o.product else ''}{amount}"
        text += f" ({when.isoformat()})" if when else ""
        claims.append(BriefClaim(text=text + " (CRM)", origin=Origin.CRM.value, as_of=when))
    return claims


def _stakeholder_claims(smap: StakeholderMap, cites: CitationBuilder) -> list[BriefClaim]:
    claims = []
    for role in ROLES:
        for p in smap.by_role(role):
            title = f", {_safe(p.title)}" if p.title else ""
            source = "CRM" if not p.unverified else "unverified"
            text = f"{ROLE_LABEL[role].capitalize()}: {_safe(p.name)}{title} ({source})"
            claims.append(_claim(text, p.evidence, cites, origin=p.origin, as_of=None))
    return claims


def _angle(
    ledger: Ledger | None, cfg: IcpConfig, profile: Profile, src: _Sources, cites: CitationBuilder
) -> tuple[str, list[int]]:
    parts: list[str] = []
    numbers: list[int] = []
    signal = _buying_signal(ledger, cfg, profile.events)
    if signal is not None:
        when = f" ({signal.when.isoformat()})" if signal.when else ""
        parts.append(f"Open with their {signal.type.value.replace('_', ' ')}{when}: {_safe(signal.summary)}")
        numbers += cites.numbers(signal.evidence, limit=1)
    for field, word in (("priorities", "stated priority"), ("pains", "stated pain")):
        values = profile.value(field)
        if isinstance(values, list) and values:
            parts.append(f'tie it to their {word} "{_fmt(values[0])}"')
            numbers += cites.numbers(src.evidence(field, values[0]), limit=1)
            break
    if ledger is not None:
        met = [
            ln
            for ln in ledger.lines
            if ln.status is Status.MET and ln.field != "events" and ln.kind is not CriterionKind.DISQUALIFIER
        ]
        met.sort(key=lambda ln: (-ln.weight, ln.id))
        if met:
            parts.append("back it with the fit: " + ", ".join(ln.label for ln in met[:2]))
    if not parts:
        return "No angle yet: no met criterion, buying signal or stated priority is on record.", []
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:], list(dict.fromkeys(numbers))


def _buying_signal(ledger: Ledger | None, cfg: IcpConfig, events: Sequence[TriggerEvent]) -> TriggerEvent | None:
    if ledger is not None:
        ids = {
            fid for ln in ledger.lines if ln.id in cfg.signals.buying and ln.status is Status.MET for fid in ln.evidence
        }
        signals = [e for e in events if ids & set(e.fact_ids)]
        if signals:
            return signals[0]
    material = [e for e in events if e.materiality >= MATERIAL]
    return material[0] if material else None


def _open_questions(ledger: Ledger | None, sections: Sequence[BriefSection], smap: StakeholderMap) -> list[str]:
    out: list[str] = []
    if ledger is None:
        out.append("Not scored yet: run `icp score` to see its tier and fit.")
    else:
        for ln in sorted(ledger.lines, key=lambda ln: -ln.weight):
            if ln.status is Status.UNKNOWN:
                question = _QUESTIONS.get(
                    ln.field, f"What is their {ln.field.removeprefix('custom.').replace('_', ' ')}?"
                )
                out.append(f"{question} (decides “{ln.label}”, {ln.weight:g} pts)")
    for s in sections:
        if not s.claims:
            out.append(f"No {s.title.lower()} on record. {_SECTION_QUESTIONS[s.key]}")
    out += [f"Who is the {m.removeprefix('no ').removesuffix(' known')}?" for m in smap.missing if m.startswith("no ")]
    return list(dict.fromkeys(out))


def assemble_brief(db: Database, workspace: str, account_id: int, *, now: datetime) -> Brief:
    """Returns the research brief of one account of the workspace (NotFound for another workspace's id)."""
    with db.session() as s:
        row = get_account(s, workspace, account_id)
        account: Account = account_from_row(row)
        # updated_at is the wall clock of the last import, which can be later than the `now` asked about
        crm_as_of = min(row.updated_at.date(), now.date()) if row.updated_at else None
        known_empty = frozenset(row.known_empty or [])
        ledger = get_ledger(s, workspace, account_id)
        cfg = active_config(s, workspace)
        facts = list_facts(s, workspace, [account_id])
        doc_ids = [f.evidence.document_id for f in facts if f.evidence]
        clusters = document_clusters(s, workspace, doc_ids) if doc_ids else {}
        opportunities = list(
            s.scalars(
                select(OpportunityRow)
                .where(OpportunityRow.workspace_id == workspace, OpportunityRow.account_id == account_id)
                .order_by(OpportunityRow.closed.desc(), OpportunityRow.id)
            )
        )
    profile = merge_profile(account, facts, now=now, known_empty=known_empty, clusters=clusters)
    smap = map_stakeholders(db, workspace, account_id)
    src = _Sources([f for f in facts if f.kind is not FactKind.TRIGGER], crm_as_of)
    cites = CitationBuilder()
    sections = [
        _section("firmographics", "Firmographics", _field_claims(_FIRMO, profile, src, cites)),
        _section("technology", "Technology footprint", _field_claims(_TECH, profile, src, cites)),
        _section("triggers", "Recent triggers", _event_claims(profile.events, cites)),
        _section(
            "priorities",
            "Strategic priorities",
            _field_claims([("priorities", "Priority"), ("pains", "Pain")], profile, src, cites),
        ),
        _section(
            "competition", "Competitive situation", _field_claims([("competitors", "Competitor")], profile, src, cites)
        ),
        _section("relationships", "Existing relationships", _relationship_claims(profile, src, cites, opportunities)),
        _section("stakeholders", "Stakeholders", _stakeholder_claims(smap, cites)),
    ]
    angle, angle_citations = _angle(ledger, cfg, profile, src, cites)
    return Brief(
        account_id=account_id,
        account_name=account.name,
        domain=account.domain,
        generated_at=now,
        tier=ledger.tier.value if ledger else None,
        fit=ledger.fit if ledger else None,
        coverage=ledger.coverage if ledger else None,
        icp_version=ledger.icp_version if ledger else None,
        sections=sections,
        angle=angle,
        angle_citations=angle_citations,
        open_questions=_open_questions(ledger, sections, smap),
        citations=cites.citations,
    )


def build_brief(svc: AgentContext, account_query: str) -> Brief:
    """Returns the research brief of the account a rep names; raises AccountNotResolved when unknown or ambiguous."""
    lookup = find_account(svc.db, svc.workspace, account_query)
    account = lookup.require()
    assert account.id is not None  # stored accounts have ids
    return assemble_brief(svc.db, svc.workspace, account.id, now=svc.clock())


def brief_answer(svc: AgentContext, account_query: str) -> Answer:
    """Answers "brief me on X": the brief as an answer, or "I don't know" for an unknown account."""
    try:
        return build_brief(svc, account_query).to_answer()
    except AccountNotResolved as exc:
        return not_resolved_answer(exc.lookup, intent="brief")


__all__ = ["Brief", "BriefClaim", "BriefSection", "assemble_brief", "brief_answer", "build_brief"]
