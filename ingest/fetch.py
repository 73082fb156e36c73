"""The fetch seam (``Fetcher``) and ``SafeFetcher``, the guarded HTTP implementation (RELIABILITY F-1 to F-7).

This module owns the fetch itself: ``FetchResult``, the ``Fetcher`` protocol, ``SafeFetcher`` (URL
checks, per-host politeness, robots.txt, retries, redirects, the per-fetch deadline, mapping errors
to ``ingest.errors``), ``fetch_many`` and the scriptable ``FakeFetcher``. Two helpers do the rest:
``ingest.transport`` holds the guarded connection layer (``GuardedTransport``; it is the only
module that imports httpcore) and ``ingest.content`` the media types, content sniffing and capped
body reading. Their public names are re-exported here, so callers import everything from
``ingest.fetch``.

Connecting to the validated address (F-1, F-2). By default every connection goes through
``GuardedTransport``, which resolves the host once, refuses it if any answer is not public and
connects only to a checked address; ``ingest.transport`` explains how. When a test injects its own
``transport`` (e.g. ``httpx.MockTransport``) the fetcher cannot see the connect, so it checks each
hop's addresses with the resolver before sending instead.

Politeness and retries (F-7). Per host: at most ``per_host_concurrency`` requests in flight and
request starts ``per_host_delay_s`` apart; robots.txt is obeyed (``ingest.robots``). Only 408, 429,
5xx and connection failures are retried, at most ``max_retries`` times, waiting for Retry-After
(seconds or an HTTP date) when given; a Retry-After over ``max_retry_wait_s`` or past the deadline
fails at once instead of waiting.

Deadline (F-5). Each fetch's deadline starts with its first request (time queued behind other
fetches to the same host for politeness does not count) and covers robots.txt, redirects, retries
and the body. Connect, TLS, read and write timeouts are clamped to the time left at the socket
(``ingest.transport``), so a slow-drip or silent server cannot hold a worker past the deadline.

Example::

    fetcher = SafeFetcher(user_agent="icp-agent/0.1 (+https://example.org/bot)")
    result = fetcher.fetch("https://example.com/feed.xml", etag=stored_etag)
    if not result.not_modified:
        parse_feed(result.body)
"""

from __future__ import annotations

import contextlib
import email.utils
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import httpx

from ingest.content import (
    DEFAULT_ACCEPT,
    DEFAULT_ALLOWED_TYPES,
    MEDIA_TYPES,
    ContentKind,
    ContentKinds,
    MiB,
    _looks_binary,
    _read_body,
    parse_content_type,
    sniff_media_type,
)
from ingest.errors import (
    BadContentType,
    BlockedAddress,
    BlockedURL,
    ConnectError,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from ingest.netguard import Resolver, SystemResolver, check_url_parts, resolve_public
from ingest.robots import ROBOTS_MAX_BYTES, RobotsCache, RobotsResponse
from ingest.transport import _BUDGET, GuardedTransport, _Budget

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_ALLOWED_TYPES",
    "MEDIA_TYPES",
    "ContentKind",
    "ContentKinds",
    "FakeFetcher",
    "FetchResult",
    "Fetcher",
    "GuardedTransport",
    "MiB",
    "SafeFetcher",
    "check_destination",
    "fetch_many",
    "parse_content_type",
    "sniff_media_type",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})


@dataclass(frozen=True)
class FetchResult:
    """One fetched document: the final URL, status, lower-case headers, body and how it was obtained."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    redirects: tuple[str, ...]
    elapsed_s: float
    attempts: int


class Fetcher(Protocol):
    """Fetches one source; ``SafeFetcher`` (web), ``LocalFetcher`` (files) and ``FakeFetcher`` (tests) implement it.

    Example::

        result = fetcher.fetch(url, etag=doc.etag, last_modified=doc.last_modified, accept=frozenset({ContentKind.FEED}))
    """

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: ContentKinds = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """Returns the document at url, or raises a FetchError subclass naming the URL and the problem."""
        ...


def check_destination(url: str, *, resolver: Resolver, allow_loopback: bool = False) -> list[str]:
    """Returns the addresses a URL may be fetched from, or raises BlockedURL/BlockedAddress (the F-1 decision)."""
    target = _parse_url(url, allow_loopback=allow_loopback)
    return resolve_public(
        target.raw_host.decode("ascii"),
        target.port or (443 if target.scheme == "https" else 80),
        url=url,
        resolver=resolver,
        allow_loopback=allow_loopback,
    )


def _parse_url(url: str, *, allow_loopback: bool) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedURL(f"{url}: not a valid URL ({exc})", url=url) from exc
    check_url_parts(
        url,
        scheme=target.scheme,
        userinfo=target.userinfo.decode("ascii", errors="replace"),
        host=target.raw_host.decode("ascii", errors="replace"),
        port=target.port,
        allow_loopback=allow_loopback,
    )
    return target


class _HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts at least ``delay_s`` apart."""

    def __init__(self, *, concurrency: int, delay_s: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self._concurrency = concurrency
        self._delay_s = delay_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextlib.contextmanager
    def slot(self, host: str, budget: _Budget, url: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.BoundedSemaphore(self._concurrency))
        remaining = budget.remaining()
        if not semaphore.acquire(timeout=None if remaining is None else max(remaining, 0.0)):
            raise FetchTimeout(f"{url}: no free slot for {host} before the {budget.seconds} s deadline", url=url)
        try:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self._delay_s
            remaining = budget.remaining()
            if remaining is not None and start - now > remaining:
                raise FetchTimeout(f"{url}: the per-host delay for {host} would pass the deadline", url=url)
            if start > now:
                self._sleep(start - now)
            budget.start()
            yield
        finally:
            semaphore.release()


@dataclass
class _Reply:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    note: str = ""


class SafeFetcher:
    """Fetches public http(s) URLs safely: address checks, caps, deadlines, robots.txt, politeness, retries.

    Thread-safe; call it from a thread pool. Example::

        with SafeFetcher(user_agent="icp-agent/0.1 (+https://example.org/bot)") as fetcher:
            results = fetcher.fetch_many(["https://example.com/feed.xml", "https://example.org/"])
    """

    def __init__(
        self,
        *,
        user_agent: str,
        resolver: Resolver | None = None,
        allow_loopback: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        deadline_s: float = 30.0,
        max_bytes: int = 5 * MiB,
        max_redirects: int = 3,
        max_retries: int = 2,
        retry_backoff_s: float = 0.5,
        max_retry_wait_s: float = 30.0,
        per_host_concurrency: int = 2,
        per_host_delay_s: float = 1.0,
        respect_robots: bool = True,
        robots_ttl_s: float = 3600.0,
        allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES,
        ssl_context: ssl.SSLContext | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not user_agent.strip():
            raise ValueError("user_agent must name the crawler, e.g. 'icp-agent/0.1 (+https://example.org/bot)'")
        self._user_agent = user_agent
        self._resolver = resolver or SystemResolver()
        self._allow_loopback = allow_loopback
        self._timeouts = (connect_timeout, read_timeout)
        self._deadline_s = deadline_s
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._max_retries = max_retries
        self._retry_backoff_s = retry_backoff_s
        self._max_retry_wait_s = max_retry_wait_s
        self._allowed_types = allowed_types
        self._sleep = sleep
        self._clock = clock
        self._precheck = transport is not None
        self._transport = transport or GuardedTransport(
            resolver=self._resolver, allow_loopback=allow_loopback, ssl_context=ssl_context
        )
        self._gate = _HostGate(concurrency=per_host_concurrency, delay_s=per_host_delay_s, clock=clock, sleep=sleep)
        self._robots = (
            RobotsCache(fetch_robots=self._fetch_robots, user_agent=user_agent, ttl_s=robots_ttl_s, clock=clock)
            if respect_robots
            else None
        )

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the pooled connections."""
        self._transport.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: ContentKinds = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """Returns the document at url, sending If-None-Match/If-Modified-Since when given; raises FetchError subclasses."""
        started = self._clock()
        media_types = frozenset().union(*(MEDIA_TYPES[kind] for kind in accept)) & self._allowed_types
        headers = {"Accept": _accept_header(media_types)}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        token = _BUDGET.set(_Budget(self._deadline_s, self._clock))
        try:
            reply, hops, attempts = self._follow(url, headers, media_types, robots_file=False)
        finally:
            _BUDGET.reset(token)
        if reply.status != 304 and not 200 <= reply.status < 300:
            message = f"{reply.url} answered HTTP {reply.status} after {attempts} attempt(s){reply.note}"
            raise HttpStatusError(message, url=reply.url, status=reply.status)
        return FetchResult(
            url=reply.url,
            status=reply.status,
            headers=MappingProxyType(reply.headers),
            body=reply.body,
            content_type=reply.content_type,
            charset=reply.charset,
            etag=reply.headers.get("etag"),
            last_modified=reply.headers.get("last-modified"),
            not_modified=reply.status == 304,
            redirects=hops,
            elapsed_s=self._clock() - started,
            attempts=attempts,
        )

    def fetch_many(
        self, urls: Sequence[str], *, accept: ContentKinds = DEFAULT_ACCEPT, max_workers: int = 8
    ) -> list[FetchResult | FetchError]:
        """Fetches urls on a bounded thread pool; returns a result or the FetchError for each, in input order."""
        return fetch_many(self, urls, accept=accept, max_workers=max_workers)

    def _fetch_robots(self, robots_url: str) -> RobotsResponse:
        headers = {"Accept": "text/plain"}
        reply, _, _ = self._follow(robots_url, headers, frozenset(), robots_file=True)
        return RobotsResponse(status=reply.status, body=reply.body)

    def _follow(
        self, url: str, headers: dict[str, str], media_types: frozenset[str], *, robots_file: bool
    ) -> tuple[_Reply, tuple[str, ...], int]:
        budget = _BUDGET.get()
        assert budget is not None
        current, hops, attempts = url, [url], 0
        while True:
            target = _parse_url(current, allow_loopback=self._allow_loopback)
            if self._robots is not None and not robots_file:
                self._check_robots(target, current)
            reply, tries = self._send(target, current, headers, media_types, robots_file=robots_file)
            attempts += tries
            location = reply.headers.get("location")
            if reply.status not in _REDIRECTS or not location:
                return reply, tuple(hops[1:]), attempts
            try:
                following = str(target.join(location))
            except (httpx.InvalidURL, ValueError) as exc:
                raise BlockedURL(f"{current} redirects to an invalid URL {location!r}", url=current) from exc
            if following in hops:
                raise TooManyRedirects(f"{url} redirects in a loop ({current} -> {following})", url=url)
            if len(hops) > self._max_redirects:
                message = f"{url} redirects more than {self._max_redirects} times (next hop {following})"
                raise TooManyRedirects(message, url=url)
            hops.append(following)
            current = following

    def _check_robots(self, target: httpx.URL, url: str) -> None:
        assert self._robots is not None
        host = target.raw_host.decode("ascii")
        origin = f"{target.scheme}://{f'[{host}]' if ':' in host else host}"
        if target.port is not None:
            origin += f":{target.port}"
        try:
            verdict = self._robots.check(origin, target.raw_path.decode("ascii"))
        except BlockedAddress as exc:
            # The host itself is blocked; say so about the URL asked for, not its robots.txt.
            message = str(exc).replace(f"{origin}/robots.txt", url, 1)
            raise BlockedAddress(message, url=url, address=exc.address) from exc
        if not verdict.allowed:
            raise RobotsDisallowed(f"{url} is disallowed by robots.txt ({verdict.reason})", url=url)

    def _send(
        self, target: httpx.URL, url: str, headers: dict[str, str], media_types: frozenset[str], *, robots_file: bool
    ) -> tuple[_Reply, int]:
        budget = _BUDGET.get()
        assert budget is not None
        attempt = 0
        while True:
            attempt += 1
            budget.url = url
            try:
                reply = self._exchange(target, url, headers, media_types, budget, robots_file=robots_file)
            except FetchError as exc:
                if not exc.retryable or attempt > self._max_retries:
                    raise
                self._wait_before_retry(self._retry_backoff_s * 2 ** (attempt - 1), budget, exc)
                continue
            if reply.status not in _RETRY_STATUSES or attempt > self._max_retries:
                return reply, attempt
            wait, why = _retry_after(reply.headers.get("retry-after"), self._retry_backoff_s * 2 ** (attempt - 1))
            remaining = budget.remaining()
            if wait > self._max_retry_wait_s:
                reply.note = f"; {why} of {wait:.0f} s is over the {self._max_retry_wait_s:.0f} s cap"
                return reply, attempt
            if remaining is not None and wait >= remaining:
                reply.note = f"; {why} of {wait:.0f} s would pass the {budget.seconds} s deadline"
                return reply, attempt
            self._sleep(wait)

    def _wait_before_retry(self, wait: float, budget: _Budget, error: FetchError) -> None:
        remaining = budget.remaining()
        if remaining is not None and wait >= remaining:
            raise error
        self._sleep(wait)

    def _exchange(
        self,
        target: httpx.URL,
        url: str,
        headers: dict[str, str],
        media_types: frozenset[str],
        budget: _Budget,
        *,
        robots_file: bool,
    ) -> _Reply:
        host = target.raw_host.decode("ascii")
        with self._gate.slot(host, budget, url):
            if self._precheck:
                resolve_public(
                    host, _port_of(target), url=url, resolver=self._resolver, allow_loopback=self._allow_loopback
                )
            request = httpx.Request(
                "GET",
                target,
                headers={"User-Agent": self._user_agent, "Accept-Encoding": "gzip, deflate", **headers},
                extensions={"timeout": self._timeout_for(budget)},
            )
            try:
                response = self._transport.handle_request(request)
            except httpx.HTTPError as exc:
                raise _map_error(exc, url, budget) from exc
            try:
                return self._read_reply(response, url, media_types, budget, robots_file=robots_file)
            except httpx.HTTPError as exc:
                raise _map_error(exc, url, budget) from exc
            finally:
                response.close()

    def _timeout_for(self, budget: _Budget) -> dict[str, float | None]:
        remaining = budget.remaining()
        connect, read = self._timeouts
        if remaining is not None:
            connect, read = min(connect, remaining), min(read, remaining)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect).as_dict()

    def _read_reply(
        self, response: httpx.Response, url: str, media_types: frozenset[str], budget: _Budget, *, robots_file: bool
    ) -> _Reply:
        headers = {key.lower(): value for key, value in response.headers.items()}
        media, charset = parse_content_type(headers.get("content-type"))
        reply = _Reply(url=url, status=response.status_code, headers=headers, content_type=media, charset=charset)
        if not 200 <= reply.status < 300:
            return reply
        if robots_file:
            reply.body = _read_body(response, url=url, cap=ROBOTS_MAX_BYTES, truncate=True, budget=budget)
            return reply
        if media and media not in media_types:
            raise BadContentType(f"{url}: content type {media} is not accepted", url=url, content_type=media)
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            message = f"{url}: declared Content-Length {declared} is over the {self._max_bytes}-byte cap"
            raise TooLarge(message, url=url, limit=self._max_bytes)
        reply.body = _read_body(response, url=url, cap=self._max_bytes, truncate=False, budget=budget)
        if not media:
            reply.content_type = sniff_media_type(reply.body) or ""
            if reply.content_type not in media_types:
                shown = reply.content_type or "binary or unrecognisable"
                message = f"{url}: no Content-Type, and the body looks {shown}: not accepted"
                raise BadContentType(message, url=url, content_type=reply.content_type or None)
        elif _looks_binary(reply.body, charset):
            raise BadContentType(f"{url}: declared {media} but the body is binary", url=url, content_type=media)
        return reply


def _port_of(target: httpx.URL) -> int:
    return target.port or (443 if target.scheme == "https" else 80)


def _accept_header(media_types: frozenset[str]) -> str:
    preferred = ("text/html", "application/xhtml+xml", "application/rss+xml", "application/atom+xml")
    ordered = sorted(media_types, key=lambda media: (media not in preferred, media))
    return ", ".join(media if media in preferred else f"{media};q=0.9" for media in ordered) or "*/*;q=0.1"


def _retry_after(value: str | None, fallback: float) -> tuple[float, str]:
    if value is None:
        return fallback, "backoff"
    value = value.strip()
    if value.isdigit():
        return float(value), "Retry-After"
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback, "backoff"
    return max(0.0, when.timestamp() - time.time()), "Retry-After"


def _map_error(exc: httpx.HTTPError, url: str, budget: _Budget) -> FetchError:
    if budget.expired():
        return FetchTimeout(f"{url} did not finish within its {budget.seconds} s deadline", url=url)
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.removesuffix("Timeout").lower() or "request"
        retryable = isinstance(exc, httpx.ConnectTimeout)
        return FetchTimeout(f"{url}: {kind} timed out ({exc})", url=url, retryable=retryable)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return BlockedURL(f"{url}: unsupported protocol ({exc})", url=url)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ConnectError(f"{url}: TLS certificate check failed ({cause})", url=url, retryable=False)
        cause = cause.__cause__ or cause.__context__
    retryable = isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError)
    return ConnectError(f"{url}: connection failed ({exc})", url=url, retryable=retryable)


def fetch_many(
    fetcher: Fetcher, urls: Sequence[str], *, accept: ContentKinds = DEFAULT_ACCEPT, max_workers: int = 8
) -> list[FetchResult | FetchError]:
    """Fetches urls with any Fetcher on a bounded thread pool; returns a result or a FetchError per URL, in order."""

    def fetch_one(url: str) -> FetchResult | FetchError:
        try:
            return fetcher.fetch(url, accept=accept)
        except FetchError as exc:
            return exc

    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(urls)))) as pool:
        return list(pool.map(fetch_one, urls))


class FakeFetcher:
    """A scriptable Fetcher for tests: serves queued results or errors per URL and records every call.

    Example::

        fake = FakeFetcher()
        fake.add("https://example.com/feed", b"<rss/>", content_type="application/rss+xml")
        fake.fail("https://example.com/down", HttpStatusError("down", url="https://example.com/down", status=503))
    """

    def __init__(self) -> None:
        self._replies: dict[str, FetchResult | FetchError] = {}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str | None, str | None, ContentKinds]] = []

    def add(self, url: str, body: bytes, *, content_type: str = "text/html", etag: str | None = None) -> None:
        """Serves body for url from now on (304 with an empty body when the caller sends the same etag)."""
        self._replies[url] = FetchResult(
            url=url,
            status=200,
            headers=MappingProxyType({"content-type": content_type}),
            body=body,
            content_type=content_type,
            charset=None,
            etag=etag,
            last_modified=None,
            not_modified=False,
            redirects=(),
            elapsed_s=0.0,
            attempts=1,
        )

    def fail(self, url: str, error: FetchError) -> None:
        """Raises error for url from now on."""
        self._replies[url] = error

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: ContentKinds = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """Returns the scripted reply for url, or raises its scripted error (HttpStatusError 404 if none)."""
        with self._lock:
            self.calls.append((url, etag, last_modified, accept))
        reply = self._replies.get(url)
        if reply is None:
            raise HttpStatusError(f"{url} answered HTTP 404 (not scripted in FakeFetcher)", url=url, status=404)
        if isinstance(reply, FetchError):
            raise reply
        if etag is not None and etag == reply.etag:
            return FetchResult(**{**reply.__dict__, "status": 304, "body": b"", "not_modified": True})
        return reply
