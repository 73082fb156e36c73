"""Feed parsing: real captures, hostile documents (RELIABILITY X-1..X-4) and JSON Feed."""

from __future__ import annotations

import io
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from parsers_helpers import (
    FEEDJIRA,
    huge_summary,
    install_tripwire,
    many_items,
    quadratic_blowup,
    rss,
)

from ingest.errors import ParseError
from ingest.feeds import FeedError, ParsedFeed, parse_feed, unwrap_redirect

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"

# Entry counts were checked against the number of <item>/<entry> elements (or JSON items) in
# each file, and first titles against the raw XML; no file holds duplicate GUIDs.
REAL_FEEDS: list[tuple[str, str, int, str | None]] = [
    ("AmazonWebServicesBlog.xml", "atom", 10, "AWS Job: Architect & Designer Position in Turkey"),
    ("AtomFeedWithSpacesAroundEquals.xml", "atom", 1, None),
    ("CRE.xml", "rss", 30, "CRE207 Planetarien"),
    ("DuplicateContentAtomFeed.xml", "atom", 10, "Down time"),
    ("FeedBurnerXHTML.xml", "atom", 10, None),
    ("FeedjiraBlog.xml", "atom", 1, "Feedjira Goes One-Point-Oh"),
    ("GiantRobotsSmashingIntoOtherGiantRobots.xml", "atom", 3, None),
    ("HREFConsideredHarmful.xml", "rdf", 10, "Chrome, V8 and Strongtalk"),
    ("HuffPostCanada.xml", "rss", 2, "Winnipeg High School Orders Custom Hijabs For Muslim Athletes"),
    ("PaulDixExplainsNothing.xml", "atom", 5, "Making a Ruby C library even faster"),
    ("PaulDixExplainsNothingAlternate.xml", "atom", 5, "Making a Ruby C library even faster"),
    ("PaulDixExplainsNothingWFW.xml", "atom", 5, "Making a Ruby C library even faster"),
    ("RSSWithComments.xml", "rss", 30, "AWS Lambda Function URLs: Built-In HTTPS Endpoints for Lambda"),
    ("SamRuby.xml", "atom", 20, "Plex"),
    ("TechCrunch.xml", "rss", 20, None),
    ("TenderLovemaking.xml", "rss", 10, None),
    ("TrotterCashionHome.xml", "atom", 14, None),
    ("TypePadNews.xml", "atom", 10, None),
    ("atom_with_link_tag_for_url_unmarked.xml", "atom", 1, None),
    ("google_alerts_atom.xml", "atom", 20, None),
    ("itunes_feedburner.xml", "rss", 3, None),
    ("json_feed.json", "json", 20, "James Dempsey and the Breakpoints Benefit App Camp for Girls"),
    ("json_feed_with_escaped_uris.json", "json", 30, "New Font"),
    ("pet_atom.xml", "atom", 10, None),
    ("youtube_atom.xml", "atom", 15, "The Google app: Questions Title"),
]


def _real(shared_data: Path, name: str) -> bytes:
    return shared_data.joinpath(*FEEDJIRA, name).read_bytes()


def test_every_real_feed_file_is_in_the_table(shared_data: Path) -> None:
    on_disk = {path.name for path in shared_data.joinpath(*FEEDJIRA).iterdir() if path.suffix in (".xml", ".json")}
    assert on_disk == {name for name, *_ in REAL_FEEDS}


@pytest.mark.parametrize(("name", "kind", "count", "first_title"), REAL_FEEDS, ids=[row[0] for row in REAL_FEEDS])
def test_real_feed_parses_with_all_its_entries(
    shared_data: Path, name: str, kind: str, count: int, first_title: str | None
) -> None:
    feed = parse_feed(_real(shared_data, name))
    assert (feed.kind, len(feed.entries)) == (kind, count)
    assert all(entry.title or entry.summary_text or entry.content_text for entry in feed.entries)
    if first_title is not None:
        assert feed.entries[0].title.startswith(first_title)


def test_leading_whitespace_before_the_xml_declaration_is_not_an_error(shared_data: Path) -> None:
    # TechCrunch.xml starts with a newline before <?xml ...?>, which strict parsers reject.
    feed = parse_feed(_real(shared_data, "TechCrunch.xml"))
    assert not feed.bozo
    assert feed.entries[0].title.startswith("Angie’s List Sets Price Range IPO At $11 To $13 Per Share")


def test_google_alerts_feed_gives_twenty_unwrapped_links(shared_data: Path) -> None:
    feed = parse_feed(_real(shared_data, "google_alerts_atom.xml"))
    assert feed.title == "Google Alert - Slack"
    assert len(feed.entries) == 20
    assert all(entry.link and "google.com" not in entry.link for entry in feed.entries)
    second = feed.entries[1]
    assert second.link == "https://investorplace.com/2019/07/slack-stock-truly-compelling/"
    assert second.title == "Slack Stock Has a Compelling Story and the Numbers to Back It Up"
    assert second.published == datetime(2019, 7, 10, 11, 46, 48, tzinfo=UTC)
    assert all("<b>" not in entry.title and "&nbsp;" not in entry.content_text for entry in feed.entries)


def test_relative_entry_links_resolve_against_the_feed_self_link(shared_data: Path) -> None:
    feed = parse_feed(_real(shared_data, "SamRuby.xml"))
    assert feed.entries[0].link == "http://intertwingly.net/blog/2013/01/30/Plex"


@pytest.mark.parametrize(
    ("wrapped", "expected"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://example.com/a%3Fb%3D1&ct=ga",
            "https://example.com/a?b=1",
        ),
        ("https://www.google.co.uk/url?q=https://example.com/x&sa=U", "https://example.com/x"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fp&h=AT0", "https://example.com/p"),
        ("https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fexample.com%2F", "https://example.com/"),
        ("https://www.youtube.com/redirect?q=https://example.com/v&event=video", "https://example.com/v"),
        (
            "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2Fm&data=0",
            "https://example.com/m",
        ),
        ("https://duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.com%2Fd", "https://example.com/d"),
        ("https://www.google.com/url?url=javascript:alert(1)", "https://www.google.com/url?url=javascript:alert(1)"),
        (
            "https://google.evil.example/url?url=https://x.example/",
            "https://google.evil.example/url?url=https://x.example/",
        ),
        ("https://news.google.com/news/url?sa=t&url=https://x.example/n", "https://x.example/n"),
        ("https://slack-redir.net/link?url=https%3A%2F%2Fx.example%2Fs", "https://x.example/s"),
        (
            "https://www.google.com/search?q=https://example.com/",
            "https://www.google.com/search?q=https://example.com/",
        ),
        (
            "https://example.com/url?url=https://elsewhere.example/",
            "https://example.com/url?url=https://elsewhere.example/",
        ),
        (
            "https://www.google.com/url?url=https%3A%2F%2Fl.facebook.com%2Fl.php%3Fu%3Dhttps%253A%252F%252Fexample.com%252Fz",
            "https://example.com/z",
        ),
    ],
)
def test_unwrap_redirect_returns_the_real_target_of_known_redirectors(wrapped: str, expected: str) -> None:
    assert unwrap_redirect(wrapped) == expected


def test_feedparser_is_given_an_in_memory_stream_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real_parse = feedparser.parse

    def spy(source: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", spy)
    wire = install_tripwire(monkeypatch)
    parse_feed(
        rss("<item><guid>1</guid><link>http://127.0.0.1:9/a</link><title>A</title></item>"),
        url="http://127.0.0.1:9/feed",
    )
    assert len(seen) == 1 and isinstance(seen[0], io.BytesIO)
    assert wire.attempts == []


@pytest.mark.parametrize("body", [b"http://127.0.0.1:9/feed.xml", b"/etc/passwd", b"file:///etc/passwd"])
def test_a_body_that_names_a_url_or_file_is_not_fetched_or_opened(monkeypatch: pytest.MonkeyPatch, body: bytes) -> None:
    # Raw bytes spelling a path make feedparser open that file; parse_feed must not let it.
    wire = install_tripwire(monkeypatch)
    with pytest.raises(FeedError, match=r"^not a feed"):
        parse_feed(body)
    assert wire.attempts == []


def test_parse_feed_refuses_str_input() -> None:
    with pytest.raises(TypeError):
        parse_feed("https://example.com/feed.xml")  # type: ignore[arg-type]


def _entity_attacks() -> list[tuple[str, bytes]]:
    return [
        ("billion_laughs", (FEEDS / "billion_laughs.xml").read_bytes()),
        ("quadratic_blowup", quadratic_blowup()),
        ("external_entities", (FEEDS / "external_entities.xml").read_bytes()),
    ]


@pytest.mark.parametrize(("name", "data"), _entity_attacks(), ids=[name for name, _ in _entity_attacks()])
def test_entity_attacks_are_flagged_and_never_expanded(monkeypatch: pytest.MonkeyPatch, name: str, data: bytes) -> None:
    wire = install_tripwire(monkeypatch)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        feed = parse_feed(data)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024
    assert wire.attempts == []
    assert feed.bozo and feed.bozo_reason and "entity declarations refused" in feed.bozo_reason
    texts = " ".join([feed.title] + [f"{e.title} {e.summary_text} {e.content_text}" for e in feed.entries])
    assert "lollol" not in texts and "x" * 1000 not in texts
    assert "root:" not in texts
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else ""
    assert not hostname or hostname not in texts
    assert len(texts) < 200_000


def test_an_external_dtd_is_dropped_without_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = install_tripwire(monkeypatch)
    feed = parse_feed((FEEDS / "external_dtd.xml").read_bytes())
    assert wire.attempts == []
    assert [entry.title for entry in feed.entries] == ["Café opens"]


def test_a_feed_of_fifty_thousand_entries_is_capped() -> None:
    feed = parse_feed(many_items(50_000))
    assert len(feed.entries) == 1000
    assert feed.truncated
    assert [entry.guid for entry in feed.entries[:3]] == ["g0", "g1", "g2"]


def test_ten_thousand_duplicate_guids_give_one_entry_each() -> None:
    feed = parse_feed(many_items(10_000, distinct_guids=7), max_entries=100)
    assert sorted(entry.guid or "" for entry in feed.entries) == [f"g{i}" for i in range(7)]
    # the first occurrence wins
    assert [entry.title for entry in feed.entries][:2] == ["Item 0", "Item 1"]


def test_entries_without_guid_are_deduplicated_by_link_then_by_text() -> None:
    items = (
        "<item><link>https://a.example/1</link><title>First</title></item>"
        "<item><link>https://a.example/1</link><title>First again</title></item>"
        "<item><title>No link</title><description>same</description></item>"
        "<item><title>No link</title><description>same</description></item>"
        "<item><title>No link</title><description>different</description></item>"
    )
    feed = parse_feed(rss(items))
    assert [entry.title for entry in feed.entries] == ["First", "No link", "No link"]
    assert [entry.summary_text for entry in feed.entries[1:]] == ["same", "different"]


def test_a_five_megabyte_summary_is_cut_to_the_field_cap() -> None:
    data = huge_summary()
    assert len(data) > 5_000_000
    feed = parse_feed(data, max_bytes=8 * 1024 * 1024, max_field_chars=20_000)
    summary = feed.entries[0].summary_text
    assert len(summary) == 20_000
    assert summary.startswith("word word")


def test_bytes_past_the_cap_are_not_parsed_and_the_feed_is_marked_truncated() -> None:
    data = many_items(200)
    feed = parse_feed(data, max_bytes=len(data) // 2)
    assert feed.truncated and feed.bozo
    assert 0 < len(feed.entries) < 200
    assert feed.bozo_reason is not None and "larger than" in feed.bozo_reason


def test_a_malformed_feed_keeps_its_entries_and_is_flagged() -> None:
    feed = parse_feed((FEEDS / "truncated.xml").read_bytes(), url="https://news.example/feed")
    assert feed.bozo and feed.bozo_reason
    first = feed.entries[0]
    assert (first.guid, first.link, first.title) == (
        "one",
        "https://news.example/acme-ohio",
        "Acme opens a plant in Ohio",
    )
    assert first.summary_text == "Acme opens a plant.\n\n200 jobs."
    assert first.published == datetime(2024, 5, 14, 7, 30, tzinfo=UTC)
    # a bare RSS guid is not turned into a made-up link
    assert feed.entries[1].link is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((FEEDS / "html_page.html").read_bytes(), "HTML page"),
        (b'{"name": "not a feed", "items": []}', "JSON Feed version"),
        (b"[1, 2, 3]", "JSON Feed version"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"", "empty"),
        (b"Just some words, no markup.", "no RSS"),
    ],
)
def test_documents_that_are_not_feeds_raise_a_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=r"^not a feed") as caught:
        parse_feed(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, ParseError)


def test_an_empty_but_valid_feed_is_a_feed() -> None:
    feed = parse_feed(rss(""))
    assert (feed.kind, feed.title, feed.entries, feed.bozo) == ("rss", "Generated", [], False)


@pytest.mark.parametrize(
    ("data", "content_type", "title", "bozo"),
    [
        ((FEEDS / "declared_utf8_is_cp1252.xml").read_bytes(), None, "Müller – café “news”", True),
        (
            '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item><title>Café “x”</title></item></channel></rss>'.encode(),
            None,
            "Café “x”",
            True,
        ),
        (
            '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><item><title>Café</title></item></channel></rss>'.encode(
                "utf-16"
            ),
            None,
            "Café",
            False,
        ),
        (
            '<rss version="2.0"><channel><item><title>Straße</title></item></channel></rss>'.encode("utf-16-le"),
            None,
            "Straße",
            False,
        ),
        (
            '<?xml version="1.0" encoding="shift_jis"?><rss version="2.0"><channel><item><title>日本語</title></item></channel></rss>'.encode(
                "shift_jis"
            ),
            None,
            "日本語",
            False,
        ),
        (
            '<rss version="2.0"><channel><item><title>Größe</title></item></channel></rss>'.encode("cp1252"),
            "application/rss+xml; charset=windows-1252",
            "Größe",
            False,
        ),
    ],
    ids=[
        "declared-utf8-is-cp1252",
        "declared-latin1-is-utf8",
        "utf16-bom",
        "utf16-no-bom",
        "shift-jis",
        "http-charset",
    ],
)
def test_wrong_and_unusual_encodings_are_decoded(data: bytes, content_type: str | None, title: str, bozo: bool) -> None:
    feed = parse_feed(data, content_type=content_type)
    assert feed.entries[0].title == title
    assert feed.bozo is bozo


def test_a_declared_utf7_document_cannot_smuggle_entity_declarations() -> None:
    text = '<?xml version="1.0" encoding="utf-7"?><!DOCTYPE r [<!ENTITY a "expanded">]><rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>'
    feed = parse_feed(text.encode("utf-7"))
    assert feed.bozo and "entity" in (feed.bozo_reason or "")
    assert "expanded" not in feed.entries[0].title


def test_html_in_entries_becomes_text_with_paragraph_breaks() -> None:
    description = "&lt;p&gt;First &lt;b&gt;para&lt;/b&gt;.&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;&lt;p&gt;Second&lt;br&gt;line&amp;amp;more&lt;/p&gt;"
    feed = parse_feed(rss(f"<item><guid>h</guid><title>T</title><description>{description}</description></item>"))
    assert feed.entries[0].summary_text == "First para.\n\nSecond\nline&more"


def test_json_feed_1_1_items_are_read() -> None:
    feed = parse_feed((FEEDS / "json_feed_1_1.json").read_bytes())
    assert (feed.kind, feed.title, feed.link, feed.bozo) == (
        "json",
        "Acme Newsroom",
        "https://acme.example/news/",
        False,
    )
    first, second = feed.entries
    assert first.guid == "https://acme.example/news/cfo"
    assert first.title == "Acme names Jane Roe CFO"
    assert first.content_text == "Acme named Jane Roe chief financial officer.\n\nShe joins from Initech."
    assert first.summary_text == "New CFO"
    assert first.published == datetime(2024, 5, 14, 7, 30, tzinfo=UTC)
    assert first.updated == datetime(2024, 5, 15, 10, 0, tzinfo=UTC)
    assert (first.authors, first.tags) == (["Press Office"], ["people", "finance"])
    assert (second.guid, second.link, second.content_text) == (
        "42",
        "https://other.example/acme-plant",
        "Acme opens a plant.",
    )
    assert (second.published, second.authors) == (None, ["Wire"])


def test_json_feed_1_relative_links_resolve_against_the_feed_url() -> None:
    feed = parse_feed((FEEDS / "json_feed_1.json").read_bytes(), url="https://blog.example/feed.json")
    assert [(e.link, e.authors) for e in feed.entries] == [("https://blog.example/posts/1", ["Ann"])]


def test_a_cut_json_feed_keeps_the_items_that_parse() -> None:
    data = b'{"version": "https://jsonfeed.org/version/1.1", "title": "Cut", "items": [{"id": "1", "title": "a"}, {"id": "2", "title": "b"}, {"id": "3", "tit'
    feed = parse_feed(data)
    assert [entry.title for entry in feed.entries] == ["a", "b"]
    assert feed.bozo and feed.title == "Cut"


def test_a_deeply_nested_json_document_is_refused_without_crashing() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"[" * 100_000 + b"]" * 100_000)


def test_entry_links_with_unsafe_schemes_are_dropped() -> None:
    items = (
        "<item><guid>1</guid><link>javascript:alert(1)</link><title>a</title></item>"
        "<item><guid>2</guid><link>file:///etc/passwd</link><title>b</title></item>"
    )
    feed: ParsedFeed = parse_feed(rss(items), url="https://news.example/feed")
    assert [entry.link for entry in feed.entries] == [None, None]
