"""A stored workspace to validate against: accounts, documents with their facts, and deals."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from api.services import Services
from scoring.domain import Account, Evidence, Fact, FactKind, JsonValue, Origin
from store.accounts import upsert_accounts
from store.facts import replace_document_facts
from store.models import DocumentRow, OpportunityRow

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@dataclass
class History:
    """A workspace to fill: accounts, documents with their facts, and deals."""

    svc: Services
    deals: int = 0
    ids: dict[str, int] = field(default_factory=dict)

    def account(self, account: Account) -> int:
        """Stores an account and returns its id."""
        with self.svc.db.session() as s:
            counts = upsert_accounts(s, self.svc.workspace, [(account, frozenset())])
        self.ids[account.name] = counts.ids[0]
        return counts.ids[0]

    def page(
        self, account_id: int, doc_id: str, published: date | None, facts: list[tuple[FactKind, str, JsonValue]]
    ) -> None:
        """Stores a document (published on a day, or undated) with facts quoting it."""
        when = datetime(published.year, published.month, published.day, tzinfo=UTC) if published else None
        made = [
            Fact(
                id=f"{doc_id}-{i}",
                account_id=account_id,
                kind=kind,
                field=name,
                value=value,
                origin=Origin.OFFLINE,
                evidence=Evidence(document_id=doc_id, quote=f"quote {i}", published_at=when),
                observed_at=NOW,  # extraction ran today, whenever the page appeared
            )
            for i, (kind, name, value) in enumerate(facts)
        ]
        with self.svc.db.session() as s:
            s.add(
                DocumentRow(
                    id=doc_id,
                    workspace_id=self.svc.workspace,
                    account_id=account_id,
                    url=f"https://example.com/{doc_id}",
                    canonical_url=f"https://example.com/{doc_id}",
                    doc_type="news",
                    published_at=when,
                    fetched_at=NOW,
                    updated_at=NOW,
                    content_hash=hashlib.sha256(doc_id.encode()).hexdigest(),
                    text=" ".join(f"quote {i}" for i in range(len(facts))),
                    status="done",
                )
            )
            s.flush()
            replace_document_facts(s, self.svc.workspace, doc_id, account_id, made, extractor="test")

    def deal(self, account_id: int | None, outcome: str, *, created: date | None, closed: date | None) -> None:
        """Stores one opportunity."""
        self.deals += 1
        with self.svc.db.session() as s:
            s.add(
                OpportunityRow(
                    workspace_id=self.svc.workspace,
                    crm_id=f"opp-{self.deals}",
                    account_id=account_id,
                    outcome=outcome,
                    amount=1000.0 if outcome == "won" else 0.0,
                    created=created,
                    closed=closed,
                )
            )
