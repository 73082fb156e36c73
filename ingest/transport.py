"""The guarded connection layer under ``SafeFetcher``: ``GuardedTransport`` (RELIABILITY F-1, F-2, F-5).

This is the only ingest module that imports httpcore.

Connecting to the validated address (F-1, F-2). ``SafeFetcher`` (``ingest.fetch``) drives an httpx
transport directly (no ``httpx.Client``: no cookie jar, no environment proxies, no automatic
redirects). Its default transport, ``GuardedTransport``, wraps an ``httpcore.ConnectionPool`` whose
network backend is ``_GuardedBackend``. httpcore asks that backend for every new TCP connection,
passing the URL's own host; the backend resolves it once through the ``Resolver``, refuses the
connection if ANY answer is not public (``netguard.resolve_public``) and opens the socket to one of
exactly those checked IP addresses. httpcore keeps the original host for everything else: the Host
header comes from the URL, and for https it hands that name to ``start_tls`` as ``server_hostname``,
so SNI and certificate verification are for the name, not the IP. There is no second lookup to
rebind, and the pool only ever holds connections made this way.

Deadline at the socket (F-5). Each fetch's ``_Budget`` travels to the backend through a context
variable; ``_DeadlineStream`` clamps every connect, TLS handshake, read and write timeout to the time
left, so a slow-drip or silent server cannot hold a worker past the deadline. httpcore errors are
turned into the matching httpx errors so the fetcher sees one exception family.

Example::

    with GuardedTransport(resolver=SystemResolver()) as transport:
        response = transport.handle_request(httpx.Request("GET", "https://example.com/"))
        body = response.read()
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httpx

from ingest.netguard import Resolver, SystemResolver, resolve_public

__all__ = ["GuardedTransport"]


class _Budget:
    """The deadline of one fetch; shared with the network backend through a context variable."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self.url = ""
        self._clock = clock
        self._deadline: float | None = None

    def start(self) -> None:
        if self._deadline is None:
            self._deadline = self._clock() + self.seconds

    def remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - self._clock()

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("ingest_fetch_budget", default=None)


def _clamp(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    budget = _BUDGET.get()
    remaining = None if budget is None else budget.remaining()
    if remaining is None:
        return timeout
    if remaining <= 0:
        raise error(f"the fetch deadline of {budget.seconds if budget else 0} s has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake ends by the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every answer, then connects only to a checked address."""

    def __init__(self, *, resolver: Resolver, allow_loopback: bool) -> None:
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        budget = _BUDGET.get()
        url = budget.url if budget is not None and budget.url else f"{host}:{port}"
        addresses = resolve_public(host, port, url=url, resolver=self._resolver, allow_loopback=self._allow_loopback)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=_clamp(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        assert failure is not None  # resolve_public never returns an empty list
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("unix sockets are never used for fetching")


_CORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        for core_type, httpx_type in _CORE_TO_HTTPX:
            if isinstance(exc, core_type):
                raise httpx_type(str(exc)) from exc
        raise


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterator[bytes] | Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        with _httpx_errors():
            if hasattr(self._stream, "close"):
                self._stream.close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport whose every connection goes to an address it has just resolved and checked."""

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_loopback: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 32,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections // 2,
            keepalive_expiry=15.0,
            network_backend=_GuardedBackend(resolver=resolver or SystemResolver(), allow_loopback=allow_loopback),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Sends one request over the guarded pool and returns the streaming response."""
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Closes every pooled connection."""
        self._pool.close()
