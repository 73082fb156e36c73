"""SafeFetcher's byte caps and deadlines: big bodies, lying lengths, gzip bombs, slow and silent servers (F-4, F-5)."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import pytest
from fetch_support import RawServer, RecvCounter, read_request_head
from pytest_httpserver import HTTPServer

from ingest.errors import ConnectError, FetchTimeout, TooLarge
from ingest.fetch import MiB, SafeFetcher

MakeFetcher = Callable[..., SafeFetcher]
StartRaw = Callable[..., RawServer]
CAP = 1 * MiB
SLACK = 64 * 1024  # the F-4 figure: at most one 64 KiB network read past the cap


def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


def _stream_until_closed(total: int, *, headers: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(headers)
        block = b"<p>" + b"x" * (64 * 1024 - 3)
        sent = 0
        while sent < total and not stop.is_set():
            conn.sendall(block)
            sent += len(block)

    return handler


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_stops_at_the_decoded_cap(
    encoding: str, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    bomb = _gzip_of_zeros(10 * MiB) if encoding == "gzip" else zlib.compress(bytes(10 * MiB), 9)
    fetch_server.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": encoding}
    )
    with pytest.raises(TooLarge) as caught:
        fetch_make_fetcher(max_bytes=CAP).fetch(fetch_server.url_for("/bomb"))
    assert caught.value.decoded_bytes <= CAP + 1
    assert caught.value.bytes_read <= len(bomb)
    assert "cap" in str(caught.value)


def test_gzip_body_under_the_cap_is_decoded(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    page = b"<html>" + b"hello " * 5000 + b"</html>"
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    fetch_server.expect_request("/gz").respond_with_data(
        compressor.compress(page) + compressor.flush(), content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    assert fetch_make_fetcher(max_bytes=CAP).fetch(fetch_server.url_for("/gz")).body == page


def test_hundred_megabyte_body_stops_within_one_read_of_the_cap(
    fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw, fetch_recv_counter: Callable[[int], RecvCounter]
) -> None:
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
    server = fetch_raw_server(_stream_until_closed(100 * MiB, headers=headers))
    counter = fetch_recv_counter(server.port)
    with pytest.raises(TooLarge) as caught:
        fetch_make_fetcher(max_bytes=CAP).fetch(server.url("/big"))
    assert counter.total <= CAP + SLACK + len(headers)
    assert caught.value.bytes_read <= CAP + SLACK


def test_declared_length_over_the_cap_is_refused_before_reading(
    fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw
) -> None:
    headers = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {100 * MiB}\r\n\r\n".encode()
    server = fetch_raw_server(_stream_until_closed(100 * MiB, headers=headers))
    with pytest.raises(TooLarge, match="declared Content-Length") as caught:
        fetch_make_fetcher(max_bytes=CAP).fetch(server.url("/declared"))
    assert caught.value.bytes_read == 0


def test_content_length_shorter_than_the_body_is_read_as_declared(
    fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw
) -> None:
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\n\r\n"
    server = fetch_raw_server(_stream_until_closed(5 * MiB, headers=headers))
    result = fetch_make_fetcher(max_bytes=CAP).fetch(server.url("/short"))
    assert result.body == b"<p>xxxxxxx"


def test_content_length_longer_than_the_body_fails_as_a_broken_connection(
    fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw
) -> None:
    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<p>only this")

    server = fetch_raw_server(handler)
    with pytest.raises(ConnectError):
        fetch_make_fetcher(max_retries=2).fetch(server.url("/truncated"))
    assert server.connections == 3


def _drip(head: bytes, body_bytes: int, interval_s: float) -> Callable[[socket.socket, threading.Event], None]:
    """Sends the head at once and then the body a byte at a time, or (no body) the head itself a byte at a time."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        if body_bytes:
            conn.sendall(head)
        pieces = [b"x"] * body_bytes if body_bytes else [bytes([byte]) for byte in head]
        for piece in pieces:
            if stop.wait(interval_s):
                return
            conn.sendall(piece)

    return handler


def _drip_then_silent(conn: socket.socket, stop: threading.Event) -> None:
    """Keeps every single read short, then goes quiet just before the deadline: only a socket-level clamp ends it."""
    _drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 500\r\n\r\n", 8, 0.1)(conn, stop)
    stop.wait(10)


def _silent(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    stop.wait(10)


@pytest.mark.parametrize(
    ("name", "handler"),
    [
        (
            "slow-drip body",
            _drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 500\r\n\r\n", 500, 0.1),
        ),
        ("slow-drip headers", _drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-Pad: a\r\n" * 50, 0, 0.1)),
        ("silent", _silent),
        ("drip then silent", _drip_then_silent),
    ],
)
def test_every_fetch_ends_by_its_deadline(
    name: str,
    handler: Callable[[socket.socket, threading.Event], None],
    fetch_make_fetcher: MakeFetcher,
    fetch_raw_server: StartRaw,
) -> None:
    server = fetch_raw_server(handler)
    fetcher = fetch_make_fetcher(deadline_s=1.0, read_timeout=10.0)
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="deadline"):
        fetcher.fetch(server.url("/slow"))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed <= 1.3, f"{name}: ended after {elapsed:.2f} s"


def test_read_timeout_ends_a_silent_server_and_is_not_retried(
    fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw
) -> None:
    server = fetch_raw_server(_silent)
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="read timed out"):
        fetch_make_fetcher(read_timeout=0.3, deadline_s=5.0).fetch(server.url("/silent"))
    assert time.monotonic() - started < 1.0
    assert server.connections == 1


@pytest.fixture
def fetch_full_backlog() -> Iterator[int]:
    """Returns the port of a listener that never accepts, with its accept queue already full."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.05)
    yield listener.getsockname()[1]
    for filler in fillers:
        filler.close()
    listener.close()


def test_connect_timeout_is_bounded_by_the_deadline(fetch_make_fetcher: MakeFetcher, fetch_full_backlog: int) -> None:
    fetcher = fetch_make_fetcher(connect_timeout=0.3, deadline_s=1.0, max_retries=5)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetcher.fetch(f"http://127.0.0.1:{fetch_full_backlog}/")
    assert time.monotonic() - started <= 1.3
