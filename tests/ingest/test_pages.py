"""Page parsing: fields of real and hand-written pages, encodings, JSON-LD, and hostile input (F-6)."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from parsers_helpers import deep_page

from ingest.errors import ParseError
from ingest.jsonld import find_organization, load_json_ld
from ingest.pages import PageError, PageLink, decode_bytes, discover_feed_links, html_to_text, parse_page

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
ABOUT_URL = "https://www.acme-maschinen.example/de/ueber-uns/"
MACRUMORS_ID = "232a43fb15abde807427b2a7bf4f772e27b8760554370956d8291df4e8166dbf"
MACRUMORS_URL = "https://www.macrumors.com/2019/11/18/13-inch-macbook-pro-scissor-keyboard-2020/"


@pytest.fixture(scope="module")
def about_page() -> Any:
    return parse_page((PAGES / "company_about.html").read_bytes(), url=ABOUT_URL)


def test_company_page_organization_is_read_from_the_json_ld_graph(about_page: Any) -> None:
    assert about_page.organization.as_dict() == {
        "name": "Acme Maschinenbau",
        "legal_name": "Acme Maschinenbau GmbH",
        "alternate_name": None,
        "url": "https://www.acme-maschinen.example/",
        "same_as": ["https://www.linkedin.com/company/acme-maschinenbau", "https://de.wikipedia.org/wiki/Acme"],
        "types": ["Organization", "Corporation"],
        "employees": None,
        "employees_min": 250,
        "employees_max": 500,
        "address_country": "DE",
        "address_locality": "Bielefeld",
        "founding_date": "1962",
        "industry": None,
        "naics": "333993",
        "description": "Hersteller von Verpackungsmaschinen.",
        "ticker_symbol": None,
        "parent_organization": "Acme Holding AG",
        "sub_organization_count": 2,
    }


def test_company_page_head_fields(about_page: Any) -> None:
    assert about_page.title == "Acme Maschinenbau – Über uns"
    assert about_page.language == "de"
    assert about_page.description == "Acme baut Verpackungsmaschinen seit 1962."
    assert about_page.canonical_url == "https://www.acme-maschinen.example/de/ueber-uns/"
    assert about_page.generator == "WordPress 6.4.2"
    assert about_page.meta["og:title"] == "Acme Maschinenbau – Über uns"
    assert about_page.encoding == "utf-8"
    assert about_page.warnings == []


def test_company_page_feed_links_resolve_against_the_base_element(about_page: Any) -> None:
    assert about_page.feed_links == [
        "https://www.acme-maschinen.example/de/feed/",
        "https://www.acme-maschinen.example/de/feed/atom/",
        "https://www.acme-maschinen.example/feed.json",
    ]


def test_company_page_scripts_are_listed_for_fingerprinting(about_page: Any) -> None:
    assert about_page.script_srcs == [
        "https://js.hs-scripts.com/1234567.js",
        "https://www.acme-maschinen.example/wp-includes/js/jquery.min.js",
    ]
    assert len(about_page.inline_scripts) == 1 and "gtag('config', 'G-ABC123')" in about_page.inline_scripts[0]
    assert "hs-scripts.com" in about_page.html


def test_company_page_links_are_absolute_without_fragments_or_unsafe_schemes(about_page: Any) -> None:
    assert about_page.links == [
        PageLink("https://www.acme-maschinen.example/de/", "Start"),
        PageLink("https://www.acme-maschinen.example/de/produkte/", "Produkte"),
        PageLink("https://partner.example/case/acme", "Fallbeispiel unseres Partners", ("nofollow", "noopener"), True),
        PageLink("https://www.acme-maschinen.example/de/impressum/", "Impressum"),
    ]


def test_company_page_main_text_keeps_the_article_and_drops_navigation(about_page: Any) -> None:
    assert "baut seit 1962 Verpackungsmaschinen" in about_page.text
    assert "SAP S/4HANA und Salesforce" in about_page.text
    assert "Nach oben" not in about_page.text and "© 2024" not in about_page.text


def test_broken_json_ld_blocks_are_repaired_or_skipped(about_page: Any) -> None:
    # block 2 is wrapped in an HTML comment and has a trailing comma; block 3 is cut off
    assert [block.get("@type") for block in about_page.json_ld] == [None, "BreadcrumbList"]


def test_a_copyright_year_is_not_taken_for_a_publication_date(about_page: Any) -> None:
    assert about_page.published is None


def test_press_release_in_windows_1252_declared_by_meta() -> None:
    page = parse_page((PAGES / "press_release_cp1252.html").read_bytes(), url="https://www.mueller.example/presse/werk")
    assert page.encoding == "cp1252"
    assert page.title == "Grünes Werk eröffnet"
    assert "Die Müller AG eröffnet ein neues Werk in Göttingen – mit 120 Arbeitsplätzen" in page.text
    assert "„Wir investieren 40 Millionen Euro“" in page.text
    assert page.published == datetime(2023, 3, 7, 7, 15, tzinfo=UTC)


def test_real_article_page_fields(shared_data: Path) -> None:
    data = gzip.decompress((shared_data / "article-extraction-dev50" / "html" / f"{MACRUMORS_ID}.html.gz").read_bytes())
    page = parse_page(data, url=MACRUMORS_URL, content_type="text/html; charset=utf-8")
    assert page.title == "13-Inch MacBook Pro With Scissor Keyboard Expected in First Half of 2020"
    assert page.published == datetime(2019, 11, 18, 10, 45, tzinfo=UTC)
    assert (page.language, page.canonical_url) == ("en", MACRUMORS_URL)
    assert page.feed_links[:2] == [
        "https://feeds.macrumors.com/MacRumors-All",
        "https://feeds.macrumors.com/MacRumors-Front",
    ]
    # a paragraph of the gold article body (trafilatura misses this page's lead paragraph, all modes alike)
    assert "Apple analyst Ming-Chi Kuo has previously predicted that Apple will transition" in page.text
    assert "Top Rated Comments" not in page.text
    assert any(isinstance(block, dict) and block.get("@type") == "NewsArticle" for block in page.json_ld)


def test_real_press_page_organization(shared_data: Path) -> None:
    html = (shared_data / "trafilatura-eval-sample" / "html" / "lapresse.tn.parite.html").read_bytes()
    page = parse_page(html, url="https://lapresse.tn/48915/parite-hommes-femmes/")
    assert page.organization is not None
    assert (page.organization.name, page.organization.url) == ("La Presse de Tunisie", "https://lapresse.tn/")
    assert page.organization.same_as == (
        "https://www.facebook.com/lapresse.tunisie/",
        "https://twitter.com/lapressetunisie",
    )
    assert page.language == "fr"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (250, (250, None, None)),
        ("1,200", (1200, None, None)),
        ("51-200", (None, 51, 200)),
        ("10 to 50", (None, 10, 50)),
        ({"@type": "QuantitativeValue", "value": 80}, (80, None, None)),
        ({"@type": "QuantitativeValue", "minValue": "10", "maxValue": 50}, (None, 10, 50)),
        ("many", (None, None, None)),
        (-5, (None, None, None)),
        (True, (None, None, None)),
    ],
)
def test_number_of_employees_forms(value: Any, expected: tuple[int | None, int | None, int | None]) -> None:
    block = {"@type": "LocalBusiness", "name": "Shop", "numberOfEmployees": value}
    org = find_organization(load_json_ld([_json(block)]))
    assert org is not None
    assert (org.employees, org.employees_min, org.employees_max) == expected


def test_the_organization_on_the_page_host_wins_over_a_nested_one() -> None:
    blocks = load_json_ld(
        [
            _json(
                {
                    "@type": "NewsArticle",
                    "publisher": {
                        "@type": "NewsMediaOrganization",
                        "name": "Daily Wire",
                        "url": "https://wire.example/",
                    },
                    "about": {
                        "@type": "Corporation",
                        "name": "Acme",
                        "url": "https://acme.example/",
                        "tickerSymbol": "ACME",
                    },
                }
            )
        ]
    )
    org = find_organization(blocks, page_url="https://acme.example/news/1")
    assert org is not None and (org.name, org.ticker_symbol) == ("Acme", "ACME")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json at all",
        "{" * 50_000,
        '{"@type": "Organization", "name": ',
        "[" * 5_000 + "]" * 5_000,
        '{"a":' * 50_000,
        '{"a": [' * 30_000,
    ],
)
def test_hostile_json_ld_is_tolerated_quickly(text: str) -> None:
    started = time.perf_counter()
    assert find_organization(load_json_ld([text])) is None
    assert time.perf_counter() - started < 1.0


def test_concatenated_json_ld_objects_are_all_kept() -> None:
    blocks = load_json_ld(['{"@type": "WebSite"} {"@type": "Organization", "name": "Two"}'])
    assert [block["@type"] for block in blocks] == ["WebSite", "Organization"]


@pytest.mark.parametrize(
    ("data", "declared", "text", "encoding"),
    [
        ("Grüße".encode(), [], "Grüße", "utf-8"),
        ("Grüße".encode("cp1252"), ["iso-8859-1"], "Grüße", "cp1252"),
        ("Grüße".encode("cp1252"), ["utf-8"], "Grüße", "cp1252"),
        ("Grüße".encode(), ["iso-8859-1"], "Grüße", "utf-8"),
        ("Grüße".encode("utf-16"), [], "Grüße", "utf-16-le"),
        ("\ufeffGrüße".encode(), [], "Grüße", "utf-8"),
        ("Привет".encode("koi8-r"), ["koi8-r"], "Привет", "koi8-r"),
        ("Grüße".encode("cp1252"), ["no-such-charset"], "Grüße", "cp1252"),
        ("Grüße €".encode()[:-1], [], "Grüße ", "utf-8"),
    ],
    ids=[
        "utf8",
        "latin1-label",
        "wrong-declared-utf8",
        "utf8-declared-latin1",
        "utf16-bom",
        "utf8-bom",
        "koi8-r",
        "unknown-label",
        "cut-character",
    ],
)
def test_decode_bytes_detects_the_encoding(data: bytes, declared: list[str], text: str, encoding: str) -> None:
    decoded, used, _notes = decode_bytes(data, declared=declared)
    assert (decoded, used) == (text, encoding)


def test_http_charset_is_used_when_the_page_declares_none() -> None:
    data = "<html><head><title>Größe</title></head><body><p>Größe</p></body></html>".encode("cp1252")
    page = parse_page(data, url="https://x.example/", headers={"Content-Type": "text/html; charset=windows-1252"})
    assert page.title == "Größe"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", None),
        (b"\x00\x01\x02\x03binary\x00", None),
        (b"<html><body>hi</body></html>", "image/png"),
        (b"<html><body>hi</body></html>", "application/pdf"),
        (b"", None),
        (b"   \n  ", None),
    ],
)
def test_binary_bodies_and_other_content_types_are_refused(data: bytes, content_type: str | None) -> None:
    with pytest.raises(PageError) as caught:
        parse_page(data, url="https://x.example/", content_type=content_type)
    assert isinstance(caught.value, ParseError)


def test_a_hundred_thousand_nested_tags_neither_crash_nor_hang() -> None:
    started = time.perf_counter()
    page = parse_page(deep_page(100_000), url="https://x.example/deep")
    assert time.perf_counter() - started < 5.0
    assert page.title == "Deep page"
    assert any("nesting" in warning for warning in page.warnings)


def test_html_to_text_survives_deep_nesting() -> None:
    assert html_to_text("<p>top</p>" + "<span>" * 100_000 + "x").startswith("top")


def test_oversized_pages_are_cut_to_the_byte_cap() -> None:
    data = b"<html><head><title>Big</title></head><body>" + b"<p>filler text here</p>" * 100_000 + b"</body></html>"
    page = parse_page(data, url="https://x.example/big", max_bytes=200_000, max_html_chars=50_000)
    assert page.title == "Big"
    assert len(page.html) == 50_000
    assert any("larger than" in warning for warning in page.warnings)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>One <b>bold</b> line.</p><p>Two</p>", "One bold line.\n\nTwo"),
        ("First<br>second<br/>third", "First\nsecond\nthird"),
        ("<div>a<script>evil()</script>b<style>p{}</style>c</div>", "abc"),
        ("<ul><li>x</li><li>y</li></ul>", "x\n\ny"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("Fish &amp; chips &lt;3 &nbsp;here", "Fish & chips <3 here"),
        ("plain   text\n with  spaces", "plain text with spaces"),
        ("<p>a<!-- hidden -->b</p>", "ab"),
        ("", ""),
    ],
)
def test_html_to_text_keeps_paragraphs_and_drops_code(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_html_to_text_honours_the_character_cap() -> None:
    assert len(html_to_text("<p>" + "word " * 100_000 + "</p>", max_chars=1_000)) == 1_000


def test_discover_feed_links_returns_only_feed_alternates() -> None:
    html = """<html><head>
      <link rel="alternate" type="application/rss+xml" href="/feed.xml">
      <link rel="Alternate Home" type="application/atom+xml; charset=utf-8" href="https://cdn.example/atom">
      <link rel="alternate" type="application/feed+json" href="feed.json">
      <link rel="alternate" type="text/html" hreflang="de" href="/de/">
      <link rel="stylesheet" type="application/rss+xml" href="/not-a-feed">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="application/rss+xml" href="/feed.xml">
    </head><body></body></html>"""
    assert discover_feed_links(html, base_url="https://blog.example/posts/") == [
        "https://blog.example/feed.xml",
        "https://cdn.example/atom",
        "https://blog.example/posts/feed.json",
    ]


def test_publication_date_falls_back_to_the_url() -> None:
    html = (
        b"<html><head><title>t</title></head><body><article><p>"
        + b"Some words of text. " * 30
        + b"</p></article></body></html>"
    )
    page = parse_page(html, url="https://news.example/2021/03/04/story")
    assert page.published == datetime(2021, 3, 4, tzinfo=UTC)


def test_a_future_meta_date_is_ignored() -> None:
    html = (
        b'<html><head><title>t</title><meta property="article:published_time" content="2099-01-01T00:00:00Z"></head>'
        b"<body><p>text</p></body></html>"
    )
    page = parse_page(html, url="https://news.example/story", now=datetime(2024, 6, 1, tzinfo=UTC))
    assert page.published is None


def _json(value: Any) -> str:
    return json.dumps(value)
