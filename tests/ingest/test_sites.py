"""Company site discovery: link classification, page selection, safe sitemap parsing."""

from __future__ import annotations

import gzip
import time

import pytest

from ingest.errors import ParseError
from ingest.sites import (
    PageKind,
    SitemapError,
    SitemapParse,
    classify_site_link,
    parse_sitemap,
    select_site_pages,
)


@pytest.mark.parametrize(
    ("url", "anchor", "expected"),
    [
        ("https://acme.com/about", "", PageKind.ABOUT),
        ("https://acme.com/about-us/", "", PageKind.ABOUT),
        ("https://acme.com/company", "Company", PageKind.ABOUT),
        ("https://acme.de/ueber-uns", "", PageKind.ABOUT),
        ("https://acme.de/%C3%BCber-uns", "", PageKind.ABOUT),
        ("https://acme.nl/over-ons", "", PageKind.ABOUT),
        ("https://acme.fr/qui-sommes-nous", "", PageKind.ABOUT),
        ("https://acme.com/x1", "About us", PageKind.ABOUT),
        ("https://acme.de/x2", "Über uns", PageKind.ABOUT),
        ("https://acme.com/about/leadership", "", PageKind.LEADERSHIP),
        ("https://acme.com/company/our-team", "", PageKind.LEADERSHIP),
        ("https://acme.de/unternehmen/vorstand", "", PageKind.LEADERSHIP),
        ("https://acme.com/x3", "Meet the team", PageKind.LEADERSHIP),
        ("https://acme.com/careers", "", PageKind.CAREERS),
        ("https://acme.com/company/jobs.html", "", PageKind.CAREERS),
        ("https://acme.de/karriere", "", PageKind.CAREERS),
        ("https://acme.nl/vacatures", "", PageKind.CAREERS),
        ("https://acme.nl/werken-bij", "", PageKind.CAREERS),
        ("https://acme.com/x4", "We're hiring", PageKind.CAREERS),
        ("https://acme.com/newsroom", "", PageKind.NEWS),
        ("https://acme.com/press-releases", "", PageKind.NEWS),
        ("https://acme.de/presse", "", PageKind.NEWS),
        ("https://acme.nl/nieuws", "", PageKind.NEWS),
        ("https://acme.com/x5", "Press", PageKind.NEWS),
        ("https://acme.com/blog", "", PageKind.BLOG),
        ("https://acme.com/en/blog/", "", PageKind.BLOG),
        ("https://acme.com/contact-us", "", PageKind.CONTACT),
        ("https://acme.de/kontakt", "", PageKind.CONTACT),
        ("https://acme.de/impressum", "", PageKind.CONTACT),
        ("https://acme.com/investor-relations", "", PageKind.INVESTORS),
        ("https://ir.acme.com/investors", "", PageKind.INVESTORS),
        ("https://acme.com/x6", "Investor Relations", PageKind.INVESTORS),
        ("https://acme.com/products", "Products", None),
        ("https://acme.com/pricing", "Pricing", None),
        ("https://acme.com/about/brochure.pdf", "About us (PDF)", None),
        ("mailto:press@acme.com", "Press", None),
        ("javascript:void(0)", "About", None),
        ("https://acme.com/", "Home", None),
    ],
)
def test_links_are_classified_by_path_then_anchor(url: str, anchor: str, expected: PageKind | None) -> None:
    assert classify_site_link(url, anchor) is expected


HOME_LINKS = [
    ("/", "Home"),
    ("/products", "Products"),
    ("/about", "About"),
    ("/about/leadership", "Leadership"),
    ("/about/board", "Board"),
    ("/about/team/engineering", "Engineering team"),
    ("https://www.acme.com/careers#open", "Careers"),
    ("/careers?utm_source=nav", "Jobs"),
    ("https://blog.acme.com/", "Blog"),
    ("/newsroom", "Newsroom"),
    ("/contact", "Contact"),
    ("https://twitter.com/acme", "Twitter"),
    ("https://evil.com/about", "About"),
    ("mailto:hello@acme.com", "Contact"),
    ("#top", "Top"),
]


def test_selection_keeps_same_site_pages_in_kind_order() -> None:
    chosen = select_site_pages("https://www.acme.com/", HOME_LINKS)
    assert chosen == [
        ("https://www.acme.com/about", PageKind.ABOUT),
        ("https://www.acme.com/about/leadership", PageKind.LEADERSHIP),
        ("https://www.acme.com/newsroom", PageKind.NEWS),
        ("https://www.acme.com/careers", PageKind.CAREERS),
        ("https://blog.acme.com/", PageKind.BLOG),
        ("https://www.acme.com/contact", PageKind.CONTACT),
        ("https://www.acme.com/about/board", PageKind.LEADERSHIP),
    ]


def test_selection_is_bounded_in_total_and_per_kind() -> None:
    links = [(f"/news/{i}", "News") for i in range(50)] + [(f"/team-{i}", "Team") for i in range(50)]
    chosen = select_site_pages("https://acme.com/", links, max_pages=3, max_per_kind=2)
    assert len(chosen) == 3
    assert [kind for _, kind in chosen] == [PageKind.LEADERSHIP, PageKind.NEWS, PageKind.LEADERSHIP]


def test_selection_does_not_depend_on_link_order() -> None:
    forward = select_site_pages("https://www.acme.com/", HOME_LINKS)
    backward = select_site_pages("https://www.acme.com/", list(reversed(HOME_LINKS)))
    assert forward == backward


def test_sitemap_urls_fill_kinds_the_home_page_does_not_link() -> None:
    sitemap = ["https://acme.com/de/karriere", "https://acme.com/investors", "https://other.com/about"]
    chosen = select_site_pages("https://acme.com/", [("/about", "About")], sitemap)
    assert chosen == [
        ("https://acme.com/about", PageKind.ABOUT),
        ("https://acme.com/de/karriere", PageKind.CAREERS),
        ("https://acme.com/investors", PageKind.INVESTORS),
    ]


def test_a_bad_home_url_selects_nothing() -> None:
    assert select_site_pages("not a url at all", HOME_LINKS) == []


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://acme.com/</loc><lastmod>2025-01-01</lastmod></url>
  <url><loc> https://acme.com/about </loc></url>
  <url><loc>ftp://acme.com/file</loc></url>
  <url><loc>https://acme.com/careers</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://acme.com/sitemap-pages.xml</loc></sitemap>
  <sitemap><loc>https://acme.com/sitemap-posts.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_urlset_gives_page_urls() -> None:
    assert parse_sitemap(URLSET) == SitemapParse(
        urls=["https://acme.com/", "https://acme.com/about", "https://acme.com/careers"], sitemaps=[]
    )


def test_sitemap_index_gives_child_sitemaps() -> None:
    assert parse_sitemap(INDEX) == SitemapParse(
        urls=[], sitemaps=["https://acme.com/sitemap-pages.xml", "https://acme.com/sitemap-posts.xml.gz"]
    )


def test_gzipped_sitemap_and_leading_whitespace_are_accepted() -> None:
    assert parse_sitemap(gzip.compress(b"\n\n" + URLSET)).urls[-1] == "https://acme.com/careers"


def test_plain_text_sitemap_lists_urls() -> None:
    parsed = parse_sitemap(b"https://acme.com/a\n\nnot a url\nhttps://acme.com/b\n")
    assert parsed.urls == ["https://acme.com/a", "https://acme.com/b"]


def test_url_cap_truncates_and_says_so() -> None:
    body = b"<urlset>" + b"".join(b"<url><loc>https://acme.com/p%d</loc></url>" % i for i in range(100)) + b"</urlset>"
    parsed = parse_sitemap(body, max_urls=10)
    assert (len(parsed.urls), parsed.truncated) == (10, True)


def test_gzip_bomb_is_refused_past_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(SitemapError, match="inflates"):
        parse_sitemap(bomb, max_bytes=1_000_000)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<urlset><url><loc>https://acme.com/&lol4;</loc></url></urlset>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>https://acme.com/&xxe;</loc></url></urlset>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE urlset SYSTEM "http://127.0.0.1:1/evil.dtd">
<urlset><url><loc>https://acme.com/</loc></url></urlset>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_hostile_xml_is_refused_quickly_without_expansion(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(SitemapError):
        parse_sitemap(body)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "body",
    [b"<urlset><url><loc>https://acme.com/</loc>", b"<html><body>Not found</body></html>", b"\x1f\x8bnot gzip"],
)
def test_malformed_or_foreign_bodies_raise_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_sitemap(body)


def test_empty_body_is_an_empty_sitemap() -> None:
    assert parse_sitemap(b"  ") == SitemapParse(urls=[], sitemaps=[])
