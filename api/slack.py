"""Slack: signed endpoints, replay dedupe, fast acknowledgement, posting (the only module importing slack_sdk).

A request is verified (HMAC over `v0:{timestamp}:{raw body}`, 5-minute window) before anything else
happens, deduplicated by trigger id or event id, acknowledged at once, and answered from a thread pool
that the router owns, so a slow model never delays the acknowledgement Slack waits 3 s for.

SlackError
├── SlackAuthError     the request is not signed with our secret, or is too old or too new
├── SlackPayloadError  a correctly signed request is not a payload this app understands
└── SlackPostError     a message could not be delivered to Slack

>>> router = slack_router(  # doctest: +SKIP
...     signing_secret=settings.slack_signing_secret.get_secret_value(),
...     dispatcher=my_dispatcher,
...     poster=HttpSlackPoster.from_settings(settings),
...     guard=SqlReplayGuard(db),
... )
>>> app.include_router(router)  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web import WebClient
from starlette.concurrency import run_in_threadpool

from agent.answers import Answer
from api.settings import Settings
from api.slack_render import (
    ERROR_TEXT,
    HELP_TEXT,
    WORKING_TEXT,
    DigestItem,
    Message,
    error_message,
    help_message,
    render_answer,
    render_digest,
)
from store.seen import MemoryReplayGuard, ReplayGuard

log = logging.getLogger(__name__)

SIGNATURE_WINDOW_S = 300
MAX_RETRY_AFTER_S = 30.0
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class SlackError(Exception):
    """Base of every Slack error."""


class SlackAuthError(SlackError):
    """The request is not signed with our signing secret, or its timestamp is outside the window."""


class SlackPayloadError(SlackError):
    """A correctly signed request is not a slash command or event this app understands."""


class SlackPostError(SlackError):
    """Slack did not accept a message (after the bounded retries)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SlackRequest:
    """A rep's question from Slack: a slash command (`command` set) or a mention of the bot (`thread_ts` set)."""

    team_id: str
    user_id: str
    channel_id: str
    text: str
    command: str | None = None
    response_url: str | None = None
    thread_ts: str | None = None
    trigger_id: str | None = None
    event_id: str | None = None
    enterprise_id: str | None = None


class SlackDispatcher(Protocol):
    """Answers a Slack request; the workspace is looked up from `request.team_id` by the implementation."""

    def dispatch(self, request: SlackRequest) -> Answer:
        """Returns the answer to a request (may take many seconds: it runs in the background)."""
        ...


class SlackPoster(Protocol):
    """Delivers messages to Slack: to a command's response_url, into a channel or thread, or to the webhook."""

    def post_response(self, response_url: str, message: Message) -> None:
        """Posts a message to a slash command's response_url."""
        ...

    def post_message(self, channel: str, message: Message, *, thread_ts: str | None = None) -> None:
        """Posts a message into a channel (or a thread of it) with the bot token."""
        ...

    def post_webhook(self, message: Message) -> None:
        """Posts a message to the configured incoming webhook."""
        ...


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify_slack_request(*, headers: Mapping[str, str], body: bytes, signing_secret: str, now: float) -> None:
    """Raises SlackAuthError unless the request is signed with `signing_secret` within 5 minutes of `now`."""
    if not signing_secret:
        raise SlackAuthError("no signing secret configured: set SLACK_SIGNING_SECRET")
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp")
    signature = lowered.get("x-slack-signature")
    if timestamp is None:
        raise SlackAuthError("missing X-Slack-Request-Timestamp header")
    if signature is None:
        raise SlackAuthError("missing X-Slack-Signature header")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SlackAuthError("malformed X-Slack-Request-Timestamp header")
    if not signature.startswith("v0="):
        raise SlackAuthError("unsupported signature version")
    if not _SIGNATURE.fullmatch(signature):
        raise SlackAuthError("malformed X-Slack-Signature header")
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_S:
        raise SlackAuthError("timestamp outside the 5-minute window (replayed request or wrong clock)")
    verifier = SignatureVerifier(signing_secret, clock=_FixedClock(now))
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError as exc:
        raise SlackAuthError("request body is not UTF-8") from exc
    if not valid:
        raise SlackAuthError("signature mismatch")


def sign_slack_request(*, body: bytes, signing_secret: str, timestamp: int) -> dict[str, str]:
    """Returns the headers Slack would send with `body` (for tests, benchmarks and local tools)."""
    verifier = SignatureVerifier(signing_secret)
    signature = verifier.generate_signature(timestamp=str(timestamp), body=body)
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": str(signature)}


def _field(form: Mapping[str, list[str]], name: str, *, required: bool = True) -> str | None:
    values = form.get(name)
    if not values or not values[0]:
        if required:
            raise SlackPayloadError(f"slash command without {name}")
        return None
    return values[0]


def parse_command(body: bytes) -> SlackRequest:
    """Returns the request carried by a form-encoded slash command body."""
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SlackPayloadError("slash command body is not a form") from exc
    return SlackRequest(
        team_id=str(_field(form, "team_id")),
        user_id=str(_field(form, "user_id")),
        channel_id=str(_field(form, "channel_id")),
        command=_field(form, "command"),
        text=(_field(form, "text", required=False) or "").strip(),
        response_url=_field(form, "response_url"),
        trigger_id=_field(form, "trigger_id", required=False),
        enterprise_id=_field(form, "enterprise_id", required=False),
    )


def strip_bot_mention(text: str, *, bot_user_ids: Collection[str] = ()) -> str:
    """Removes mentions of the bot (or, when its id is unknown, the leading mention) from a message."""
    if bot_user_ids:
        text = _MENTION.sub(lambda m: "" if m.group(1) in bot_user_ids else m.group(0), text)
    else:
        text = re.sub(r"^\s*" + _MENTION.pattern, "", text, count=1)
    return " ".join(text.split())


def parse_event(payload: Mapping[str, Any]) -> SlackRequest | None:
    """Returns the request carried by an `app_mention` event callback, or None for anything to ignore."""
    event = payload.get("event")
    event_id = payload.get("event_id")
    if not isinstance(event, Mapping) or not isinstance(event_id, str) or not event_id:
        raise SlackPayloadError("event callback without event or event_id")
    if event.get("type") != "app_mention" or event.get("bot_id") or event.get("subtype"):
        return None
    user, channel, text, ts = (event.get(k) for k in ("user", "channel", "text", "ts"))
    if not all(isinstance(v, str) and v for v in (user, channel, ts)) or not isinstance(text, str):
        raise SlackPayloadError("app_mention without user, channel, text or ts")
    authorizations = payload.get("authorizations")
    bots = [
        a["user_id"]
        for a in (authorizations if isinstance(authorizations, list) else [])
        if isinstance(a, Mapping) and isinstance(a.get("user_id"), str) and a.get("is_bot", True)
    ]
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else ts
    team = payload.get("team_id") or event.get("team") or ""
    enterprise = payload.get("enterprise_id")
    return SlackRequest(
        team_id=str(team),
        user_id=str(user),
        channel_id=str(channel),
        text=strip_bot_mention(text, bot_user_ids=bots),
        thread_ts=str(thread_ts),
        event_id=event_id,
        enterprise_id=enterprise if isinstance(enterprise, str) else None,
    )


def _never_sent(exc: BaseException) -> bool:
    """Returns True when an error means the request never reached the server (a failed connection)."""
    reason = getattr(exc, "reason", exc)  # urllib wraps the socket error in URLError.reason
    if isinstance(reason, TimeoutError | socket.timeout):
        return False
    return isinstance(reason, ConnectionRefusedError | ConnectionResetError | socket.gaierror)


def retry_delay(status: int, retry_after: str | None, *, attempt: int) -> float | None:
    """Returns how long to wait before retrying a Slack response, or None when it must not be retried."""
    if status == 429:
        try:
            wanted = float(retry_after) if retry_after is not None else 1.0
        except ValueError:
            wanted = 1.0
        return min(max(wanted, 0.0), MAX_RETRY_AFTER_S)
    if status >= 500:
        return min(0.5 * float(2 ** (attempt - 1)), MAX_RETRY_AFTER_S)
    return None


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpSlackPoster:
    """The real poster: httpx for response_url and webhooks, slack_sdk's WebClient for chat.postMessage.

    >>> poster = HttpSlackPoster(bot_token="xoxb-…", api_url="http://127.0.0.1:8081/api/")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        bot_token: str | None = None,
        webhook_url: str | None = None,
        api_url: str = "https://slack.com/api/",
        response_url_hosts: Collection[str] = ("hooks.slack.com",),
        timeout_s: float = 10.0,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._webhook_url = webhook_url
        self._hosts = frozenset(h.lower() for h in response_url_hosts)
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._http = http or httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._sleep = sleep
        self._web = (
            WebClient(token=bot_token, base_url=api_url, timeout=max(1, round(timeout_s)), retry_handlers=[])
            if bot_token
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> HttpSlackPoster:
        """Builds the poster from settings; response_urls may point at Slack's hooks host or the API host."""
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        webhook = settings.slack_webhook_url.get_secret_value() if settings.slack_webhook_url else None
        hosts = {"hooks.slack.com", urlsplit(settings.slack_api_url).hostname or "slack.com"}
        options.setdefault("response_url_hosts", hosts)
        return cls(bot_token=token, webhook_url=webhook, api_url=settings.slack_api_url, **options)

    def close(self) -> None:
        """Closes the HTTP connection pool."""
        self._http.close()

    def post_response(self, response_url: str, message: Message) -> None:
        """Posts a message to a slash command's response_url (Slack's hooks host only)."""
        parts = urlsplit(response_url)
        host = (parts.hostname or "").lower()
        secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
        if not secure or host not in self._hosts:
            raise SlackPostError(f"refusing to post to a response_url on {host or 'no host'!r}")
        self._post_json(response_url, message, what="response_url")

    def post_webhook(self, message: Message) -> None:
        """Posts a message to the incoming webhook (SLACK_WEBHOOK_URL)."""
        if not self._webhook_url:
            raise SlackPostError("no incoming webhook configured: set SLACK_WEBHOOK_URL")
        self._post_json(self._webhook_url, message, what="incoming webhook")

    def post_message(self, channel: str, message: Message, *, thread_ts: str | None = None) -> None:
        """Posts a message into a channel (or a thread of it) with chat.postMessage and the bot token."""
        if self._web is None:
            raise SlackPostError("no bot token configured: set SLACK_BOT_TOKEN")
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._web.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
                return
            except SlackApiError as exc:
                status = int(exc.response.status_code)
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
                delay = retry_delay(status, _header(exc.response.headers, "retry-after"), attempt=attempt)
                if delay is None or attempt == self._max_attempts:
                    raise SlackPostError(f"chat.postMessage failed: HTTP {status}, {error or 'no error code'}") from exc
            except (SlackClientError, OSError) as exc:
                # Retry only when the request cannot have reached Slack (the connection failed): a read
                # timeout may follow a posted message, and a retry would post the answer twice.
                if attempt == self._max_attempts or not _never_sent(exc):
                    raise SlackPostError(f"chat.postMessage failed: {type(exc).__name__}") from exc
                delay = retry_delay(500, None, attempt=attempt)
            self._sleep(delay or 0.0)

    def _post_json(self, url: str, message: Message, *, what: str) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._http.post(url, json=message, timeout=self._timeout_s)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Safe to retry: nothing reached Slack. A read timeout is not retried, as it may have posted.
                if attempt == self._max_attempts:
                    raise SlackPostError(f"cannot reach the {what}: {type(exc).__name__}") from exc
                self._sleep(retry_delay(500, None, attempt=attempt) or 0.0)
                continue
            except httpx.HTTPError as exc:
                raise SlackPostError(f"posting to the {what} failed: {type(exc).__name__}") from exc
            if response.is_success:
                return
            delay = retry_delay(response.status_code, response.headers.get("retry-after"), attempt=attempt)
            if delay is None or attempt == self._max_attempts:
                raise SlackPostError(f"the {what} answered HTTP {response.status_code}: {response.text[:200]!r}")
            self._sleep(delay)


def _header(headers: Any, name: str) -> str | None:
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """One message a RecordingPoster received: where it was going and what it said."""

    kind: Literal["response", "message", "webhook"]
    target: str | None
    message: Message
    thread_ts: str | None = None


@dataclass
class RecordingPoster:
    """A fake poster for tests: records every message, optionally fails, and lets a test wait for posts."""

    fail_with: SlackPostError | None = None
    posts: list[PostedMessage] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def post_response(self, response_url: str, message: Message) -> None:
        """Records a response_url post."""
        self._record(PostedMessage("response", response_url, message))

    def post_message(self, channel: str, message: Message, *, thread_ts: str | None = None) -> None:
        """Records a chat.postMessage post."""
        self._record(PostedMessage("message", channel, message, thread_ts))

    def post_webhook(self, message: Message) -> None:
        """Records an incoming-webhook post."""
        self._record(PostedMessage("webhook", None, message))

    def wait_for(self, count: int, *, timeout: float = 5.0) -> bool:
        """Waits until at least `count` messages were posted; returns False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.posts) >= count, timeout=timeout)

    def _record(self, posted: PostedMessage) -> None:
        with self._changed:
            if self.fail_with is not None:
                raise self.fail_with
            self.posts.append(posted)
            self._changed.notify_all()


def post_digest(
    items: Sequence[DigestItem],
    *,
    poster: SlackPoster,
    channel: str | None = None,
    day: dt.date | None = None,
    title: str = "ICP digest",
) -> Message:
    """Renders the digest and posts it to `channel` with the bot token, or to the incoming webhook; returns it."""
    message = render_digest(items, title=title, day=day)
    if channel:
        poster.post_message(channel, message)
    else:
        poster.post_webhook(message)
    return message


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, *, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _SlackEndpoints:
    """The two Slack routes and the background answering they share."""

    def __init__(
        self,
        *,
        signing_secret: str,
        dispatcher: SlackDispatcher,
        poster: SlackPoster,
        guard: ReplayGuard,
        clock: Callable[[], float],
        executor: concurrent.futures.Executor,
        max_body_bytes: int,
        public_answers: bool,
    ) -> None:
        self.signing_secret = signing_secret
        self.dispatcher = dispatcher
        self.poster = poster
        self.guard = guard
        self.clock = clock
        self.executor = executor
        self.max_body_bytes = max_body_bytes
        self.response_type = "in_channel" if public_answers else "ephemeral"

    async def _verified_body(self, request: Request) -> bytes | Response:
        """Returns the raw body once it is verified, or the error response to send instead."""
        try:
            body = await _read_body(request, limit=self.max_body_bytes)
        except _BodyTooLarge:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        try:
            verify_slack_request(
                headers=request.headers, body=body, signing_secret=self.signing_secret, now=self.clock()
            )
        except SlackAuthError as exc:
            log.warning("rejected a Slack request to %s: %s", request.url.path, exc)
            return JSONResponse({"error": "invalid Slack signature"}, status_code=401)
        return body

    async def _first_time(self, key: str) -> bool | Response:
        now = dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC)
        try:
            return await run_in_threadpool(self.guard.first_time, key, now=now)
        except Exception:
            # Without the replay record we cannot promise "at most once"; Slack retries events later.
            log.exception("replay guard unavailable")
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)

    def _submit(self, request: SlackRequest) -> bool:
        try:
            self.executor.submit(self.answer, request)
        except RuntimeError:
            log.error("Slack answer pool is shut down; dropped a request from team %s", request.team_id)
            return False
        return True

    async def commands(self, request: Request) -> Response:
        """Handles a slash command: verify, dedupe, acknowledge now, answer via response_url later."""
        body = await self._verified_body(request)
        if isinstance(body, Response):
            return body
        try:
            command = parse_command(body)
        except SlackPayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        key = f"command:{command.team_id}:{command.trigger_id}" if command.trigger_id else None
        if key is None:
            ts = request.headers.get("x-slack-request-timestamp", "")
            key = "command-body:" + hashlib.sha256(ts.encode() + b":" + body).hexdigest()
        first = await self._first_time(key)
        if isinstance(first, Response):
            return first
        if not first:
            log.info("ignored a replayed slash command from team %s", command.team_id)
            return Response(status_code=200)
        if command.text.lower() in ("", "help"):
            return JSONResponse(help_message())
        if not self._submit(command):
            return JSONResponse({"response_type": "ephemeral", "text": ERROR_TEXT})
        return JSONResponse({"response_type": "ephemeral", "text": WORKING_TEXT})

    async def events(self, request: Request) -> Response:
        """Handles an Events API callback: verify, answer the URL challenge, dedupe, acknowledge, answer later."""
        body = await self._verified_body(request)
        if isinstance(body, Response):
            return body
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return JSONResponse({"error": "event body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "event body is not an object"}, status_code=400)
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                return JSONResponse({"error": "url_verification without challenge"}, status_code=400)
            return JSONResponse({"challenge": challenge})
        if kind != "event_callback":
            return Response(status_code=200)
        try:
            mention = parse_event(payload)
        except SlackPayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if mention is None:
            return Response(status_code=200)
        first = await self._first_time(f"event:{mention.team_id}:{mention.event_id}")
        if isinstance(first, Response):
            return first
        if not first:
            retry = request.headers.get("x-slack-retry-num")
            log.info("ignored a repeated event %s (retry %s)", mention.event_id, retry or "none")
            return Response(status_code=200)
        self._submit(mention)
        return Response(status_code=200)

    def answer(self, request: SlackRequest) -> None:
        """Runs the dispatcher and posts its answer (or a polite error) where the request came from."""
        try:
            message = render_answer(self.dispatcher.dispatch(request))
        except Exception:
            log.exception("answering a Slack request from team %s failed", request.team_id)
            message = error_message()
        try:
            if request.response_url:
                reply = {**message, "response_type": self.response_type, "replace_original": False}
                self.poster.post_response(request.response_url, reply)
            else:
                self.poster.post_message(request.channel_id, message, thread_ts=request.thread_ts)
        except Exception:
            log.exception("posting an answer to Slack team %s failed", request.team_id)


def slack_router(
    *,
    signing_secret: str,
    dispatcher: SlackDispatcher,
    poster: SlackPoster,
    guard: ReplayGuard,
    clock: Callable[[], float] = time.time,
    executor: concurrent.futures.Executor | None = None,
    max_body_bytes: int = 1_000_000,
    public_answers: bool = False,
    max_workers: int = 8,
) -> APIRouter:
    """Returns a router with `POST /slack/commands` and `POST /slack/events`.

    Without an `executor`, the router owns a thread pool of `max_workers` threads and shuts it down
    (letting running answers finish) when the app that includes the router stops.
    """
    if not signing_secret:
        raise ValueError("Slack needs a signing secret: set SLACK_SIGNING_SECRET")
    own = executor is None
    pool = executor or concurrent.futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="slack")

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own:
            await run_in_threadpool(pool.shutdown, wait=True)

    endpoints = _SlackEndpoints(
        signing_secret=signing_secret,
        dispatcher=dispatcher,
        poster=poster,
        guard=guard,
        clock=clock,
        executor=pool,
        max_body_bytes=max_body_bytes,
        public_answers=public_answers,
    )
    router = APIRouter(lifespan=lifespan)
    # Slack's wire protocol, not our public API: kept out of the OpenAPI schema.
    router.add_api_route("/slack/commands", endpoints.commands, methods=["POST"], include_in_schema=False)
    router.add_api_route("/slack/events", endpoints.events, methods=["POST"], include_in_schema=False)
    return router


__all__ = [
    "ERROR_TEXT",
    "HELP_TEXT",
    "WORKING_TEXT",
    "DigestItem",
    "HttpSlackPoster",
    "MemoryReplayGuard",
    "PostedMessage",
    "RecordingPoster",
    "ReplayGuard",
    "SlackAuthError",
    "SlackDispatcher",
    "SlackError",
    "SlackPayloadError",
    "SlackPostError",
    "SlackPoster",
    "SlackRequest",
    "error_message",
    "help_message",
    "parse_command",
    "parse_event",
    "post_digest",
    "render_answer",
    "render_digest",
    "retry_delay",
    "sign_slack_request",
    "slack_router",
    "strip_bot_mention",
    "verify_slack_request",
]
