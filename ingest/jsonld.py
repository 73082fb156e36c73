"""schema.org JSON-LD: tolerant loading of `<script type="application/ld+json">` blocks and the organization they describe.

Publishers write broken JSON-LD often (trailing commas, HTML comments or CDATA wrappers,
raw newlines inside strings, several objects in one block), so loading repairs the common
faults and gives up quietly on the rest. Walking the data is iterative and bounded, so a
hostile block cannot exhaust the stack or the CPU.

    >>> blocks = load_json_ld(['{"@type": "Corporation", "name": "Acme", "numberOfEmployees": {"minValue": 50, "maxValue": 200}}'])
    >>> org = find_organization(blocks, page_url="https://acme.example/")
    >>> (org.name, org.employees_min, org.employees_max) if org else None
    ('Acme', 50, 200)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from ingest.dates import parse_date

__all__ = ["PageOrganization", "find_date_published", "find_organization", "iter_nodes", "load_json_ld"]

MAX_BLOCK_CHARS = 1_000_000
MAX_NODES = 20_000
_MAX_STRING = 2_000

_ORG_TYPES = frozenset(
    {
        "Organization",
        "Corporation",
        "LocalBusiness",
        "NGO",
        "Airline",
        "Consortium",
        "Store",
        "OnlineStore",
        "ProfessionalService",
        "FinancialService",
        "LegalService",
        "Restaurant",
        "Hotel",
        "Brewery",
        "Winery",
    }
)
_ARTICLE_HINTS = ("Article", "BlogPosting", "Report", "WebPage", "PressRelease", "NewsArticle")
_WRAPPERS = re.compile(
    r"^\s*(?:<!--|//\s*<!\[CDATA\[|/\*\s*<!\[CDATA\[\s*\*/)|(?:-->|//\s*\]\]>|/\*\s*\]\]>\s*\*/|\]\]>)\s*$"
)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_RANGE = re.compile(r"^\s*([0-9][0-9,.\s]*)\s*(?:-|–|to)\s*([0-9][0-9,.\s]*)\+?\s*$")


@dataclass(frozen=True, slots=True)
class PageOrganization:
    """The organization a page describes in schema.org JSON-LD (Organization, Corporation, LocalBusiness, ...)."""

    name: str | None = None
    legal_name: str | None = None
    alternate_name: str | None = None
    url: str | None = None
    same_as: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    employees: int | None = None
    employees_min: int | None = None
    employees_max: int | None = None
    address_country: str | None = None
    address_locality: str | None = None
    founding_date: str | None = None
    industry: str | None = None
    naics: str | None = None
    description: str | None = None
    ticker_symbol: str | None = None
    parent_organization: str | None = None
    sub_organization_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Returns the fields as a plain dict (tuples as lists), ready for JSON."""
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    def filled(self) -> int:
        """Counts the fields that carry a value."""
        return sum(1 for value in self.as_dict().values() if value not in (None, [], 0, ""))


def load_json_ld(texts: Iterable[str], *, max_blocks: int = 50) -> list[Any]:
    """Parses JSON-LD script bodies, repairing common faults; blocks that stay broken are skipped."""
    blocks: list[Any] = []
    for text in texts:
        if len(blocks) >= max_blocks:
            break
        blocks.extend(_load_block(text[:MAX_BLOCK_CHARS]))
    return blocks[:max_blocks]


def iter_nodes(blocks: Sequence[Any], *, limit: int = MAX_NODES) -> Iterator[tuple[dict[str, Any], bool]]:
    """Yields every JSON object in the blocks with a flag telling whether it is top-level (root or in @graph)."""
    stack: list[tuple[Any, bool]] = [(block, True) for block in reversed(blocks)]
    seen = 0
    while stack and seen < limit:
        value, top = stack.pop()
        seen += 1
        if isinstance(value, list):
            stack.extend((item, top) for item in reversed(value))
        elif isinstance(value, dict):
            yield value, top
            for key, child in value.items():
                if isinstance(child, dict | list):
                    stack.append((child, top and key == "@graph"))


def find_organization(blocks: Sequence[Any], *, page_url: str | None = None) -> PageOrganization | None:
    """Returns the organization the page speaks for: top-level nodes and nodes on the page's own host win."""
    index = _index_by_id(blocks)
    page_host = _host(page_url)
    best: tuple[int, PageOrganization] | None = None
    for node, top in iter_nodes(blocks):
        if not _is_org(node):
            continue
        merged = _merge_ref(node, index)
        org = _build_org(merged, index, base=page_url)
        if org.name is None and org.legal_name is None:
            continue
        score = org.filled() + (2 if top else 0) + (3 if page_host and _host(org.url) == page_host else 0)
        if best is None or score > best[0]:
            best = (score, org)
    return best[1] if best else None


def find_date_published(blocks: Sequence[Any]) -> str | None:
    """Returns the first datePublished of an article-like node (dateCreated as a second choice), as written."""
    fallback: str | None = None
    for node, _top in iter_nodes(blocks):
        types = _types(node)
        if not any(hint in kind for kind in types for hint in _ARTICLE_HINTS):
            continue
        published = _text(node.get("datePublished"))
        if published and parse_date(published):
            return published
        created = _text(node.get("dateCreated"))
        if fallback is None and created and parse_date(created):
            fallback = created
    return fallback


def _load_block(text: str) -> list[Any]:
    cleaned = text.strip()
    while True:
        stripped = _WRAPPERS.sub("", cleaned).strip()
        if stripped == cleaned:
            break
        cleaned = stripped
    if not cleaned:
        return []
    for candidate in (cleaned, _TRAILING_COMMA.sub(r"\1", cleaned)):
        try:
            return [json.loads(candidate, strict=False)]
        except (ValueError, RecursionError):
            continue
    return _load_concatenated(_TRAILING_COMMA.sub(r"\1", cleaned))


def _load_concatenated(text: str) -> list[Any]:
    # Several objects written one after another in one script: keep those that parse.
    decoder = json.JSONDecoder(strict=False)
    found: list[Any] = []
    pos = 0
    failures = 0
    # Each failed attempt may parse deep before failing, so attempts are few: hostile input stays cheap.
    while pos < len(text) and len(found) < 50 and failures < 20:
        start = text.find("{", pos)
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            failures += 1
            pos = start + 1
            continue
        found.append(value)
        pos = end
    return found


def _index_by_id(blocks: Sequence[Any]) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for node, _top in iter_nodes(blocks):
        node_id = node.get("@id")
        if isinstance(node_id, str) and len(node) > 1:
            index.setdefault(node_id, {}).update(node)
    return index


def _merge_ref(node: dict[str, Any], index: dict[str, dict[str, Any]]) -> dict[str, Any]:
    node_id = node.get("@id")
    if isinstance(node_id, str) and node_id in index:
        return {**index[node_id], **node}
    return node


def _resolve(value: Any, index: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _merge_ref(value, index)
    return value


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    for value in values:
        if isinstance(value, str) and value:
            names.append(value.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return tuple(names)


def _is_org(node: dict[str, Any]) -> bool:
    return any(kind in _ORG_TYPES or kind.endswith(("Organization", "Business")) for kind in _types(node))


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str | int | float)), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())[:_MAX_STRING]
    return cleaned or None


def _build_org(node: dict[str, Any], index: dict[str, dict[str, Any]], *, base: str | None) -> PageOrganization:
    employees, low, high = _parse_employees(_resolve(node.get("numberOfEmployees"), index))
    address = _resolve(node.get("address"), index)
    country = locality = None
    if isinstance(address, dict):
        country = _text(_resolve(address.get("addressCountry"), index))
        locality = _text(address.get("addressLocality"))
    parent = _resolve(node.get("parentOrganization"), index)
    subs = node.get("subOrganization")
    return PageOrganization(
        name=_text(node.get("name")),
        legal_name=_text(node.get("legalName")),
        alternate_name=_text(node.get("alternateName")),
        url=_absolute(_text(node.get("url")), base),
        same_as=_urls(node.get("sameAs"), base),
        types=_types(node),
        employees=employees,
        employees_min=low,
        employees_max=high,
        address_country=country,
        address_locality=locality,
        founding_date=_text(node.get("foundingDate")),
        industry=_text(node.get("industry")) or _text(node.get("knowsAbout")),
        naics=_text(node.get("naics")) or _text(node.get("isicV4")),
        description=_text(node.get("description")),
        ticker_symbol=_text(node.get("tickerSymbol")),
        parent_organization=_text(parent),
        sub_organization_count=len(subs) if isinstance(subs, list) else int(isinstance(subs, dict | str)),
    )


def _parse_employees(value: Any) -> tuple[int | None, int | None, int | None]:
    """Returns (exact, minimum, maximum) from a number, a numeric string, a range string or a QuantitativeValue."""
    if isinstance(value, dict):
        exact = _to_int(value.get("value"))
        return exact, _to_int(value.get("minValue")), _to_int(value.get("maxValue"))
    if isinstance(value, str):
        match = _RANGE.match(value)
        if match:
            return None, _to_int(match.group(1)), _to_int(match.group(2))
    return _to_int(value), None, None


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if 0 <= value < 1e9 else None
    if isinstance(value, str):
        digits = re.sub(r"[,\s.+]", "", value.strip())
        if digits.isdigit() and len(digits) <= 9:
            return int(digits)
    return None


def _absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    joined = urljoin(base, url) if base else url
    return joined if urlsplit(joined).scheme in ("http", "https") else None


def _urls(value: Any, base: str | None) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items[:100]:
        url = _absolute(item if isinstance(item, str) else None, base)
        if url and url not in found:
            found.append(url)
    return tuple(found)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None
