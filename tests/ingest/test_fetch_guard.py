"""SafeFetcher's address guard end to end: hostile URLs, DNS rebinding, redirects, TLS to the checked address (F-1 to F-3)."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest
import trustme
from fetch_support import HOSTILE_URLS, ConnectionSpy
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ingest.errors import BlockedAddress, BlockedURL, ConnectError, FetchError, TooManyRedirects
from ingest.fetch import SafeFetcher
from ingest.netguard import StaticResolver

MakeFetcher = Callable[..., SafeFetcher]
HOP_PATH = re.compile(r"^/hop/\d+$")


@pytest.mark.parametrize("respect_robots", [True, False])
def test_hostile_urls_are_all_blocked_without_a_connection(
    respect_robots: bool, fetch_make_fetcher: MakeFetcher, fetch_connect_spy: ConnectionSpy
) -> None:
    fetcher = fetch_make_fetcher(allow_loopback=False, respect_robots=respect_robots, max_retries=2)
    outcomes: dict[str, str] = {}
    for url, error in HOSTILE_URLS:
        try:
            fetcher.fetch(url)
        except FetchError as exc:
            outcomes[url] = type(exc).__name__
            assert isinstance(exc, error), f"{url}: {exc!r}"
            assert url in str(exc), f"message does not name the URL: {exc}"
        else:
            outcomes[url] = "fetched"
    assert [url for url, outcome in outcomes.items() if outcome == "fetched"] == []
    assert len(outcomes) == len(HOSTILE_URLS) >= 60
    assert fetch_connect_spy.attempts == []


def test_rebinding_resolver_never_reaches_the_local_server(
    fetch_make_fetcher: MakeFetcher, fetch_connect_spy: ConnectionSpy, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/secret").respond_with_data("internal data", content_type="text/html")
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])

    class RebindingResolver:
        calls = 0

        def resolve(self, host: str, port: int) -> list[str]:
            self.calls += 1
            return next(answers)

    resolver = RebindingResolver()
    fetcher = fetch_make_fetcher(resolver=resolver, allow_loopback=False)
    with pytest.raises(BlockedAddress, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        fetcher.fetch(f"http://rebind.test:{fetch_server.port}/secret")
    assert fetch_server.log == []
    assert fetch_connect_spy.to_port(fetch_server.port) == [("93.184.216.34", fetch_server.port)]
    assert resolver.calls == 2


def test_mixed_dns_answers_block_before_connecting(
    fetch_make_fetcher: MakeFetcher, fetch_connect_spy: ConnectionSpy, fetch_server: HTTPServer
) -> None:
    resolver = StaticResolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]})
    fetcher = fetch_make_fetcher(resolver=resolver, allow_loopback=False)
    with pytest.raises(BlockedAddress):
        fetcher.fetch(f"http://mixed.test:{fetch_server.port}/")
    assert fetch_connect_spy.attempts == []
    assert fetch_server.log == []


def test_connects_to_the_checked_address_and_keeps_the_host_header(
    fetch_make_fetcher: MakeFetcher,
    fetch_connect_spy: ConnectionSpy,
    fetch_server: HTTPServer,
    fetch_resolver: StaticResolver,
) -> None:
    fetch_server.expect_request("/page").respond_with_data("<html>ok</html>", content_type="text/html")
    result = fetch_make_fetcher().fetch(f"http://site.test:{fetch_server.port}/page")
    assert result.body == b"<html>ok</html>"
    request, _ = fetch_server.log[0]
    assert request.headers["Host"] == f"site.test:{fetch_server.port}"
    assert fetch_connect_spy.to_port(fetch_server.port) == [("127.0.0.1", fetch_server.port)]
    assert fetch_resolver.calls == [("site.test", fetch_server.port)]


@pytest.fixture(scope="module")
def fetch_tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def fetch_tls_server(fetch_tls_ca: trustme.CA) -> Iterator[Callable[[str], HTTPServer]]:
    servers: list[HTTPServer] = []

    def start(cert_name: str) -> HTTPServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        fetch_tls_ca.issue_cert(cert_name).configure_cert(context)
        server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_https_verifies_the_certificate_for_the_name_while_connecting_to_the_ip(
    fetch_make_fetcher: MakeFetcher,
    fetch_connect_spy: ConnectionSpy,
    fetch_tls_ca: trustme.CA,
    fetch_tls_server: Callable[[str], HTTPServer],
) -> None:
    server = fetch_tls_server("secure.test")
    server.expect_request("/").respond_with_data("<html>secure</html>", content_type="text/html")
    fetcher = fetch_make_fetcher(ssl_context=_client_context(fetch_tls_ca))
    result = fetcher.fetch(f"https://secure.test:{server.port}/")
    assert result.body == b"<html>secure</html>"
    assert fetch_connect_spy.to_port(server.port) == [("127.0.0.1", server.port)]
    assert server.log[0][0].headers["Host"] == f"secure.test:{server.port}"


def test_https_refuses_a_certificate_for_another_name(
    fetch_make_fetcher: MakeFetcher, fetch_tls_ca: trustme.CA, fetch_tls_server: Callable[[str], HTTPServer]
) -> None:
    server = fetch_tls_server("other.test")
    fetcher = fetch_make_fetcher(ssl_context=_client_context(fetch_tls_ca))
    with pytest.raises(ConnectError, match="certificate") as caught:
        fetcher.fetch(f"https://secure.test:{server.port}/")
    assert caught.value.retryable is False
    assert server.log == []


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://10.0.0.5/", BlockedAddress),
        ("http://169.254.169.254/latest/meta-data/", BlockedAddress),
        ("http://[::ffff:10.0.0.1]/", BlockedAddress),
        ("http://private.test/", BlockedAddress),
        ("http://metadata.google.internal/", BlockedAddress),
        ("file:///etc/passwd", BlockedURL),
        ("gopher://public.test/", BlockedURL),
        ("http://user:pw@public.test/", BlockedURL),
        ("http://public.test:25/", BlockedURL),
    ],
)
def test_redirects_to_forbidden_targets_are_blocked(
    location: str,
    error: type[FetchError],
    fetch_make_fetcher: MakeFetcher,
    fetch_connect_spy: ConnectionSpy,
    fetch_server: HTTPServer,
) -> None:
    fetch_server.expect_request("/go").respond_with_data("", status=302, headers={"Location": location})
    with pytest.raises(error):
        fetch_make_fetcher().fetch(fetch_server.url_for("/go"))
    assert [port for _, port in fetch_connect_spy.attempts if port != fetch_server.port] == []


def test_redirect_to_loopback_is_blocked_when_loopback_is_not_allowed(
    fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    resolver = StaticResolver({"public.test": ["127.0.0.1"]})
    fetch_server.expect_request("/go").respond_with_data("", status=302, headers={"Location": "http://127.0.0.1/"})
    fetcher = fetch_make_fetcher(resolver=resolver, allow_loopback=False)
    with pytest.raises(BlockedAddress):
        fetcher.fetch(f"http://public.test:{fetch_server.port}/go")
    assert fetch_server.log == []


def _chain_handler(request: Request) -> Response:
    hop = int(request.path.rsplit("/", 1)[1])
    return Response("", status=302, headers={"Location": f"/hop/{hop + 1}"})


def test_long_redirect_chains_stop_after_three_hops(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request(HOP_PATH).respond_with_handler(_chain_handler)
    with pytest.raises(TooManyRedirects, match="more than 3 times"):
        fetch_make_fetcher().fetch(fetch_server.url_for("/hop/0"))
    assert [request.path for request, _ in fetch_server.log] == ["/hop/0", "/hop/1", "/hop/2", "/hop/3"]


def test_three_hops_are_followed_and_recorded(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    for hop in range(3):
        fetch_server.expect_request(f"/r{hop}").respond_with_data(
            "", status=301 if hop else 307, headers={"Location": f"/r{hop + 1}"}
        )
    fetch_server.expect_request("/r3").respond_with_data("<html>end</html>", content_type="text/html")
    result = fetch_make_fetcher().fetch(fetch_server.url_for("/r0"))
    assert result.url == fetch_server.url_for("/r3")
    assert result.redirects == tuple(fetch_server.url_for(f"/r{hop}") for hop in (1, 2, 3))
    assert result.body == b"<html>end</html>"


def test_redirect_loops_are_detected(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    fetch_server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch_make_fetcher(max_redirects=10).fetch(fetch_server.url_for("/a"))
    assert len(fetch_server.log) == 2


def test_safe_fetcher_is_usable_from_many_threads(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/t").respond_with_data("<html>t</html>", content_type="text/html")
    fetcher = fetch_make_fetcher(per_host_concurrency=4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert fetcher.fetch(fetch_server.url_for("/t")).body == b"<html>t</html>"
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(fetch_server.log) == 20
