"""The extraction run: stored documents → extractor → grounding → facts, with cache, budgets and quarantine.

For each document about an account (its own sources, or linked by entity matching) that this
extractor version has not seen with this content:

1. a relevance prefilter keeps documents with nothing extractable away from the LLM;
2. the cache answers a repeated request for free: its key covers the content hash, prompt version
   and model, and the workspace, account name, aliases, publication date, title and URL sent;
3. the extractor runs; the grounding check drops every item whose quote is not in the document
   or whose numbers, dates, names and other values are not in its quote, and counts what it dropped;
4. each account the document is about (its own account, and accounts linked by entity matching)
   keeps only the events about it (`agent.facts.about_account`), and only its own account keeps the
   other facts; the document's facts from this extractor are replaced in one transaction, and what
   it stored earlier under accounts no longer linked to the document is deleted.

A provider failure never changes facts: the account keeps its previous facts, marked stale
(RELIABILITY.md L-4). Output that stays invalid after one repair is quarantined with the raw text.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.errors import BudgetExceeded, LLMError, Quarantined
from agent.extractors import ExtractionInput, Extractor
from agent.facts import AccountNames, about_account, extraction_to_facts
from agent.grounding import ground_document
from agent.schemas import Extraction
from scoring.domain import Origin
from store.db import Database, utcnow
from store.facts import delete_document_facts, mark_account_facts_stale, replace_document_facts
from store.models import (
    AccountRow,
    DocumentLinkRow,
    DocumentRow,
    ExtractionCacheRow,
    LlmUsageRow,
    QuarantineRow,
)

log = logging.getLogger("icp.extract")


@dataclass
class ExtractionSummary:
    """What an extraction run did."""

    extractor: str
    documents: int = 0
    extracted: int = 0
    cached: int = 0
    unchanged: int = 0
    skipped_irrelevant: int = 0
    facts: int = 0
    events: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    stale_accounts: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Returns the summary as JSON-able data."""
        return {
            "extractor": self.extractor,
            "documents": self.documents,
            "extracted": self.extracted,
            "cached": self.cached,
            "unchanged": self.unchanged,
            "skipped_irrelevant": self.skipped_irrelevant,
            "facts": self.facts,
            "events": self.events,
            "dropped_by_grounding": dict(self.dropped),
            "quarantined": self.quarantined,
            "failed": self.failed,
            "stale_accounts": self.stale_accounts,
            "accounts": len(self.accounts),
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "cost": round(self.cost, 6),
        }


@dataclass(frozen=True, slots=True)
class _Work:
    doc_id: str
    account_id: int
    secondary: tuple[int, ...]


def _origin(extractor: Extractor) -> Origin:
    return Origin.OFFLINE if extractor.name in ("offline", "keyword") else Origin.LLM


def extraction_input(row: DocumentRow, account: AccountRow) -> ExtractionInput:
    """Returns a stored document as an extractor sees it, about the given account."""
    meta = row.meta or {}
    structured: dict[str, Any] = {}
    if isinstance(meta.get("organization"), dict):
        structured.update(meta["organization"])
    if isinstance(meta.get("meta"), dict):
        structured["meta"] = meta["meta"]
    headers = meta.get("headers") if isinstance(meta.get("headers"), dict) else {}
    return ExtractionInput(
        document_id=row.id,
        text=row.text,
        title=row.title,
        url=row.url,
        published_at=row.published_at,
        doc_type=row.doc_type,
        html=meta.get("html") or None,
        headers={str(k): str(v) for k, v in (headers or {}).items()},
        structured=structured,
        account_name=account.name,
        account_aliases=tuple(account.aliases or ()),
    )


def _work_items(session: Session, workspace: str, account_ids: Sequence[int] | None) -> list[_Work]:
    links: dict[str, list[int]] = {}
    stmt = select(DocumentLinkRow.document_id, DocumentLinkRow.account_id).where(
        DocumentLinkRow.workspace_id == workspace
    )
    for doc_id, acc in session.execute(stmt).tuples():
        links.setdefault(doc_id, []).append(acc)
    docs = select(DocumentRow.id, DocumentRow.account_id).where(
        DocumentRow.workspace_id == workspace, DocumentRow.account_id.is_not(None)
    )
    out = []
    for doc_id, primary in session.execute(docs.order_by(DocumentRow.id)).tuples():
        assert primary is not None
        others = tuple(a for a in links.get(doc_id, []) if a != primary)
        if account_ids is not None and primary not in account_ids and not set(others) & set(account_ids):
            continue
        out.append(_Work(doc_id, primary, others))
    return out


def _names(account: AccountRow) -> AccountNames:
    return AccountNames.of(account.name, tuple(account.aliases or ()), domain=account.domain)


def run_extraction(
    db: Database,
    workspace: str,
    *,
    extractor: Extractor,
    account_ids: Sequence[int] | None = None,
    prefilter: Callable[[ExtractionInput], bool] | None = None,
    use_cache: bool = True,
    force: bool = False,
    usage_drain: Callable[[], list[Any]] | None = None,
    clock: Callable[[], datetime] = utcnow,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractionSummary:
    """Extracts facts from the workspace's documents (optionally only some accounts')."""
    key = f"{extractor.name}:{extractor.version}"
    summary = ExtractionSummary(extractor=key)
    origin = _origin(extractor)
    with db.session() as s:
        items = _work_items(s, workspace, account_ids)
        accounts = {a.id: a for a in s.scalars(select(AccountRow).where(AccountRow.workspace_id == workspace))}
    summary.documents = len(items)
    touched: set[int] = set()
    stale: set[int] = set()
    for n, item in enumerate(items, 1):
        if progress:
            progress(n, len(items))
        with db.session() as s:
            row = s.get(DocumentRow, item.doc_id)
            if row is None or row.workspace_id != workspace:
                continue
            seen = (row.meta or {}).get("extracted_by", {})
            if not force and isinstance(seen, dict) and seen.get(key) == row.content_hash:
                summary.unchanged += 1
                continue
            account = accounts.get(item.account_id)
            if account is None:
                continue
            doc = extraction_input(row, account)
            content_hash = row.content_hash
        if prefilter is not None and not prefilter(doc):
            summary.skipped_irrelevant += 1
            _mark_seen(db, item.doc_id, key, content_hash)
            continue
        per_account = getattr(extractor, "for_account", None)
        ext: Extractor = per_account(item.account_id) if callable(per_account) else extractor
        try:
            extraction, cached = _extract_cached(
                db, ext, doc, content_hash, workspace=workspace, use_cache=use_cache, clock=clock
            )
        except Quarantined as exc:
            summary.quarantined += 1
            _quarantine(db, workspace, exc, doc, clock=clock)
            _mark_seen(db, item.doc_id, key, content_hash)
            continue
        except BudgetExceeded as exc:
            summary.failed.append({"document": doc.url or doc.document_id, "reason": str(exc)})
            stale.add(item.account_id)
            if exc.scope != "account":
                break
            continue
        except LLMError as exc:
            summary.failed.append({"document": doc.url or doc.document_id, "reason": f"{type(exc).__name__}: {exc}"})
            stale.add(item.account_id)
            continue
        finally:
            if usage_drain is not None:
                _store_usage(db, usage_drain(), summary)
        summary.cached += int(cached)
        summary.extracted += int(not cached)
        grounded = ground_document(extraction, doc)
        summary.dropped.update(grounded.counts())
        now = clock()
        with db.session() as s:
            primary = accounts[item.account_id]
            targets = [(item.account_id, about_account(grounded.extraction, _names(primary)))]
            for other in item.secondary:
                if other in accounts:
                    targets.append(
                        (other, about_account(grounded.extraction, _names(accounts[other]), events_only=True))
                    )
            delete_document_facts(
                s, workspace, doc.document_id, extractor=key, keep_accounts=[acc_id for acc_id, _ in targets]
            )
            for acc_id, ex in targets:
                facts = extraction_to_facts(
                    ex, doc=doc, workspace=workspace, account_id=acc_id, origin=origin, extractor=key, observed_at=now
                )
                summary.facts += replace_document_facts(s, workspace, doc.document_id, acc_id, facts, extractor=key)
                summary.events += sum(1 for f in facts if f.field == "events")
                touched.add(acc_id)
            row = s.get(DocumentRow, item.doc_id)
            if row is not None:
                meta = dict(row.meta or {})
                meta["extracted_by"] = {**meta.get("extracted_by", {}), key: content_hash}
                row.meta = meta
    with db.session() as s:
        for acc in stale:
            mark_account_facts_stale(s, workspace, acc, stale=True)
        for acc in touched - stale:
            mark_account_facts_stale(s, workspace, acc, stale=False)
    summary.accounts = sorted(touched)
    summary.stale_accounts = sorted(stale)
    return summary


def _mark_seen(db: Database, doc_id: str, key: str, content_hash: str) -> None:
    with db.session() as s:
        row = s.get(DocumentRow, doc_id)
        if row is not None:
            meta = dict(row.meta or {})
            meta["extracted_by"] = {**meta.get("extracted_by", {}), key: content_hash}
            row.meta = meta


def _extract_cached(
    db: Database,
    extractor: Extractor,
    doc: ExtractionInput,
    content_hash: str,
    *,
    workspace: str,
    use_cache: bool,
    clock: Callable[[], datetime],
) -> tuple[Extraction, bool]:
    cache_key = getattr(extractor, "cache_key", None)
    if not use_cache or not callable(cache_key):
        return extractor.extract(doc), False
    # The answer depends on everything the request carries, so the key covers the workspace and context too.
    k = str(cache_key(content_hash, doc=doc, workspace=workspace))
    with db.session() as s:
        hit = s.get(ExtractionCacheRow, k)
        if hit is not None:
            return Extraction.model_validate(hit.output), True
    result = extractor.extract(doc)
    with db.session() as s:
        s.merge(ExtractionCacheRow(key=k, output=result.model_dump(mode="json"), created_at=clock()))
    return result, False


def _quarantine(
    db: Database, workspace: str, exc: Quarantined, doc: ExtractionInput, *, clock: Callable[[], datetime]
) -> None:
    with db.session() as s:
        s.add(
            QuarantineRow(
                workspace_id=workspace,
                document_id=doc.document_id,
                model=str(getattr(exc, "model", "") or ""),
                prompt_version=str(getattr(exc, "prompt_version", "") or ""),
                raw=str(getattr(exc, "raw", "") or "")[:200_000],
                error=str(getattr(exc, "reason", exc))[:5000],
                created_at=clock(),
            )
        )


def _store_usage(db: Database, records: list[Any], summary: ExtractionSummary) -> None:
    if not records:
        return
    with db.session() as s:
        for r in records:
            summary.prompt_tokens += int(r.prompt_tokens)
            summary.completion_tokens += int(r.completion_tokens)
            summary.cost += float(r.cost)
            s.add(
                LlmUsageRow(
                    workspace_id=r.workspace_id,
                    account_id=r.account_id,
                    run_id=r.run_id,
                    purpose=r.purpose,
                    model=r.model,
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    cost=r.cost,
                    created_at=r.created_at,
                )
            )


def tokens_spent_today(db: Database, workspace: str, *, now: datetime) -> int:
    """Returns the tokens a workspace spent since midnight UTC (for the per-day budget)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with db.session() as s:
        total = s.scalar(
            select(func.coalesce(func.sum(LlmUsageRow.prompt_tokens + LlmUsageRow.completion_tokens), 0)).where(
                LlmUsageRow.workspace_id == workspace, LlmUsageRow.created_at >= midnight
            )
        )
    return int(total or 0)
