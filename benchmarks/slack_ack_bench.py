"""Slack acknowledgement latency (A-3): signed slash commands against a real uvicorn server on loopback.

The dispatcher sleeps like a 10 s model; the acknowledgement must not wait for it (goal: p99 ≤ 1 s).
A trivial GET endpoint in the same server gives the baseline. Requests come from a separate process
(a thread pool of httpx clients) so the client's CPU does not share the server's interpreter lock.

    .venv/bin/python -m benchmarks.slack_ack_bench --requests 300 --concurrency 16
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvicorn
from fastapi import FastAPI

from agent.answers import Answer
from api.slack import SlackRequest, sign_slack_request, slack_router
from api.slack_render import Message
from store.db import Database
from store.seen import MemoryReplayGuard, ReplayGuard, SqlReplayGuard

SECRET = "bench-signing-secret"


class SlowDispatcher:
    """Answers after `delay_s`, like a slow model; `release` ends every wait at once when the run is over."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.release = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def dispatch(self, request: SlackRequest) -> Answer:
        """Waits, then answers."""
        with self._lock:
            self.started += 1
        self.release.wait(self.delay_s)
        return Answer(text=f"answer to {request.text}", intent="ask")


class CountingPoster:
    """Counts messages instead of posting them."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _bump(self) -> None:
        with self._lock:
            self.count += 1

    def post_response(self, response_url: str, message: Message) -> None:
        """Counts a response_url post."""
        self._bump()

    def post_message(self, channel: str, message: Message, *, thread_ts: str | None = None) -> None:
        """Counts a chat.postMessage post."""
        self._bump()

    def post_webhook(self, message: Message) -> None:
        """Counts a webhook post."""
        self._bump()


def _command_body(n: int) -> bytes:
    return urlencode(
        {
            "team_id": "T0BENCH",
            "channel_id": "C0BENCH",
            "user_id": "U0BENCH",
            "command": "/icp",
            "text": f"why Account{n}",
            "response_url": "https://hooks.slack.com/commands/T0BENCH/1/x",
            "trigger_id": f"bench-{n}-{time.time_ns()}",
        }
    ).encode()


def _one(client: httpx.Client, base: str, kind: str, n: int) -> tuple[float, int]:
    if kind == "ping":
        started = time.perf_counter()
        status = client.get(f"{base}/ping").status_code
        return time.perf_counter() - started, status
    body = _command_body(n)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign_slack_request(body=body, signing_secret=SECRET, timestamp=int(time.time())),
    }
    started = time.perf_counter()
    status = client.post(f"{base}/slack/commands", content=body, headers=headers).status_code
    return time.perf_counter() - started, status


def fire(base: str, kind: str, requests: int, concurrency: int) -> list[tuple[float, int]]:
    """Sends `requests` requests of one kind with `concurrency` clients; returns (seconds, status) pairs."""
    local = threading.local()

    def send(n: int) -> tuple[float, int]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30.0)
        return _one(local.client, base, kind, n)

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(send, range(requests)))


def _summary(name: str, results: list[tuple[float, int]]) -> tuple[str, float]:
    latencies = sorted(s for s, _ in results)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    statuses = dict(Counter(code for _, code in results))
    line = (
        f"{name:<15} n={len(latencies):<5} p50={q[49] * 1000:7.1f} ms  p95={q[94] * 1000:7.1f} ms  "
        f"p99={q[98] * 1000:7.1f} ms  max={latencies[-1] * 1000:7.1f} ms  statuses={statuses}"
    )
    return line, q[98]


def main() -> None:
    """Runs the benchmark and prints p50/p95/p99 acknowledgement latency against the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--model-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8, help="threads answering in the background")
    parser.add_argument("--guard", choices=["sql", "memory"], default="sql")
    args = parser.parse_args()

    dispatcher = SlowDispatcher(args.model_seconds)
    poster = CountingPoster()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'bench.db'}") if args.guard == "sql" else None
        guard: ReplayGuard = SqlReplayGuard(db) if db is not None else MemoryReplayGuard()
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="slack")
        app = FastAPI()
        app.include_router(
            slack_router(signing_secret=SECRET, dispatcher=dispatcher, poster=poster, guard=guard, executor=executor)
        )

        @app.get("/ping")
        async def ping() -> dict[str, bool]:
            return {"ok": True}

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)

        print(
            f"uvicorn on {base}; model {args.model_seconds:.0f} s; {args.workers} answer threads; "
            f"{args.guard} replay guard; {args.requests} requests per phase, {args.concurrency} concurrent clients"
        )
        spawn = multiprocessing.get_context("spawn")
        try:
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:
                clients.submit(fire, base, "ping", 20, 4).result()  # warm-up
                baseline = clients.submit(fire, base, "ping", args.requests, args.concurrency).result()
                started = time.perf_counter()
                acks = clients.submit(fire, base, "command", args.requests, args.concurrency).result()
                elapsed = time.perf_counter() - started
            base_line, _ = _summary("baseline /ping", baseline)
            ack_line, p99 = _summary("slash ack", acks)
            print(base_line)
            print(ack_line)
            print(
                f"{len(acks)} commands acknowledged in {elapsed:.1f} s while {dispatcher.started} answers were "
                f"being worked on ({poster.count} finished); goal p99 <= 1000 ms: {'PASS' if p99 <= 1.0 else 'FAIL'}"
            )
        finally:
            dispatcher.release.set()  # the queued "model calls" end now instead of in minutes
            executor.shutdown(wait=True, cancel_futures=True)
            server.should_exit = True
            thread.join(timeout=10)
            if db is not None:
                db.dispose()


if __name__ == "__main__":
    main()
