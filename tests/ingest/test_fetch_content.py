"""SafeFetcher's content rules and result shape: media types, sniffing, binary bodies, conditional GET (F-6)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import httpx
import pytest
from pytest_httpserver import HTTPServer

from ingest.errors import BadContentType, BlockedAddress, HttpStatusError
from ingest.fetch import (
    DEFAULT_ACCEPT,
    ContentKind,
    FakeFetcher,
    FetchResult,
    SafeFetcher,
    fetch_many,
    parse_content_type,
    sniff_media_type,
)

MakeFetcher = Callable[..., SafeFetcher]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
HTML = b"<!DOCTYPE html><html><body>hello</body></html>"


def _serving(body: bytes, headers: dict[str, str], status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, headers=headers, content=body))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", HTML),
        ("application/xhtml+xml", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>'),
        ("application/rss+xml", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'),
        ("application/atom+xml", b'<feed xmlns="http://www.w3.org/2005/Atom"/>'),
        ("application/xml", b"<?xml version='1.0'?><urlset/>"),
        ("text/xml", b"<rss/>"),
        ("application/feed+json", b'{"version": "https://jsonfeed.org/version/1.1", "items": []}'),
        ("application/json", b'{"a": 1}'),
        ("TEXT/HTML", HTML),
    ],
)
def test_allowed_types_are_fetched(content_type: str, body: bytes, fetch_make_fetcher: MakeFetcher) -> None:
    fetcher = fetch_make_fetcher(transport=_serving(body, {"Content-Type": content_type}))
    result = fetcher.fetch("http://public.test/doc")
    assert result.body == body
    assert result.content_type == content_type.split(";")[0].lower()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("image/png", PNG),
        ("application/octet-stream", b"\x00\x01\x02"),
        ("application/pdf", b"%PDF-1.7\n"),
        ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
        ("application/zip", b"PK\x03\x04"),
        ("text/css", b"body { color: red }"),
        ("application/javascript", b"alert(1)"),
        ("text/plain", b"just text"),
        ("text/html", PNG),
        ("application/xml", b"GIF89a\x01\x00"),
        ("text/html", b"<html>\x00\x00\x00\x00</html>"),
    ],
)
def test_other_types_and_binary_bodies_are_refused(
    content_type: str, body: bytes, fetch_make_fetcher: MakeFetcher
) -> None:
    fetcher = fetch_make_fetcher(transport=_serving(body, {"Content-Type": content_type}))
    with pytest.raises(BadContentType, match=r"http://public\.test/doc"):
        fetcher.fetch("http://public.test/doc")


@pytest.mark.parametrize(
    ("body", "sniffed"),
    [
        (HTML, "text/html"),
        (b"\xef\xbb\xbf  <html><head></head></html>", "text/html"),
        (b'<?xml version="1.0"?>\n<rss version="2.0"></rss>', "application/rss+xml"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', "application/atom+xml"),
        (b'<?xml version="1.0"?><rdf:RDF></rdf:RDF>', "application/rdf+xml"),
        (b'<?xml version="1.0"?><urlset></urlset>', "application/xml"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "application/feed+json"),
        (b'[{"a": 1}]', "application/json"),
        (b"plain words", "text/plain"),
        (b"<div>fragment</div>", None),
        (PNG, None),
        (b"\x1f\x8b\x08\x00rest", None),
        (b"abc\x00def", None),
        (b"\xff\xfe\xfa\xfb", None),
    ],
)
def test_sniff_media_type_is_conservative(body: bytes, sniffed: str | None) -> None:
    assert sniff_media_type(body) == sniffed


def test_missing_content_type_is_sniffed(fetch_make_fetcher: MakeFetcher) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"></rss>'
    result = fetch_make_fetcher(transport=_serving(feed, {})).fetch("http://public.test/feed")
    assert result.content_type == "application/rss+xml"
    with pytest.raises(BadContentType, match="no Content-Type"):
        fetch_make_fetcher(transport=_serving(PNG, {})).fetch("http://public.test/image")
    with pytest.raises(BadContentType, match="text/plain"):
        fetch_make_fetcher(transport=_serving(b"hello", {})).fetch("http://public.test/text")


def test_accept_narrows_the_types(fetch_make_fetcher: MakeFetcher) -> None:
    fetcher = fetch_make_fetcher(transport=_serving(HTML, {"Content-Type": "text/html"}))
    with pytest.raises(BadContentType, match="text/html is not accepted"):
        fetcher.fetch("http://public.test/", accept=frozenset({ContentKind.FEED}))
    text = fetch_make_fetcher(transport=_serving(b"a b c", {"Content-Type": "text/plain"}))
    assert text.fetch("http://public.test/", accept=frozenset({ContentKind.TEXT})).body == b"a b c"


def test_unsupported_content_encoding_is_refused(fetch_make_fetcher: MakeFetcher) -> None:
    fetcher = fetch_make_fetcher(
        transport=_serving(b"\x1b\x00", {"Content-Type": "text/html", "Content-Encoding": "br"})
    )
    with pytest.raises(BadContentType, match="content encoding 'br'"):
        fetcher.fetch("http://public.test/")


def test_injected_transport_still_checks_addresses(fetch_make_fetcher: MakeFetcher) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=HTML)

    fetcher = fetch_make_fetcher(transport=httpx.MockTransport(handler), allow_loopback=False)
    with pytest.raises(BlockedAddress):
        fetcher.fetch("http://private.test/")
    assert seen == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html; charset=ISO-8859-1", ("text/html", "iso-8859-1")),
        ('application/xml;charset="utf-8"', ("application/xml", "utf-8")),
        ("Application/RSS+XML", ("application/rss+xml", None)),
        ("", ("", None)),
        (None, ("", None)),
    ],
)
def test_parse_content_type(value: str | None, expected: tuple[str, str | None]) -> None:
    assert parse_content_type(value) == expected


def test_result_carries_headers_validators_and_timing(
    fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request("/doc").respond_with_data(
        HTML,
        content_type="text/html; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT", "X-Extra": "1"},
    )
    result = fetch_make_fetcher().fetch(fetch_server.url_for("/doc"))
    assert (result.status, result.content_type, result.charset) == (200, "text/html", "utf-8")
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 21 Oct 2026 07:28:00 GMT")
    assert result.headers["x-extra"] == "1"
    assert all(key == key.lower() for key in result.headers)
    assert (result.not_modified, result.redirects, result.attempts) == (False, (), 1)
    assert 0 <= result.elapsed_s < 5


def test_conditional_get_sends_validators_and_reports_not_modified(
    fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer
) -> None:
    fetch_server.expect_request(
        "/feed", headers={"If-None-Match": '"v1"', "If-Modified-Since": "Wed, 21 Oct 2026 07:28:00 GMT"}
    ).respond_with_data("", status=304, headers={"ETag": '"v1"'})
    result = fetch_make_fetcher().fetch(
        fetch_server.url_for("/feed"), etag='"v1"', last_modified="Wed, 21 Oct 2026 07:28:00 GMT"
    )
    assert (result.status, result.not_modified, result.body, result.etag) == (304, True, b"", '"v1"')


def test_no_validators_are_sent_when_none_are_given(fetch_make_fetcher: MakeFetcher, fetch_server: HTTPServer) -> None:
    fetch_server.expect_request("/feed").respond_with_data(HTML, content_type="text/html")
    fetch_make_fetcher().fetch(fetch_server.url_for("/feed"))
    request, _ = fetch_server.log[0]
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers
    assert request.headers["Accept-Encoding"] == "gzip, deflate"
    assert "text/html" in request.headers["Accept"]


def test_fetch_many_returns_results_and_errors_in_input_order() -> None:
    fake = FakeFetcher()
    fake.add("http://public.test/a", b"<html>a</html>")
    fake.add("http://public.test/c", b"<html>c</html>")
    urls = ["http://public.test/a", "http://public.test/b", "http://public.test/c"]
    outcomes = fetch_many(fake, urls, max_workers=3)
    assert isinstance(outcomes[0], FetchResult) and outcomes[0].body == b"<html>a</html>"
    assert isinstance(outcomes[1], HttpStatusError) and outcomes[1].status == 404
    assert isinstance(outcomes[2], FetchResult) and outcomes[2].body == b"<html>c</html>"
    assert sorted(call[0] for call in fake.calls) == sorted(urls)
    assert all(call[3] == DEFAULT_ACCEPT for call in fake.calls)


def test_fake_fetcher_answers_not_modified_for_a_matching_etag() -> None:
    fake = FakeFetcher()
    fake.add("http://public.test/a", b"<html>a</html>", etag='"e1"')
    assert fake.fetch("http://public.test/a", etag='"e1"').not_modified is True
    assert fake.fetch("http://public.test/a", etag='"e0"').body == b"<html>a</html>"


@pytest.mark.parametrize("module_name", ["errors", "netguard", "robots", "fetch", "local"])
def test_public_names_are_exported(module_name: str) -> None:
    module = importlib.import_module(f"ingest.{module_name}")
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert defined_here - set(module.__all__) == set()
