"""The ingest job: fetch → parse → dedupe → link → chunk → store, then embed, resumably.

Two phases keep every interruption recoverable (RELIABILITY.md D-1 to D-4):

1. Per source, in one transaction of the sink: the source's documents and chunks are stored
   with status `pending`, and only then the source's ETag / Last-Modified. A crash before the
   commit leaves the source as it was, so the next run fetches it again.
2. Pending documents are embedded in batches; vectors are upserted under deterministic ids
   (`<document id>:<chunk index>`), stale chunk ids of a shortened document are deleted, and
   the document is marked `embedded`. A crash here leaves documents pending: the next run
   embeds them again under the same ids, so nothing doubles and no vector lacks a row.

A source that fails, or returns nothing, or a parked page, keeps what it had; it is marked
stale with the reason. One bad source never stops the others.

Unchanged documents are neither stored nor embedded again, but their account links are
recomputed every run (an account imported later, a source given to another account) and written
only where they differ. Feed and page sources use conditional GET; a site's home page is always
fetched in full, because its links choose the sub-pages, which may change while it does not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.chunking import Chunk, chunk_text
from ingest.dates import publication_date
from ingest.dedupe import NearDupIndex, content_hash, signature, signature_from_bytes, signature_to_bytes
from ingest.entities import AccountRef, EntityMatcher
from ingest.errors import FetchError, IngestError, ParseError
from ingest.feeds import FeedEntry, parse_feed
from ingest.fetch import ContentKind, Fetcher, FetchResult
from ingest.local import list_local_sources
from ingest.pages import ParsedPage, parse_page
from ingest.sites import classify_site_link, parse_sitemap, select_site_pages
from ingest.urls import canonicalize_url, document_id

log = logging.getLogger("icp.ingest")

FEED_KINDS = frozenset({ContentKind.FEED, ContentKind.XML, ContentKind.JSON})
PAGE_KINDS = frozenset({ContentKind.HTML})
MAX_TEXT_CHARS = 200_000
MAX_HTML_META_CHARS = 200_000
_PARKED = re.compile(
    r"\b(this domain (?:name )?(?:is|may be) for sale|buy this domain|domain (?:is )?parked|parked free|"
    r"courtesy of godaddy|sedo domain parking)\b",
    re.IGNORECASE,
)


class EmbedderLike(Protocol):
    """What the job needs of an embedder."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]: ...


class VectorsLike(Protocol):
    """What the job needs of a vector store."""

    def upsert(
        self,
        *,
        ids: Sequence[str],
        embeddings: np.ndarray[Any, np.dtype[np.float32]],
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, str | int | float | bool]],
    ) -> None: ...

    def delete(
        self, *, workspace: str, ids: Sequence[str] | None = None, where: Mapping[str, object] | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source to ingest: a feed, a site (home page plus chosen pages), one page, or a local path."""

    id: int
    kind: str  # feed | site | page | file
    url: str
    account_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    base_url: str | None = None

    @property
    def label(self) -> str:
        """Returns how the source is named in summaries."""
        return self.url


@dataclass
class DocumentRecord:
    """A document ready to store."""

    id: str
    url: str
    canonical_url: str
    title: str
    doc_type: str
    text: str
    content_hash: str
    fetched_at: datetime
    source_id: int
    account_id: int | None = None
    links: list[tuple[int, str]] = field(default_factory=list)
    published_at: datetime | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    signature: bytes | None = None
    cluster_id: str | None = None
    status: str = "pending"


@dataclass(frozen=True, slots=True)
class PendingDocument:
    """A stored document whose chunks still need vectors."""

    id: str
    account_id: int | None
    source_id: int | None
    url: str
    title: str
    doc_type: str
    published_at: datetime | None
    cluster_id: str | None
    chunks: list[Chunk]
    previous_chunks: int


class IngestSink(Protocol):
    """Where the job keeps its state (the store implements it; tests may use a fake)."""

    def known_documents(self, ids: Sequence[str]) -> dict[str, str]:
        """Returns content hash by id for the ids already stored."""
        ...

    def known_hashes(self, hashes: Sequence[str]) -> dict[str, str]:
        """Returns, for content hashes already stored, a document id holding that content."""
        ...

    def signatures(self) -> Iterable[tuple[str, bytes, str | None]]:
        """Yields (document id, near-duplicate signature, cluster id) of stored documents."""
        ...

    def commit_source(
        self,
        source: SourceSpec,
        documents: Sequence[DocumentRecord],
        chunks: Mapping[str, Sequence[Chunk]],
        *,
        etag: str | None,
        last_modified: str | None,
        items: int,
        status: str,
    ) -> None:
        """Stores a source's documents and chunks, then its validators, in one transaction."""
        ...

    def relink(self, source: SourceSpec, documents: Sequence[DocumentRecord]) -> dict[str, list[int]]:
        """Rewrites the stored links and primary account of the source's documents where they differ.

        Returns, per rewritten document, the accounts it is newly linked to; documents whose links
        are as stored are only read, never written.
        """
        ...

    def source_failed(self, source: SourceSpec, *, error: str, status: str) -> None:
        """Records a failure; the source's documents are kept and marked stale."""
        ...

    def pending(self, limit: int) -> list[PendingDocument]:
        """Returns documents waiting for vectors."""
        ...

    def mark_embedded(self, done: Mapping[str, int]) -> None:
        """Marks documents embedded with their chunk counts."""
        ...


@dataclass
class IngestSummary:
    """What a run did, per the CLI's --format json contract."""

    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    relinked: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    linked: dict[str, int] = field(default_factory=dict)
    unattributed: int = 0
    embedded_documents: int = 0
    embedded_chunks: int = 0
    per_source: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Returns the summary as JSON-able data."""
        return {
            "sources": self.sources,
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "relinked": self.relinked,
            "failed": self.failed,
            "linked": self.linked,
            "unattributed": self.unattributed,
            "embedded_documents": self.embedded_documents,
            "embedded_chunks": self.embedded_chunks,
            "per_source": self.per_source,
            "note": self.note,
        }


@dataclass
class _Fetched:
    """The documents one source produced before storing."""

    source: SourceSpec
    documents: list[DocumentRecord]
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    fetched: int = 0
    error: str | None = None
    status: str = "ok"


ProgressFn = Callable[[str, int, int], None]


class IngestJob:
    """Runs sources through fetch, parse, dedupe, linking and storage, then embeds what is pending.

    job = IngestJob(workspace="default", sink=sink, web=SafeFetcher(user_agent=ua),
                    local=LocalFetcher(), embedder=embedder, vectors=vectors, accounts=refs)
    summary = job.run(sources)
    """

    def __init__(
        self,
        *,
        workspace: str,
        sink: IngestSink,
        web: Fetcher | None,
        local: Fetcher | None,
        embedder: EmbedderLike,
        vectors: VectorsLike,
        accounts: Sequence[AccountRef] = (),
        account_names: Mapping[int, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_site_pages: int = 8,
        max_workers: int = 4,
        embed_batch: int = 128,
        progress: ProgressFn | None = None,
    ) -> None:
        self.workspace = workspace
        self.sink = sink
        self.web = web
        self.local = local
        self.embedder = embedder
        self.vectors = vectors
        self.matcher = EntityMatcher(accounts) if accounts else None
        self.account_names = dict(account_names or {a.id: a.name for a in accounts})
        self.clock = clock
        self.max_site_pages = max_site_pages
        self.max_workers = max_workers
        self.embed_batch = embed_batch
        self.progress = progress

    # --- phase 1 ------------------------------------------------------------------------

    def run(self, sources: Sequence[SourceSpec]) -> IngestSummary:
        """Ingests the sources and embeds everything pending; returns the summary."""
        summary = IngestSummary(sources=len(sources))
        index = NearDupIndex.from_signatures(
            (doc_id, signature_from_bytes(sig), cluster) for doc_id, sig, cluster in self.sink.signatures()
        )
        done = 0
        with ThreadPoolExecutor(max_workers=max(1, self.max_workers)) as pool:
            for fetched in pool.map(self._collect, sources):
                try:
                    self._store(fetched, index, summary)
                except Exception as exc:  # a failed write loses nothing: the source is fetched again next run
                    log.exception("storing %s failed", fetched.source.url)
                    summary.failed.append({"source": fetched.source.label, "reason": f"storage error: {_reason(exc)}"})
                done += 1
                if self.progress:
                    self.progress("sources", done, len(sources))
        self.embed_pending(summary)
        return summary

    def _collect(self, source: SourceSpec) -> _Fetched:
        try:
            if source.kind == "feed":
                return self._collect_feed(source)
            if source.kind in ("site", "page"):
                return self._collect_site(source, follow=source.kind == "site")
            if source.kind == "file":
                return self._collect_local(source)
            return _Fetched(source, [], None, None, error=f"unknown source kind {source.kind!r}", status="error")
        except (IngestError, OSError, ValueError) as exc:
            return _Fetched(source, [], None, None, error=_reason(exc), status=_status(exc))
        except Exception as exc:  # a parser bug must not sink the batch; it is logged and reported
            log.exception("unexpected error ingesting %s", source.url)
            return _Fetched(
                source, [], None, None, error=f"unexpected error: {type(exc).__name__}: {exc}", status="error"
            )

    def _fetcher(self, url: str) -> Fetcher:
        is_local = url.startswith("file:") or not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url)
        fetcher = self.local if is_local else self.web
        if fetcher is None:
            kind = "local files" if is_local else "the web"
            raise IngestError(f"{url}: this run cannot read {kind}")
        return fetcher

    def _collect_feed(self, source: SourceSpec) -> _Fetched:
        res = self._fetcher(source.url).fetch(
            source.url, etag=source.etag, last_modified=source.last_modified, accept=FEED_KINDS | PAGE_KINDS
        )
        if res.not_modified:
            return _Fetched(source, [], res.etag, res.last_modified, not_modified=True, fetched=1)
        docs = self._feed_documents(source, res)
        return _Fetched(source, docs, res.etag, res.last_modified, fetched=1)

    def _feed_documents(self, source: SourceSpec, res: FetchResult) -> list[DocumentRecord]:
        feed = parse_feed(res.body, url=self._display_url(source, res.url), content_type=res.content_type)
        docs = []
        for entry in feed.entries:
            doc = self._entry_document(source, entry, feed_url=self._display_url(source, res.url))
            if doc is not None:
                docs.append(doc)
        return docs

    def _entry_document(self, source: SourceSpec, entry: FeedEntry, *, feed_url: str) -> DocumentRecord | None:
        text = (
            entry.content_text if len(entry.content_text or "") > len(entry.summary_text or "") else entry.summary_text
        )
        text = (text or "").strip()
        title = (entry.title or "").strip()
        if not text and not title:
            return None
        url = entry.link
        identity: str | None = None
        if not url:
            # an item without a link is named by its feed and its guid (or its content); the fragment
            # that carries that name must survive canonicalisation, or all such items share one id
            key = entry.guid or content_hash(title + text)[:16]
            url = f"{feed_url}#{key}"
            identity = f"{_canonical(feed_url)}#{key}"
        published = publication_date(feed=entry.date, page=None, url=entry.link)
        body = text if text.startswith(title) or not title else f"{title}.\n\n{text}"
        return self._record(
            source,
            url=url,
            title=title,
            text=body,
            doc_type="feed_item",
            published=published,
            meta={"feed_url": feed_url, "guid": entry.guid, "authors": entry.authors, "tags": entry.tags},
            identity=identity,
        )

    def _collect_site(self, source: SourceSpec, *, follow: bool) -> _Fetched:
        fetcher = self._fetcher(source.url)
        # A site's home page is always fetched in full: an unchanged home page says nothing about its
        # sub-pages (a new press release on /news), and its links choose them. Unchanged sub-pages
        # cost a request but are recognised by content hash, so nothing is stored or embedded again.
        etag, last_modified = (None, None) if follow else (source.etag, source.last_modified)
        home = fetcher.fetch(source.url, etag=etag, last_modified=last_modified, accept=PAGE_KINDS)
        if home.not_modified:
            return _Fetched(source, [], home.etag, home.last_modified, not_modified=True, fetched=1)
        page = parse_page(home.body, url=home.url, content_type=home.content_type, headers=dict(home.headers))
        _refuse_parked(page, home.url)
        docs = [self._page_document(source, page, home, doc_type="home" if follow else "page")]
        fetched = 1
        if follow:
            sitemap_urls = self._sitemap_urls(fetcher, home.url)
            links = [(link.url, link.text) for link in page.links]
            chosen = select_site_pages(home.url, links, sitemap_urls, max_pages=self.max_site_pages)
            feeds = page.feed_links[:2]
            for url, kind in chosen:
                try:
                    res = fetcher.fetch(url, accept=PAGE_KINDS)
                    sub = parse_page(res.body, url=res.url, content_type=res.content_type, headers=dict(res.headers))
                    docs.append(self._page_document(source, sub, res, doc_type=kind.value))
                    fetched += 1
                except (IngestError, ValueError) as exc:
                    log.info("skipping %s: %s", url, exc)
            for url in feeds:
                try:
                    res = fetcher.fetch(url, accept=FEED_KINDS)
                    docs.extend(self._feed_documents(source, res))
                    fetched += 1
                except (IngestError, ValueError) as exc:
                    log.info("skipping feed %s: %s", url, exc)
        return _Fetched(source, docs, home.etag, home.last_modified, fetched=fetched)

    def _sitemap_urls(self, fetcher: Fetcher, home_url: str) -> list[str]:
        from urllib.parse import urljoin

        try:
            res = fetcher.fetch(
                urljoin(home_url, "/sitemap.xml"), accept=frozenset({ContentKind.XML, ContentKind.TEXT})
            )
            return list(parse_sitemap(res.body).urls)
        except (IngestError, ValueError):
            return []

    def _collect_local(self, source: SourceSpec) -> _Fetched:
        fetcher = self._fetcher(source.url)
        files = list(list_local_sources(source.url))
        docs: list[DocumentRecord] = []
        errors = []
        for path in files:
            try:
                res = fetcher.fetch(str(path), accept=FEED_KINDS | PAGE_KINDS | frozenset({ContentKind.TEXT}))
                docs.extend(self._local_documents(source, path, res))
            except (IngestError, ValueError) as exc:
                errors.append(f"{path.name}: {_reason(exc)}")
        if errors and not docs:
            raise IngestError("; ".join(errors[:5]))
        return _Fetched(source, docs, None, None, fetched=len(files))

    def _local_documents(self, source: SourceSpec, path: Path, res: FetchResult) -> list[DocumentRecord]:
        url = self._display_url(source, res.url, path=path)
        if res.content_type in ("text/html", "application/xhtml+xml"):
            page = parse_page(res.body, url=url, content_type=res.content_type)
            kind = classify_site_link(url, page.title or "")
            doc_type = kind.value if kind else ("home" if path.stem == "index" else "page")
            return [self._page_document(source, page, res, doc_type=doc_type, url=url)]
        try:
            return self._feed_documents(source, res)
        except ParseError:
            if res.content_type == "text/plain":
                text = res.body.decode("utf-8", errors="replace")
                return [
                    self._record(source, url=url, title=path.stem, text=text, doc_type="file", published=None, meta={})
                ]
            raise

    def _display_url(self, source: SourceSpec, url: str, *, path: Path | None = None) -> str:
        """Maps a local file to the public URL it stands for, when the source names a base URL."""
        if source.base_url and (path is not None or url.startswith("file:")):
            p = path or Path(url.removeprefix("file://"))
            root = Path(source.url.removeprefix("file://"))
            try:
                rel = p.resolve().relative_to(root.resolve()).as_posix() if root.is_dir() else p.name
            except ValueError:
                rel = p.name
            return source.base_url.rstrip("/") + "/" + rel
        if path is not None and not url.startswith("file:"):
            return path.resolve().as_uri()
        return url

    def _page_document(
        self, source: SourceSpec, page: ParsedPage, res: FetchResult, *, doc_type: str, url: str | None = None
    ) -> DocumentRecord:
        published = publication_date(feed=None, page=page.published, url=url or res.url)
        meta: dict[str, Any] = {
            "organization": page.organization.as_dict() if page.organization else None,
            "meta": dict(page.meta),
            "script_srcs": list(page.script_srcs)[:200],
            "generator": page.generator,
            "headers": {k: v for k, v in res.headers.items() if k in ("server", "x-powered-by", "set-cookie")},
            "description": page.description,
            "html": (page.html or "")[:MAX_HTML_META_CHARS],
        }
        return self._record(
            source,
            url=url or page.canonical_url or res.url,
            title=page.title or "",
            text=page.text or page.description or "",
            doc_type=doc_type,
            published=published,
            meta=meta,
            language=page.language,
        )

    def _record(
        self,
        source: SourceSpec,
        *,
        url: str,
        title: str,
        text: str,
        doc_type: str,
        published: datetime | None,
        meta: dict[str, Any],
        language: str | None = None,
        identity: str | None = None,
    ) -> DocumentRecord:
        text = text[:MAX_TEXT_CHARS]
        canonical = identity or _canonical(url)
        account_id = source.account_id
        links: list[tuple[int, str]] = []
        if account_id is not None:
            links.append((account_id, "source"))
        elif self.matcher is not None:
            hits = self.matcher.match(text, title=title)
            seen: set[int] = set()
            for hit in sorted(hits, key=lambda h: (-h.score, h.field != "title", h.start)):
                if hit.account_id not in seen:
                    seen.add(hit.account_id)
                    links.append((hit.account_id, hit.how))
            account_id = links[0][0] if links else None
        return DocumentRecord(
            id=document_id(self.workspace, canonical),
            url=url,
            canonical_url=canonical,
            title=title,
            doc_type=doc_type,
            text=text,
            content_hash=content_hash(f"{title}\n{text}"),
            fetched_at=self.clock(),
            source_id=source.id,
            account_id=account_id,
            links=links,
            published_at=published,
            language=language,
            meta=meta,
        )

    def _store(self, fetched: _Fetched, index: NearDupIndex, summary: IngestSummary) -> None:
        src = fetched.source
        row: dict[str, Any] = {"source": src.label, "status": fetched.status}
        if fetched.error is not None:
            summary.failed.append({"source": src.label, "reason": fetched.error})
            self.sink.source_failed(src, error=fetched.error, status=fetched.status)
            summary.per_source.append({**row, "error": fetched.error})
            return
        summary.fetched += fetched.fetched
        if fetched.not_modified:
            summary.not_modified += 1
            self.sink.commit_source(
                src, [], {}, etag=fetched.etag, last_modified=fetched.last_modified, items=0, status="not_modified"
            )
            summary.per_source.append({**row, "status": "not_modified"})
            return
        docs = _unique(fetched.documents)
        if not docs:
            # an empty result never deletes stored items; it is recorded and the source marked stale
            reason = "returned no items"
            summary.failed.append({"source": src.label, "reason": reason})
            self.sink.source_failed(src, error=reason, status="empty")
            summary.per_source.append({**row, "status": "empty", "error": reason})
            return
        known = self.sink.known_documents([d.id for d in docs])
        same_content = self.sink.known_hashes([d.content_hash for d in docs if d.id not in known])
        to_store: list[DocumentRecord] = []
        chunks: dict[str, list[Chunk]] = {}
        counts = {"new": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "relinked": 0}
        run_hashes: dict[str, str] = {}
        unchanged: list[DocumentRecord] = []
        for d in docs:
            if known.get(d.id) == d.content_hash:
                counts["unchanged"] += 1
                unchanged.append(d)
                continue
            sig = signature(f"{d.title}\n{d.text}")
            d.signature = signature_to_bytes(sig)
            d.cluster_id = index.add_signature(d.id, sig)
            twin = same_content.get(d.content_hash) or run_hashes.get(d.content_hash)
            if twin is not None and twin != d.id:
                # the same text under another URL: another source of the same story, not embedded twice
                d.status = "duplicate"
                d.cluster_id = index.cluster_of(twin) or twin
                counts["duplicates"] += 1
                chunks[d.id] = []
            else:
                counts["updated" if d.id in known else "new"] += 1
                chunks[d.id] = chunk_text(d.text, title=d.title) if d.text.strip() else []
            run_hashes.setdefault(d.content_hash, d.id)
            to_store.append(d)
            self._count_links(summary, [acc for acc, _ in d.links])
            if not d.links:
                summary.unattributed += 1
        if unchanged:
            # accounts imported or sources reassigned since the last run change the links of
            # unchanged documents too; the sink compares first and writes only what differs
            added = self.sink.relink(src, unchanged)
            counts["relinked"] = len(added)
            for accounts in added.values():
                self._count_links(summary, accounts)
        self.sink.commit_source(
            src,
            to_store,
            chunks,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            items=len(docs),
            status="ok",
        )
        summary.new += counts["new"]
        summary.updated += counts["updated"]
        summary.unchanged += counts["unchanged"]
        summary.duplicates += counts["duplicates"]
        summary.relinked += counts["relinked"]
        summary.per_source.append({**row, "items": len(docs), **counts})

    def _count_links(self, summary: IngestSummary, accounts: Iterable[int]) -> None:
        for acc in accounts:
            name = self.account_names.get(acc, str(acc))
            summary.linked[name] = summary.linked.get(name, 0) + 1

    # --- phase 2 ------------------------------------------------------------------------

    def embed_pending(self, summary: IngestSummary | None = None) -> int:
        """Embeds every pending document; returns how many chunks got vectors."""
        total = 0
        while True:
            batch = self.sink.pending(self.embed_batch)
            if not batch:
                return total
            texts: list[str] = []
            ids: list[str] = []
            metas: list[dict[str, str | int | float | bool]] = []
            for doc in batch:
                for ch in doc.chunks:
                    ids.append(f"{doc.id}:{ch.idx}")
                    texts.append(ch.embed_text)
                    metas.append(
                        {
                            "workspace": self.workspace,
                            "document_id": doc.id,
                            "account_id": doc.account_id if doc.account_id is not None else -1,
                            "source_id": doc.source_id if doc.source_id is not None else -1,
                            "url": doc.url[:1000],
                            "title": doc.title[:300],
                            "doc_type": doc.doc_type,
                            "published": int(doc.published_at.timestamp()) if doc.published_at else 0,
                            "cluster": doc.cluster_id or doc.id,
                            "chunk": ch.idx,
                        }
                    )
            try:
                if ids:
                    vectors = self.embedder.embed(texts)
                    self.vectors.upsert(ids=ids, embeddings=vectors, texts=texts, metadatas=metas)
                stale = [f"{d.id}:{i}" for d in batch for i in range(len(d.chunks), d.previous_chunks)]
                if stale:
                    self.vectors.delete(workspace=self.workspace, ids=stale)
                self.sink.mark_embedded({d.id: len(d.chunks) for d in batch})
            except Exception as exc:  # the documents stay pending and are embedded by the next run
                log.exception("embedding failed")
                if summary is not None:
                    summary.failed.append({"source": "embedding", "reason": f"embedding error: {_reason(exc)}"})
                return total
            total += len(ids)
            if summary is not None:
                summary.embedded_documents += len(batch)
                summary.embedded_chunks += len(ids)
            if self.progress:
                self.progress("embedded", total, total)


def _unique(docs: Sequence[DocumentRecord]) -> list[DocumentRecord]:
    seen: dict[str, DocumentRecord] = {}
    for d in docs:
        seen.setdefault(d.id, d)
    return list(seen.values())


def _canonical(url: str) -> str:
    try:
        return canonicalize_url(url)
    except ValueError:  # a local file's URL, say: it is its own identity
        return url


def _refuse_parked(page: ParsedPage, url: str) -> None:
    sample = f"{page.title or ''} {(page.text or '')[:2000]}"
    if _PARKED.search(sample):
        raise ParseError(f"{url} looks like a parked domain (for-sale page); stored content kept")


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "…"


def _status(exc: BaseException) -> str:
    if isinstance(exc, FetchError):
        return type(exc).__name__
    if isinstance(exc, ParseError):
        return "parse_error"
    return "error"
