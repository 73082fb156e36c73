"""robots.txt parsing and a per-origin cache of decisions, following RFC 9309.

Decisions, per origin (scheme, host, port):

- 2xx: the file is parsed (its first 500 KiB, RFC 9309 §2.5) and its rules decide.
- 4xx other than 429, or a redirect chain too long to follow: "unavailable", every path allowed (§2.3.1.3, §2.3.1.2).
- 5xx, 429, a timeout or a failed connection: "unreachable", every path disallowed (§2.3.1.4).
  429 counts as unreachable because the server is asking us to slow down, not saying the file is absent.
  Unreachable answers are cached for ``unreachable_ttl_s`` (short) so a passing outage does not block a host for long.
- A host that is itself blocked (BlockedURL, BlockedAddress) re-raises: nothing on it may be fetched.

Rules: the groups whose user-agent matches our product token case-insensitively are merged, else the
``*`` groups; the longest matching pattern wins, and an allow wins a tie; ``*`` matches any run of
characters and a final ``$`` anchors the end; ``/robots.txt`` itself is always allowed. Matching
runs in linear-by-pattern time, so a hostile file full of wildcards cannot stall a worker.

Example::

    cache = RobotsCache(fetch_robots=fetcher_callback, user_agent="icp-agent/0.1 (+https://example.org/bot)")
    cache.check("https://example.com:443", "/blog/post?id=1")  # RobotsVerdict(allowed=True, reason=...)
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from ingest.errors import BlockedAddress, BlockedURL, FetchError, TooManyRedirects

__all__ = [
    "ALLOW_ALL",
    "DISALLOW_ALL",
    "ROBOTS_MAX_BYTES",
    "RobotsCache",
    "RobotsResponse",
    "RobotsRule",
    "RobotsRules",
    "RobotsVerdict",
    "parse_robots",
    "product_token_of",
]

ROBOTS_MAX_BYTES = 500 * 1024

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_TOKEN = re.compile(r"[A-Za-z_-]+")


@dataclass(frozen=True)
class RobotsRule:
    """One allow or disallow line: its normalised path pattern and whether it allows."""

    allow: bool
    pattern: str


@dataclass(frozen=True)
class RobotsRules:
    """The rules that apply to this crawler on one origin."""

    rules: tuple[RobotsRule, ...] = ()

    def allows(self, path: str) -> bool:
        """Tells whether a path (with its query) may be fetched: longest match wins, allow wins ties."""
        target = _normalise(path or "/")
        if target == "/robots.txt":
            return True
        # (length, allow) tuples: max() picks the longest pattern and, on a tie, allow over disallow.
        matching = [(len(rule.pattern), rule.allow) for rule in self.rules if _matches(rule.pattern, target)]
        return not matching or max(matching)[1]


ALLOW_ALL = RobotsRules()
DISALLOW_ALL = RobotsRules((RobotsRule(allow=False, pattern="/"),))


def product_token_of(user_agent: str) -> str:
    """Returns the product token robots.txt groups are matched against ("icp-agent" for "icp-agent/0.1 (...)")."""
    match = _TOKEN.match(user_agent.strip())
    if match is None:
        raise ValueError(f"user agent {user_agent!r} does not start with a product token (letters, '_' or '-')")
    return match.group(0)


def parse_robots(text: str, *, product_token: str) -> RobotsRules:
    """Returns the rules of a robots.txt that apply to the crawler with this product token."""
    token = product_token.lower()
    groups: list[tuple[list[str], list[RobotsRule]]] = []
    agents: list[str] = []
    rules: list[RobotsRule] = []
    in_agents = False
    for line in text.splitlines():
        key, sep, value = line.split("#", 1)[0].partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if not in_agents:
                agents, rules = [], []
                groups.append((agents, rules))
                in_agents = True
            found = _TOKEN.match(value)
            agents.append("*" if value.startswith("*") else (found.group(0).lower() if found else ""))
        elif key in ("allow", "disallow"):
            in_agents = False
            if groups and value:
                rules.append(RobotsRule(allow=key == "allow", pattern=_normalise(value)))
        else:
            # Sitemap, crawl-delay and unknown keys do not end a group's user-agent lines per RFC 9309.
            continue
    own = [rule for names, group_rules in groups if token in names for rule in group_rules]
    if any(token in names for names, _ in groups):
        return RobotsRules(tuple(own))
    return RobotsRules(tuple(rule for names, group_rules in groups if "*" in names for rule in group_rules))


def _normalise(path: str) -> str:
    # RFC 9309 §2.2.2: compare octets percent-encoded, with encoded unreserved characters decoded.
    def decode_unreserved(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    decoded = _PERCENT.sub(decode_unreserved, path)
    return quote(decoded, safe="/?&=;:@!$'()*+,-._~%#[]")


def _matches(pattern: str, path: str) -> bool:
    anchored = pattern.endswith("$")
    if anchored:
        pattern = pattern[:-1]
    parts = pattern.split("*")
    if not path.startswith(parts[0]):
        return False
    position = len(parts[0])
    if len(parts) == 1:
        return not anchored or position == len(path)
    # Each literal piece after a '*' is matched at its leftmost possible place: greedy-leftmost
    # is optimal for '*'-only globs, so no backtracking is needed.
    for piece in parts[1:-1]:
        found = path.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    last = parts[-1]
    if anchored:
        return len(path) - len(last) >= position and path.endswith(last)
    return path.find(last, position) >= 0


@dataclass(frozen=True)
class RobotsResponse:
    """What fetching /robots.txt gave: the final status and the body (already cut to the size limit)."""

    status: int
    body: bytes


@dataclass(frozen=True)
class RobotsVerdict:
    """A robots decision for one URL and the reason behind it."""

    allowed: bool
    reason: str


@dataclass(frozen=True)
class _Entry:
    rules: RobotsRules
    reason: str
    expires_at: float


class RobotsCache:
    """Fetches, caches (per origin, with a TTL) and applies robots.txt; thread-safe, one fetch per origin at a time."""

    def __init__(
        self,
        *,
        fetch_robots: Callable[[str], RobotsResponse],
        user_agent: str,
        ttl_s: float = 3600.0,
        unreachable_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_robots = fetch_robots
        self._token = product_token_of(user_agent)
        self._ttl_s = ttl_s
        self._unreachable_ttl_s = unreachable_ttl_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def check(self, origin: str, path: str) -> RobotsVerdict:
        """Returns whether path may be fetched on origin ("https://host:port"), fetching robots.txt when stale."""
        entry = self._entry(origin)
        if entry.rules.allows(path):
            return RobotsVerdict(allowed=True, reason=entry.reason)
        return RobotsVerdict(allowed=False, reason=entry.reason)

    def _entry(self, origin: str) -> _Entry:
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            entry = self._entries.get(origin)
            if entry is None or entry.expires_at <= self._clock():
                entry = self._load(origin)
                self._entries[origin] = entry
            return entry

    def _load(self, origin: str) -> _Entry:
        robots_url = f"{origin}/robots.txt"
        now = self._clock()
        try:
            response = self._fetch_robots(robots_url)
        except (BlockedURL, BlockedAddress):
            raise
        except TooManyRedirects:
            return _Entry(ALLOW_ALL, f"{robots_url} redirects too often: treated as absent", now + self._ttl_s)
        except FetchError as exc:
            reason = f"{robots_url} is unreachable ({exc}): all paths disallowed (RFC 9309 §2.3.1.4)"
            return _Entry(DISALLOW_ALL, reason, now + self._unreachable_ttl_s)
        status = response.status
        if 200 <= status < 300:
            text = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
            rules = parse_robots(text, product_token=self._token)
            return _Entry(rules, f"decided by {robots_url}", now + self._ttl_s)
        if status == 429 or status >= 500:
            reason = f"{robots_url} answered HTTP {status}: all paths disallowed (RFC 9309 §2.3.1.4)"
            return _Entry(DISALLOW_ALL, reason, now + self._unreachable_ttl_s)
        return _Entry(ALLOW_ALL, f"{robots_url} answered HTTP {status}: all paths allowed", now + self._ttl_s)
