"""A-1: Slack request signatures are checked before anything else happens (12/12 cases decided correctly)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_support import NOW, SECRET, ScriptedDispatcher, SlackHarness, command_body, make_harness, signed

from api.slack import (
    RecordingPoster,
    SlackAuthError,
    SlackError,
    SlackPayloadError,
    SlackPostError,
    verify_slack_request,
)
from store.seen import MemoryReplayGuard

BODY = command_body(trigger_id="trig-signature")


def _hmac(body: bytes, ts: int, *, secret: str = SECRET) -> str:
    """Computes the expected signature independently of slack_sdk, from Slack's documented recipe."""
    base = b"v0:" + str(ts).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _off_by_one(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 0x01])


@dataclass(frozen=True)
class Case:
    name: str
    sent_body: bytes
    headers: dict[str, str]
    accepted: bool


def _cases() -> list[Case]:
    ts = {"X-Slack-Request-Timestamp": str(NOW)}
    return [
        Case("valid", BODY, signed(BODY), True),
        Case("wrong secret", BODY, signed(BODY, secret="another-secret"), False),
        Case("body off by one byte", _off_by_one(BODY), signed(BODY), False),
        Case("timestamp +301 s", BODY, signed(BODY, ts=NOW + 301), False),
        Case("timestamp -301 s", BODY, signed(BODY, ts=NOW - 301), False),
        Case("timestamp +299 s", BODY, signed(BODY, ts=NOW + 299), True),
        Case("missing timestamp", BODY, {"X-Slack-Signature": _hmac(BODY, NOW)}, False),
        Case("missing signature", BODY, ts, False),
        Case("malformed signature", BODY, {**ts, "X-Slack-Signature": "v0=not-hex"}, False),
        Case("replayed timestamp from 10 min ago", BODY, signed(BODY, ts=NOW - 600), False),
        Case("empty body, valid signature", b"", signed(b""), True),
        Case("wrong version prefix", BODY, {**ts, "X-Slack-Signature": "v1=" + _hmac(BODY, NOW)[3:]}, False),
    ]


CASES = _cases()


def test_signing_helper_matches_slack_recipe() -> None:
    assert signed(BODY)["X-Slack-Signature"] == _hmac(BODY, NOW)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verify_decides_signature_case(case: Case) -> None:
    def decide() -> bool:
        try:
            verify_slack_request(headers=case.headers, body=case.sent_body, signing_secret=SECRET, now=float(NOW))
        except SlackAuthError:
            return False
        return True

    assert decide() is case.accepted


def test_verify_decides_all_twelve_cases() -> None:
    decided = 0
    for case in CASES:
        try:
            verify_slack_request(headers=case.headers, body=case.sent_body, signing_secret=SECRET, now=float(NOW))
            accepted = True
        except SlackAuthError:
            accepted = False
        decided += accepted is case.accepted
    assert (decided, len(CASES)) == (12, 12)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"X-Slack-Request-Timestamp": "17145600OO", "X-Slack-Signature": _hmac(BODY, NOW)}, BODY),
        ({"X-Slack-Request-Timestamp": " 1714560000", "X-Slack-Signature": _hmac(BODY, NOW)}, BODY),
        ({"X-Slack-Request-Timestamp": "1_714_560_000", "X-Slack-Signature": _hmac(BODY, NOW)}, BODY),
        ({"X-Slack-Request-Timestamp": "", "X-Slack-Signature": _hmac(BODY, NOW)}, BODY),
        ({"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": _hmac(BODY, NOW).upper()}, BODY),
        ({"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": _hmac(BODY, NOW) + "00"}, BODY),
        ({"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": ""}, BODY),
        ({"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": _hmac(b"\xff\xfe", NOW)}, b"\xff\xfe"),
    ],
    ids=["letters", "leading space", "underscores", "empty ts", "upper hex", "too long", "empty sig", "not utf-8"],
)
def test_verify_rejects_garbled_headers(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(SlackAuthError):
        verify_slack_request(headers=headers, body=body, signing_secret=SECRET, now=float(NOW))


def test_verify_reads_headers_in_any_case() -> None:
    lowered = {k.lower(): v for k, v in signed(BODY).items()}
    verify_slack_request(headers=lowered, body=BODY, signing_secret=SECRET, now=float(NOW))


def test_verify_refuses_without_secret() -> None:
    with pytest.raises(SlackAuthError, match="SLACK_SIGNING_SECRET"):
        verify_slack_request(headers=signed(BODY, secret="x"), body=BODY, signing_secret="", now=float(NOW))


def test_errors_form_one_tree() -> None:
    assert all(issubclass(e, SlackError) for e in (SlackAuthError, SlackPayloadError, SlackPostError))


@pytest.fixture
def harness() -> Iterator[SlackHarness]:
    h = make_harness(dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard())
    yield h
    h.drain()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_endpoint_rejects_before_any_side_effect(case: Case, harness: SlackHarness) -> None:
    response = harness.command(
        case.sent_body, headers={"Content-Type": "application/x-www-form-urlencoded", **case.headers}
    )
    harness.drain()
    assert isinstance(harness.guard, MemoryReplayGuard)
    if not case.accepted:
        assert (response.status_code, harness.dispatcher.requests, harness.guard.calls) == (401, [], [])
        assert response.json() == {"error": "invalid Slack signature"}
    elif case.sent_body:
        assert response.status_code == 200
        assert [r.text for r in harness.dispatcher.requests] == ["why Acme"]
    else:  # signed but empty: a signature alone does not make a command
        assert (response.status_code, harness.dispatcher.requests, harness.guard.calls) == (400, [], [])


def test_endpoint_decides_all_twelve_cases() -> None:
    decided = 0
    for case in CASES:
        h = make_harness(dispatcher=ScriptedDispatcher(), poster=RecordingPoster(), guard=MemoryReplayGuard())
        response = h.command(case.sent_body, headers=case.headers)
        h.drain()
        dispatched = len(h.dispatcher.requests)
        expected = (200, 1) if case.accepted and case.sent_body else ((400, 0) if case.accepted else (401, 0))
        decided += (response.status_code, dispatched) == expected
    assert (decided, len(CASES)) == (12, 12)


def test_events_endpoint_checks_signature_before_challenge(harness: SlackHarness) -> None:
    body = b'{"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    forged = harness.client.post("/slack/events", content=body, headers=signed(body, secret="guessed"))
    genuine = harness.event(body)
    assert (forged.status_code, genuine.status_code) == (401, 200)
    assert genuine.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
