"""Chooses which pages of a company website to fetch, and reads sitemaps safely.

    >>> classify_site_link("https://acme.com/ueber-uns", "")
    <PageKind.ABOUT: 'about'>
    >>> select_site_pages("https://acme.com/", [("/careers", "Jobs"), ("https://other.com/about", "About")])
    [('https://acme.com/careers', <PageKind.CAREERS: 'careers'>)]

Links are classified by their URL path first (the last path segment that says anything wins, so
"/about/team" is leadership) and by their anchor text second; English, German, Dutch, French,
Spanish and Italian words are known. Pages are kept only on the home page's registrable domain.

Sitemaps are parsed with defusedxml: a DTD, entity or external reference makes the parse fail
(`SitemapError`, a `ParseError`), nothing is expanded or fetched. Gzip bodies are decompressed up to
a cap, and at most `max_urls` locations are read.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XmlParseError
from defusedxml.ElementTree import iterparse

from ingest.errors import ParseError
from ingest.urls import UrlError, canonicalize_url, same_site

__all__ = [
    "PageKind",
    "SitemapError",
    "SitemapParse",
    "classify_site_link",
    "parse_sitemap",
    "select_site_pages",
]

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit for one uncompressed file


class SitemapError(ParseError):
    """Raised for a sitemap that is not well-formed, uses DTDs or entities, or inflates past the cap."""


class PageKind(StrEnum):
    """Kinds of company pages worth fetching, in the order they are chosen."""

    ABOUT = "about"
    LEADERSHIP = "leadership"
    NEWS = "news"
    CAREERS = "careers"
    INVESTORS = "investors"
    BLOG = "blog"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class SitemapParse:
    """Page URLs of a urlset, child sitemap URLs of a sitemap index, and whether the cap cut the list."""

    urls: list[str]
    sitemaps: list[str]
    truncated: bool = False


def _slugs(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Slug spellings (after lower-casing, percent-decoding and turning "_" into "-"), best first.
_SLUGS: dict[PageKind, tuple[str, ...]] = {
    PageKind.LEADERSHIP: _slugs(
        "leadership management team our-team the-team meet-the-team executives executive-team leadership- "
        "team board board-of-directors founders management-team geschaeftsfuehrung geschäftsführung "
        "vorstand unser-team das-team directie bestuur ons-team equipe équipe notre-equipe direction "
        "dirigeants equipo nuestro-equipo direccion dirección chi-siamo-team squadra"
    ),
    PageKind.CAREERS: _slugs(
        "careers career jobs job join-us work-with-us join-our-team vacancies openings open-positions "
        "karriere stellenangebote stellen jobs-karriere vacatures werken-bij werkenbij carrieres "
        "carrières emplois recrutement rejoignez-nous empleo empleos trabaja-con-nosotros lavora-con-noi "
        "carriere"
    ),
    PageKind.INVESTORS: _slugs(
        "investors investor investor-relations ir shareholders investoren aktionaere aktionäre beleggers "
        "investisseurs inversores investitori"
    ),
    PageKind.NEWS: _slugs(
        "news press newsroom press-releases press-room pressroom media media-center in-the-news presse "
        "pressemitteilungen aktuelles neuigkeiten nieuws pers persberichten actualites actualités "
        "communiques communiqués noticias prensa notizie comunicati-stampa"
    ),
    PageKind.BLOG: ("blog", "blogs", "weblog", "insights", "articles", "stories"),
    PageKind.CONTACT: _slugs("contact contact-us contacts kontakt impressum imprint contacto contatti contactez-nous"),
    PageKind.ABOUT: _slugs(
        "about about-us aboutus company our-company who-we-are our-story story profile ueber-uns uber-uns "
        "über-uns unternehmen wir-ueber-uns over-ons over wie-zijn-wij qui-sommes-nous a-propos à-propos "
        "societe société quienes-somos sobre-nosotros chi-siamo azienda"
    ),
}
# Anchor texts, matched as whole lower-cased phrases (after collapsing whitespace).
_ANCHORS: dict[PageKind, frozenset[str]] = {
    PageKind.LEADERSHIP: frozenset({
        "leadership", "management", "our team", "the team", "meet the team", "executive team",
        "board of directors", "team", "geschäftsführung", "vorstand", "unser team", "directie", "ons team",
        "équipe", "notre équipe", "equipo", "leadership team", "management team",
    }),
    PageKind.CAREERS: frozenset({
        "careers", "career", "jobs", "join us", "work with us", "join our team", "we're hiring", "we are hiring",
        "open positions", "karriere", "stellenangebote", "jobs & karriere", "vacatures", "werken bij",
        "carrières", "emplois", "rejoignez-nous", "empleo", "trabaja con nosotros", "lavora con noi",
    }),
    PageKind.INVESTORS: frozenset({
        "investors", "investor relations", "shareholders", "investoren", "beleggers", "investisseurs",
    }),
    PageKind.NEWS: frozenset({
        "news", "press", "newsroom", "press releases", "press room", "media", "in the news", "presse",
        "pressemitteilungen", "aktuelles", "neuigkeiten", "nieuws", "pers", "actualités", "communiqués",
        "noticias", "prensa", "notizie",
    }),
    PageKind.BLOG: frozenset({"blog", "our blog", "insights"}),
    PageKind.CONTACT: frozenset({
        "contact", "contact us", "kontakt", "impressum", "imprint", "contacto", "contatti", "contactez-nous",
    }),
    PageKind.ABOUT: frozenset({
        "about", "about us", "company", "our company", "who we are", "our story", "über uns", "ueber uns",
        "unternehmen", "over ons", "wie zijn wij", "qui sommes-nous", "à propos", "a propos", "quiénes somos",
        "quienes somos", "sobre nosotros", "chi siamo", "azienda",
    }),
}  # fmt: skip
_KIND_ORDER = list(PageKind)
_SKIP_EXTENSIONS = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|zip|gz|mp4|mp3|docx?|xlsx?|pptx?|css|js|xml|rss)$")
_LOCALE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2})?$")
_GZIP_MAGIC = b"\x1f\x8b"


def classify_site_link(url: str, anchor_text: str) -> PageKind | None:
    """Returns the kind of company page a link points to, or None if it is none of them."""
    found = _classify(url, anchor_text)
    return found[0] if found else None


def _classify(url: str, anchor_text: str) -> tuple[PageKind, int] | None:
    """Returns the kind and a rank (0 for a kind's main slug, higher for its lesser words)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    path = unquote(parts.path).lower().rstrip("/")
    if _SKIP_EXTENSIONS.search(path):
        return None
    segments = [s.replace("_", "-") for s in path.split("/") if s]
    segments = [re.sub(r"\.(?:html?|php|aspx?)$", "", s) for s in segments if not _LOCALE.match(s)]
    for below, segment in enumerate(reversed(segments)):
        for kind in _KIND_ORDER:
            if segment in _SLUGS[kind]:
                # A page below the matching segment ("/team/engineering") is a lesser candidate.
                return kind, _SLUGS[kind].index(segment) + 100 * below
    anchor = " ".join(anchor_text.lower().split()).strip(" :›»>|-")
    for kind in _KIND_ORDER:
        if anchor in _ANCHORS[kind]:
            return kind, len(_SLUGS[kind])
    return None


def select_site_pages(
    home_url: str,
    links: Sequence[tuple[str, str]],
    sitemap_urls: Sequence[str] = (),
    *,
    max_pages: int = 8,
    max_per_kind: int = 2,
) -> list[tuple[str, PageKind]]:
    """Returns up to `max_pages` same-site pages to fetch, best first, at most `max_per_kind` of each kind.

    `links` are (href, anchor text) pairs from the home page; hrefs may be relative. The order is
    deterministic: kinds take turns in `PageKind` order, and within a kind shallower paths from the
    home page's own links come first.
    """
    try:
        home_key = canonicalize_url(home_url)
    except UrlError:
        return []
    best: dict[str, tuple[tuple[int, int, int, int, str], PageKind]] = {}
    candidates = [(href, anchor, 0) for href, anchor in links] + [(url, "", 1) for url in sitemap_urls]
    for href, anchor, source in candidates:
        absolute = _absolute(home_url, href)
        if absolute is None or not same_site(home_url, absolute):
            continue
        try:
            key = canonicalize_url(absolute)
        except UrlError:
            continue
        found = _classify(absolute, anchor)
        if key == home_key or found is None:
            continue
        depth = len([s for s in urlsplit(absolute).path.split("/") if s])
        rank = (found[1], depth, source, len(absolute), absolute)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, found[0])
    by_kind: dict[PageKind, list[tuple[tuple[int, int, int, int, str], str]]] = {kind: [] for kind in PageKind}
    for rank, kind in best.values():
        by_kind[kind].append((rank, rank[-1]))
    ranked = {kind: [url for _, url in sorted(items)][:max_per_kind] for kind, items in by_kind.items()}
    chosen: list[tuple[str, PageKind]] = []
    for turn in range(max_per_kind):
        for kind in _KIND_ORDER:
            if turn < len(ranked[kind]) and len(chosen) < max_pages:
                chosen.append((ranked[kind][turn], kind))
    return chosen


def parse_sitemap(data: bytes, *, max_urls: int = 5000, max_bytes: int = MAX_SITEMAP_BYTES) -> SitemapParse:
    """Returns the locations in a sitemap (XML urlset or index, plain text, gzip or not)."""
    body = _gunzip(data, max_bytes=max_bytes) if data[:2] == _GZIP_MAGIC else data
    if len(body) > max_bytes:
        raise SitemapError(f"sitemap is larger than {max_bytes} bytes")
    body = body.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body:
        return SitemapParse(urls=[], sitemaps=[])
    if not body.startswith(b"<"):
        return _parse_text_sitemap(body, max_urls=max_urls)
    return _parse_xml_sitemap(body, max_urls=max_urls)


def _absolute(home_url: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(home_url, href))
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapError(f"broken gzip sitemap: {exc}") from exc
    if len(out) > max_bytes:
        raise SitemapError(f"gzip sitemap inflates past {max_bytes} bytes")
    return out


def _parse_text_sitemap(body: bytes, *, max_urls: int) -> SitemapParse:
    urls: list[str] = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if line.lower().startswith(("http://", "https://")):
            if len(urls) >= max_urls:
                return SitemapParse(urls=urls, sitemaps=[], truncated=True)
            urls.append(line)
    return SitemapParse(urls=urls, sitemaps=[])


def _parse_xml_sitemap(body: bytes, *, max_urls: int) -> SitemapParse:
    urls: list[str] = []
    sitemaps: list[str] = []
    root_name = ""
    try:
        for event, elem in iterparse(io.BytesIO(body), events=("start", "end"), forbid_dtd=True):
            name = _local(elem.tag)
            if event == "start":
                if not root_name:
                    root_name = name
                    if name not in ("urlset", "sitemapindex"):
                        raise SitemapError(f"not a sitemap: the root element is <{name}>")
                continue
            if name == "loc":
                loc = (elem.text or "").strip()
                if loc.lower().startswith(("http://", "https://")):
                    if len(urls) + len(sitemaps) >= max_urls:
                        return SitemapParse(urls=urls, sitemaps=sitemaps, truncated=True)
                    (sitemaps if root_name == "sitemapindex" else urls).append(loc)
            elif name in ("url", "sitemap"):
                elem.clear()
    except (DefusedXmlException, XmlParseError) as exc:
        raise SitemapError(f"unsafe or malformed sitemap XML: {exc!r}") from exc
    return SitemapParse(urls=urls, sitemaps=sitemaps)


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]
