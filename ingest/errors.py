"""Exceptions of the ingest package, one tree so a batch job can record and skip a bad source.

    IngestError
    ├── FetchError                 every fetch failure; ``url`` names what was fetched
    │   ├── BlockedURL             scheme, credentials, port or host syntax refused before any lookup
    │   ├── BlockedAddress         the host is (or resolves to) a loopback, private or other non-public address
    │   ├── TooLarge               the body passed the byte cap (declared or while streaming)
    │   ├── FetchTimeout           a connect or read timeout, or the fetch's overall deadline
    │   ├── BadContentType         a media type, content encoding or binary body that ingest does not read
    │   ├── RobotsDisallowed       robots.txt forbids the URL (or is unreachable, RFC 9309 §2.3.1.4)
    │   ├── HttpStatusError        a final status that is neither 2xx nor 304; ``status`` holds it
    │   ├── TooManyRedirects       more hops than allowed, or a redirect loop
    │   └── ConnectError           DNS failure, refused or reset connection, TLS failure
    └── ParseError                 a fetched body could not be parsed (parsers subclass it)

Other ingest modules add their own branches by subclassing ``IngestError``.
``FetchError.retryable`` tells the fetcher's retry loop whether another attempt may help.
"""

from __future__ import annotations

__all__ = [
    "BadContentType",
    "BlockedAddress",
    "BlockedURL",
    "ConnectError",
    "FetchError",
    "FetchTimeout",
    "HttpStatusError",
    "IngestError",
    "ParseError",
    "RobotsDisallowed",
    "TooLarge",
    "TooManyRedirects",
]


class IngestError(Exception):
    """Roots every error raised by the ingest package."""


class FetchError(IngestError):
    """Signals that a URL or local source could not be fetched; the message names the URL and the problem."""

    def __init__(self, message: str, *, url: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.retryable = retryable


class BlockedURL(FetchError):
    """Refuses a URL for its scheme, credentials, port or host syntax."""


class BlockedAddress(FetchError):
    """Refuses a host that is, or resolves to, an address outside the public internet."""

    def __init__(self, message: str, *, url: str, address: str | None = None) -> None:
        super().__init__(message, url=url)
        self.address = address


class TooLarge(FetchError):
    """Stops a body that passed the byte cap; ``bytes_read`` counts raw bytes taken from the network."""

    def __init__(self, message: str, *, url: str, limit: int, bytes_read: int = 0, decoded_bytes: int = 0) -> None:
        super().__init__(message, url=url)
        self.limit = limit
        self.bytes_read = bytes_read
        self.decoded_bytes = decoded_bytes


class FetchTimeout(FetchError):
    """Signals a connect or read timeout, or the end of the fetch's overall deadline."""


class BadContentType(FetchError):
    """Refuses a media type, content encoding or binary body that ingest does not read."""

    def __init__(self, message: str, *, url: str, content_type: str | None = None) -> None:
        super().__init__(message, url=url)
        self.content_type = content_type


class RobotsDisallowed(FetchError):
    """Refuses a URL that the site's robots.txt disallows for this user agent."""


class HttpStatusError(FetchError):
    """Signals a final HTTP status that is neither 2xx nor 304."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class TooManyRedirects(FetchError):
    """Stops a redirect chain that is too long or loops."""


class ConnectError(FetchError):
    """Signals a DNS, TCP or TLS failure; retryable unless retrying cannot help (e.g. a bad certificate)."""

    def __init__(self, message: str, *, url: str, retryable: bool = True) -> None:
        super().__init__(message, url=url, retryable=retryable)


class ParseError(IngestError):
    """Signals a fetched body that could not be parsed; parser modules subclass it."""
