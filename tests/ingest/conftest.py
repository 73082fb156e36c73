"""Fixtures for the ingest tests (fetcher fixtures are prefixed ``fetch_``)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fetch_support import FAKE_DNS, FETCH_UA, ConnectionSpy, RawServer, RecvCounter
from pytest_httpserver import HTTPServer

from ingest.fetch import SafeFetcher
from ingest.netguard import StaticResolver


@pytest.fixture
def fetch_resolver() -> StaticResolver:
    """Returns a fake DNS that knows the test names of fetch_support.FAKE_DNS and records lookups."""
    return StaticResolver(FAKE_DNS)


@pytest.fixture
def fetch_connect_spy(monkeypatch: pytest.MonkeyPatch) -> ConnectionSpy:
    """Records every TCP connect made during the test and refuses all but loopback ones."""
    spy = ConnectionSpy(socket.socket.connect)

    def connect(sock: socket.socket, address: Any) -> None:
        spy.connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return spy


@pytest.fixture
def fetch_make_fetcher(fetch_resolver: StaticResolver) -> Iterator[Callable[..., SafeFetcher]]:
    """Builds SafeFetchers with fast test defaults (loopback allowed, no delays, no robots); closes them after."""
    made: list[SafeFetcher] = []

    def make(**options: Any) -> SafeFetcher:
        settings: dict[str, Any] = {
            "user_agent": FETCH_UA,
            "resolver": fetch_resolver,
            "allow_loopback": True,
            "per_host_delay_s": 0.0,
            "retry_backoff_s": 0.0,
            "respect_robots": False,
            "deadline_s": 5.0,
        }
        settings.update(options)
        fetcher = SafeFetcher(**settings)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture(scope="session")
def _fetch_session_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fetch_server(_fetch_session_server: HTTPServer) -> Iterator[HTTPServer]:
    """Returns a threaded pytest-httpserver on 127.0.0.1, cleared before and after the test."""
    _fetch_session_server.clear()
    yield _fetch_session_server
    _fetch_session_server.clear()


@pytest.fixture
def fetch_raw_server() -> Iterator[Callable[..., RawServer]]:
    """Starts raw loopback TCP servers from a per-connection handler; stops them after the test."""
    servers: list[RawServer] = []

    def start(handler: Callable[..., None], **options: Any) -> RawServer:
        server = RawServer(handler, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def fetch_recv_counter(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], RecvCounter]:
    """Returns a function that starts counting the bytes client sockets receive from a server port."""

    def count(port: int) -> RecvCounter:
        counter = RecvCounter(port, socket.socket.recv)

        def recv(sock: socket.socket, size: int, *flags: int) -> bytes:
            return counter.recv(sock, size, *flags)

        monkeypatch.setattr(socket.socket, "recv", recv)
        return counter

    return count
