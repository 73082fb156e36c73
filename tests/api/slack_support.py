"""Helpers for the Slack tests: signed bodies, a scriptable dispatcher and a tiny app around the router."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.answers import Answer, Citation
from api.slack import SlackPoster, SlackRequest, sign_slack_request, slack_router
from store.seen import ReplayGuard

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_714_560_000  # 2024-05-01T10:40:00Z


def signed(body: bytes, *, secret: str = SECRET, ts: int = NOW) -> dict[str, str]:
    """Returns the headers Slack would send for `body`."""
    return sign_slack_request(body=body, signing_secret=secret, timestamp=ts)


def command_body(*, response_url: str = "https://hooks.slack.com/commands/T1/1/abc", **fields: str) -> bytes:
    """Returns a form-encoded `/icp` slash command; keyword arguments override its fields."""
    form = {
        "token": "deprecated-verification-token",
        "team_id": "T0001",
        "team_domain": "acme-sales",
        "channel_id": "C2147483705",
        "channel_name": "sales",
        "user_id": "U2147483697",
        "user_name": "rep",
        "command": "/icp",
        "text": "why Acme",
        "api_app_id": "A123456",
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    form.update(fields)
    return urlencode(form).encode()


def mention_payload(
    *, event_id: str = "Ev0PV52K21", text: str = "<@U0BOT> why Acme", **event_fields: Any
) -> dict[str, Any]:
    """Returns an Events API `app_mention` callback."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": "U2147483697",
        "text": text,
        "ts": "1714560000.000100",
        "channel": "C2147483705",
        "event_ts": "1714560000.000100",
    }
    event.update(event_fields)
    return {
        "token": "deprecated",
        "team_id": "T0001",
        "api_app_id": "A123456",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": NOW,
        "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}],
    }


def as_json(payload: dict[str, Any]) -> bytes:
    """Returns a payload as the JSON bytes Slack would send."""
    return json.dumps(payload).encode()


def make_answer(text: str = "Acme is Tier 2 because of its revenue [1].") -> Answer:
    """Returns a small cited answer."""
    return Answer(
        text=text,
        intent="why",
        account_name="Acme",
        citations=[Citation(n=1, url="https://acme.example/about", title="About Acme", quote="revenue of $2B")],
    )


@dataclass
class ScriptedDispatcher:
    """Records every request; answers after `delay_s`, or raises `error`."""

    answer: Answer = field(default_factory=make_answer)
    delay_s: float = 0.0
    error: Exception | None = None
    requests: list[SlackRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def dispatch(self, request: SlackRequest) -> Answer:
        """Records the request, waits, then answers or raises."""
        with self._lock:
            self.requests.append(request)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return self.answer


@dataclass
class SlackHarness:
    """A TestClient on a tiny app that mounts the Slack router, with everything it was built from."""

    client: TestClient
    dispatcher: ScriptedDispatcher
    poster: SlackPoster
    guard: ReplayGuard
    executor: concurrent.futures.ThreadPoolExecutor

    def drain(self) -> None:
        """Waits for every background answer to finish."""
        self.executor.shutdown(wait=True)

    def command(self, body: bytes, *, headers: dict[str, str] | None = None) -> Any:
        """Posts a slash command body, signed unless headers are given."""
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(signed(body) if headers is None else headers)}
        return self.client.post("/slack/commands", content=body, headers=hdrs)

    def event(self, body: bytes, *, extra: dict[str, str] | None = None) -> Any:
        """Posts a signed Events API body."""
        hdrs = {"Content-Type": "application/json", **signed(body), **(extra or {})}
        return self.client.post("/slack/events", content=body, headers=hdrs)


def make_harness(
    *,
    dispatcher: ScriptedDispatcher,
    poster: SlackPoster,
    guard: ReplayGuard,
    clock: Callable[[], float] = lambda: float(NOW),
    **options: Any,
) -> SlackHarness:
    """Builds the app with the router and an executor the test can drain."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-test")
    app = FastAPI()
    app.include_router(
        slack_router(
            signing_secret=SECRET,
            dispatcher=dispatcher,
            poster=poster,
            guard=guard,
            clock=clock,
            executor=executor,
            **options,
        )
    )
    return SlackHarness(TestClient(app), dispatcher, poster, guard, executor)
