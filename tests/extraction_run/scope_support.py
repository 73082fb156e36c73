"""Helpers for extraction-run tests that build their own workspaces, accounts and documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from agent.extractors import ExtractionInput
from agent.schemas import Extraction
from store.accounts import name_key
from store.db import Database
from store.models import AccountRow, DocumentLinkRow, DocumentRow, WorkspaceRow

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass
class Seed:
    """Writes workspaces, accounts and documents straight into a migrated database shared by a module's tests.

    Workspace and document ids get the seed's own prefix, so tests sharing the database never meet.
    """

    db: Database
    prefix: str

    def workspace(self, name: str) -> str:
        """Adds a workspace and returns its id."""
        workspace = f"{self.prefix}-{name}"
        with self.db.session() as s:
            s.add(WorkspaceRow(id=workspace, name=name, created_at=T0))
        return workspace

    def account(self, workspace: str, name: str, *, aliases: tuple[str, ...] = (), domain: str | None = None) -> int:
        """Adds an account and returns its id."""
        with self.db.session() as s:
            row = AccountRow(
                workspace_id=workspace,
                name=name,
                name_key=name_key(name),
                domain=domain,
                aliases=list(aliases),
                created_at=T0,
                updated_at=T0,
            )
            s.add(row)
            s.flush()
            return row.id

    def document(
        self,
        workspace: str,
        name: str,
        *,
        account_id: int,
        text: str,
        title: str = "",
        published_at: datetime | None = None,
        linked: tuple[int, ...] = (),
    ) -> str:
        """Adds a news document of an account, linked to more accounts by entity matching; returns its id."""
        doc_id = f"{self.prefix}-{name}"
        with self.db.session() as s:
            s.add(
                DocumentRow(
                    id=doc_id,
                    workspace_id=workspace,
                    account_id=account_id,
                    url=f"https://news.example/{doc_id}",
                    canonical_url=f"https://news.example/{doc_id}",
                    title=title,
                    doc_type="news",
                    published_at=published_at,
                    fetched_at=T0,
                    updated_at=T0,
                    content_hash=_digest(title, text),
                    text=text,
                    status="indexed",
                )
            )
            s.flush()  # the links refer to the document
            for other in (account_id, *linked):
                s.add(DocumentLinkRow(document_id=doc_id, account_id=other, workspace_id=workspace, how="name"))
        return doc_id

    def edit(self, doc_id: str, text: str) -> None:
        """Replaces a document's text (and so its content hash), as a re-fetch of an edited page would."""
        with self.db.session() as s:
            row = s.get(DocumentRow, doc_id)
            assert row is not None
            row.text = text
            row.content_hash = _digest(row.title, text)

    def unlink(self, doc_id: str, account_id: int) -> None:
        """Removes the entity link between a document and an account."""
        with self.db.session() as s:
            link = s.get(DocumentLinkRow, (doc_id, account_id))
            assert link is not None
            s.delete(link)


def _digest(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


class ScriptedExtractor:
    """An extractor that returns a fixed extraction for every document (the model's answer, scripted)."""

    name = "scripted"
    version = "1"

    def __init__(self, extraction: Extraction) -> None:
        self.extraction = extraction
        self.seen: list[ExtractionInput] = []

    def extract(self, doc: ExtractionInput) -> Extraction:
        """Returns the scripted extraction."""
        self.seen.append(doc)
        return self.extraction
