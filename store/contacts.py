"""Contacts: people at accounts from CRM imports, upserted by e-mail or by name within an account.

    >>> from scoring.crm import parse_contacts_csv
    >>> parsed = parse_contacts_csv(b"Name,Title,Email,Account\\nJo Park,COO,jo@acme.example,Acme\\n")
    >>> parsed.contacts[0].stakeholder.title
    'COO'

`import_contacts(session, workspace, parsed.contacts)` links each contact to its account (CRM id,
then domain, then exact name) and reports the rows whose account is not in the workspace.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.crm import AccountRef, ParsedContact
from scoring.domain import Evidence, Origin, Stakeholder, StakeholderRole
from store.accounts import name_key
from store.db import utcnow
from store.models import AccountRow, ContactRow

# The contacts table has no role column; a role set in the CRM travels in the evidence list as
# this marker entry so that re-reading a contact gives back what was imported.
_ROLE_KEY = "crm_role"


@dataclass
class ContactImport:
    """How a contacts import changed the table, and the rows that named no known account."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)


_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame", "ir", "ing", "drs"})


def person_key(name: str) -> str:
    """Returns the key people are merged by: accents, dots, case and leading honorifics removed.

    >>> person_key("Dr. José  Álvarez")
    'jose alvarez'
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = plain.replace(".", " ").replace(",", " ").split()
    while len(words) > 1 and words[0] in _HONORIFICS:
        words = words[1:]
    return " ".join(words)


class AccountResolver:
    """Finds the account a CRM row names: CRM id, then domain, then a name that only one account has.

    `resolve` returns the account id, or a message saying why no account was chosen (unknown, or a
    name several accounts share); contacts and opportunities report that message as is.
    """

    def __init__(self, session: Session, workspace: str) -> None:
        rows = session.execute(
            select(AccountRow.id, AccountRow.crm_id, AccountRow.domain, AccountRow.name_key).where(
                AccountRow.workspace_id == workspace
            )
        ).tuples()
        self.by_crm: dict[str, int] = {}
        self.by_domain: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for account_id, crm_id, domain, key in rows:
            if crm_id:
                self.by_crm[crm_id] = account_id
            if domain:
                self.by_domain[domain] = account_id
            self.by_name.setdefault(key, []).append(account_id)

    def resolve(self, ref: AccountRef) -> int | str:
        """Returns the id of the account a reference names, or why there is none."""
        if ref.crm_id and ref.crm_id in self.by_crm:
            return self.by_crm[ref.crm_id]
        if ref.domain and ref.domain in self.by_domain:
            return self.by_domain[ref.domain]
        if ref.name:
            ids = self.by_name.get(name_key(ref.name), [])
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                return f"account name {ref.name!r} matches {len(ids)} accounts; give its CRM id or domain"
        named = ref.crm_id or ref.domain or ref.name
        return f"no account {named!r} in this workspace; import the accounts first"


def _evidence_json(person: Stakeholder) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [e.model_dump(mode="json") for e in person.evidence]
    if person.role is not StakeholderRole.UNKNOWN:
        out.append({_ROLE_KEY: person.role.value})
    return out


def _apply(row: ContactRow, person: Stakeholder, account_id: int) -> bool:
    wanted: dict[str, Any] = {
        "account_id": account_id,
        "name": person.name,
        "title": person.title or row.title,
        "department": person.department or row.department,
        "seniority": person.seniority or row.seniority,
        "email": person.email or row.email,
        "origin": person.origin.value,
        "unverified": person.unverified,
        "evidence": _evidence_json(person),
    }
    changed = False
    for attr, value in wanted.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)
            changed = True
    return changed


def upsert_contacts(
    session: Session,
    workspace: str,
    items: Iterable[tuple[int, Stakeholder]],
    *,
    now: datetime | None = None,
) -> ContactImport:
    """Inserts or updates (account id, person) pairs, matching by e-mail, then by name within the account."""
    from store.accounts import lock_workspace

    pairs = list(items)
    lock_workspace(session, workspace)  # read-then-insert: two imports must not both insert a person
    rows = list(session.scalars(select(ContactRow).where(ContactRow.workspace_id == workspace)))
    by_email = {r.email.casefold(): r for r in rows if r.email}
    by_name = {(r.account_id, person_key(r.name)): r for r in rows}
    counts = ContactImport()
    when = now or utcnow()
    for account_id, person in pairs:
        row = by_email.get(person.email.casefold()) if person.email else None
        if row is None:
            row = by_name.get((account_id, person_key(person.name)))
        if row is None:
            row = ContactRow(workspace_id=workspace, account_id=account_id, name=person.name, created_at=when)
            _apply(row, person, account_id)
            session.add(row)
            counts.created += 1
        elif _apply(row, person, account_id):
            counts.updated += 1
        else:
            counts.unchanged += 1
        if row.email:
            by_email[row.email.casefold()] = row
        by_name[(account_id, person_key(row.name))] = row
    session.flush()
    return counts


def import_contacts(
    session: Session, workspace: str, contacts: Iterable[ParsedContact], *, now: datetime | None = None
) -> ContactImport:
    """Stores parsed CRM contacts (origin crm) under their accounts; rows naming no known account are reported."""
    resolver = AccountResolver(session, workspace)
    pairs: list[tuple[int, Stakeholder]] = []
    unmatched: list[tuple[int, str]] = []
    for parsed in contacts:
        target = resolver.resolve(parsed.account)
        if isinstance(target, str):
            unmatched.append((parsed.row, target))
            continue
        person = parsed.stakeholder.model_copy(update={"origin": Origin.CRM, "unverified": False})
        pairs.append((target, person))
    counts = upsert_contacts(session, workspace, pairs, now=now)
    counts.unmatched = unmatched
    return counts


def contact_from_row(row: ContactRow) -> Stakeholder:
    """Returns the domain model of a stored contact."""
    evidence: list[Evidence] = []
    role = StakeholderRole.UNKNOWN
    for item in row.evidence or []:
        if isinstance(item, dict) and _ROLE_KEY in item:
            role = StakeholderRole(item[_ROLE_KEY])
        elif isinstance(item, dict):
            evidence.append(Evidence.model_validate(item))
    return Stakeholder(
        name=row.name,
        title=row.title,
        department=row.department,
        seniority=row.seniority,
        role=role,
        email=row.email,
        origin=Origin(row.origin),
        unverified=row.unverified,
        evidence=evidence,
    )


def list_contacts(session: Session, workspace: str, account_id: int) -> list[Stakeholder]:
    """Returns the contacts stored for one account of the workspace, by name."""
    stmt = (
        select(ContactRow)
        .where(ContactRow.workspace_id == workspace, ContactRow.account_id == account_id)
        .order_by(ContactRow.name, ContactRow.id)
    )
    return [contact_from_row(r) for r in session.scalars(stmt)]


__all__ = [
    "AccountResolver",
    "ContactImport",
    "contact_from_row",
    "import_contacts",
    "list_contacts",
    "person_key",
    "upsert_contacts",
]
