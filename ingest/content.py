"""Media types ingest reads, how a body's type is told, and how a body is read within its caps (RELIABILITY F-4, F-6).

``ContentKind`` names the families a caller may ask for and ``MEDIA_TYPES`` lists the media types in
each. ``parse_content_type`` splits a Content-Type header; ``sniff_media_type`` says what a body
without one clearly is; ``_looks_binary`` catches a body that is not text whatever it claims to be.

``_read_body`` reads a response's raw stream through ``_Decoder``, which undoes gzip or deflate
itself so the byte cap applies to both the bytes on the wire and the bytes decoded (a small
compressed body cannot expand past the cap), and stops at the fetch's deadline. ``SafeFetcher``
(``ingest.fetch``) is the caller; ``ingest.fetch`` re-exports the public names.

Example::

    media, charset = parse_content_type("text/html; charset=UTF-8")  # ("text/html", "utf-8")
    assert media in MEDIA_TYPES[ContentKind.HTML]
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

import httpx

from ingest.errors import BadContentType, FetchTimeout, TooLarge

if TYPE_CHECKING:
    from ingest.transport import _Budget

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_ALLOWED_TYPES",
    "MEDIA_TYPES",
    "ContentKind",
    "ContentKinds",
    "MiB",
    "parse_content_type",
    "sniff_media_type",
]

MiB = 1024 * 1024


class ContentKind(StrEnum):
    """A family of media types ingest can read."""

    HTML = "html"
    XML = "xml"
    FEED = "feed"
    JSON = "json"
    TEXT = "text"


ContentKinds: TypeAlias = frozenset[ContentKind]

MEDIA_TYPES: Mapping[ContentKind, frozenset[str]] = MappingProxyType(
    {
        ContentKind.HTML: frozenset({"text/html", "application/xhtml+xml"}),
        ContentKind.FEED: frozenset(
            {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
        ),
        ContentKind.XML: frozenset({"application/xml", "text/xml"}),
        ContentKind.JSON: frozenset({"application/json"}),
        ContentKind.TEXT: frozenset({"text/plain"}),
    }
)
DEFAULT_ACCEPT: ContentKinds = frozenset({ContentKind.HTML, ContentKind.XML, ContentKind.FEED, ContentKind.JSON})
DEFAULT_ALLOWED_TYPES: frozenset[str] = frozenset().union(*MEDIA_TYPES.values())

_BINARY_MAGIC: tuple[bytes, ...] = (b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"%PDF-", b"PK\x03\x04")
_BINARY_MAGIC += (
    b"\x1f\x8b\x08",
    b"RIFF",
    b"OggS",
    b"fLaC",
    b"\x7fELF",
    b"wOFF",
    b"wOF2",
    b"\x28\xb5\x2f\xfd",
    b"Rar!",
)


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """Returns the lower-case media type (no parameters; "" if absent) and the charset of a Content-Type value."""
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return media.strip().lower(), charset


def sniff_media_type(body: bytes) -> str | None:
    """Returns the media type a body without a Content-Type clearly is, or None (binary or unclear)."""
    if _looks_binary(body, None):
        return None
    head = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    if head.startswith(b"<"):
        for marker, media in ((b"<rss", "application/rss+xml"), (b"<feed", "application/atom+xml")):
            if marker in head:
                return media
        if b"<rdf:rdf" in head:
            return "application/rdf+xml"
        if b"<html" in head:
            return "application/xhtml+xml"
        return "application/xml" if head.startswith(b"<?xml") else None
    if head.startswith((b"{", b"[")):
        return "application/feed+json" if b"jsonfeed.org/version" in head else "application/json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def _looks_binary(body: bytes, charset: str | None) -> bool:
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if (charset or "").startswith(("utf-16", "utf-32")) or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for byte in head if byte < 9 or (13 < byte < 32 and byte != 27))
    return b"\x00" in head or controls > len(head) // 10


class _Decoder:
    """Undoes a Content-Encoding chunk by chunk without ever producing more than asked for."""

    def __init__(self, encoding: str, url: str) -> None:
        self._encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._zlib: Any = zlib.decompressobj(wbits=31)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(wbits=15)
        elif encoding in ("", "identity"):
            self._zlib = None
        else:
            raise BadContentType(f"{url}: content encoding {encoding!r} is not supported", url=url)
        self._url = url
        self._started = False

    def feed(self, data: bytes, limit: int) -> bytes:
        """Returns at most ``limit`` decoded bytes of data (more input left over means the cap is passed)."""
        if self._zlib is None:
            return data[:limit]
        try:
            if self._encoding == "deflate" and not self._started and data and (data[0] & 0x0F) != 8:
                self._zlib = zlib.decompressobj(wbits=-15)  # raw deflate, as some servers send it
            self._started = True
            out: bytes = self._zlib.decompress(data, limit)
            # gzip allows several members back to back; carry on into the next one.
            while self._encoding != "deflate" and self._zlib.eof and self._zlib.unused_data and len(out) < limit:
                rest = self._zlib.unused_data
                self._zlib = zlib.decompressobj(wbits=31)
                out += self._zlib.decompress(rest, limit - len(out))
            return out
        except zlib.error as exc:
            raise BadContentType(f"{self._url}: the {self._encoding} body is corrupt ({exc})", url=self._url) from exc


def _read_body(response: httpx.Response, *, url: str, cap: int, truncate: bool, budget: _Budget) -> bytes:
    decoder = _Decoder(response.headers.get("content-encoding", "").strip().lower(), url)
    body = bytearray()
    raw = 0
    # The raw stream, not iter_raw(): decoding is ours (capped), and a pre-read mock body iterates too.
    assert isinstance(response.stream, httpx.SyncByteStream)
    for chunk in response.stream:
        raw += len(chunk)
        decoded = decoder.feed(chunk, cap - len(body) + 1)
        body += decoded
        if len(body) > cap or raw > cap:
            if truncate:
                return bytes(body[:cap])
            raise TooLarge(
                f"{url}: the body is over the {cap}-byte cap (stopped after {raw} bytes read)",
                url=url,
                limit=cap,
                bytes_read=raw,
                decoded_bytes=len(body),
            )
        if budget.expired():
            raise FetchTimeout(f"{url} did not finish within its {budget.seconds} s deadline", url=url)
    return bytes(body)
