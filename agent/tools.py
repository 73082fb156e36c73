"""Read-only, workspace-scoped data access for answers: the offline router and the LLM agent call these.

Every tool takes the database and the workspace explicitly and filters by the workspace inside each
query (PI-5), so an id or a name of another workspace finds nothing.

    >>> from store.db import Database
    >>> db = Database.connect("sqlite:///:memory:")
    >>> find_account(db, "default", "Acme").found
    False
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent.answers import Answer
from agent.errors import AgentError
from scoring.config import IcpConfig, builtin_icp_text, load_icp_text
from scoring.domain import Account, EventType, Evidence, Ledger, Tier, TriggerEvent
from scoring.merge import dedupe_events
from store.accounts import AmbiguousAccount, account_from_row, name_key
from store.accounts import find_account as store_find_account
from store.db import Database
from store.errors import NotFound
from store.facts import document_clusters, list_event_facts
from store.models import AccountRow, ChunkRow, DocumentLinkRow, DocumentRow, IcpVersionRow, ScoreRow
from store.scores import get_ledger

if TYPE_CHECKING:
    from agent.brief import Brief
    from agent.stakeholders import NotesDrafter, StakeholderMap

log = logging.getLogger(__name__)

MATERIAL = 0.5


class AgentContext(Protocol):
    """What answers need of the composition root (`api.services.Services` has all of it)."""

    @property
    def db(self) -> Database:
        """Returns the database."""
        ...

    @property
    def workspace(self) -> str:
        """Returns the workspace every query is filtered by."""
        ...

    @property
    def clock(self) -> Callable[[], datetime]:
        """Returns the clock (timezone-aware UTC)."""
        ...

    def today(self) -> date:
        """Returns today's date from the clock."""
        ...


class AccountNotResolved(AgentError):
    """The account a question names is unknown or ambiguous; `lookup` says which and lists candidates."""

    def __init__(self, lookup: AccountLookup) -> None:
        self.lookup = lookup
        if lookup.candidates:
            names = ", ".join(c.name for c in lookup.candidates[:8])
            message = f"{lookup.query!r} matches {len(lookup.candidates)} accounts: {names}"
        else:
            message = f"no account matches {lookup.query!r} in this workspace"
        super().__init__(message)


class AccountLookup(BaseModel):
    """The result of looking an account up: the account, or the candidates when the name is ambiguous."""

    query: str
    account: Account | None = None
    candidates: list[Account] = Field(default_factory=list)

    @property
    def found(self) -> bool:
        """Returns True when exactly one account matched."""
        return self.account is not None

    @property
    def ambiguous(self) -> bool:
        """Returns True when several accounts matched."""
        return self.account is None and len(self.candidates) > 1

    def require(self) -> Account:
        """Returns the account, or raises AccountNotResolved."""
        if self.account is None:
            raise AccountNotResolved(self)
        return self.account


class Signal(BaseModel):
    """A trigger event at an account, with the account's current tier."""

    account_id: int
    account_name: str
    tier: Tier | None = None
    event: TriggerEvent


class DocumentHit(BaseModel):
    """A stored document that matches a search, with a verbatim snippet of its text."""

    document_id: str
    account_id: int | None = None
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    snippet: str
    score: float

    def evidence(self) -> Evidence:
        """Returns the hit as evidence, so an answer can cite it."""
        return Evidence(
            document_id=self.document_id,
            quote=self.snippet,
            url=self.url,
            title=self.title,
            published_at=self.published_at,
        )


class HitLike(Protocol):
    """One vector search result (`store.vectors.VectorHit` has this shape)."""

    @property
    def id(self) -> str:
        """Returns the chunk id."""

    @property
    def text(self) -> str:
        """Returns the chunk text."""

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Returns the chunk metadata (`document_id`, `account_id`, ...)."""

    @property
    def distance(self) -> float:
        """Returns the cosine distance to the query."""


class VectorQuery(Protocol):
    """The part of `store.vectors.VectorStore` a search needs."""

    def query(
        self, *, workspace: str, embedding: Any, k: int = 8, where: Mapping[str, object] | None = None
    ) -> Sequence[HitLike]:
        """Returns up to k records of the workspace nearest to the embedding."""
        ...


class TextEmbedder(Protocol):
    """The part of an embedder a search needs."""

    def embed(self, texts: Sequence[str]) -> Any:
        """Returns one vector per text."""
        ...


# --- accounts ----------------------------------------------------------------------------------


def find_account(db: Database, workspace: str, query: str) -> AccountLookup:
    """Returns the account a rep means by an id, domain, CRM id or name (exact, then unique prefix)."""
    with db.session() as s:
        try:
            row = store_find_account(s, workspace, query)
        except AmbiguousAccount as exc:
            return AccountLookup(query=query, candidates=[account_from_row(r) for r in exc.candidates])
        except NotFound:
            return AccountLookup(query=query)
        return AccountLookup(query=query, account=account_from_row(row))


_NOT_NAMES = frozenset(
    "a an the why who what which when where how is are was tier tiers top account accounts news "  # noqa: SIM905 - a word list reads better as text
    "brief research help score scores funding target changed change me us it there them they their "
    "this that any all my our and or of at on in for to about with new latest signals events today "
    "week month".split()
)
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/?$")
_TRAILING = re.compile(r"(?:'s|’s)?[?!.,;:)\"']*$")
_MAX_TOKENS = 60
_MAX_NGRAM = 6


def _name_keys(text: str) -> dict[str, int]:
    """Returns candidate name keys (n-grams of the text) with the token position each starts at."""
    tokens = text.casefold().split()[:_MAX_TOKENS]
    keys: dict[str, int] = {}
    for i in range(len(tokens)):
        for n in range(1, _MAX_NGRAM + 1):
            if i + n > len(tokens):
                break
            gram = tokens[i : i + n]
            for variant in (" ".join(gram), " ".join([*gram[:-1], _TRAILING.sub("", gram[-1])])):
                variant = variant.lstrip("\"'(“")
                if variant and variant not in _NOT_NAMES:
                    keys.setdefault(variant, i)
    return keys


def _domains(text: str) -> list[str]:
    out = []
    for token in text.casefold().split()[:_MAX_TOKENS]:
        m = _DOMAIN.match(_TRAILING.sub("", token))
        if m:
            out.append(m.group(1))
    return out


def find_account_in_text(db: Database, workspace: str, text: str) -> AccountLookup:
    """Returns the account whose name or domain occurs in a question (the longest match wins)."""
    keys = _name_keys(text)
    domains = _domains(text)
    if not keys and not domains:
        return AccountLookup(query=text)
    matches: list[tuple[AccountRow, str]] = []
    with db.session() as s:
        names = list(keys)
        for start in range(0, max(len(names), 1), 400):
            chunk = names[start : start + 400]
            conditions = [AccountRow.name_key.in_(chunk)] if chunk else []
            if start == 0 and domains:
                conditions.append(AccountRow.domain.in_(domains))
            if not conditions:
                continue
            for row in s.scalars(select(AccountRow).where(AccountRow.workspace_id == workspace, or_(*conditions))):
                key = row.name_key if row.name_key in keys else (row.domain or "")
                matches.append((row, key))
    if not matches:
        return AccountLookup(query=text)
    best_len = max(len(key) for _, key in matches)
    best = [(row, key) for row, key in matches if len(key) == best_len]
    best.sort(key=lambda pair: (keys.get(pair[1], 0), pair[0].id))
    ids = {row.id for row, _ in best}
    if len(ids) > 1 and len({key for _, key in best}) == 1:
        return AccountLookup(query=best[0][1], candidates=[account_from_row(r) for r, _ in best])
    return AccountLookup(query=best[0][1], account=account_from_row(best[0][0]))


def not_resolved_answer(lookup: AccountLookup, *, intent: str) -> Answer:
    """Returns the answer to a question about an account that is unknown ("I don't know") or ambiguous."""
    if lookup.candidates:
        names = "; ".join(f"{c.name} ({c.domain or 'no domain'}, id {c.id})" for c in lookup.candidates[:8])
        return Answer(
            text=f'Which account do you mean by "{lookup.query}"? It matches {len(lookup.candidates)}: {names}.',
            intent=intent,
            unknown=True,
            missing=["which account is meant (give the name in full, the domain or the id)"],
            data={"candidates": [c.model_dump(mode="json") for c in lookup.candidates[:8]]},
        )
    return Answer(
        text=f'I don\'t know an account called "{lookup.query}" in this workspace.',
        intent=intent,
        unknown=True,
        missing=[f'an account matching "{lookup.query}" (import it with `icp accounts import <file.csv>`)'],
    )


def account_tiers(db: Database, workspace: str, account_ids: Iterable[int]) -> dict[int, Tier]:
    """Returns the current tier of each scored account among those given."""
    ids = list(account_ids)
    out: dict[int, Tier] = {}
    with db.session() as s:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = s.execute(
                select(ScoreRow.account_id, ScoreRow.tier).where(
                    ScoreRow.workspace_id == workspace, ScoreRow.account_id.in_(chunk)
                )
            ).tuples()
            out.update({a: Tier(t) for a, t in rows})
    return out


def accounts_in_tiers(db: Database, workspace: str, tiers: Sequence[Tier]) -> list[tuple[Account, Tier, float]]:
    """Returns the scored accounts in the given tiers with their tier and fit, best first."""
    with db.session() as s:
        rows = s.execute(
            select(AccountRow, ScoreRow.tier, ScoreRow.fit)
            .join(ScoreRow, ScoreRow.account_id == AccountRow.id)
            .where(
                AccountRow.workspace_id == workspace,
                ScoreRow.workspace_id == workspace,
                ScoreRow.tier.in_([t.value for t in tiers]),
            )
        ).tuples()
        out = [(account_from_row(a), Tier(t), float(f)) for a, t, f in rows]
    out.sort(key=lambda item: (item[1].rank, -item[2], name_key(item[0].name)))
    return out


# --- scores and events -------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _parse_icp(yaml_text: str, source: str) -> IcpConfig:
    return load_icp_text(yaml_text, source=source)


def active_config(session: Session, workspace: str) -> IcpConfig:
    """Returns the workspace's active ICP (the built-in default when none was applied), parsed once per version.

    Same choice as `store.icps.active_icp`; parsing YAML per answer would dominate a brief's cost.
    """
    row = session.execute(
        select(IcpVersionRow.version, IcpVersionRow.yaml).where(
            IcpVersionRow.workspace_id == workspace, IcpVersionRow.active.is_(True)
        )
    ).first()
    if row is None:
        return _parse_icp(builtin_icp_text("default"), "builtin:default")
    return _parse_icp(row.yaml, f"{workspace}:{row.version}")


def explain_score(db: Database, workspace: str, account_id: int) -> Ledger | None:
    """Returns an account's current score ledger, or None when it was never scored."""
    with db.session() as s:
        return get_ledger(s, workspace, account_id)


def is_monitored(db: Database, workspace: str, account_id: int) -> bool:
    """Returns True when documents (news or pages) about the account are stored."""
    with db.session() as s:
        own = s.scalar(
            select(DocumentRow.id)
            .where(DocumentRow.workspace_id == workspace, DocumentRow.account_id == account_id)
            .limit(1)
        )
        if own is not None:
            return True
        linked = s.scalar(
            select(DocumentLinkRow.document_id)
            .where(DocumentLinkRow.workspace_id == workspace, DocumentLinkRow.account_id == account_id)
            .limit(1)
        )
        return linked is not None


def account_events(
    db: Database, workspace: str, account_ids: Iterable[int], *, observed_since: datetime | None = None
) -> dict[int, list[TriggerEvent]]:
    """Returns each account's trigger events, deduplicated across outlets and days, newest first."""
    ids = list(account_ids)
    by_account: dict[int, list[Any]] = defaultdict(list)
    with db.session() as s:
        for start in range(0, len(ids), 500):
            for f in list_event_facts(s, workspace, since=observed_since, account_ids=ids[start : start + 500]):
                if f.account_id is not None:
                    by_account[f.account_id].append(f)
        doc_ids = [f.evidence.document_id for fs in by_account.values() for f in fs if f.evidence]
        clusters = document_clusters(s, workspace, doc_ids) if doc_ids else {}
    return {a: dedupe_events(fs, clusters=clusters) for a, fs in by_account.items()}


def list_signals(
    db: Database,
    workspace: str,
    *,
    account_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    types: Sequence[EventType] | None = None,
    tiers: Sequence[Tier] | None = None,
    min_materiality: float = 0.0,
    limit: int | None = None,
) -> list[Signal]:
    """Returns trigger events (of one account, or of the accounts in some tiers, or of all), newest first.

    `since` and `until` bound the event's date (its publication date when the event date is unknown).
    """
    with db.session() as s:
        stmt = select(AccountRow).where(AccountRow.workspace_id == workspace)
        if account_id is not None:
            stmt = stmt.where(AccountRow.id == account_id)
        accounts = {r.id: account_from_row(r) for r in s.scalars(stmt)}
    tier_of = account_tiers(db, workspace, accounts)
    if tiers:
        wanted = set(tiers)
        accounts = {a: acct for a, acct in accounts.items() if tier_of.get(a) in wanted}
    events = account_events(db, workspace, accounts)
    wanted_types = set(types or [])
    out: list[Signal] = []
    for a, evs in events.items():
        for e in evs:
            when = e.when
            if wanted_types and e.type not in wanted_types:
                continue
            if e.materiality < min_materiality:
                continue
            if since is not None and (when is None or when < since):
                continue
            if until is not None and when is not None and when > until:
                continue
            out.append(Signal(account_id=a, account_name=accounts[a].name, tier=tier_of.get(a), event=e))
    out.sort(key=lambda sig: (sig.event.when or date.min, sig.event.materiality, -sig.account_id), reverse=True)
    return out[:limit] if limit is not None else out


# --- people and briefs (built in their own modules, on these tools) -------------------------------


def stakeholder_map(
    db: Database, workspace: str, account_id: int, *, notes_drafter: NotesDrafter | None = None
) -> StakeholderMap:
    """Returns the account's stakeholders (CRM contacts and extracted people) classified by role."""
    from agent.stakeholders import map_stakeholders  # agent.stakeholders builds on this module

    return map_stakeholders(db, workspace, account_id, notes_drafter=notes_drafter)


def build_brief(db: Database, workspace: str, account_id: int, *, now: datetime) -> Brief:
    """Returns the research brief of one account."""
    from agent.brief import assemble_brief  # agent.brief builds on this module

    return assemble_brief(db, workspace, account_id, now=now)


# --- documents ---------------------------------------------------------------------------------

_STOP = frozenset(
    "the and for with that this from have has was were are about into over what which who why how "  # noqa: SIM905 - a word list reads better as text
    "their there them they its our your you news latest any".split()
)
_SNIPPET = 240
# An account with at most this many documents filters the vector query by their ids ($in); above it,
# the query is filtered by workspace only and asks for OVERFETCH times the hits wanted.
MAX_IN_FILTER = 500
OVERFETCH = 20


def _terms(query: str) -> list[str]:
    words = [w for w in re.findall(r"[\w&.-]+", query.casefold()) if len(w) >= 3 and w not in _STOP]
    return list(dict.fromkeys(w.strip(".-") for w in words if w.strip(".-")))[:8]


def _snippet(text: str, terms: Sequence[str]) -> str:
    folded = text.casefold()
    positions = [p for p in (folded.find(t) for t in terms) if p >= 0]
    if not positions:
        return text[:_SNIPPET].strip()
    at = min(positions)
    start = max(0, at - _SNIPPET // 3)
    end = min(len(text), start + _SNIPPET)
    while start > 0 and not text[start - 1].isspace():
        start += 1
        if start >= at:
            break
    while end < len(text) and not text[end].isspace() and end - at < _SNIPPET * 2:
        end += 1
    return text[start:end].strip()


def _account_filter(workspace: str, account_id: int) -> Any:
    linked = select(DocumentLinkRow.document_id).where(
        DocumentLinkRow.workspace_id == workspace, DocumentLinkRow.account_id == account_id
    )
    return or_(DocumentRow.account_id == account_id, DocumentRow.id.in_(linked))


def _like_search(db: Database, workspace: str, query: str, *, account_id: int | None, k: int) -> list[DocumentHit]:
    terms = _terms(query)
    if not terms:
        return []
    likes = []
    for t in terms:
        escaped = t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        likes.append(DocumentRow.text.ilike(f"%{escaped}%", escape="\\"))
        likes.append(DocumentRow.title.ilike(f"%{escaped}%", escape="\\"))
    stmt = select(DocumentRow).where(DocumentRow.workspace_id == workspace, or_(*likes))
    if account_id is not None:
        stmt = stmt.where(_account_filter(workspace, account_id))
    stmt = stmt.order_by(DocumentRow.published_at.desc(), DocumentRow.id).limit(200)
    hits: list[DocumentHit] = []
    with db.session() as s:
        for row in s.scalars(stmt):
            body = f"{row.title}\n{row.text}".casefold()
            matched = [t for t in terms if t in body]
            score = len(matched) + 0.1 * min(10, sum(body.count(t) for t in matched))
            hits.append(
                DocumentHit(
                    document_id=row.id,
                    account_id=row.account_id,
                    url=row.url,
                    title=row.title or None,
                    published_at=row.published_at,
                    snippet=_snippet(row.text, matched),
                    score=round(score, 3),
                )
            )
    hits.sort(key=lambda h: (-h.score, -(h.published_at.timestamp() if h.published_at else 0.0), h.document_id))
    return hits[:k]


def _account_documents(db: Database, workspace: str, account_id: int) -> set[str]:
    """Returns the ids of the account's documents: those it is the primary account of, and those linked to it."""
    with db.session() as s:
        return set(
            s.scalars(
                select(DocumentRow.id).where(
                    DocumentRow.workspace_id == workspace, _account_filter(workspace, account_id)
                )
            )
        )


def _vector_search(
    db: Database,
    workspace: str,
    query: str,
    *,
    account_id: int | None,
    k: int,
    vectors: VectorQuery,
    embedder: TextEmbedder,
) -> list[DocumentHit]:
    where: dict[str, object] | None = None
    allowed: set[str] | None = None
    fetch = k * 3
    if account_id is not None:
        # The vector metadata names only the primary account at embed time; documents linked to the
        # account later are found through the documents table, so the filter is by document id.
        allowed = _account_documents(db, workspace, account_id)
        if not allowed:
            return []
        if len(allowed) <= MAX_IN_FILTER:
            where = {"document_id": {"$in": sorted(allowed)}}
        else:
            fetch = k * OVERFETCH  # only the workspace filter in the query; the account's documents kept below
    embedding = [float(x) for x in embedder.embed([query])[0]]
    raw = vectors.query(workspace=workspace, embedding=embedding, k=fetch, where=where)
    best: dict[str, tuple[float, str]] = {}
    chunk_ids = [h.id for h in raw if not h.metadata.get("document_id")]
    with db.session() as s:
        # .all(): dict() of a Result itself takes it for a mapping (it has keys()) and fails
        chunk_docs = dict(
            s.execute(
                select(ChunkRow.id, ChunkRow.document_id).where(
                    ChunkRow.workspace_id == workspace, ChunkRow.id.in_(chunk_ids)
                )
            )
            .tuples()
            .all()
        )
        for h in raw:
            doc_id = str(h.metadata.get("document_id") or chunk_docs.get(h.id) or "")
            if allowed is not None and doc_id not in allowed:
                continue
            if doc_id and (doc_id not in best or 1.0 - h.distance > best[doc_id][0]):
                best[doc_id] = (1.0 - h.distance, h.text)
        stmt = select(DocumentRow).where(DocumentRow.workspace_id == workspace, DocumentRow.id.in_(list(best)))
        if account_id is not None:
            stmt = stmt.where(_account_filter(workspace, account_id))
        rows = list(s.scalars(stmt))
    hits = []
    for row in rows:
        score, text = best[row.id]
        # a chunk is only quoted when it really is part of the stored text
        snippet = text.strip() if text.strip() and text.strip() in row.text else _snippet(row.text, _terms(query))
        hits.append(
            DocumentHit(
                document_id=row.id,
                account_id=row.account_id,
                url=row.url,
                title=row.title or None,
                published_at=row.published_at,
                snippet=snippet,
                score=round(score, 4),
            )
        )
    hits.sort(key=lambda h: (-h.score, h.document_id))
    return hits[:k]


def search_documents(
    db: Database,
    workspace: str,
    query: str,
    *,
    account_id: int | None = None,
    k: int = 5,
    vectors: VectorQuery | None = None,
    embedder: TextEmbedder | None = None,
) -> list[DocumentHit]:
    """Returns the stored documents that best match a query: by vectors when given, else (or on none) by SQL LIKE.

    With an account, its documents are the ones it is the primary account of and the ones linked to
    it (`document_links`): up to MAX_IN_FILTER of them filter the vector query by document id, more
    are kept from an unfiltered (workspace-only) query of k x OVERFETCH. Hits from the vector store are
    checked against the documents table (workspace and account filters again), so a store that
    returned too much can never widen what is shown; when none is left, the LIKE search answers.
    """
    if vectors is not None and embedder is not None:
        try:
            hits = _vector_search(
                db,
                workspace,
                query,
                account_id=account_id,
                k=k,
                vectors=vectors,
                embedder=embedder,
            )
        except Exception:  # the vector path is an improvement; the offline path must still answer
            log.warning("vector search failed; answering with the text search", exc_info=True)
            hits = []
        if hits:
            return hits
    return _like_search(db, workspace, query, account_id=account_id, k=k)


__all__ = [
    "MATERIAL",
    "AccountLookup",
    "AccountNotResolved",
    "AgentContext",
    "DocumentHit",
    "Signal",
    "TextEmbedder",
    "VectorQuery",
    "account_events",
    "account_tiers",
    "accounts_in_tiers",
    "active_config",
    "build_brief",
    "explain_score",
    "find_account",
    "find_account_in_text",
    "is_monitored",
    "list_signals",
    "not_resolved_answer",
    "search_documents",
    "stakeholder_map",
]
