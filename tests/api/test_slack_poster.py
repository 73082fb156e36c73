"""HttpSlackPoster against a local Slack stand-in: bounded retries, Retry-After, refusals; digest posting."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WerkzeugRequest
from werkzeug import Response as WerkzeugResponse

from api.settings import Settings
from api.slack import (
    MAX_RETRY_AFTER_S,
    HttpSlackPoster,
    RecordingPoster,
    SlackPostError,
    post_digest,
    retry_delay,
)
from api.slack_render import DigestItem

MESSAGE = {"text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}


class Replies:
    """Serves queued (status, body, headers) replies in order and records what was posted."""

    def __init__(self, *replies: tuple[int, str, dict[str, str]]) -> None:
        self.queue = list(replies)
        self.bodies: list[dict[str, Any]] = []
        self.auth: list[str | None] = []

    def __call__(self, request: WerkzeugRequest) -> WerkzeugResponse:
        self.bodies.append(json.loads(request.get_data()))
        self.auth.append(request.headers.get("Authorization"))
        status, body, headers = self.queue.pop(0) if len(self.queue) > 1 else self.queue[0]
        return WerkzeugResponse(body, status=status, headers=headers)


OK = (200, "ok", {})
API_OK = (200, '{"ok": true, "ts": "1.2"}', {"Content-Type": "application/json"})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def poster(httpserver: HTTPServer, sleeps: list[float]) -> Iterator[HttpSlackPoster]:
    p = HttpSlackPoster(
        bot_token="xoxb-test",
        webhook_url=httpserver.url_for("/services/T1/B1/xyz"),
        api_url=httpserver.url_for("/api/"),
        response_url_hosts={"localhost", "127.0.0.1"},
        timeout_s=2.0,
        sleep=sleeps.append,
    )
    yield p
    p.close()


@pytest.mark.parametrize(
    ("replies", "calls", "waits"),
    [
        ([OK], 1, []),
        ([(500, "oops", {}), OK], 2, [0.5]),
        ([(503, "", {}), (502, "", {}), OK], 3, [0.5, 1.0]),
        ([(429, "rate_limited", {"Retry-After": "2"}), OK], 2, [2.0]),
        ([(429, "rate_limited", {"Retry-After": "3600"}), OK], 2, [MAX_RETRY_AFTER_S]),
    ],
    ids=["ok", "500 then ok", "two 5xx then ok", "429 waits Retry-After", "Retry-After capped"],
)
def test_response_url_post_retries_5xx_and_429(
    httpserver: HTTPServer,
    poster: HttpSlackPoster,
    sleeps: list[float],
    replies: list[tuple[int, str, dict[str, str]]],
    calls: int,
    waits: list[float],
) -> None:
    handler = Replies(*replies)
    httpserver.expect_request("/commands/T1/1/abc", method="POST").respond_with_handler(handler)
    poster.post_response(httpserver.url_for("/commands/T1/1/abc"), MESSAGE)
    assert (len(handler.bodies), sleeps) == (calls, waits)
    assert handler.bodies[0] == MESSAGE


@pytest.mark.parametrize(
    ("replies", "calls"),
    [([(500, "", {})], 3), ([(404, "no_service", {})], 1), ([(400, "invalid_blocks", {})], 1)],
    ids=["5xx exhausts 3 attempts", "404 not retried", "400 not retried"],
)
def test_response_url_post_gives_up_with_post_error(
    httpserver: HTTPServer, poster: HttpSlackPoster, replies: list[tuple[int, str, dict[str, str]]], calls: int
) -> None:
    handler = Replies(*replies)
    httpserver.expect_request("/commands/T1/1/abc", method="POST").respond_with_handler(handler)
    with pytest.raises(SlackPostError, match=f"HTTP {replies[0][0]}"):
        poster.post_response(httpserver.url_for("/commands/T1/1/abc"), MESSAGE)
    assert len(handler.bodies) == calls


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/commands/T1/1/abc",
        "http://hooks.slack.com/commands/T1/1/abc",
        "https://hooks.slack.com.evil.example/commands",
        "file:///etc/passwd",
        "not a url",
    ],
)
def test_response_url_outside_slack_is_refused(url: str) -> None:
    poster = HttpSlackPoster(sleep=lambda _s: None)
    with pytest.raises(SlackPostError, match="refusing"):
        poster.post_response(url, MESSAGE)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_response_url_fails_after_bounded_attempts(sleeps: list[float]) -> None:
    poster = HttpSlackPoster(response_url_hosts={"127.0.0.1"}, sleep=sleeps.append, timeout_s=1.0)
    with pytest.raises(SlackPostError, match="cannot reach"):
        poster.post_response(f"http://127.0.0.1:{_closed_port()}/commands", MESSAGE)
    assert len(sleeps) == 2


def test_chat_post_message_sends_token_channel_and_thread(httpserver: HTTPServer, poster: HttpSlackPoster) -> None:
    handler = Replies(API_OK)
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(handler)
    poster.post_message("C123", MESSAGE, thread_ts="1714560000.000100")
    (body,) = handler.bodies
    assert (body["channel"], body["thread_ts"], body["text"], body["blocks"]) == (
        "C123",
        "1714560000.000100",
        "hello",
        MESSAGE["blocks"],
    )
    assert handler.auth == ["Bearer xoxb-test"]


def test_chat_post_message_waits_on_429(httpserver: HTTPServer, poster: HttpSlackPoster, sleeps: list[float]) -> None:
    limited = (429, '{"ok": false, "error": "ratelimited"}', {"Retry-After": "1", "Content-Type": "application/json"})
    handler = Replies(limited, API_OK)
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(handler)
    poster.post_message("C123", MESSAGE)
    assert (len(handler.bodies), sleeps) == (2, [1.0])


@pytest.mark.parametrize(
    ("reply", "calls", "match"),
    [
        (
            (200, '{"ok": false, "error": "channel_not_found"}', {"Content-Type": "application/json"}),
            1,
            "channel_not_found",
        ),
        ((500, "<html>oops</html>", {}), 3, "chat.postMessage failed"),
    ],
    ids=["api error not retried", "server error retried then given up"],
)
def test_chat_post_message_failures_raise_post_error(
    httpserver: HTTPServer, poster: HttpSlackPoster, reply: tuple[int, str, dict[str, str]], calls: int, match: str
) -> None:
    handler = Replies(reply)
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(handler)
    with pytest.raises(SlackPostError, match=match):
        poster.post_message("C123", MESSAGE)
    assert len(handler.bodies) == calls


def test_missing_credentials_are_explained() -> None:
    poster = HttpSlackPoster()
    with pytest.raises(SlackPostError, match="SLACK_BOT_TOKEN"):
        poster.post_message("C1", MESSAGE)
    with pytest.raises(SlackPostError, match="SLACK_WEBHOOK_URL"):
        poster.post_webhook(MESSAGE)


def test_webhook_post_reaches_the_configured_url(httpserver: HTTPServer, poster: HttpSlackPoster) -> None:
    handler = Replies(OK)
    httpserver.expect_request("/services/T1/B1/xyz", method="POST").respond_with_handler(handler)
    poster.post_webhook(MESSAGE)
    assert handler.bodies == [MESSAGE]


def test_poster_from_settings_uses_slack_settings(httpserver: HTTPServer) -> None:
    handler = Replies(API_OK)
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(handler)
    settings = Settings(slack_bot_token="xoxb-from-settings", slack_api_url=httpserver.url_for("/api/"))
    poster = HttpSlackPoster.from_settings(settings)
    poster.post_message("C9", MESSAGE)
    poster.close()
    assert handler.auth == ["Bearer xoxb-from-settings"]


@pytest.mark.parametrize(
    ("status", "retry_after", "attempt", "expected"),
    [
        (200, None, 1, None),
        (400, None, 1, None),
        (404, None, 1, None),
        (429, "7", 1, 7.0),
        (429, "garbage", 1, 1.0),
        (429, None, 1, 1.0),
        (429, "-5", 1, 0.0),
        (500, None, 1, 0.5),
        (503, None, 3, 2.0),
    ],
)
def test_retry_delay_table(status: int, retry_after: str | None, attempt: int, expected: float | None) -> None:
    assert retry_delay(status, retry_after, attempt=attempt) == expected


ITEMS = [
    DigestItem(
        account="Acme",
        tier="Tier 1",
        event_type="funding",
        date=dt.date(2024, 5, 1),
        summary="Raised $40M Series C.",
        citation_url="https://news.example/acme-c",
        citation_title="Acme raises",
    )
]


def test_digest_goes_to_the_channel_when_one_is_set() -> None:
    poster = RecordingPoster()
    message = post_digest(ITEMS, poster=poster, channel="C-digest", day=dt.date(2024, 5, 2))
    (posted,) = poster.posts
    assert (posted.kind, posted.target, posted.message) == ("message", "C-digest", message)


def test_digest_goes_to_the_webhook_without_a_channel() -> None:
    poster = RecordingPoster()
    post_digest(ITEMS, poster=poster)
    assert [p.kind for p in poster.posts] == ["webhook"]


def test_a_read_timeout_is_not_retried_so_an_answer_is_never_posted_twice() -> None:
    import socket
    from urllib.error import URLError

    from api.slack import _never_sent

    assert _never_sent(URLError(ConnectionRefusedError()))
    assert _never_sent(URLError(socket.gaierror()))
    assert not _never_sent(TimeoutError())
    assert not _never_sent(URLError(TimeoutError()))
    assert not _never_sent(TimeoutError())
