"""Benchmark: the whole ingest job, end to end, on a local corpus served over loopback.

Builds a corpus in a temporary folder: N pages (default 1,000) replicated from the 103 real pages of
../shared/data/article-extraction-dev50 and trafilatura-eval-sample, and F generated RSS feeds of I
items each (default 50 × 100 = 5,000) made from the entries of the 25 real feeds in
../shared/data/rss-feeds/feedjira. Every replica is distinct content (a unique sentence inside the
main text, a canonical link to its own URL; a unique guid, link and sentence per item), so the
dedupe does not, correctly, drop them. A separate process serves the corpus on 127.0.0.1 with
Content-Type, an ETag per file, 304 on If-None-Match and a 404 robots.txt.

The job runs through `api.ops.ingest.run_ingest` exactly as `icp ingest` does (SafeFetcher with its
per-host concurrency of 2, 4 job workers, SQLite, embedded chromadb, the numpy MiniLM embedder),
with one `page` source per page and one `feed` source per feed. Phase 1 (fetch, parse, dedupe,
chunk, store) ends at the job's last "sources" progress report; phase 2 (embed pending) is the
rest; the embedder is wrapped to add up the time spent inside its `embed` calls. Then, in the same
process and on the same texts: trafilatura alone (`parse_page` over the page bytes read from disk)
plus `parse_feed` over the feed bytes, and the embedder alone over exactly the chunk texts run 1
embedded (read back from the chunks table as title + newline + text, as the sink builds them). The
model load and the opening of chromadb happen before run 1 and are reported apart. A second run
over the unchanged files should get a 304 per source and embed nothing.

Goals: run 1 wall ≤ 1.5 × (extraction alone + embedding alone); run 2 at least 20× faster than
run 1 with zero chunks embedded. The embedder's chunks/s is set against the float32 matmul peak
measured in the same run and, with --reference-python (or sentence-transformers installed here),
against torch on the same texts, or on an evenly spaced sample of them with --reference-sample
(numpy is then timed again on that sample); goal: numpy within 1.5× of torch's time. Every step is
reported in wall and CPU seconds: the 2 cores are shared, and CPU time shows contention.

    .venv/bin/python benchmarks/ingest_bench.py --reference-python /path/to/venv-with-torch/bin/python --reference-sample 3000
    .venv/bin/python benchmarks/ingest_bench.py --quick
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx
import numpy as np
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.ops.ingest import run_ingest  # noqa: E402
from api.services import Services  # noqa: E402
from api.settings import Settings  # noqa: E402
from benchmarks.embed_bench import (  # noqa: E402
    count_flops,
    describe_machine,
    measure_matmul_peak,
    run_torch_reference,
)
from ingest.chunking import Chunk  # noqa: E402
from ingest.embeddings import MiniLmEmbedder  # noqa: E402
from ingest.feeds import FeedEntry, parse_feed  # noqa: E402
from ingest.job import IngestSummary  # noqa: E402
from ingest.pages import decode_bytes, parse_page  # noqa: E402
from store.documents import add_source  # noqa: E402
from store.models import ChunkRow, DocumentRow  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PAGE_SOURCES = (
    (DATA / "article-extraction-dev50" / "html", "*.html.gz"),
    (DATA / "trafilatura-eval-sample" / "html", "*.html"),
)
FEED_FOLDER = DATA / "rss-feeds" / "feedjira"
PAGE_TYPE = "text/html; charset=utf-8"
FEED_TYPE = "application/rss+xml; charset=utf-8"
CONTENT_TYPES = {".html": PAGE_TYPE, ".xml": FEED_TYPE}
EMBED_BATCH = 32  # MiniLmEmbedder's default batch size, used for the torch reference too
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)


# --- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BasePage:
    """A real page and the offset in its HTML where a sentence lands inside the extracted main text."""

    html: str
    anchor: int


@dataclass
class Corpus:
    """The served files and their URLs."""

    folder: Path
    base_url: str
    page_files: list[Path] = field(default_factory=list)
    feed_files: list[Path] = field(default_factory=list)
    base_pages: int = 0
    base_pages_refused: int = 0
    feed_entries: int = 0

    def url_of(self, path: Path) -> str:
        """Returns the URL a served file has."""
        return f"{self.base_url}/{path.relative_to(self.folder).as_posix()}"


def read_base_pages() -> list[tuple[str, bytes]]:
    """Returns (name, bytes) of the shared real pages."""
    pages = []
    for folder, pattern in PAGE_SOURCES:
        for path in sorted(folder.glob(pattern)):
            raw = path.read_bytes()
            pages.append((path.name, gzip.decompress(raw) if path.suffix == ".gz" else raw))
    if not pages:
        raise SystemExit(f"no pages found under {DATA}")
    return pages


def with_marker(html: str, anchor: int, *, marker: str, canonical: str) -> str:
    """Returns the HTML with a sentence inserted at the anchor and a canonical link first in <head>."""
    text = html[:anchor] + marker + html[anchor:]
    link = f'<link rel="canonical" href="{escape(canonical, {chr(34): "&quot;"})}">'
    head = _HEAD.search(text)
    # First in <head>: the parser takes the first canonical link, and the page's own would make
    # every replica the same document.
    return text[: head.end()] + link + text[head.end() :] if head else link + text


def find_anchor(raw: bytes, *, probe_url: str) -> BasePage | None:
    """Returns the page with an insertion point that survives extraction, or None when none is found."""
    html = decode_bytes(raw)[0]
    text = parse_page(raw, url=probe_url, content_type="text/html").text or ""
    lines = sorted((line.strip() for line in text.splitlines()), key=len, reverse=True)
    probe = " Benchmark probe sentence qzxprobeqzx."
    for line in lines[:8]:
        words = line.split()
        if len(words) < 6:
            break
        snippet = " ".join(words[-5:])
        for pos in {html.find(snippet), html.rfind(snippet)} - {-1}:
            anchor = pos + len(snippet)
            trial = with_marker(html, anchor, marker=probe, canonical=probe_url)
            page = parse_page(trial.encode(), url=probe_url, content_type=PAGE_TYPE)
            if "qzxprobeqzx" in (page.text or "") and page.canonical_url == probe_url:
                return BasePage(html, anchor)
    return None


def read_feed_entries() -> list[FeedEntry]:
    """Returns the entries of the shared real feeds, parsed by the project's own parser."""
    entries: list[FeedEntry] = []
    for path in sorted(FEED_FOLDER.iterdir()):
        entries.extend(parse_feed(path.read_bytes(), url=f"https://feeds.example/{path.name}").entries)
    if not entries:
        raise SystemExit(f"no feed entries found under {FEED_FOLDER}")
    return entries


def render_feed(entries: Sequence[FeedEntry], *, feed: int, base_url: str) -> str:
    """Returns RSS 2.0 with one item per entry, each given a unique guid, link and sentence."""
    items = []
    for j, entry in enumerate(entries):
        body = entry.content_text if len(entry.content_text) > len(entry.summary_text) else entry.summary_text
        # First, not last: parse_feed caps a field at 20,000 characters, which would cut a last sentence off.
        paragraphs = [f"Benchmark copy {j} of feed {feed} (item {feed:03d}-{j:04d})."]
        paragraphs += [p for p in body.split("\n\n") if p.strip()]
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        day = entry.date or _FIRST_DAY + timedelta(hours=j)
        items.append(
            "<item>"
            f"<title>{escape(entry.title or f'Item {j}')}</title>"
            f"<link>{base_url}/items/{feed:03d}/{j:04d}.html</link>"
            f'<guid isPermaLink="false">bench-{feed:03d}-{j:04d}</guid>'
            f"<pubDate>{format_datetime(day)}</pubDate>"
            f"<description>{escape(html)}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Benchmark feed {feed}</title><link>{base_url}/</link><description>generated</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def build_corpus(folder: Path, *, base_url: str, pages: int, feeds: int, items_per_feed: int) -> Corpus:
    """Writes the replicated pages and generated feeds; returns their paths."""
    corpus = Corpus(folder=folder, base_url=base_url)
    (folder / "pages").mkdir(parents=True)
    (folder / "feeds").mkdir()
    bases = []
    for name, raw in read_base_pages():
        found = find_anchor(raw, probe_url=f"{base_url}/probe/{name}")
        if found is None:
            corpus.base_pages_refused += 1
        else:
            bases.append(found)
    corpus.base_pages = len(bases)
    for k in range(pages):
        base = bases[k % len(bases)]
        path = folder / "pages" / f"{k:05d}.html"
        marker = f" Benchmark replica {k} of page {k % len(bases)}."
        path.write_text(with_marker(base.html, base.anchor, marker=marker, canonical=corpus.url_of(path)), "utf-8")
        corpus.page_files.append(path)
    pool = read_feed_entries()
    corpus.feed_entries = len(pool)
    for f in range(feeds):
        chosen = [pool[(f * items_per_feed + j) % len(pool)] for j in range(items_per_feed)]
        path = folder / "feeds" / f"{f:03d}.xml"
        path.write_text(render_feed(chosen, feed=f, base_url=base_url), "utf-8")
        corpus.feed_files.append(path)
    return corpus


# --- the loopback server (its own process) -----------------------------------------------------------


class CorpusHandler(BaseHTTPRequestHandler):
    """Serves the corpus files with Content-Type and ETag, answering 304 to a matching If-None-Match."""

    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, root: Path, etags: dict[str, str], **kwargs: Any) -> None:
        self.root = root
        self.etags = etags
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        """Answers one GET: 404 for unknown paths (robots.txt included), 304 or 200 otherwise."""
        path = urlsplit(self.path).path
        etag = self.etags.get(path)
        if etag is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        sent = {tag.strip() for tag in self.headers.get("If-None-Match", "").split(",")}
        if etag in sent or "*" in sent:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (self.root / path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[Path(path).suffix])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stays quiet: thousands of requests would drown the figures."""


def serve_corpus(root: Path, *, port: int) -> None:
    """Serves the corpus folder on 127.0.0.1 until killed."""
    etags = {
        "/" + path.relative_to(root).as_posix(): '"' + hashlib.sha1(path.read_bytes()).hexdigest()[:20] + '"'
        for path in root.rglob("*")
        if path.is_file()
    }
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(CorpusHandler, root=root, etags=etags))
    server.daemon_threads = True
    server.serve_forever()


def free_port() -> int:
    """Returns a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(root: Path, *, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Starts the corpus server process (its stderr to `log`) and waits until it answers."""
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would stall the server mid-run
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(root), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    deadline = time.monotonic() + 30
    with httpx.Client(trust_env=False, timeout=1) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the corpus server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if client.get(f"http://127.0.0.1:{port}/robots.txt").status_code == 404:
                    return server
            except httpx.HTTPError:
                time.sleep(0.1)
    server.kill()
    raise SystemExit("the corpus server did not answer within 30 s")


# --- the runs ----------------------------------------------------------------------------------------


class TimedEmbedder:
    """Wraps an embedder, adding up the wall time and texts of its embed calls."""

    def __init__(self, inner: MiniLmEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.texts = 0

    @property
    def dim(self) -> int:
        """Returns the wrapped embedder's dimension."""
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Embeds with the wrapped embedder, timing the call."""
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall seconds and CPU seconds (all threads of this process) of one measured step."""

    wall: float
    cpu: float


class Stopwatch:
    """Measures wall and process CPU time from its creation."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def read(self) -> Timing:
        """Returns the time passed since the start."""
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


@dataclass(frozen=True, slots=True)
class RunFigures:
    """One ingest run: its time, its phases, the time inside the embedder, and its summary."""

    total: Timing
    phase1: Timing
    phase2: Timing
    embed_s: float
    embed_texts: int
    summary: IngestSummary


def run_timed(svc: Services, embedder: TimedEmbedder) -> RunFigures:
    """Runs the ingest job once; phase 1 ends at the job's last 'sources' progress report."""
    marks: list[Timing] = []
    watch = Stopwatch()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "sources" and done == total:
            marks.append(watch.read())

    embedder.seconds, embedder.texts = 0.0, 0
    run = run_ingest(svc, progress=progress)
    total = watch.read()
    split = marks[0] if marks else Timing(0.0, 0.0)
    phase2 = Timing(total.wall - split.wall, total.cpu - split.cpu)
    return RunFigures(total, split, phase2, embedder.seconds, embedder.texts, run.summary)


def embedded_texts(svc: Services) -> list[str]:
    """Returns the texts the job embedded: each chunk of an embedded document, titled as the sink titles it."""
    with svc.db.session() as s:
        rows = s.execute(
            select(DocumentRow.title, ChunkRow.text)
            .join(DocumentRow, ChunkRow.document_id == DocumentRow.id)
            .where(DocumentRow.workspace_id == svc.workspace, DocumentRow.status == "embedded")
            .order_by(ChunkRow.document_id, ChunkRow.idx)
        ).all()
    return [Chunk(idx=0, text=text, start=0, end=len(text), title=title or "").embed_text for title, text in rows]


def time_extraction(corpus: Corpus) -> tuple[Timing, Timing, int]:
    """Returns the time of parse_page over the pages and of parse_feed over the feeds, and the items parsed."""
    pages = [(path.read_bytes(), corpus.url_of(path)) for path in corpus.page_files]
    feeds = [(path.read_bytes(), corpus.url_of(path)) for path in corpus.feed_files]
    watch = Stopwatch()
    for body, url in pages:
        parse_page(body, url=url, content_type=PAGE_TYPE)
    pages_t = watch.read()
    watch = Stopwatch()
    items = sum(len(parse_feed(body, url=url, content_type=FEED_TYPE).entries) for body, url in feeds)
    return pages_t, watch.read(), items


def peak_rss_mib() -> float:
    """Returns this process's peak resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_kinds(summary: IngestSummary, feed_urls: set[str]) -> tuple[int, int]:
    """Returns (page documents, feed items) the run stored, from its per-source rows."""
    pages = items = 0
    for row in summary.per_source:
        stored = int(row.get("new", 0)) + int(row.get("updated", 0))
        if row["source"] in feed_urls:
            items += stored
        else:
            pages += stored
    return pages, items


@dataclass
class Figures:
    """Everything measured in one benchmark run."""

    corpus: Corpus
    build_s: float
    load_s: float
    run1: RunFigures
    run2: RunFigures
    rss_run1: float
    pages_alone: Timing
    feeds_alone: Timing
    items_parsed: int
    texts: list[str]
    embed_alone: Timing
    tokens: list[int]
    threads: int
    peak_gflops: float
    reference: Reference | None


@dataclass(frozen=True, slots=True)
class Reference:
    """sentence-transformers on torch beside the numpy embedder, both on the same texts."""

    texts: int
    numpy: Timing
    numpy_vectors: np.ndarray[Any, np.dtype[np.float32]]
    torch: dict[str, Any]


def compare_torch(
    embedder: MiniLmEmbedder, texts: list[str], *, python: str | None, sample: int | None, alone: Timing, vectors: Any
) -> Reference | None:
    """Times torch on the texts (or an evenly spaced sample, on which numpy is timed again); None without torch."""
    if sample is not None and sample < len(texts):
        texts = [texts[i] for i in np.linspace(0, len(texts) - 1, sample).round().astype(int)]
        watch = Stopwatch()
        vectors = embedder.embed(texts)
        alone = watch.read()
    found = run_torch_reference(python, texts, batch_size=EMBED_BATCH, check=64)
    return None if found is None else Reference(len(texts), alone, vectors[:64], found)


def measure(
    tmp: Path,
    *,
    pages: int,
    feeds: int,
    items_per_feed: int,
    reference_python: str | None,
    reference_sample: int | None,
) -> Figures:
    """Builds and serves the corpus, ingests it twice, then times the baselines on the same texts."""
    port = free_port()
    watch = Stopwatch()
    corpus = build_corpus(
        tmp / "corpus", base_url=f"http://127.0.0.1:{port}", pages=pages, feeds=feeds, items_per_feed=items_per_feed
    )
    build_s = watch.read().wall
    server = start_server(corpus.folder, port=port, log=tmp / "server.log")
    try:
        settings = Settings(
            icp_home=tmp / "home",
            embeddings="local",
            allow_loopback=True,
            fetch_host_delay_s=0,
            fetch_respect_robots=False,
        )
        svc = Services.create(settings, workspace="bench")
        with svc.db.session() as s:
            for path in corpus.page_files:
                add_source(s, svc.workspace, url=corpus.url_of(path), kind="page")
            for path in corpus.feed_files:
                add_source(s, svc.workspace, url=corpus.url_of(path), kind="feed")
        watch = Stopwatch()
        embedder = TimedEmbedder(MiniLmEmbedder())
        svc.override("embedder", embedder)
        _ = svc.vectors  # opens chromadb now, so that run 1 does not count it
        load_s = watch.read().wall
        run1 = run_timed(svc, embedder)
        rss_run1 = peak_rss_mib()
        run2 = run_timed(svc, embedder)
    finally:
        server.terminate()
        server.wait(timeout=10)
    texts = embedded_texts(svc)
    pages_alone, feeds_alone, items_parsed = time_extraction(corpus)
    inner = embedder.inner
    inner.embed(texts[:16])  # warms the tokenizer and the worker threads, as embed_bench does
    watch = Stopwatch()
    vectors = inner.embed(texts)
    embed_alone = watch.read()
    return Figures(
        corpus=corpus,
        build_s=build_s,
        load_s=load_s,
        run1=run1,
        run2=run2,
        rss_run1=rss_run1,
        pages_alone=pages_alone,
        feeds_alone=feeds_alone,
        items_parsed=items_parsed,
        texts=texts,
        embed_alone=embed_alone,
        tokens=inner.count_tokens(texts),
        threads=inner.threads,
        peak_gflops=measure_matmul_peak(),
        reference=compare_torch(
            inner, texts, python=reference_python, sample=reference_sample, alone=embed_alone, vectors=vectors
        ),
    )


# --- the report ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """Returns how a goal is reported."""
    return "met" if ok else "MISSED"


def print_row(label: str, t: Timing, *, pages: int = 0, items: int = 0, chunks: int = 0) -> None:
    """Prints one line of the table: wall and CPU seconds, then the rates over wall time."""
    rates = [f"{n / t.wall:9.1f}" if n and t.wall else f"{'':9}" for n in (pages, items, chunks)]
    print(f"{label:46} {t.wall:9.2f} {t.cpu:9.2f} {' '.join(rates)}")


def print_report(f: Figures, *, items_per_feed: int) -> None:
    """Prints the table, the counts and the goals."""
    c, r1, r2 = f.corpus, f.run1, f.run2
    s1, s2 = r1.summary, r2.summary
    pages_done, items_done = count_kinds(s1, {c.url_of(p) for p in c.feed_files})
    alone = Timing(
        f.pages_alone.wall + f.feeds_alone.wall + f.embed_alone.wall,
        f.pages_alone.cpu + f.feeds_alone.cpu + f.embed_alone.cpu,
    )
    print(
        f"corpus: {len(c.page_files):,} pages replicated from {c.base_pages} real pages ({c.base_pages_refused} "
        f"left out: no insertion point survived extraction), {len(c.feed_files)} feeds × {items_per_feed} items "
        f"from {c.feed_entries} real entries; built in {f.build_s:.1f} s (not counted)"
    )
    print(
        "served by a separate ThreadingHTTPServer process on 127.0.0.1 (ETag, 304); the job: run_ingest with "
        "4 workers, SafeFetcher at per-host concurrency 2 (every URL is on one host), no delay, robots off"
    )
    print(f"MiniLM load + chromadb open, before run 1 (not counted): {f.load_s:.2f} s")
    print()
    print(f"{'':46} {'wall s':>9} {'CPU s':>9} {'pages/s':>9} {'items/s':>9} {'chunks/s':>9}")
    print_row("run 1, end to end", r1.total, pages=pages_done, items=items_done, chunks=s1.embedded_chunks)
    print_row("  phase 1: fetch, parse, dedupe, chunk, store", r1.phase1, pages=pages_done, items=items_done)
    print_row("  phase 2: embed pending, upsert, mark", r1.phase2, chunks=s1.embedded_chunks)
    print_row("    of which inside embedder.embed (wall)", Timing(r1.embed_s, float("nan")), chunks=r1.embed_texts)
    print_row("trafilatura alone (parse_page over pages)", f.pages_alone, pages=len(c.page_files))
    print_row("parse_feed alone (over feeds)", f.feeds_alone, items=f.items_parsed)
    print_row("embedder alone (the same chunk texts)", f.embed_alone, chunks=len(f.texts))
    print_row("extraction alone + embedding alone", alone)
    print_row("run 2, unchanged sources", r2.total)
    print()
    print(
        f"run 1: {s1.sources:,} sources, {s1.new:,} new documents ({pages_done:,} pages, {items_done:,} feed items; "
        f"{(pages_done + items_done) / r1.total.wall:.1f} documents/s), {s1.duplicates} duplicates, "
        f"{len(s1.failed)} failed; {s1.embedded_chunks:,} chunks embedded, {len(f.texts):,} read back"
    )
    print(
        f"run 2: {s2.not_modified:,} of {s2.sources:,} sources not modified (304), {s2.new + s2.updated} documents "
        f"stored, {s2.embedded_chunks} chunks embedded, {len(s2.failed)} failed"
    )
    for failure in (s1.failed + s2.failed)[:5]:
        print(f"  failed: {failure['source']}: {failure['reason']}")
    flops = count_flops(f.tokens)
    achieved = flops / f.embed_alone.wall / 1e9
    same_texts = len(f.texts) == s1.embedded_chunks and r1.embed_s > 0
    in_run = f"{flops / r1.embed_s / 1e9:.1f}" if same_texts else "n/a"
    print(
        f"embedder ({f.threads} workers): {sum(f.tokens):,} wordpieces (mean {np.mean(f.tokens or [0]):.0f} per chunk), "
        f"{flops / 1e12:.2f} TFLOP; {achieved:.1f} GFLOP/s alone, {in_run} GFLOP/s inside run 1; float32 2048² "
        f"matmul peak {f.peak_gflops:.1f} GFLOP/s: {100 * achieved / f.peak_gflops:.0f}% of it alone"
    )
    print_reference(f)
    print(
        f"peak RSS (getrusage, this process): {f.rss_run1:,.0f} MiB after run 1, {peak_rss_mib():,.0f} MiB at the end"
    )
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")
    e2e, e2e_cpu = r1.total.wall / alone.wall, r1.total.cpu / alone.cpu
    speedup = r1.total.wall / r2.total.wall
    print(
        f"goal  run 1 / (extraction + embedding alone) = {e2e:.2f} wall, {e2e_cpu:.2f} CPU (≤ 1.5: {verdict(e2e <= 1.5)})"
    )
    print(f"goal  run 1 / run 2 = {speedup:.1f} (≥ 20: {verdict(speedup >= 20)})")
    print(f"goal  chunks embedded in run 2 = {s2.embedded_chunks} (0: {verdict(s2.embedded_chunks == 0)})")


def print_reference(f: Figures) -> None:
    """Prints sentence-transformers' time on the same texts, when it ran."""
    ref = f.reference
    if ref is None:
        print("torch reference: not run (no sentence-transformers here; pass --reference-python)")
        return
    torch = ref.torch
    theirs = np.asarray(torch["vectors"], dtype=np.float32)
    cosine = float((theirs * ref.numpy_vectors[: len(theirs)]).sum(axis=1).min()) if len(theirs) else float("nan")
    ratio = ref.numpy.wall / torch["seconds"]
    which = (
        "all the chunk texts" if ref.texts == len(f.texts) else f"an evenly spaced sample of {ref.texts:,} chunk texts"
    )
    print(
        f"torch {torch['torch']} sentence-transformers ({torch['threads']} threads) on {which}: "
        f"{torch['seconds']:.1f} s ({torch['cpu_seconds']:.1f} CPU-s), {ref.texts / torch['seconds']:.1f} chunks/s; "
        f"numpy {ref.numpy.wall:.1f} s ({ref.numpy.cpu:.1f} CPU-s), {ref.texts / ref.numpy.wall:.1f} chunks/s: "
        f"{ratio:.2f}x torch's time, {ref.numpy.cpu / torch['cpu_seconds']:.2f}x its CPU time "
        f"(goal ≤ 1.5: {verdict(ratio <= 1.5)}); min cosine numpy vs torch on {len(theirs)} chunks: {cosine:.6f}"
    )


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark (or, with --serve, the corpus server) and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="pages to serve (default 1000)")
    parser.add_argument("--feeds", type=int, default=50, help="feeds to serve (default 50)")
    parser.add_argument("--items-per-feed", type=int, default=100, help="items per feed (default 100)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 pages, 10 feeds × 50 items")
    parser.add_argument("--reference-python", default=None, help="a Python with torch and sentence-transformers")
    parser.add_argument(
        "--reference-sample",
        type=int,
        default=None,
        help="compare with torch on an evenly spaced sample of this many chunk texts, numpy timed again on "
        "the same sample (default: all the texts)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve_corpus(args.serve, port=args.port)
        return
    if args.quick:
        args.pages, args.feeds, args.items_per_feed = 100, 10, 50
    print(describe_machine())
    with tempfile.TemporaryDirectory(prefix="icp-ingest-bench-") as tmp:
        figures = measure(
            Path(tmp),
            pages=args.pages,
            feeds=args.feeds,
            items_per_feed=args.items_per_feed,
            reference_python=args.reference_python,
            reference_sample=args.reference_sample,
        )
        print_report(figures, items_per_feed=args.items_per_feed)


if __name__ == "__main__":
    main()
