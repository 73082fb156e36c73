"""Local files and folders as sources: an operator feature, never reachable through ``SafeFetcher``.

``LocalFetcher`` reads ``file://`` URLs and plain paths and returns the same ``FetchResult`` as the
web fetcher. The content type comes from the file extension; the ETag is built from the file's
modification time and size, so an unchanged file comes back as not modified. ``SafeFetcher``
refuses ``file://`` outright (only http and https pass ``netguard``), so a URL found on the web
can never reach the local disk; only code that deliberately builds a ``LocalFetcher`` can.

Example::

    fetcher = LocalFetcher(root=Path("/srv/sources"))
    for path in list_local_sources("/srv/sources/press"):
        result = fetcher.fetch(path.as_uri(), etag=stored_etags.get(path))
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from ingest.errors import BadContentType, BlockedURL, HttpStatusError, TooLarge
from ingest.fetch import DEFAULT_ACCEPT, MEDIA_TYPES, ContentKinds, FetchResult, MiB

__all__ = ["EXTENSION_TYPES", "LocalFetcher", "list_local_sources", "path_of"]

EXTENSION_TYPES = MappingProxyType(
    {
        ".html": "text/html",
        ".htm": "text/html",
        ".xhtml": "application/xhtml+xml",
        ".xml": "application/xml",
        ".rss": "application/rss+xml",
        ".atom": "application/atom+xml",
        ".json": "application/json",
        ".txt": "text/plain",
    }
)


def list_local_sources(path: str | Path) -> Iterator[Path]:
    """Yields path itself if it is a readable source file, or a folder's source files (recursive, sorted, no hidden ones)."""
    root = Path(path).expanduser()
    if root.is_file():
        if root.suffix.lower() in EXTENSION_TYPES:
            yield root
        return
    for candidate in sorted(root.rglob("*")):
        relative = candidate.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if candidate.is_file() and candidate.suffix.lower() in EXTENSION_TYPES:
            yield candidate


def path_of(source: str | Path) -> Path:
    """Returns the path a ``file://`` URL or a plain path names; raises BlockedURL for other URLs."""
    if isinstance(source, Path):
        return source
    if "://" not in source:
        return Path(source).expanduser()
    parts = urlsplit(source)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise BlockedURL(f"{source}: LocalFetcher reads only file:// URLs on this machine and plain paths", url=source)
    return Path(unquote(parts.path))


class LocalFetcher:
    """Reads local files as sources, returning the same FetchResult shape as SafeFetcher.

    With ``root`` set, only files inside root (after resolving symlinks) may be read.
    """

    def __init__(self, *, root: str | Path | None = None, max_bytes: int = 5 * MiB) -> None:
        self._root = None if root is None else Path(root).expanduser().resolve()
        self._max_bytes = max_bytes

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: ContentKinds = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """Returns the file's bytes (or not_modified when etag/last_modified still match); raises FetchError subclasses."""
        started = time.monotonic()
        path = path_of(url).resolve()
        if self._root is not None and not path.is_relative_to(self._root):
            raise BlockedURL(f"{url}: {path} is outside the allowed folder {self._root}", url=url)
        try:
            stat = path.stat()
        except FileNotFoundError as exc:
            raise HttpStatusError(f"{url}: no such file ({path})", url=url, status=404) from exc
        except PermissionError as exc:
            raise HttpStatusError(f"{url}: permission denied ({path})", url=url, status=403) from exc
        if path.is_dir():
            raise BlockedURL(f"{url}: {path} is a folder; list its files with list_local_sources", url=url)
        content_type = EXTENSION_TYPES.get(path.suffix.lower())
        accepted = frozenset().union(*(MEDIA_TYPES[kind] for kind in accept))
        if content_type is None or content_type not in accepted:
            shown = content_type or f"unrecognised extension {path.suffix or '(none)'}"
            raise BadContentType(f"{url}: {shown} is not accepted", url=url, content_type=content_type)
        current_etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        unchanged = etag == current_etag if etag is not None else _not_modified_since(last_modified, stat.st_mtime)
        body = b""
        if not unchanged:
            if stat.st_size > self._max_bytes:
                raise TooLarge(
                    f"{url}: {stat.st_size} bytes is over the {self._max_bytes}-byte cap",
                    url=url,
                    limit=self._max_bytes,
                )
            try:
                with path.open("rb") as handle:
                    body = handle.read(self._max_bytes + 1)
            except PermissionError as exc:
                raise HttpStatusError(f"{url}: permission denied ({path})", url=url, status=403) from exc
            if len(body) > self._max_bytes:
                raise TooLarge(
                    f"{url}: the file grew past the {self._max_bytes}-byte cap", url=url, limit=self._max_bytes
                )
        headers = {"content-type": content_type, "content-length": str(stat.st_size), "etag": current_etag}
        headers["last-modified"] = modified
        return FetchResult(
            url=path.as_uri(),
            status=304 if unchanged else 200,
            headers=MappingProxyType(headers),
            body=body,
            content_type=content_type,
            charset=None,
            etag=current_etag,
            last_modified=modified,
            not_modified=unchanged,
            redirects=(),
            elapsed_s=time.monotonic() - started,
            attempts=1,
        )


def _not_modified_since(last_modified: str | None, mtime: float) -> bool:
    if not last_modified:
        return False
    try:
        since = email.utils.parsedate_to_datetime(last_modified).timestamp()
    except (TypeError, ValueError):
        return False
    # HTTP dates have one-second resolution.
    return int(mtime) <= since
