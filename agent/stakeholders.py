"""Stakeholder maps: CRM contacts and people found in documents, merged by name, classified by persona.

The personas of the active ICP decide each person's role, in this order: a role set in the CRM; a
persona title contained in the person's title (abbreviations expanded, so "COO" is "Chief Operating
Officer"); a persona whose department and seniority both fit; a seniority that fits one persona only.

    >>> from scoring.config import load_icp
    >>> personas = load_icp("default").personas
    >>> classify_stakeholder(Stakeholder(name="Ann", title="VP of Operations"), personas).role.value
    'decision_maker'
    >>> classify_stakeholder(Stakeholder(name="Bo", title="Executive Assistant to the CEO"), personas).why
    'title matches the gatekeeper persona title "Executive Assistant"'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from agent.answers import Answer
from agent.citations import CitationBuilder, inline_quote
from agent.tools import AgentContext, active_config, find_account, not_resolved_answer
from scoring.config import Persona
from scoring.crm import seniority_from_title
from scoring.domain import Account, Fact, FactKind, Origin, Stakeholder, StakeholderRole
from scoring.merge import people_from_facts
from store.accounts import account_from_row, get_account
from store.contacts import list_contacts, person_key
from store.db import Database
from store.errors import NotFound
from store.facts import list_facts

NotesDrafter = Callable[[Stakeholder, Account], str | None]
"""Drafts engagement notes for one person (an LLM hook); offline there is none and notes stay empty."""

ROLES: tuple[StakeholderRole, ...] = (
    StakeholderRole.DECISION_MAKER,
    StakeholderRole.INFLUENCER,
    StakeholderRole.CHAMPION,
    StakeholderRole.GATEKEEPER,
)
ROLE_LABEL = {
    StakeholderRole.DECISION_MAKER: "decision maker",
    StakeholderRole.INFLUENCER: "influencer",
    StakeholderRole.CHAMPION: "potential champion",
    StakeholderRole.GATEKEEPER: "gatekeeper",
    StakeholderRole.UNKNOWN: "unclassified",
}
ROLE_HEADING = {
    StakeholderRole.DECISION_MAKER: "Decision makers",
    StakeholderRole.INFLUENCER: "Influencers",
    StakeholderRole.CHAMPION: "Potential champions",
    StakeholderRole.GATEKEEPER: "Gatekeepers",
    StakeholderRole.UNKNOWN: "Others (no persona fits)",
}
# who to approach first: the person who feels the pain, then the people who shape and sign
_APPROACH = (
    StakeholderRole.CHAMPION,
    StakeholderRole.INFLUENCER,
    StakeholderRole.DECISION_MAKER,
)

_EXPAND = {
    "ceo": "chief executive officer",
    "coo": "chief operating officer",
    "cfo": "chief financial officer",
    "cio": "chief information officer",
    "cto": "chief technology officer",
    "cmo": "chief marketing officer",
    "ciso": "chief information security officer",
    "chro": "chief human resources officer",
    "cro": "chief revenue officer",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "dir": "director",
    "mgr": "manager",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "gm": "general manager",
    "md": "managing director",
    "hr": "human resources",
    "ops": "operations",
    "mfg": "manufacturing",
    "eng": "engineering",
}
_TITLE_STOP = frozenset({"of", "the", "and", "for", "a", "an", "in"})
_HEAD_CLAUSE = re.compile(r"\s(?:to|at|@)\s|,\s*(?:at|for)\s")
_SENIORITY_WORDS = {"c_level": "C-level", "vp": "VP", "director": "director", "head": "head-of", "manager": "manager"}
_COMPANY_WORDS = frozenset(
    "inc incorporated ltd limited llc gmbh bv nv sa ag ab as oy plc corp corporation company co "  # noqa: SIM905 - a word list reads better as text
    "group holding holdings the and of international".split()
)


@dataclass(frozen=True, slots=True)
class Classification:
    """A person's role and, in one phrase, why."""

    role: StakeholderRole
    why: str


def title_tokens(title: str | None) -> tuple[str, ...]:
    """Returns a title's words for matching: the head clause only, abbreviations expanded, fillers dropped.

    >>> title_tokens("Executive Assistant to the CEO")
    ('executive', 'assistant')
    >>> title_tokens("Sr. V.P., Operations")
    ('senior', 'vice', 'president', 'operations')
    """
    if not title:
        return ()
    text = title.casefold().replace(".", "").replace("&", " and ")
    head = _HEAD_CLAUSE.split(f" {text} ", maxsplit=1)[0]
    out: list[str] = []
    for word in re.findall(r"[a-z0-9]+", head):
        out.extend(_EXPAND.get(word, word).split())
    return tuple(w for w in out if w not in _TITLE_STOP)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    return bool(needle) and set(needle) <= set(haystack)


def _department_match(person: Stakeholder, persona: Persona, tokens: Sequence[str]) -> str | None:
    own = title_tokens(person.department) if person.department else ()
    for dept in persona.departments:
        wanted = title_tokens(dept)
        if _contains(own, wanted) or (not own and _contains(tokens, wanted)):
            return dept
    return None


def classify_stakeholder(person: Stakeholder, personas: Mapping[StakeholderRole, Persona]) -> Classification:
    """Returns the role the personas give a person, and why, in one phrase."""
    if person.role is not StakeholderRole.UNKNOWN and person.origin is Origin.CRM:
        return Classification(person.role, f"role set in the CRM ({ROLE_LABEL[person.role]})")
    if not personas:
        return Classification(StakeholderRole.UNKNOWN, "the active ICP defines no personas")
    tokens = title_tokens(person.title)
    best: tuple[int, int, StakeholderRole, str] | None = None
    for rank, role in enumerate(ROLES):
        persona = personas.get(role)
        if persona is None:
            continue
        for wanted in persona.titles:
            words = title_tokens(wanted)
            if _contains(tokens, words) and (best is None or (-len(set(words)), rank) < (best[0], best[1])):
                best = (-len(set(words)), rank, role, wanted)
    if best is not None:
        return Classification(best[2], f'title matches the {ROLE_LABEL[best[2]]} persona title "{best[3]}"')
    seniority = person.seniority or seniority_from_title(person.title)
    for role in ROLES:
        persona = personas.get(role)
        if persona is None or seniority is None:
            continue
        dept = _department_match(person, persona, tokens)
        if dept is not None and seniority in persona.seniority:
            level = _SENIORITY_WORDS.get(seniority, seniority)
            return Classification(role, f"{dept} department at {level} level fits the {ROLE_LABEL[role]} persona")
    if seniority in _SENIORITY_WORDS:
        fitting = [r for r in ROLES if r in personas and seniority in personas[r].seniority]
        if len(fitting) == 1:
            level = _SENIORITY_WORDS[seniority]
            return Classification(fitting[0], f"{level} seniority fits only the {ROLE_LABEL[fitting[0]]} persona")
    return Classification(StakeholderRole.UNKNOWN, "no persona title, department or seniority fits")


def _company_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in _COMPANY_WORDS and len(w) > 1}


def works_at(organisation: str | None, account: Account) -> bool:
    """Returns True when a stated organisation is (plausibly) the account; no organisation counts as yes."""
    if not organisation:
        return True
    names = [account.name, *account.aliases]
    if account.domain:
        names.append(account.domain.split(".")[0])
    wanted = _company_words(organisation)
    return any(wanted & _company_words(n) for n in names)


def people_from_documents(facts: Sequence[Fact], account: Account) -> list[Stakeholder]:
    """Returns the people extraction found at the account (quotes kept), unverified by the CRM."""
    out = []
    for value, evidence, origin in people_from_facts(f for f in facts if f.kind is FactKind.PERSON):
        if not works_at(value.get("organisation"), account):
            continue
        title = str(value["title"]) if value.get("title") else None
        out.append(
            Stakeholder(
                name=" ".join(str(value["name"]).split()),
                title=title,
                seniority=seniority_from_title(title),
                origin=origin,
                unverified=True,
                evidence=list(evidence),
            )
        )
    return out


def merge_people(contacts: Sequence[Stakeholder], found: Sequence[Stakeholder]) -> list[Stakeholder]:
    """Merges CRM contacts with people found in documents by name; the CRM's word wins and verifies."""
    merged: dict[str, Stakeholder] = {}
    for person in contacts:
        merged.setdefault(person_key(person.name), person)
    for person in found:
        key = person_key(person.name)
        known = merged.get(key)
        if known is None:
            merged[key] = person
            continue
        merged[key] = known.model_copy(
            update={
                "title": known.title or person.title,
                "seniority": known.seniority or person.seniority,
                "evidence": [*known.evidence, *(e for e in person.evidence if e not in known.evidence)],
            }
        )
    return list(merged.values())


class StakeholderMap(BaseModel):
    """An account's people by role, why each has that role, and which roles nobody fills."""

    account_id: int
    account_name: str
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    reasons: dict[str, str] = Field(default_factory=dict, description="Why each person (by name) has their role.")
    persona_notes: dict[str, str] = Field(default_factory=dict, description="The persona description per role.")
    missing: list[str] = Field(default_factory=list)

    def by_role(self, role: StakeholderRole) -> list[Stakeholder]:
        """Returns the people with one role, CRM contacts first."""
        people = [s for s in self.stakeholders if s.role is role]
        return sorted(people, key=lambda s: (s.unverified, s.name.casefold()))

    def to_answer(self, *, focus: StakeholderRole | None = None) -> Answer:
        """Returns the map as an answer: people by role with the reason and a cited quote each."""
        cites = CitationBuilder()
        crm = sum(1 for s in self.stakeholders if not s.unverified)
        lines = [
            f"Stakeholders at {self.account_name}: {len(self.stakeholders)} "
            f"{'person' if len(self.stakeholders) == 1 else 'people'} "
            f"({crm} from the CRM, {len(self.stakeholders) - crm} found in documents only)."
        ]
        order: list[StakeholderRole] = [focus] if focus is not None and focus is not StakeholderRole.UNKNOWN else []
        order += [r for r in (*ROLES, StakeholderRole.UNKNOWN) if r not in order]
        for role in order:
            people = self.by_role(role)
            if not people and role is StakeholderRole.UNKNOWN:
                continue
            if not people:
                lines.append(f"{ROLE_HEADING[role]}: none known.")
                continue
            lines.append(f"{ROLE_HEADING[role]}:")
            lines.extend(self._person_line(p, cites) for p in people)
        first = self._first_contacts()
        if first:
            lines.append("Start with " + ", then ".join(first) + ".")
        if self.missing:
            lines.append("Missing: " + "; ".join(self.missing) + ".")
        return Answer(
            text="\n".join(lines),
            intent="stakeholders",
            citations=cites.citations,
            account_id=self.account_id,
            account_name=self.account_name,
            unknown=not self.stakeholders,
            missing=list(self.missing),
            data={
                "stakeholders": [s.model_dump(mode="json") for s in self.stakeholders],
                "reasons": dict(self.reasons),
            },
        )

    def _person_line(self, person: Stakeholder, cites: CitationBuilder) -> str:
        title = f", {person.title}" if person.title else ""
        source = "CRM" if not person.unverified else "unverified: found in documents only"
        text = f"• {person.name}{title} ({source}): {self.reasons.get(person.name, '')}."
        if person.evidence:
            text += f' "{inline_quote(person.evidence[0].quote, limit=140)}" {cites.cite(person.evidence)}'
        if person.notes:
            text += f" Notes: {person.notes}"
        return text

    def _first_contacts(self) -> list[str]:
        picks = []
        for role in _APPROACH:
            people = self.by_role(role)
            if people:
                picks.append(f"{people[0].name} ({ROLE_LABEL[role]})")
        return picks[:2]


def map_stakeholders(
    db: Database, workspace: str, account_id: int, *, notes_drafter: NotesDrafter | None = None
) -> StakeholderMap:
    """Returns the stakeholder map of one account of the workspace (NotFound for another workspace's id)."""
    with db.session() as s:
        account = account_from_row(get_account(s, workspace, account_id))
        personas = active_config(s, workspace).personas
        contacts = list_contacts(s, workspace, account_id)
        facts = [f for f in list_facts(s, workspace, [account_id]) if f.kind is FactKind.PERSON and not f.stale]
    people = merge_people(contacts, people_from_documents(facts, account))
    classified: list[Stakeholder] = []
    reasons: dict[str, str] = {}
    for person in people:
        c = classify_stakeholder(person, personas)
        notes = notes_drafter(person, account) if notes_drafter is not None else None
        classified.append(person.model_copy(update={"role": c.role, "notes": notes or person.notes}))
        reasons[person.name] = c.why
    present = {p.role for p in classified}
    missing = [f"no {ROLE_LABEL[r]} known" for r in ROLES if r not in present]
    if not people:
        missing = [
            f"contacts at {account.name} (import a CRM contacts CSV)",
            "leadership pages or press releases that name people (add the company site or feed as a source)",
        ]
    return StakeholderMap(
        account_id=account_id,
        account_name=account.name,
        stakeholders=classified,
        reasons=reasons,
        persona_notes={r.value: p.description for r, p in personas.items() if p.description},
        missing=missing,
    )


def stakeholder_map(
    svc: AgentContext,
    account_query: str,
    *,
    focus: StakeholderRole | None = None,
    notes_drafter: NotesDrafter | None = None,
) -> Answer:
    """Answers "who should I talk to at X?": the stakeholder map with roles, reasons and cited quotes."""
    lookup = find_account(svc.db, svc.workspace, account_query)
    if lookup.account is None or lookup.account.id is None:
        return not_resolved_answer(lookup, intent="stakeholders")
    try:
        smap = map_stakeholders(svc.db, svc.workspace, lookup.account.id, notes_drafter=notes_drafter)
    except NotFound:
        return not_resolved_answer(lookup.model_copy(update={"account": None}), intent="stakeholders")
    return smap.to_answer(focus=focus)


__all__ = [
    "ROLES",
    "ROLE_LABEL",
    "Classification",
    "NotesDrafter",
    "StakeholderMap",
    "classify_stakeholder",
    "map_stakeholders",
    "merge_people",
    "people_from_documents",
    "stakeholder_map",
    "title_tokens",
    "works_at",
]
