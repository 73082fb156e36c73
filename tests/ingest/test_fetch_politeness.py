"""SafeFetcher's politeness: retries and Retry-After, per-host concurrency and delay, User-Agent, robots.txt (F-7)."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Callable

import pytest
from fetch_support import FETCH_UA, ConnectionSpy, RawServer, read_request_head
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ingest.errors import ConnectError, HttpStatusError, RobotsDisallowed
from ingest.fetch import FetchResult, SafeFetcher

MakeFetcher = Callable[..., SafeFetcher]
StartRaw = Callable[..., RawServer]
HTML = "<html><body>ok</body></html>"


class _Sleeps(list[float]):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _statuses(*replies: tuple[int, dict[str, str]]) -> Callable[[Request], Response]:
    """Answers with the given (status, headers) in turn, then 200 with a page."""
    queue = list(replies)

    def handler(request: Request) -> Response:
        if queue:
            status, headers = queue.pop(0)
            return Response("busy", status=status, headers=headers)
        return Response(HTML, status=200, content_type="text/html")

    return handler


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_twice_then_reported(
    status: int, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/flaky").respond_with_data("no", status=status)
    sleeps = _Sleeps()
    fetcher = fetch_make_fetcher(retry_backoff_s=0.25, sleep=sleeps)
    with pytest.raises(HttpStatusError, match=f"HTTP {status} after 3 attempt") as caught:
        fetcher.fetch(fetch_server.url_for("/flaky"))
    assert caught.value.status == status
    assert len(fetch_server.log) == 3
    assert sleeps == [0.25, 0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_other_client_errors_are_never_retried(
    status: int, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/gone").respond_with_data("no", status=status)
    sleeps = _Sleeps()
    with pytest.raises(HttpStatusError) as caught:
        fetch_make_fetcher(sleep=sleeps).fetch(fetch_server.url_for("/gone"))
    assert caught.value.status == status
    assert len(fetch_server.log) == 1
    assert sleeps == []


def test_a_retry_that_succeeds_counts_its_attempts(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/once").respond_with_handler(_statuses((503, {})))
    result = fetch_make_fetcher().fetch(fetch_server.url_for("/once"))
    assert (result.status, result.attempts, len(fetch_server.log)) == (200, 2, 2)


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [("7", 7.0, 7.0), ("0", 0.0, 0.0), (None, 18.0, 20.5)],
)
def test_retry_after_is_honoured_in_seconds_and_http_dates(
    retry_after: str | None, low: float, high: float, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    value = retry_after or email.utils.formatdate(time.time() + 20, usegmt=True)
    fetch_server.expect_request("/limited").respond_with_handler(_statuses((429, {"Retry-After": value})))
    sleeps = _Sleeps()
    result = fetch_make_fetcher(sleep=sleeps, deadline_s=30.0).fetch(fetch_server.url_for("/limited"))
    assert result.attempts == 2
    assert len(sleeps) == 1 and low <= sleeps[0] <= high


def test_retry_after_really_waits(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/limited").respond_with_handler(_statuses((503, {"Retry-After": "1"})))
    started = time.monotonic()
    fetch_make_fetcher().fetch(fetch_server.url_for("/limited"))
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    ("retry_after", "deadline_s", "why"),
    [("120", 300.0, "over the 30 s cap"), ("10", 2.0, "would pass the 2.0 s deadline")],
)
def test_retry_after_beyond_the_cap_or_deadline_fails_fast(
    retry_after: str, deadline_s: float, why: str, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/limited").respond_with_handler(_statuses((429, {"Retry-After": retry_after})))
    sleeps = _Sleeps()
    with pytest.raises(HttpStatusError, match=why) as caught:
        fetch_make_fetcher(sleep=sleeps, deadline_s=deadline_s).fetch(fetch_server.url_for("/limited"))
    assert caught.value.status == 429
    assert (len(fetch_server.log), sleeps) == (1, [])


def test_dropped_connections_are_retried_twice(fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw) -> None:
    def hang_up(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)

    server = fetch_raw_server(hang_up)
    with pytest.raises(ConnectError, match="connection failed"):
        fetch_make_fetcher().fetch(server.url("/drop"))
    assert server.connections == 3


def test_refused_connections_are_retried_twice(
    fetch_make_fetcher: MakeFetcher, fetch_connect_spy: ConnectionSpy
) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectError):
        fetch_make_fetcher().fetch(f"http://127.0.0.1:{port}/")
    assert fetch_connect_spy.to_port(port) == [("127.0.0.1", port)] * 3


class _InFlight:
    """A server handler that holds each request briefly and records the most requests in flight per host."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total_peak = 0
        self.starts: list[float] = []

    def __call__(self, request: Request) -> Response:
        host = request.headers["Host"].split(":")[0]
        with self.lock:
            self.starts.append(time.monotonic())
            self.now[host] = self.now.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
            self.total_peak = max(self.total_peak, sum(self.now.values()))
        time.sleep(self.hold_s)
        with self.lock:
            self.now[host] -= 1
        return Response(HTML, content_type="text/html")


@pytest.mark.parametrize("count", [10, 50])
def test_per_host_concurrency_is_never_exceeded(
    count: int, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    probe = _InFlight(hold_s=0.04)
    fetch_server.expect_request("/item").respond_with_handler(probe)
    fetcher = fetch_make_fetcher(per_host_concurrency=2)
    outcomes = fetcher.fetch_many([fetch_server.url_for("/item")] * count, max_workers=10)
    assert all(isinstance(outcome, FetchResult) for outcome in outcomes)
    assert len(fetch_server.log) == count
    assert probe.peak == {"127.0.0.1": 2}


def test_concurrency_is_per_host_not_global(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    probe = _InFlight(hold_s=0.1)
    fetch_server.expect_request("/item").respond_with_handler(probe)
    urls = [fetch_server.url_for("/item"), f"http://site.test:{fetch_server.port}/item"] * 6
    fetch_make_fetcher(per_host_concurrency=2).fetch_many(urls, max_workers=12)
    assert probe.peak == {"127.0.0.1": 2, "site.test": 2}
    assert probe.total_peak == 4


def test_per_host_delay_spaces_request_starts(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    probe = _InFlight(hold_s=0.0)
    fetch_server.expect_request("/item").respond_with_handler(probe)
    fetch_make_fetcher(per_host_delay_s=0.2, per_host_concurrency=4).fetch_many(
        [fetch_server.url_for("/item")] * 4, max_workers=4
    )
    gaps = [later - earlier for earlier, later in zip(probe.starts, probe.starts[1:], strict=False)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.18


def test_every_request_names_the_crawler_robots_included(
    fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    fetch_server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    fetch_server.expect_request("/b").respond_with_data(HTML, content_type="text/html")
    fetch_make_fetcher(respect_robots=True).fetch(fetch_server.url_for("/a"))
    paths = [request.path for request, _ in fetch_server.log]
    assert paths == ["/robots.txt", "/a", "/b"]
    assert {request.headers["User-Agent"] for request, _ in fetch_server.log} == {FETCH_UA}


def test_robots_disallow_stops_the_fetch_before_any_request(
    fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    fetch_server.expect_request("/public").respond_with_data(HTML, content_type="text/html")
    fetcher = fetch_make_fetcher(respect_robots=True)
    with pytest.raises(RobotsDisallowed, match=r"/private/page is disallowed by robots\.txt"):
        fetcher.fetch(fetch_server.url_for("/private/page"))
    assert fetcher.fetch(fetch_server.url_for("/public")).body == HTML.encode()
    assert [request.path for request, _ in fetch_server.log] == ["/robots.txt", "/public"]


def test_robots_group_for_our_product_token_wins(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    robots = "User-agent: *\nAllow: /\n\nUser-agent: ICP-Agent-Test\nDisallow: /\n"
    fetch_server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    with pytest.raises(RobotsDisallowed):
        fetch_make_fetcher(respect_robots=True).fetch(fetch_server.url_for("/page"))


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (410, True), (401, True), (500, False), (503, False)])
def test_robots_status_decides_per_rfc_9309(
    status: int, allowed: bool, fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/robots.txt").respond_with_data("", status=status)
    fetch_server.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    fetcher = fetch_make_fetcher(respect_robots=True)
    if allowed:
        assert fetcher.fetch(fetch_server.url_for("/page")).status == 200
    else:
        with pytest.raises(RobotsDisallowed, match=r"RFC 9309 §2\.3\.1\.4"):
            fetcher.fetch(fetch_server.url_for("/page"))
        assert "/page" not in [request.path for request, _ in fetch_server.log]


def test_unreachable_robots_disallows_the_host(fetch_make_fetcher: MakeFetcher, fetch_raw_server: StartRaw) -> None:
    def hang_up(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)

    server = fetch_raw_server(hang_up)
    with pytest.raises(RobotsDisallowed, match="unreachable"):
        fetch_make_fetcher(respect_robots=True).fetch(server.url("/page"))
    assert server.connections == 3


def test_robots_is_cached_per_host_until_its_ttl(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    fetch_server.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    clock = [1000.0]
    fetcher = fetch_make_fetcher(respect_robots=True, robots_ttl_s=60.0, clock=lambda: clock[0])
    for _ in range(3):
        fetcher.fetch(fetch_server.url_for("/page"))
    clock[0] += 61.0
    fetcher.fetch(fetch_server.url_for("/page"))
    paths = [request.path for request, _ in fetch_server.log]
    assert paths.count("/robots.txt") == 2
    assert paths.count("/page") == 4
