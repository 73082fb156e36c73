"""robots.txt: RFC 9309 matching, group selection, and the per-origin cache's decisions."""

from __future__ import annotations

import time

import pytest

from ingest.errors import BlockedAddress, ConnectError, FetchError, FetchTimeout, TooManyRedirects
from ingest.robots import (
    ROBOTS_MAX_BYTES,
    RobotsCache,
    RobotsResponse,
    parse_robots,
    product_token_of,
)

TOKEN = "icp-agent"

# RFC 9309 §2.2.2 and §5 examples, plus the wildcard and tie rules.
RULES = """\
User-agent: *
Disallow: /private
Allow: /private/open
Disallow: /*.pdf$
Disallow: /tmp*/cache
Allow: /page
Disallow: /page
Disallow: /search?q=
Disallow: /%7Ejoe/
Disallow: /caf%C3%A9
Disallow:
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),
        ("/public", True),
        ("/private", False),
        ("/private/secret", False),
        ("/private/open", True),
        ("/private/open/deeper", True),
        ("/docs/file.pdf", False),
        ("/docs/file.pdf?x=1", True),
        ("/docs/file.pdfx", True),
        ("/tmp/cache", False),
        ("/tmp123/x/cache/y", False),
        ("/tmpcache", True),
        ("/page", True),
        ("/search?q=cats", False),
        ("/search", True),
        ("/~joe/index.html", False),
        ("/%7ejoe/index.html", False),
        ("/café", False),
        ("/robots.txt", True),
    ],
)
def test_rules_follow_longest_match_with_allow_winning_ties(path: str, allowed: bool) -> None:
    assert parse_robots(RULES, product_token=TOKEN).allows(path) is allowed


def test_our_group_replaces_the_star_group() -> None:
    text = "User-agent: *\nDisallow: /\n\nUser-agent: ICP-Agent/2.0\nDisallow: /admin\n"
    rules = parse_robots(text, product_token=TOKEN)
    assert rules.allows("/blog") is True
    assert rules.allows("/admin/x") is False


def test_groups_for_the_same_agent_are_merged_and_agents_can_share_a_group() -> None:
    text = (
        "User-agent: otherbot\nUser-agent: icp-agent\nDisallow: /a\n\n"
        "User-agent: googlebot\nDisallow: /\n\n"
        "User-agent: icp-agent\nDisallow: /b\n"
    )
    rules = parse_robots(text, product_token=TOKEN)
    assert (rules.allows("/a"), rules.allows("/b"), rules.allows("/c")) == (False, False, True)


def test_comments_unknown_keys_and_stray_rules_are_ignored() -> None:
    text = "Disallow: /before-any-group\n# comment\nUser-agent: * # all\nCrawl-delay: 5\nSitemap: https://x/s.xml\nDisallow: /x # no\n"
    rules = parse_robots(text, product_token=TOKEN)
    assert rules.allows("/before-any-group") is True
    assert rules.allows("/x") is False


@pytest.mark.parametrize(
    "text", ["", "garbage\n\x00\x01", "<html><body>Not found</body></html>", "User-agent: other\nDisallow: /\n"]
)
def test_files_without_rules_for_us_allow_everything(text: str) -> None:
    assert parse_robots(text, product_token=TOKEN).allows("/anything") is True


def test_hostile_wildcards_match_quickly() -> None:
    text = "User-agent: *\nDisallow: /" + "*a" * 2000 + "b\n"
    rules = parse_robots(text, product_token=TOKEN)
    started = time.monotonic()
    assert rules.allows("/" + "a" * 5000) is True
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [("icp-agent/0.1 (+https://example.org/bot)", "icp-agent"), ("My_Bot", "My_Bot"), ("  crawler 1.0", "crawler")],
)
def test_product_token_of(user_agent: str, token: str) -> None:
    assert product_token_of(user_agent) == token


class _ScriptedRobots:
    """A robots fetch callback that answers or raises from a script and records the URLs asked for."""

    def __init__(self, *answers: RobotsResponse | FetchError) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    def __call__(self, url: str) -> RobotsResponse:
        self.urls.append(url)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, FetchError):
            raise answer
        return answer


def _cache(fetch: _ScriptedRobots, clock: list[float]) -> RobotsCache:
    return RobotsCache(
        fetch_robots=fetch, user_agent="icp-agent/0.1", ttl_s=100.0, unreachable_ttl_s=10.0, clock=lambda: clock[0]
    )


URL = "https://example.com/robots.txt"


@pytest.mark.parametrize(
    ("answer", "allowed", "reason"),
    [
        (RobotsResponse(200, b"User-agent: *\nDisallow: /x\n"), False, "decided by"),
        (RobotsResponse(404, b""), True, "all paths allowed"),
        (RobotsResponse(403, b""), True, "all paths allowed"),
        (RobotsResponse(429, b""), False, "§2.3.1.4"),
        (RobotsResponse(500, b""), False, "§2.3.1.4"),
        (RobotsResponse(503, b""), False, "§2.3.1.4"),
        (FetchTimeout("slow", url=URL), False, "unreachable"),
        (ConnectError("reset", url=URL), False, "unreachable"),
        (TooManyRedirects("loop", url=URL), True, "treated as absent"),
    ],
)
def test_cache_decisions_per_rfc_9309(answer: RobotsResponse | FetchError, allowed: bool, reason: str) -> None:
    fetch = _ScriptedRobots(answer)
    verdict = _cache(fetch, [0.0]).check("https://example.com", "/x/page")
    assert verdict.allowed is allowed
    assert reason in verdict.reason
    assert fetch.urls == [URL]


def test_blocked_hosts_are_not_turned_into_a_robots_decision() -> None:
    fetch = _ScriptedRobots(BlockedAddress("private", url=URL))
    with pytest.raises(BlockedAddress):
        _cache(fetch, [0.0]).check("https://example.com", "/")


def test_cache_refetches_after_ttl_and_retries_unreachable_sooner() -> None:
    clock = [0.0]
    fetch = _ScriptedRobots(RobotsResponse(503, b""), RobotsResponse(200, b"User-agent: *\nDisallow: /x\n"))
    cache = _cache(fetch, clock)
    assert cache.check("https://example.com", "/y").allowed is False
    clock[0] = 5.0
    assert cache.check("https://example.com", "/y").allowed is False
    assert len(fetch.urls) == 1
    clock[0] = 11.0
    assert cache.check("https://example.com", "/y").allowed is True
    clock[0] = 100.0
    cache.check("https://example.com", "/y")
    assert len(fetch.urls) == 2
    clock[0] = 112.0
    cache.check("https://example.com", "/y")
    assert len(fetch.urls) == 3


def test_cache_is_per_origin() -> None:
    fetch = _ScriptedRobots(RobotsResponse(404, b""))
    cache = _cache(fetch, [0.0])
    for origin in ("https://example.com", "http://example.com", "https://example.com:8443", "https://other.com"):
        cache.check(origin, "/")
    cache.check("https://example.com", "/again")
    assert fetch.urls == [
        "https://example.com/robots.txt",
        "http://example.com/robots.txt",
        "https://example.com:8443/robots.txt",
        "https://other.com/robots.txt",
    ]


def test_only_the_first_500_kib_are_parsed() -> None:
    padding = b"# " + b"x" * ROBOTS_MAX_BYTES + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + padding + b"Disallow: /late\n"
    verdicts = _cache(_ScriptedRobots(RobotsResponse(200, body)), [0.0])
    assert verdicts.check("https://example.com", "/early").allowed is False
    assert verdicts.check("https://example.com", "/late").allowed is True
