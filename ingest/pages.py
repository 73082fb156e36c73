"""Page parsing: bytes of one fetched HTML page in, a `ParsedPage` out. Pure: no network, no files.

The main text comes from trafilatura in precision mode without comments (chosen by
measurement on the article-extraction dev set; see ingest/evaluate.py). Around it the page
gives what the extractor and the scorer use: title, publication date, language, description,
canonical link, the schema.org organization, JSON-LD, meta tags, links, feed links, scripts
and the generator, plus the capped raw HTML for technology fingerprinting.

Hostile input is expected: bytes are capped, binary bodies and non-HTML content types are
refused with `PageError`, encodings are detected from BOM, HTTP header and `<meta>` with a
safe fallback, and libxml2 caps nesting depth at 256 (deeper content is dropped and a
warning recorded), so 100k nested tags cost milliseconds and never recurse in Python.

    >>> page = parse_page(b"<html lang='en'><head><title>Acme</title></head><body><p>Hi</p></body></html>", url="https://acme.example/")
    >>> (page.title, page.language)
    ('Acme', 'en')
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import htmldate
import lxml.html
import trafilatura
from lxml import etree

from ingest.dates import date_from_url, is_plausible, parse_date
from ingest.errors import ParseError
from ingest.jsonld import PageOrganization, find_date_published, find_organization, load_json_ld

__all__ = [
    "DEFAULT_MAX_BYTES",
    "PageError",
    "PageLink",
    "ParsedPage",
    "decode_bytes",
    "discover_feed_links",
    "extract_main_text",
    "html_to_text",
    "looks_binary",
    "parse_page",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_HTML_CHARS = 2_000_000
MAX_LINKS = 1_000
MAX_SCRIPTS = 200
MAX_INLINE_SCRIPTS = 50
INLINE_SCRIPT_CHARS = 500
MAX_META = 500

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml", "text/xml"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml", "application/json"}
)
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG maps latin-1 and ASCII labels to windows-1252, which is what such pages really contain
# (keys are codecs.lookup() names).
_ENCODING_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BLOCK_MARK, _LINE_MARK = "\x00B", "\x00L"
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_CELL_TAGS = frozenset({"td", "th"})
_DROP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "select"}
)
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.date",
    "date",
)
_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module", "application/x-javascript"})


class PageError(ParseError):
    """A body cannot be parsed as an HTML page (binary, a non-HTML content type, empty)."""


@dataclass(frozen=True, slots=True)
class PageLink:
    """A link found on a page: absolute http(s) URL without fragment, anchor text, rel tokens."""

    url: str
    text: str
    rel: tuple[str, ...] = ()
    external: bool = False


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """What one HTML page says, ready for storage and extraction."""

    url: str
    title: str
    text: str
    published: datetime | None
    language: str | None
    description: str | None
    canonical_url: str | None
    organization: PageOrganization | None
    json_ld: list[Any] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    links: list[PageLink] = field(default_factory=list)
    feed_links: list[str] = field(default_factory=list)
    script_srcs: list[str] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)
    generator: str | None = None
    html: str = ""
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)


def parse_page(
    data: bytes | str,
    *,
    url: str,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_html_chars: int = MAX_HTML_CHARS,
    now: datetime | None = None,
) -> ParsedPage:
    """Parses one HTML page; raises PageError for binary bodies, non-HTML content types and empty pages."""
    header_map = {key.lower(): value for key, value in (headers or {}).items()}
    content_type = content_type or header_map.get("content-type")
    mime, charset = _split_content_type(content_type)
    if mime and mime not in HTML_TYPES:
        raise PageError(f"not an HTML page: content type {mime}")
    warnings: list[str] = []
    if isinstance(data, str):
        text, encoding = data[: max_bytes * 4], "unicode"
    else:
        raw = bytes(data)
        if len(raw) > max_bytes:
            raw = raw[:max_bytes]
            warnings.append(f"page larger than {max_bytes} bytes; parsed the first {max_bytes}")
        if looks_binary(raw):
            raise PageError("not an HTML page: binary content")
        meta_charset = _META_CHARSET.search(raw[:4096])
        declared = [charset, meta_charset.group(1).decode("ascii") if meta_charset else None]
        text, encoding, notes = decode_bytes(raw, declared=declared)
        warnings.extend(notes)
    tree = _parse_tree(text, warnings)
    base = _base_url(tree, url)
    meta = _meta_tags(tree)
    json_ld = load_json_ld(_json_ld_texts(tree))
    main_text, doc = extract_main_text(tree, url=url)
    page_day = doc.get("date") if isinstance(doc.get("date"), str) else None
    if page_day and page_day.endswith("-01-01") and not _confirm_year_start(tree, url):
        # htmldate reports a bare year (often the copyright line) as January 1st.
        page_day = None
    return ParsedPage(
        url=url,
        title=_first(doc.get("title"), meta.get("og:title"), _title_tag(tree)) or "",
        text=main_text,
        published=_published(page_day, meta, json_ld, url, now=now),
        language=_language(tree, meta),
        description=_first(meta.get("description"), meta.get("og:description"), doc.get("description")),
        canonical_url=_canonical(tree, meta, base),
        organization=find_organization(json_ld, page_url=url),
        json_ld=json_ld,
        meta=meta,
        links=_links(tree, base, page_url=url),
        feed_links=_feed_links(tree, base),
        script_srcs=_script_srcs(tree, base),
        inline_scripts=_inline_scripts(tree),
        generator=meta.get("generator"),
        html=text[:max_html_chars],
        encoding=encoding,
        warnings=warnings,
    )


def extract_main_text(tree_or_html: Any, *, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """Returns trafilatura's main text (precision mode, no comments) and its metadata as a dict."""
    try:
        document = trafilatura.bare_extraction(
            tree_or_html,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
        )
    except (ValueError, TypeError, RecursionError, etree.LxmlError):
        return "", {}
    if document is None:
        return "", {}
    data = document if isinstance(document, dict) else document.as_dict()
    return str(data.get("text") or ""), data


def discover_feed_links(page_html: str, *, base_url: str) -> list[str]:
    """Returns the feeds a page advertises with `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`."""
    try:
        tree = _parse_tree(page_html, [])
    except PageError:
        return []
    return _feed_links(tree, _base_url(tree, base_url))


def decode_bytes(data: bytes, *, declared: Sequence[str | None] = ()) -> tuple[str, str, list[str]]:
    """Decodes bytes: BOM, then valid UTF-8, then the declared encodings in order, then windows-1252."""
    notes: list[str] = []
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), codec, notes
    sniffed = _sniff_utf16(data)
    if sniffed:
        return data.decode(sniffed, errors="replace"), sniffed, notes
    if data.isascii():
        return data.decode("ascii"), "ascii", notes
    utf8 = _decode_strict(data, "utf-8")
    wanted = [name for name in (_normalise_encoding(item) for item in declared) if name]
    if utf8 is not None:
        if wanted and wanted[0] != "utf-8":
            notes.append(f"declared encoding {wanted[0]} but the bytes are UTF-8; decoded as UTF-8")
        return utf8, "utf-8", notes
    for name in wanted:
        decoded = _decode_strict(data, name)
        if decoded is not None:
            return decoded, name, notes
        notes.append(f"bytes are not valid {name}")
    notes.append("no declared encoding fits; decoded as windows-1252")
    return data.decode("cp1252", errors="replace"), "cp1252", notes


def html_to_text(markup: str, *, max_chars: int | None = None) -> str:
    """Reduces an HTML fragment to clean text: scripts dropped, blocks separated by blank lines, <br> as newlines."""
    if max_chars is not None:
        # Markup is rarely more than a few times its text; cutting first bounds the parse.
        markup = markup[: max_chars * 8]
    markup = _CONTROL.sub("", markup)
    if "<" not in markup and "&" not in markup:
        return _clip(" ".join(markup.split()), max_chars)
    try:
        root = lxml.html.fragment_fromstring(_XML_DECL.sub("", markup), create_parent="div")
    except (etree.LxmlError, ValueError):
        return _clip(" ".join(re.sub(r"<[^>]*>", " ", markup).split()), max_chars)
    pieces: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _DROP_TAGS:
                walker.skip_subtree()
                continue
            pieces.append(_opening_mark(tag))
            pieces.append(element.text or "")
        elif event == "end":
            if tag not in _DROP_TAGS:
                pieces.append(_BLOCK_MARK if tag in _BLOCK_TAGS else " " if tag in _CELL_TAGS else "")
            pieces.append(element.tail or "")
        else:
            pieces.append(element.tail or "")
    return _clip(_join_marked("".join(pieces)), max_chars)


def _opening_mark(tag: str) -> str:
    if tag == "br":
        return _LINE_MARK
    if tag in _BLOCK_TAGS:
        return _BLOCK_MARK
    return " " if tag in _CELL_TAGS else ""


def _join_marked(text: str) -> str:
    paragraphs: list[str] = []
    for block in text.split(_BLOCK_MARK):
        lines = [" ".join(line.split()) for line in block.split(_LINE_MARK)]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _clip(text: str, max_chars: int | None) -> str:
    return text if max_chars is None else text[:max_chars]


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [part.strip() for part in value.split(";")]
    charset = next((p.split("=", 1)[1].strip(" \"'") for p in parts[1:] if p.lower().startswith("charset=")), None)
    return parts[0].lower() or None, charset or None


def looks_binary(data: bytes) -> bool:
    """Tells whether bytes are an image, archive, PDF or other binary body rather than text."""
    head = data[:1024]
    if any(data.startswith(magic) for magic in _BINARY_MAGIC):
        return True
    if any(head.startswith(bom) for bom, _codec in _BOMS) or _sniff_utf16(head):
        return False
    return b"\x00" in head


def _sniff_utf16(data: bytes) -> str | None:
    # "<" with a zero byte beside it: UTF-16/32 without a byte order mark
    if data.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if data.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if data.startswith(b"<\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<"):
        return "utf-16-be"
    return None


def _normalise_encoding(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    return _ENCODING_ALIASES.get(canonical, canonical)


def _decode_strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        # A byte cap may cut the last multi-byte character in half: drop only that character.
        if exc.start >= len(data) - 4 and "end of data" in exc.reason:
            return data[: exc.start].decode(codec, errors="replace")
        return None
    except LookupError:
        return None


def _parse_tree(text: str, warnings: list[str]) -> Any:
    cleaned = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not cleaned.strip():
        raise PageError("empty page")
    parser = lxml.html.HTMLParser(collect_ids=False)
    try:
        tree = lxml.html.document_fromstring(cleaned, parser=parser)
    except (etree.LxmlError, ValueError) as exc:
        raise PageError(f"unparseable page: {exc}") from exc
    if any("depth" in str(entry.message).lower() for entry in parser.error_log):
        warnings.append("nesting deeper than 256 levels; content past that depth was dropped")
    return tree


def _base_url(tree: Any, url: str) -> str:
    for href in tree.xpath("//base/@href")[:1]:
        joined = urljoin(url, str(href).strip())
        if urlsplit(joined).scheme in ("http", "https"):
            return joined
    return url


def _absolute(href: Any, base: str) -> str | None:
    raw = str(href).strip()
    if not raw or raw.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(base, raw))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _meta_tags(tree: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("name") or element.get("property") or element.get("itemprop") or element.get("http-equiv")
        content = element.get("content")
        if not key or content is None:
            continue
        key = key.strip().lower()
        if key and key not in meta:
            meta[key] = " ".join(content.split())[:2000]
            if len(meta) >= MAX_META:
                break
    return meta


def _json_ld_texts(tree: Any) -> list[str]:
    texts: list[str] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json" and script.text:
            texts.append(script.text)
    return texts


def _title_tag(tree: Any) -> str | None:
    for element in tree.iter("title"):
        return " ".join((element.text_content() or "").split()) or None
    return None


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _published(
    trafilatura_date: str | None, meta: dict[str, str], json_ld: list[Any], url: str, *, now: datetime | None
) -> datetime | None:
    precise = [parse_date(meta.get(key)) for key in _DATE_META] + [parse_date(find_date_published(json_ld))]
    precise_ok = [value for value in precise if value is not None and is_plausible(value, now=now)]
    day = parse_date(trafilatura_date)
    if day is not None and is_plausible(day, now=now):
        # htmldate gives a day; a meta or JSON-LD timestamp on that same day carries the time too.
        same_day = [value for value in precise_ok if value.date() == day.date()]
        return same_day[0] if same_day else day
    if precise_ok:
        return precise_ok[0]
    from_url = date_from_url(url)
    return from_url if from_url is not None and is_plausible(from_url, now=now) else None


def _confirm_year_start(tree: Any, url: str) -> bool:
    """Tells whether markup (not just a year in the text) dates the page to January 1st."""
    try:
        found = htmldate.find_date(copy.deepcopy(tree), extensive_search=False, original_date=True, url=url)
    except (ValueError, TypeError, etree.LxmlError):
        return False
    return bool(found and found.endswith("-01-01"))


def _language(tree: Any, meta: dict[str, str]) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += [meta.get("content-language"), meta.get("language"), meta.get("og:locale"), meta.get("dc.language")]
    for value in candidates:
        if value:
            primary = re.split(r"[-_,;\s]", value.strip())[0].lower()
            if primary.isalpha() and 2 <= len(primary) <= 3:
                return primary
    return None


def _canonical(tree: Any, meta: dict[str, str], base: str) -> str | None:
    for element in tree.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split() and element.get("href"):
            return _absolute(element.get("href"), base)
    og_url = meta.get("og:url")
    return _absolute(og_url, base) if og_url else None


def _links(tree: Any, base: str, *, page_url: str) -> list[PageLink]:
    page_host = _host(page_url)
    found: dict[str, PageLink] = {}
    for element in tree.iter("a", "area"):
        href = element.get("href")
        url = _absolute(href, base) if href else None
        if url is None:
            continue
        text = " ".join((element.text_content() or "").split())[:300]
        if url in found:
            if not found[url].text and text:
                found[url] = PageLink(url=url, text=text, rel=found[url].rel, external=found[url].external)
            continue
        rel = tuple((element.get("rel") or "").lower().split())
        found[url] = PageLink(url=url, text=text, rel=rel, external=_host(url) != page_host)
        if len(found) >= MAX_LINKS:
            break
    return list(found.values())


def _feed_links(tree: Any, base: str) -> list[str]:
    feeds: list[str] = []
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES and element.get("href"):
            url = _absolute(element.get("href"), base)
            if url and url not in feeds:
                feeds.append(url)
    return feeds


def _script_srcs(tree: Any, base: str) -> list[str]:
    srcs: list[str] = []
    for element in tree.iter("script"):
        src = element.get("src")
        url = _absolute(src, base) if src else None
        if url and url not in srcs:
            srcs.append(url)
            if len(srcs) >= MAX_SCRIPTS:
                break
    return srcs


def _inline_scripts(tree: Any) -> list[str]:
    heads: list[str] = []
    for element in tree.iter("script"):
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        if element.get("src") or kind not in _JS_TYPES or not (element.text or "").strip():
            continue
        heads.append(" ".join(element.text[: INLINE_SCRIPT_CHARS * 4].split())[:INLINE_SCRIPT_CHARS])
        if len(heads) >= MAX_INLINE_SCRIPTS:
            break
    return heads
