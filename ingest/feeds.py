"""Feed parsing: bytes of one fetched RSS, Atom, RDF or JSON Feed document in, a `ParsedFeed` out.

Pure: no network, no files. The guards of RELIABILITY.md X-1..X-4 live here:

- feedparser only ever sees an in-memory byte stream (`io.BytesIO`) that this module built.
  Given a str it would fetch a URL by itself, and given raw bytes that spell a path
  (b"/etc/passwd") it opens that local file; a stream is read and nothing else.
- Bytes are capped before anything else, decoded here (BOM, valid UTF-8, the declared
  encoding, windows-1252) and handed on as UTF-8, so a declared UTF-7 or UTF-16 cannot hide
  markup from the screen below.
- Every DOCTYPE before the root element is removed before parsing. One that declares
  entities (billion laughs, quadratic blowup, external `file://` or `http://` entities) flags
  the feed as bozo; the references stay unexpanded text. feedparser itself keeps "safe"
  entity declarations, which lets a quadratic blowup through, hence this screen.
- Documents with more entries than the cap are cut after the last entry kept, before
  parsing, so 50,000 entries cost what 2,000 do. Entries are deduplicated by GUID (link when
  there is no GUID, text when there is neither), capped, and their fields are capped.
- A feed with errors keeps its entries and is flagged bozo; a document that is no feed at
  all (an HTML page, unrelated JSON, an image) raises `FeedError` whose message starts with
  "not a feed".

JSON Feed 1 and 1.1 are read by this module's own code. Links wrapped by known redirectors
(Google Alerts' `https://www.google.com/url?...&url=<real>`, Facebook, LinkedIn, YouTube,
Outlook safe links, DuckDuckGo, Slack) are unwrapped to the real URL; see `unwrap_redirect`.

    >>> feed = parse_feed(b'<rss version="2.0"><channel><title>News</title><item><guid>1</guid><title>Acme raises</title></item></channel></rss>')
    >>> (feed.kind, feed.title, [entry.title for entry in feed.entries])
    ('rss', 'News', ['Acme raises'])
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser

from ingest.dates import parse_date, struct_to_utc
from ingest.errors import ParseError
from ingest.pages import decode_bytes, html_to_text, looks_binary

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_FIELD_CHARS",
    "FeedEntry",
    "FeedError",
    "FeedKind",
    "ParsedFeed",
    "parse_feed",
    "unwrap_redirect",
]

FeedKind = Literal["rss", "atom", "rdf", "json"]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 1_000
DEFAULT_MAX_FIELD_CHARS = 20_000
MAX_ID_CHARS = 2_000
MAX_AUTHORS = 50
MAX_TAGS = 100

# Known redirectors: (host pattern, path prefix, query parameters holding the real target, in order).
_REDIRECTORS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"(?:www\.)?google\.(?:com|[a-z]{2,3})(?:\.[a-z]{2})?"), "/url", ("url", "q")),
    (re.compile(r"news\.google\.com"), "/news/url", ("url",)),
    (re.compile(r"(?:l|lm|m|www)\.facebook\.com"), "/l.php", ("u",)),
    (re.compile(r"(?:www\.)?linkedin\.com"), "/redir/redirect", ("url",)),
    (re.compile(r"(?:www\.)?youtube\.com"), "/redirect", ("q",)),
    (re.compile(r"[a-z0-9-]+\.safelinks\.protection\.outlook\.com"), "/", ("url",)),
    (re.compile(r"(?:www\.)?duckduckgo\.com"), "/l/", ("uddg",)),
    (re.compile(r"slack-redir\.net"), "/link", ("url",)),
)
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE)
_XML_ENCODING_BYTES = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_ENTRY_CLOSE = re.compile(r"</(?:(?:atom|rss):)?(?:item|entry)\s*>", re.IGNORECASE)
_ENTRY_OPEN = re.compile(r"<(?:(?:atom|rss):)?(?:item|entry)[\s>/]", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([A-Za-z_][\w:.-]*)[^>]*?(/?)>")
_HTML_HINT = re.compile(r"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_RAW_ENTRY_FACTOR = 2  # raw entries parsed per kept entry, so duplicates cannot starve the cap


class FeedError(ParseError):
    """A document cannot be read as a feed at all ("not a feed: ..."), as opposed to a feed with errors (bozo)."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, its HTML reduced to text and its dates in UTC."""

    guid: str | None
    link: str | None
    title: str
    summary_text: str
    content_text: str
    published: datetime | None
    updated: datetime | None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def date(self) -> datetime | None:
        """Returns the publication date, or the update date when the feed gives only that."""
        return self.published or self.updated


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its kind, title and link, deduplicated entries, and what went wrong on the way."""

    kind: FeedKind
    title: str
    link: str | None
    entries: list[FeedEntry]
    bozo: bool = False
    bozo_reason: str | None = None
    truncated: bool = False


@dataclass(slots=True)
class _Limits:
    max_entries: int
    max_field_chars: int
    base_url: str | None
    truncated: bool = False
    problems: list[str] = field(default_factory=list)  # faults of the document: make it bozo
    notes: list[str] = field(default_factory=list)  # what the caps dropped

    def reason(self) -> str | None:
        return "; ".join(self.problems + self.notes) or None


def parse_feed(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
) -> ParsedFeed:
    """Parses RSS 0.9x/2.0, RSS 1.0 (RDF), Atom or JSON Feed bytes; raises FeedError when it is not a feed."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_feed takes the fetched bytes, not {type(data).__name__}")
    raw = bytes(data)
    limits = _Limits(max_entries=max_entries, max_field_chars=max_field_chars, base_url=url)
    if len(raw) > max_bytes:
        raw = raw[:max_bytes]
        limits.truncated = True
        limits.notes.append(f"feed larger than {max_bytes} bytes; parsed the first {max_bytes}")
    if not raw.strip():
        raise FeedError("not a feed: empty document")
    if looks_binary(raw):
        raise FeedError("not a feed: binary content")
    declared = _XML_ENCODING_BYTES.match(raw[:1024].lstrip(b"\xef\xbb\xbf"))
    text, _encoding, notes = decode_bytes(
        raw, declared=[declared.group(1).decode("ascii") if declared else None, _charset(content_type)]
    )
    limits.problems.extend(notes)
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return _parse_json_feed(text, limits)
    return _parse_xml_feed(text, limits)


def unwrap_redirect(url: str, *, max_hops: int = 3) -> str:
    """Returns the target of a known redirector link (Google, Facebook, LinkedIn, ...), else the URL unchanged."""
    current = url
    for _hop in range(max_hops):
        target = _redirect_target(current)
        if target is None:
            break
        current = target
    return current


def _redirect_target(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for host_pattern, path_prefix, params in _REDIRECTORS:
        if host_pattern.fullmatch(host) and parts.path.startswith(path_prefix):
            query = parse_qs(parts.query)
            for param in params:
                for value in query.get(param, []):
                    target = urlsplit(value.strip())
                    if target.scheme in ("http", "https") and target.netloc:
                        return value.strip()
    return None


# --- XML feeds -------------------------------------------------------------------------------


def _parse_xml_feed(text: str, limits: _Limits) -> ParsedFeed:
    text, entity_reason = _strip_doctypes(text)
    if entity_reason:
        limits.problems.insert(0, entity_reason)
    text, cut = _cut_entries(text, limits.max_entries * _RAW_ENTRY_FACTOR)
    if cut:
        limits.truncated = True
        limits.notes.append(f"more than {limits.max_entries * _RAW_ENTRY_FACTOR} entries; the rest were not read")
    text = _XML_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    # The text is UTF-8 now; saying so keeps feedparser from second-guessing the encoding. No
    # content-location: feedparser would resolve bare GUIDs ("1") against it into fake links.
    headers = {"content-type": "application/xml; charset=utf-8"}
    # A stream, never bytes or str: see the module docstring.
    stream = io.BytesIO(text.encode("utf-8", errors="replace"))
    result = feedparser.parse(stream, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    version = str(result.get("version") or "")
    raw_entries = list(result.get("entries") or [])
    if not version and not raw_entries:
        if _HTML_HINT.search(text[:4096]):
            raise FeedError("not a feed: the document is an HTML page (look for its feed links instead)")
        raise FeedError("not a feed: no RSS, RDF, Atom or JSON Feed document found")
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        limits.problems.append(f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed")
    feed_info = result.get("feed") or {}
    if limits.base_url is None:
        # Relative entry links are resolved against the feed's own absolute address when it gives one.
        limits.base_url = _self_link(feed_info)
    entries = _finish_entries((_xml_entry(item, limits) for item in raw_entries), limits)
    return ParsedFeed(
        kind=_kind(version),
        title=_detail_text(feed_info, "title", limits.max_field_chars),
        link=_clean_link(feed_info.get("link"), limits.base_url),
        entries=entries,
        bozo=bool(limits.problems),
        bozo_reason=limits.reason(),
        truncated=limits.truncated,
    )


def _self_link(feed_info: Mapping[str, Any]) -> str | None:
    for link in feed_info.get("links") or []:
        if isinstance(link, Mapping) and link.get("rel") == "self":
            href = link.get("href")
            if isinstance(href, str) and urlsplit(href).scheme in ("http", "https"):
                return href
    return None


def _kind(version: str) -> FeedKind:
    if version.startswith("atom"):
        return "atom"
    if version in ("rss10", "rss090"):
        return "rdf"
    return "rss"


def _xml_entry(item: Mapping[str, Any], limits: _Limits) -> FeedEntry:
    cap = limits.max_field_chars
    contents = [c for c in item.get("content") or [] if isinstance(c, Mapping)]
    content_text = "\n\n".join(t for t in (_value_text(c.get("value"), c.get("type"), cap) for c in contents) if t)
    authors = [a.get("name") for a in item.get("authors") or [] if isinstance(a, Mapping)]
    if not any(authors) and item.get("author"):
        authors = [item.get("author")]
    tags = [t.get("label") or t.get("term") for t in item.get("tags") or [] if isinstance(t, Mapping)]
    link = item.get("link")
    if item.get("guidislink") and link == item.get("id") and not _is_absolute(link):
        # feedparser copies an RSS <guid> into the link; a bare id like "1" is no address.
        link = None
    return FeedEntry(
        guid=_clean_id(item.get("id")),
        link=_clean_link(link, limits.base_url),
        title=_detail_text(item, "title", cap),
        summary_text=_detail_text(item, "summary", cap),
        content_text=content_text[:cap],
        published=struct_to_utc(item.get("published_parsed")),
        updated=struct_to_utc(item.get("updated_parsed")),
        authors=_clean_names(authors, MAX_AUTHORS),
        tags=_clean_names(tags, MAX_TAGS),
    )


def _detail_text(item: Mapping[str, Any], key: str, cap: int) -> str:
    detail = item.get(f"{key}_detail")
    kind = detail.get("type") if isinstance(detail, Mapping) else None
    return _value_text(item.get(key), kind, cap)


def _value_text(value: Any, kind: Any, cap: int) -> str:
    if not isinstance(value, str) or not value:
        return ""
    if isinstance(kind, str) and "html" in kind:
        return html_to_text(value, max_chars=cap)
    return " ".join(value[: cap * 2].split())[:cap]


def _strip_doctypes(text: str) -> tuple[str, str | None]:
    """Removes every declaration before the root element; reports entity declarations among them."""
    pieces: list[str] = []
    pos = 0
    entity_reason: str | None = None
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<?", lt):
            end = _after(text, "?>", lt + 2)
        elif text.startswith("<!--", lt):
            end = _after(text, "-->", lt + 4)
        elif text.startswith("<!", lt) and not text.startswith("<![CDATA[", lt):
            end = _declaration_end(text, lt)
            declaration = text[lt:end]
            if re.search(r"<!ENTITY", declaration, re.IGNORECASE):
                entity_reason = "DOCTYPE with entity declarations refused (entities left unexpanded)"
            pieces.append(text[pos:lt])
            pos = end
            continue
        else:
            break
        pieces.append(text[pos:end])
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), entity_reason


def _after(text: str, token: str, start: int) -> int:
    found = text.find(token, start)
    return len(text) if found < 0 else found + len(token)


def _declaration_end(text: str, start: int) -> int:
    """Finds the end of `<!DOCTYPE ... [ ... ]>`, skipping quoted strings and comments inside it."""
    depth = 0
    pos = start + 2
    length = len(text)
    while pos < length:
        char = text[pos]
        if char in "\"'":
            pos = _after(text, char, pos + 1)
            continue
        if text.startswith("<!--", pos):
            pos = _after(text, "-->", pos + 4)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == ">" and depth == 0:
            return pos + 1
        pos += 1
    return length


def _cut_entries(text: str, limit: int) -> tuple[str, bool]:
    """Cuts the document after the limit-th entry and closes the elements still open there."""
    if len(_ENTRY_CLOSE.findall(text)) <= limit:
        return text, False
    end = _nth_entry_end(text, limit)
    first = _ENTRY_OPEN.search(text)
    if end is None or first is None or first.start() >= end:
        return text, False
    closing = "".join(f"</{name}>" for name in reversed(_open_elements(text[: first.start()])))
    return text[:end] + closing, True


def _nth_entry_end(text: str, limit: int) -> int | None:
    count = 0
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            return None
        if text.startswith("<![CDATA[", lt):
            pos = _after(text, "]]>", lt + 9)
            continue
        if text.startswith("<!--", lt):
            pos = _after(text, "-->", lt + 4)
            continue
        match = _ENTRY_CLOSE.match(text, lt)
        if match:
            count += 1
            if count == limit:
                return match.end()
        pos = lt + 1


def _open_elements(head: str) -> list[str]:
    head = re.sub(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<[?!][^>]*>", "", head, flags=re.DOTALL)
    stack: list[str] = []
    for match in _TAG.finditer(head):
        closing, name, self_closing = match.groups()
        if self_closing:
            continue
        if not closing:
            stack.append(name)
        elif name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name) :]
    return stack


# --- JSON Feed -------------------------------------------------------------------------------


def _parse_json_feed(text: str, limits: _Limits) -> ParsedFeed:
    bozo_reason: str | None = None
    try:
        document: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:
        document = _salvage_json_feed(text)
        if document is None:
            raise FeedError(f"not a feed: malformed JSON and no JSON Feed items found ({exc})") from exc
        bozo_reason = f"malformed JSON Feed; kept the items that parse ({exc})"
    if not isinstance(document, dict) or "jsonfeed.org/version" not in str(document.get("version", "")):
        raise FeedError("not a feed: JSON without a JSON Feed version")
    if bozo_reason:
        limits.problems.insert(0, bozo_reason)
    items = document.get("items")
    raw_items = (
        [item for item in items[: limits.max_entries * _RAW_ENTRY_FACTOR] if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )
    if isinstance(items, list) and len(items) > limits.max_entries * _RAW_ENTRY_FACTOR:
        limits.truncated = True
    entries = _finish_entries((_json_entry(item, limits) for item in raw_items), limits)
    return ParsedFeed(
        kind="json",
        title=_json_text(document.get("title"), limits.max_field_chars),
        link=_clean_link(document.get("home_page_url"), limits.base_url),
        entries=entries,
        bozo=bool(limits.problems),
        bozo_reason=limits.reason(),
        truncated=limits.truncated,
    )


def _salvage_json_feed(text: str) -> dict[str, Any] | None:
    """Reads a cut or broken JSON Feed item by item, keeping every item that parses."""
    version = re.search(r'"version"\s*:\s*"([^"]*jsonfeed\.org[^"]*)"', text[:4096])
    items_at = re.search(r'"items"\s*:\s*\[', text)
    if version is None or items_at is None:
        return None
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = items_at.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] != "{":
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            break
        items.append(item)
    title = re.search(r'"title"\s*:\s*"((?:[^"\\]|\\.)*)"', text[: items_at.start()])
    return {
        "version": version.group(1).replace("\\/", "/"),
        "title": _unescape_json(title.group(1)) if title else "",
        "items": items,
    }


def _unescape_json(value: str) -> str:
    try:
        decoded = json.loads(f'"{value}"')
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value


def _json_entry(item: Mapping[str, Any], limits: _Limits) -> FeedEntry:
    cap = limits.max_field_chars
    content_text = _json_text(item.get("content_text"), cap)
    content_html = item.get("content_html")
    if not content_text and isinstance(content_html, str):
        content_text = html_to_text(content_html, max_chars=cap)
    authors_raw = item.get("authors")
    authors_list: list[Any] = authors_raw if isinstance(authors_raw, list) else [item.get("author")]
    authors = [a.get("name") for a in authors_list if isinstance(a, Mapping)]
    tags_raw = item.get("tags")
    tags: list[Any] = tags_raw if isinstance(tags_raw, list) else []
    link = item.get("url") or item.get("external_url")
    item_id = item.get("id")
    return FeedEntry(
        guid=_clean_id(str(item_id) if isinstance(item_id, str | int) and not isinstance(item_id, bool) else None),
        link=_clean_link(link, limits.base_url),
        title=_json_text(item.get("title"), cap),
        summary_text=_json_text(item.get("summary"), cap),
        content_text=content_text,
        published=_json_date(item.get("date_published")),
        updated=_json_date(item.get("date_modified")),
        authors=_clean_names(authors, MAX_AUTHORS),
        tags=_clean_names(tags, MAX_TAGS),
    )


def _json_text(value: Any, cap: int) -> str:
    return " ".join(value[: cap * 2].split())[:cap] if isinstance(value, str) else ""


def _json_date(value: Any) -> datetime | None:
    return parse_date(value) if isinstance(value, str) else None


# --- shared ----------------------------------------------------------------------------------


def _finish_entries(entries: Iterable[FeedEntry], limits: _Limits) -> list[FeedEntry]:
    kept: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in entries:
        key = _entry_key(entry)
        if key in seen:
            continue
        if len(kept) >= limits.max_entries:
            limits.truncated = True
            break
        seen.add(key)
        kept.append(entry)
    return kept


def _entry_key(entry: FeedEntry) -> str:
    if entry.guid:
        return f"guid:{entry.guid}"
    if entry.link:
        return f"link:{entry.link}"
    digest = hashlib.sha256(f"{entry.title}\x00{entry.summary_text}\x00{entry.content_text}".encode()).hexdigest()
    return f"text:{digest}"


def _clean_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = value.strip()[:MAX_ID_CHARS]
    return cleaned or None


def _clean_link(value: Any, base: str | None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()[:MAX_ID_CHARS]
    try:
        joined = urljoin(base, raw) if base else raw
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return unwrap_redirect(joined)


def _is_absolute(value: Any) -> bool:
    try:
        return isinstance(value, str) and urlsplit(value.strip()).scheme in ("http", "https")
    except ValueError:
        return False


def _clean_names(values: Iterable[Any], limit: int) -> list[str]:
    names: list[str] = []
    for value in values:
        if isinstance(value, str):
            name = " ".join(value.split())[:300]
            if name and name not in names:
                names.append(name)
                if len(names) >= limit:
                    break
    return names


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip(" \"'") or None
    return None
