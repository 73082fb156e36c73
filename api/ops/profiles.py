"""Profiles of stored accounts: CRM fields merged with extracted facts, events deduplicated."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.domain import Fact, Profile
from scoring.merge import MergePolicy, merge_profile
from store.accounts import account_from_row
from store.db import utcnow
from store.facts import document_clusters, list_facts
from store.models import AccountRow, DocumentLinkRow, DocumentRow, SourceRow


def monitored_accounts(session: Session, workspace: str, account_ids: Sequence[int]) -> set[int]:
    """Returns the accounts whose news and pages are ingested (so no event means none was seen)."""
    ids = list(account_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            a
            for (a,) in session.execute(
                select(DocumentRow.account_id)
                .where(DocumentRow.workspace_id == workspace, DocumentRow.account_id.in_(chunk))
                .distinct()
            ).tuples()
            if a is not None
        )
        found.update(
            a
            for (a,) in session.execute(
                select(DocumentLinkRow.account_id)
                .where(DocumentLinkRow.workspace_id == workspace, DocumentLinkRow.account_id.in_(chunk))
                .distinct()
            ).tuples()
        )
        found.update(
            a
            for (a,) in session.execute(
                select(SourceRow.account_id)
                .where(
                    SourceRow.workspace_id == workspace,
                    SourceRow.account_id.in_(chunk),
                    SourceRow.last_success_at.is_not(None),
                )
                .distinct()
            ).tuples()
            if a is not None
        )
    return found


def build_profiles(
    session: Session,
    workspace: str,
    rows: Sequence[AccountRow],
    *,
    now: datetime | None = None,
    policy: MergePolicy | None = None,
) -> dict[int, Profile]:
    """Returns each account's profile, keyed by account id."""
    ids = [r.id for r in rows]
    facts_by_account: dict[int, list[Fact]] = defaultdict(list)
    for f in list_facts(session, workspace, ids):
        if f.account_id is not None:
            facts_by_account[f.account_id].append(f)
    doc_ids = [f.evidence.document_id for fs in facts_by_account.values() for f in fs if f.evidence]
    clusters = document_clusters(session, workspace, doc_ids) if doc_ids else {}
    monitored = monitored_accounts(session, workspace, ids)
    when = now or utcnow()
    return {
        r.id: merge_profile(
            account_from_row(r),
            facts_by_account.get(r.id, []),
            now=when,
            known_empty=frozenset(r.known_empty or []),
            policy=policy,
            clusters=clusters,
            monitored=r.id in monitored,
        )
        for r in rows
    }
