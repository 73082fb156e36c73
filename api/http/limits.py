"""Request limits enforced before any parsing: body size, JSON depth (RELIABILITY.md A-6)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Returns True when JSON nesting goes deeper than `limit` (strings are skipped; no parsing)."""
    depth = 0
    in_str = False
    escape = False
    for b in body:
        if in_str:
            if escape:
                escape = False
            elif b == 0x5C:  # backslash
                escape = True
            elif b == 0x22:
                in_str = False
            continue
        if b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif b in (0x5D, 0x7D):
            depth -= 1
    return False


class LimitsMiddleware:
    """Refuses bodies over the size limit with 413 and over-deep JSON with 422, before the app sees them."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, large_paths: dict[str, int] | None = None, max_json_depth: int = 32
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.large_paths = large_paths or {}
        self.max_json_depth = max_json_depth

    def _limit(self, path: str) -> int:
        for prefix, limit in self.large_paths.items():
            if path.startswith(prefix):
                return limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reject(send, 413, f"request body over the limit of {limit:,} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reject(send, 413, f"request body over the limit of {limit:,} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if "json" in headers.get("content-type", "") and json_depth_exceeds(body, self.max_json_depth):
            await _reject(send, 422, f"JSON nested deeper than {self.max_json_depth} levels")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reject(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"error": {"type": "request_rejected", "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
