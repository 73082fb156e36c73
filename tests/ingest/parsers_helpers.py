"""Helpers for the feed, page and evaluation tests: generated hostile documents and a network tripwire."""

from __future__ import annotations

import html
import socket
import urllib.request
from typing import Any

import pytest

FEEDJIRA = ("rss-feeds", "feedjira")


def rss(items: str, *, title: str = "Generated") -> bytes:
    """Wraps RSS <item> markup in a channel."""
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()


def many_items(count: int, *, distinct_guids: int | None = None) -> bytes:
    """Builds an RSS feed with `count` items whose GUIDs cycle through `distinct_guids` values."""
    modulo = distinct_guids or count
    return rss("".join(f"<item><guid>g{i % modulo}</guid><title>Item {i}</title></item>" for i in range(count)))


def quadratic_blowup(*, entity_chars: int = 100_000, references: int = 20_000) -> bytes:
    """Builds a feed with one large entity referenced many times (expanded, it would be entity_chars * references)."""
    body = "&big;" * references
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY big "{"x" * entity_chars}">]>\n'
        f'<rss version="2.0"><channel><title>Q</title><item><guid>q</guid><title>Blowup</title>'
        f"<description>{body}</description></item></channel></rss>"
    ).encode()


def huge_summary(*, words: int = 1_000_000) -> bytes:
    """Builds a feed whose single item has an HTML summary of about 5 MB."""
    summary = html.escape("<p>" + "word " * words + "</p>")
    return rss(f"<item><guid>big</guid><title>Big</title><description>{summary}</description></item>")


def deep_page(depth: int = 100_000) -> bytes:
    """Builds an HTML page with `depth` nested elements (RELIABILITY F-6)."""
    return (
        "<html><head><title>Deep page</title></head><body><p>Before the pit.</p>"
        + "<div>" * depth
        + "<p>At the bottom.</p>"
        + "</div>" * depth
        + "</body></html>"
    ).encode()


class NetworkTripwire:
    """Records every attempt to open a socket connection or a URL, and refuses it."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def connect(self, sock: socket.socket, address: Any) -> None:
        self.attempts.append(address)
        raise OSError(f"tripwire: refused connection to {address!r}")

    def urlopen(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append(args[0] if args else kwargs)
        raise OSError("tripwire: refused urlopen")


def install_tripwire(monkeypatch: pytest.MonkeyPatch) -> NetworkTripwire:
    """Patches socket connects (loopback included) and urllib's opener to fail and record."""
    wire = NetworkTripwire()
    monkeypatch.setattr(socket.socket, "connect", wire.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", wire.connect)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", wire.urlopen)
    monkeypatch.setattr(urllib.request, "urlopen", wire.urlopen)
    return wire
