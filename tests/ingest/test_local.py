"""LocalFetcher and list_local_sources: local files as sources, same result shape, never reachable from the web."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.errors import BadContentType, BlockedURL, HttpStatusError, TooLarge
from ingest.fetch import ContentKind, SafeFetcher
from ingest.local import LocalFetcher, list_local_sources, path_of
from ingest.netguard import StaticResolver


@pytest.fixture
def fetch_sources(tmp_path: Path) -> Path:
    """Builds a folder of sources with recognised, unrecognised and hidden files."""
    files = {
        "index.html": b"<html>home</html>",
        "feed.rss": b"<rss/>",
        "news/atom.atom": b"<feed/>",
        "news/data.json": b"{}",
        "news/notes.txt": b"notes",
        "news/page.HTM": b"<html>upper</html>",
        "sitemap.xml": b"<urlset/>",
        "logo.png": b"\x89PNG",
        "archive.zip": b"PK",
        ".hidden.html": b"<html>hidden</html>",
        ".git/config.xml": b"<x/>",
    }
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return tmp_path


def test_list_local_sources_yields_recognised_files_sorted(fetch_sources: Path) -> None:
    found = [path.relative_to(fetch_sources).as_posix() for path in list_local_sources(fetch_sources)]
    assert found == [
        "feed.rss",
        "index.html",
        "news/atom.atom",
        "news/data.json",
        "news/notes.txt",
        "news/page.HTM",
        "sitemap.xml",
    ]


def test_list_local_sources_accepts_a_single_file(fetch_sources: Path) -> None:
    assert list(list_local_sources(fetch_sources / "feed.rss")) == [fetch_sources / "feed.rss"]
    assert list(list_local_sources(fetch_sources / "logo.png")) == []


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html"),
        ("feed.rss", "application/rss+xml"),
        ("news/atom.atom", "application/atom+xml"),
        ("news/data.json", "application/json"),
        ("sitemap.xml", "application/xml"),
        ("news/page.HTM", "text/html"),
    ],
)
def test_fetch_returns_the_same_result_shape_as_the_web(name: str, content_type: str, fetch_sources: Path) -> None:
    path = fetch_sources / name
    result = LocalFetcher().fetch(path.as_uri())
    assert (result.status, result.body, result.content_type) == (200, path.read_bytes(), content_type)
    assert result.url == path.resolve().as_uri()
    assert result.headers["content-type"] == content_type
    assert result.etag is not None and result.last_modified is not None
    assert (result.not_modified, result.redirects, result.attempts) == (False, (), 1)


def test_plain_paths_work_like_file_urls(fetch_sources: Path) -> None:
    by_path = LocalFetcher().fetch(str(fetch_sources / "index.html"))
    by_url = LocalFetcher().fetch((fetch_sources / "index.html").as_uri())
    assert by_path.body == by_url.body == b"<html>home</html>"
    assert by_path.etag == by_url.etag


def test_unchanged_files_are_not_modified_and_changes_are_seen(fetch_sources: Path) -> None:
    path = fetch_sources / "index.html"
    fetcher = LocalFetcher()
    first = fetcher.fetch(str(path))
    again = fetcher.fetch(str(path), etag=first.etag)
    assert (again.not_modified, again.status, again.body) == (True, 304, b"")
    path.write_bytes(b"<html>changed, and longer</html>")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    changed = fetcher.fetch(str(path), etag=first.etag)
    assert (changed.not_modified, changed.body) == (False, b"<html>changed, and longer</html>")
    assert changed.etag != first.etag


def test_last_modified_alone_also_validates(fetch_sources: Path) -> None:
    path = fetch_sources / "feed.rss"
    first = LocalFetcher().fetch(str(path))
    assert LocalFetcher().fetch(str(path), last_modified=first.last_modified).not_modified is True
    assert LocalFetcher().fetch(str(path), last_modified="Thu, 01 Jan 2004 00:00:00 GMT").not_modified is False


@pytest.mark.parametrize(
    ("name", "error", "problem"),
    [
        ("missing.html", HttpStatusError, "no such file"),
        ("logo.png", BadContentType, "unrecognised extension .png"),
        ("news", BlockedURL, "is a folder"),
    ],
)
def test_fetch_errors_name_the_source_and_the_problem(
    name: str, error: type[Exception], problem: str, fetch_sources: Path
) -> None:
    source = str(fetch_sources / name)
    with pytest.raises(error, match=problem) as caught:
        LocalFetcher().fetch(source)
    assert source in str(caught.value)


def test_accept_filters_by_kind(fetch_sources: Path) -> None:
    fetcher = LocalFetcher()
    with pytest.raises(BadContentType, match="text/plain is not accepted"):
        fetcher.fetch(str(fetch_sources / "news/notes.txt"))
    assert fetcher.fetch(str(fetch_sources / "news/notes.txt"), accept=frozenset({ContentKind.TEXT})).body == b"notes"


def test_files_over_the_cap_are_refused(fetch_sources: Path) -> None:
    with pytest.raises(TooLarge):
        LocalFetcher(max_bytes=4).fetch(str(fetch_sources / "index.html"))


def test_root_confines_reads_even_through_symlinks(
    fetch_sources: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.html"
    outside.write_bytes(b"<html>secret</html>")
    (fetch_sources / "link.html").symlink_to(outside)
    fetcher = LocalFetcher(root=fetch_sources)
    assert fetcher.fetch(str(fetch_sources / "index.html")).status == 200
    for source in (str(outside), str(fetch_sources / "link.html"), str(fetch_sources / "news/../../outside.html")):
        with pytest.raises(BlockedURL, match="outside the allowed folder"):
            fetcher.fetch(source)


@pytest.mark.parametrize("url", ["http://example.com/x.html", "file://otherhost/etc/x.html", "ftp://example.com/a"])
def test_local_fetcher_refuses_remote_urls(url: str) -> None:
    with pytest.raises(BlockedURL):
        path_of(url)


def test_safe_fetcher_cannot_reach_local_files(fetch_sources: Path) -> None:
    fetcher = SafeFetcher(user_agent="icp-agent-test/0.1", resolver=StaticResolver({}), respect_robots=False)
    for source in ((fetch_sources / "index.html").as_uri(), str(fetch_sources / "index.html"), "file:///etc/passwd"):
        with pytest.raises(BlockedURL):
            fetcher.fetch(source)
    fetcher.close()
