"""The Slack routes: replay dedupe (A-2), fast acknowledgement (A-3), events, help and failures."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from slack_support import (
    NOW,
    SECRET,
    ScriptedDispatcher,
    SlackHarness,
    as_json,
    command_body,
    make_answer,
    make_harness,
    mention_payload,
    signed,
)
from werkzeug import Request as WerkzeugRequest
from werkzeug import Response as WerkzeugResponse

from api.settings import Settings
from api.slack import ERROR_TEXT, WORKING_TEXT, HttpSlackPoster, RecordingPoster, slack_router
from store.db import Database
from store.seen import MemoryReplayGuard, SqlReplayGuard


@pytest.fixture
def harness() -> Iterator[SlackHarness]:
    h = make_harness(dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard())
    yield h
    h.drain()


def _posts(h: SlackHarness) -> RecordingPoster:
    assert isinstance(h.poster, RecordingPoster)
    return h.poster


def test_command_is_acknowledged_then_answered_via_response_url(harness: SlackHarness) -> None:
    body = command_body(text="why Acme")
    response = harness.command(body)
    harness.drain()
    assert response.status_code == 200
    assert response.json() == {"response_type": "ephemeral", "text": WORKING_TEXT}
    (request,) = harness.dispatcher.requests
    assert (request.team_id, request.user_id, request.channel_id, request.command, request.text) == (
        "T0001",
        "U2147483697",
        "C2147483705",
        "/icp",
        "why Acme",
    )
    (posted,) = _posts(harness).posts
    assert (posted.kind, posted.target) == ("response", "https://hooks.slack.com/commands/T1/1/abc")
    assert posted.message["response_type"] == "ephemeral"
    assert posted.message["replace_original"] is False
    assert "Acme is Tier 2" in posted.message["blocks"][1]["text"]["text"]


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_is_answered_in_the_acknowledgement(harness: SlackHarness, text: str) -> None:
    response = harness.command(command_body(text=text))
    harness.drain()
    assert response.json()["response_type"] == "ephemeral"
    assert "/icp why Acme" in response.json()["text"]
    assert harness.dispatcher.requests == []


def test_same_command_posted_five_times_is_dispatched_once(harness: SlackHarness) -> None:
    body = command_body(trigger_id="trig-replayed")
    responses = [harness.command(body) for _ in range(5)]
    harness.drain()
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.content != b"" for r in responses] == [True, False, False, False, False]
    assert (len(harness.dispatcher.requests), len(_posts(harness).posts)) == (1, 1)


def test_commands_with_different_trigger_ids_are_all_dispatched(harness: SlackHarness) -> None:
    for n in range(3):
        harness.command(command_body(trigger_id=f"trig-{n}"))
    harness.drain()
    assert len(harness.dispatcher.requests) == 3


def test_command_without_trigger_id_is_deduplicated_by_its_signed_body(harness: SlackHarness) -> None:
    body = command_body(trigger_id="")
    codes = [harness.command(body).content != b"" for _ in range(3)]
    harness.drain()
    assert (codes, len(harness.dispatcher.requests)) == ([True, False, False], 1)


def test_same_command_replayed_through_sql_guard_is_dispatched_once(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'icp.db'}")
    h = make_harness(dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=SqlReplayGuard(db))
    body = command_body(trigger_id="trig-sql")
    for _ in range(5):
        h.command(body)
    h.drain()
    db.dispose()
    assert len(h.dispatcher.requests) == 1


def test_replay_after_five_minutes_is_still_ignored() -> None:
    # The signature window lets a captured request be replayed for 5 minutes; the guard outlives it.
    clock = [float(NOW)]
    h = make_harness(
        dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard(), clock=lambda: clock[0]
    )
    body = command_body(trigger_id="trig-late")
    h.command(body)
    clock[0] = NOW + 299.0
    late = h.command(body)
    h.drain()
    assert (late.status_code, len(h.dispatcher.requests)) == (200, 1)


def test_mention_is_answered_in_its_thread(harness: SlackHarness) -> None:
    response = harness.event(as_json(mention_payload(text="<@U0BOT>   brief   Acme")))
    harness.drain()
    assert response.status_code == 200
    (request,) = harness.dispatcher.requests
    assert (request.text, request.command, request.response_url, request.event_id) == (
        "brief Acme",
        None,
        None,
        "Ev0PV52K21",
    )
    (posted,) = _posts(harness).posts
    assert (posted.kind, posted.target, posted.thread_ts) == ("message", "C2147483705", "1714560000.000100")


def test_mention_inside_a_thread_replies_to_that_thread(harness: SlackHarness) -> None:
    harness.event(as_json(mention_payload(thread_ts="1714550000.000001")))
    harness.drain()
    assert _posts(harness).posts[0].thread_ts == "1714550000.000001"


def test_other_user_mentions_are_kept_in_the_question(harness: SlackHarness) -> None:
    harness.event(as_json(mention_payload(text="<@U0BOT> who should <@U0ALICE> call at Acme?")))
    harness.drain()
    assert harness.dispatcher.requests[0].text == "who should <@U0ALICE> call at Acme?"


def test_event_retried_by_slack_is_dispatched_once(harness: SlackHarness) -> None:
    body = as_json(mention_payload(event_id="Ev-retried"))
    first = harness.event(body)
    retries = [
        harness.event(body, extra={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
        for n in (1, 2, 3)
    ]
    harness.drain()
    assert [first.status_code] + [r.status_code for r in retries] == [200] * 4
    assert (len(harness.dispatcher.requests), len(_posts(harness).posts)) == (1, 1)


@pytest.mark.parametrize(
    "event_fields",
    [
        {"bot_id": "B0001"},
        {"subtype": "message_changed"},
        {"type": "message"},
        {"type": "reaction_added"},
    ],
    ids=["bot message", "edit", "plain message", "other event"],
)
def test_events_that_are_not_new_mentions_are_ignored(harness: SlackHarness, event_fields: dict[str, Any]) -> None:
    response = harness.event(as_json(mention_payload(**event_fields)))
    harness.drain()
    assert (response.status_code, harness.dispatcher.requests, _posts(harness).posts) == (200, [], [])


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/slack/commands", b"team_id=T1&text=hi", 400),
        ("/slack/events", b"{not json", 400),
        ("/slack/events", b"[1, 2]", 400),
        ("/slack/events", b'{"type": "event_callback", "event": {"type": "app_mention"}}', 400),
        ("/slack/events", b'{"type": "url_verification"}', 400),
        ("/slack/events", b'{"type": "app_rate_limited"}', 200),
    ],
    ids=["form without fields", "bad json", "json list", "no event id", "no challenge", "unknown type"],
)
def test_signed_but_malformed_requests_dispatch_nothing(
    harness: SlackHarness, path: str, body: bytes, status: int
) -> None:
    response = harness.client.post(path, content=body, headers=signed(body))
    harness.drain()
    assert (response.status_code, harness.dispatcher.requests) == (status, [])


def test_oversized_body_is_refused_before_verification() -> None:
    h = make_harness(
        dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard(), max_body_bytes=1024
    )
    body = command_body(text="x" * 2000)
    response = h.command(body)
    h.drain()
    assert (response.status_code, h.dispatcher.requests) == (413, [])


def test_failing_dispatcher_posts_a_polite_error_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = ScriptedDispatcher(error=RuntimeError("database exploded at /srv/secret/path"))
    h = make_harness(dispatcher=dispatcher, poster=RecordingPoster(), guard=MemoryReplayGuard())
    with caplog.at_level(logging.ERROR, logger="api.slack"):
        response = h.command(command_body())
        h.drain()
    assert response.status_code == 200
    (posted,) = _posts(h).posts
    assert posted.message["text"] == ERROR_TEXT
    assert "exploded" not in json.dumps(posted.message) and "Traceback" not in json.dumps(posted.message)
    assert any(r.exc_info and "exploded" in str(r.exc_info[1]) for r in caplog.records)


def test_failing_poster_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    from api.slack import SlackPostError

    h = make_harness(
        dispatcher=ScriptedDispatcher(),
        poster=RecordingPoster(fail_with=SlackPostError("HTTP 500")),
        guard=MemoryReplayGuard(),
    )
    with caplog.at_level(logging.ERROR, logger="api.slack"):
        h.command(command_body())
        h.drain()
    assert len(h.dispatcher.requests) == 1
    assert any("posting an answer" in r.getMessage() for r in caplog.records)


class _BrokenGuard:
    def first_time(self, key: str, *, now: datetime) -> bool:
        raise OSError("database is locked")


def test_unavailable_replay_guard_fails_closed() -> None:
    h = make_harness(dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=_BrokenGuard())
    response = h.command(command_body())
    h.drain()
    assert (response.status_code, h.dispatcher.requests) == (503, [])


def test_acknowledgement_does_not_wait_for_a_slow_dispatcher() -> None:
    dispatcher = ScriptedDispatcher(delay_s=2.5)
    poster = RecordingPoster()
    h = make_harness(dispatcher=dispatcher, poster=poster, guard=MemoryReplayGuard())
    started = time.perf_counter()
    response = h.command(command_body())
    ack_s = time.perf_counter() - started
    assert response.json()["text"] == WORKING_TEXT
    assert ack_s < 1.0, f"acknowledged after {ack_s:.2f} s"
    assert poster.posts == []  # the answer is still being worked on
    assert poster.wait_for(1, timeout=10.0)
    h.drain()


def test_router_owns_and_stops_its_pool_when_no_executor_is_given() -> None:
    poster = RecordingPoster()
    dispatcher = ScriptedDispatcher(delay_s=0.3)
    app = FastAPI()
    app.include_router(
        slack_router(
            signing_secret=SECRET,
            dispatcher=dispatcher,
            poster=poster,
            guard=MemoryReplayGuard(),
            clock=lambda: float(NOW),
        )
    )
    body = command_body()
    with TestClient(app) as client:
        response = client.post("/slack/commands", content=body, headers=signed(body))
    # Leaving the client ran the lifespan shutdown, which waits for running answers.
    assert (response.status_code, len(poster.posts)) == (200, 1)


def test_router_requires_a_signing_secret() -> None:
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        slack_router(
            signing_secret="", dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard()
        )


def test_answers_reach_a_slack_stand_in_over_http(httpserver: HTTPServer) -> None:
    """End to end: the real poster posts to the response_url and to chat.postMessage on a local server."""
    received: list[tuple[str, dict[str, Any], str | None]] = []

    def record(request: WerkzeugRequest) -> WerkzeugResponse:
        received.append((request.path, json.loads(request.get_data()), request.headers.get("Authorization")))
        return WerkzeugResponse(json.dumps({"ok": True, "ts": "1.2"}), content_type="application/json")

    httpserver.expect_request("/commands/T1/1/abc", method="POST").respond_with_handler(record)
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(record)
    settings = Settings(slack_bot_token="xoxb-test-token", slack_api_url=httpserver.url_for("/api/"))
    poster = HttpSlackPoster.from_settings(settings)
    h = make_harness(dispatcher=ScriptedDispatcher(answer=make_answer()), poster=poster, guard=MemoryReplayGuard())
    h.command(command_body(response_url=httpserver.url_for("/commands/T1/1/abc")))
    h.event(as_json(mention_payload()))
    h.drain()
    poster.close()
    by_path = {path: (payload, auth) for path, payload, auth in received}
    response_payload, _ = by_path["/commands/T1/1/abc"]
    message_payload, auth = by_path["/api/chat.postMessage"]
    assert response_payload["response_type"] == "ephemeral"
    assert response_payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme", "emoji": True},
    }
    assert (message_payload["channel"], message_payload["thread_ts"], auth) == (
        "C2147483705",
        "1714560000.000100",
        "Bearer xoxb-test-token",
    )
    assert message_payload["unfurl_links"] is False
