"""URL identity: canonical forms, document ids, registrable domains."""

from __future__ import annotations

import re

import pytest

from ingest.urls import (
    UrlError,
    canonicalize_url,
    document_id,
    registrable_domain,
    same_site,
    url_host,
)

SAME = [
    ("http://example.com/a", "https://example.com/a"),
    ("https://EXAMPLE.com/a", "https://example.com/a"),
    ("HTTPS://example.com/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://www.example.com/a", "https://example.com/a"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a?utm_source=x&utm_medium=rss&utm_campaign=y", "https://example.com/a"),
    ("https://example.com/a?gclid=123&fbclid=456", "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&igshid=3", "https://example.com/a"),
    ("https://example.com/a?ref=hn&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/a?_hsenc=p2&_hsmi=77&spm=a.b", "https://example.com/a"),
    ("https://example.com/a?yclid=1&msclkid=2&UTM_Source=x", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?id=7&utm_source=feed", "https://example.com/a?id=7"),
    ("https://example.com/news/story/amp/", "https://example.com/news/story"),
    ("https://example.com/news/story/amp", "https://example.com/news/story"),
    ("https://example.com/amp/news/story", "https://example.com/news/story"),
    ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
    ("https://example.com/news/story?amp", "https://example.com/news/story"),
    ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
    ("https://amp.example.com/news/story", "https://example.com/news/story"),
    ("https://example-com.cdn.ampproject.org/c/s/example.com/news/story", "https://example.com/news/story"),
    (
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story/amp/",
        "https://example.com/news/story",
    ),
    ("https://www.google.com/amp/s/example.com/news/story", "https://example.com/news/story"),
    ("https://example.com/%7Euser/a%2dfile", "https://example.com/~user/a-file"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/caf%C3%A9", "https://example.com/café"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://bücher.de/katalog", "https://xn--bcher-kva.de/katalog"),
    ("https://BÜCHER.de/katalog", "https://xn--bcher-kva.de/katalog"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("//example.com/a", "https://example.com/a"),
    ("example.com/a", "https://example.com/a"),
    ("https://example.com/search?q=a+b", "https://example.com/search?q=a%20b"),
    ("  https://example.com/a  ", "https://example.com/a"),
]

DIFFERENT = [
    ("https://example.com/a", "https://example.com/b"),
    ("https://example.com/a", "https://example.org/a"),
    ("https://example.com/A", "https://example.com/a"),
    ("https://example.com/a?id=1", "https://example.com/a?id=2"),
    ("https://example.com/a?id=1", "https://example.com/a"),
    ("https://blog.example.com/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com/a"),
    ("https://example.com/a%2Fb", "https://example.com/a/b"),
    ("https://example.com/search?q=a%2Bb", "https://example.com/search?q=a+b"),
    ("https://example.com/news/amplifier", "https://example.com/news"),
    ("https://example.com/a?page=2", "https://example.com/a?page=3"),
    ("https://example.co.uk/a", "https://example.com/a"),
    ("https://example.com/?p=1", "https://example.com/"),
]


@pytest.mark.parametrize(("left", "right"), SAME)
def test_spellings_of_one_url_share_a_canonical_form(left: str, right: str) -> None:
    assert canonicalize_url(left) == canonicalize_url(right)


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_different_documents_keep_different_canonical_forms(left: str, right: str) -> None:
    assert canonicalize_url(left) != canonicalize_url(right)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://www.Example.com:80/a/b/?utm_source=x&b=2&a=1#top", "https://example.com/a/b?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a%7eb/%2f/./c/../d", "https://example.com/a~b/%2F/d"),
        ("https://example.com/path%zz", "https://example.com/path%25zz"),
        ("https://[2001:DB8::1]:8080/x", "https://[2001:db8::1]:8080/x"),
        ("https://example-com.cdn.ampproject.org/c/s/example.com/x?amp=1", "https://example.com/x"),
    ],
)
def test_canonical_form_is_exactly_as_specified(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


@pytest.mark.parametrize("url", [left for left, _ in SAME + DIFFERENT] + [right for _, right in SAME + DIFFERENT])
def test_canonicalisation_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "mailto:sales@example.com",
        "javascript:alert(1)",
        "ftp://example.com/a",
        "file:///etc/passwd",
        "https://",
        "https://exa mple.com/",
        "https://a..b/",
    ],
)
def test_non_http_or_hostless_urls_are_refused(bad: str) -> None:
    with pytest.raises(UrlError):
        canonicalize_url(bad)


def test_url_error_is_a_value_error() -> None:
    assert issubclass(UrlError, ValueError)


def test_document_id_is_deterministic_hex_and_scoped_by_workspace() -> None:
    url = canonicalize_url("https://example.com/a")
    first = document_id("ws-a", url)
    assert first == document_id("ws-a", url)
    assert re.fullmatch(r"[0-9a-f]{40}", first)
    assert first != document_id("ws-b", url)
    assert first != document_id("ws-a", canonicalize_url("https://example.com/b"))


def test_document_id_does_not_confuse_workspace_and_url_boundaries() -> None:
    assert document_id("ab", "c") != document_id("a", "bc")


def test_document_id_refuses_an_empty_workspace() -> None:
    with pytest.raises(ValueError, match="workspace"):
        document_id("", "https://example.com/")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("a.b.c.example.com", "example.com"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("bbc.co.uk", "bbc.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("www.example.co.jp", "example.co.jp"),
        ("acme.github.io", "acme.github.io"),
        ("docs.acme.github.io", "acme.github.io"),
        ("EXAMPLE.COM.", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("192.168.0.1", "192.168.0.1"),
        ("localhost", "localhost"),
        ("co.uk", "co.uk"),
    ],
)
def test_registrable_domain_handles_two_level_suffixes(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://acme.com/about", "https://blog.acme.com/post", True),
        ("https://www.acme.com/", "acme.com", True),
        ("https://acme.co.uk/", "https://shop.acme.co.uk/x", True),
        ("https://acme.co.uk/", "https://other.co.uk/", False),
        ("https://acme.github.io/", "https://evil.github.io/", False),
        ("https://acme.com/", "https://acme.com.evil.net/", False),
        ("https://acme.com/", "mailto:x@acme.com", False),
    ],
)
def test_same_site_compares_registrable_domains(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected


def test_url_host_strips_www_and_lowercases() -> None:
    assert url_host("HTTPS://WWW.Acme.COM/x") == "acme.com"
