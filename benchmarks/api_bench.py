"""Benchmark: `icp serve` under load on loopback, with 10,000 scored accounts.

Builds a data directory with N generated accounts (scored), starts `icp serve` as its own process,
and drives it from another process with C concurrent clients (closed loop). Prints requests/s and
latency percentiles of the explanation endpoint and of offline chat, beside /health (a minimal
FastAPI endpoint in the same server) as the baseline. Goals: explanation p99 < 50 ms, offline
chat p99 < 250 ms.

    python benchmarks/api_bench.py --accounts 10000 --concurrency 20 --requests 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTORS = ["manufacturing", "industrial machinery", "automotive", "chemicals", "software", "retail"]
COUNTRIES = ["NL", "DE", "FR", "GB", "US", "PL", "BR"]


def build(home: Path, *, accounts: int, seed: int) -> str:
    """Creates the data directory with scored accounts; returns a read key."""
    from api.ops.scoring import rescore
    from api.services import Services
    from api.settings import Settings
    from store.keys import create_key
    from store.models import AccountRow

    rng = random.Random(seed)
    svc = Services.create(Settings(icp_home=home), workspace="default")
    now = datetime.now(UTC)
    rows = [
        {
            "workspace_id": "default",
            "name": f"Company {i:05d} Industries",
            "name_key": f"company {i:05d} industries",
            "domain": f"company{i:05d}.example",
            "industry": rng.choice(SECTORS),
            "revenue": rng.uniform(1e7, 8e8),
            "currency": "EUR",
            "employees": rng.randint(50, 5000),
            "country": rng.choice(COUNTRIES),
            "aliases": [],
            "custom": {"decision_process": rng.choice(["top-down", "consensus"])},
            "known_empty": [],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(accounts)
    ]
    with svc.db.session() as s:
        s.execute(insert(AccountRow), rows)
    rescore(svc, as_of=date(2026, 12, 1))
    with svc.db.session() as s:
        key, _ = create_key(s, "default", scope="read", name="bench")
    svc.db.dispose()
    return key


def free_port() -> int:
    """Returns a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(
    base: str, key: str, *, path: str, method: str, body: dict[str, str] | None, n: int, concurrency: int
) -> dict[str, float]:
    """Sends n requests with `concurrency` clients; returns throughput and latency percentiles (ms)."""
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {key}"}

    def worker(count: int) -> tuple[list[float], int]:
        lat: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(count):
                t = time.perf_counter()
                r = client.request(method, path, json=body)
                lat.append((time.perf_counter() - t) * 1000)
                bad += r.status_code >= 400
        return lat, bad

    per = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for lat, bad in pool.map(worker, per):
            latencies.extend(lat)
            errors += bad
    wall = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "rps": n / wall,
        "p50": statistics.median(latencies),
        "p99": pct(99),
        "max": latencies[-1],
        "errors": errors,
    }


def wrk(
    base: str, key: str, *, path: str, body: dict[str, str] | None, seconds: int, concurrency: int
) -> dict[str, float]:
    """Runs wrk (C, two threads) against one path; returns throughput and latency percentiles (ms)."""
    script = None
    cmd = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {key}"]
    if body is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write('wrk.method = "POST"\n')
            f.write(f"wrk.body = {json.dumps(json.dumps(body))}\n")
            f.write('wrk.headers["Content-Type"] = "application/json"\n')
            script = f.name
        cmd += ["-s", script]
    out = subprocess.run([*cmd, base + path], check=True, capture_output=True, text=True).stdout
    if script:
        Path(script).unlink()

    def ms(token: str) -> float:
        unit = token.lstrip("0123456789.")
        value = float(token[: len(token) - len(unit)])
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    pcts = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith("%"):
            pcts[parts[0]] = ms(parts[1])
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    errors = 0.0
    for line in out.splitlines():
        if "Non-2xx" in line:
            errors = float(line.split()[-1])
    return {"rps": rps, "p50": pcts["50%"], "p99": pcts["99%"], "max": pcts["99%"], "errors": errors}


def client_main(args: argparse.Namespace) -> None:
    """The load generator (runs in its own process)."""
    base, key = args.base, args.key
    rng = random.Random(1)
    ids = [rng.randint(1, args.accounts) for _ in range(50)]
    results = {}
    # warm up every path once (imports, caches), then measure
    for path in ("/health", f"/accounts/{ids[0]}/explanation"):
        httpx.get(base + path, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    httpx.post(
        base + "/chat",
        json={"message": "why is Company 00001 Industries tier 2?"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    if args.generator == "wrk":
        chat_body = {"message": f"why is Company {ids[2]:05d} Industries not a target?"}
        for name, path, body in (
            ("health (baseline)", "/health", None),
            ("explanation", f"/accounts/{ids[1]}/explanation", None),
            ("chat (offline)", "/chat", chat_body),
        ):
            results[name] = wrk(base, key, path=path, body=body, seconds=args.seconds, concurrency=args.concurrency)
        print(json.dumps(results))
        return
    results["health (baseline)"] = load(
        base, key, path="/health", method="GET", body=None, n=args.requests, concurrency=args.concurrency
    )
    results["explanation"] = load(
        base,
        key,
        path=f"/accounts/{ids[1]}/explanation",
        method="GET",
        body=None,
        n=args.requests,
        concurrency=args.concurrency,
    )
    results["chat (offline)"] = load(
        base,
        key,
        path="/chat",
        method="POST",
        body={"message": f"why is Company {ids[2]:05d} Industries not a target?"},
        n=max(args.requests // 2, args.concurrency),
        concurrency=args.concurrency,
    )
    print(json.dumps(results))


def main() -> None:
    """Builds the data, starts the server, runs the load generator in another process, prints figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk (C, little CPU of its own) when installed, else Python threads",
    )
    ap.add_argument("--seconds", type=int, default=10, help="duration per endpoint with wrk")
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--key", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    if args.client:
        client_main(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        key = build(home, accounts=args.accounts, seed=7)
        print(f"built {args.accounts:,} scored accounts in {time.perf_counter() - t0:.1f} s")
        port = free_port()
        env = {**os.environ, "ICP_HOME": str(home), "ICP_RATE_LIMIT": "0"}
        icp = str(Path(sys.executable).with_name("icp"))
        server = subprocess.Popen(
            [icp, "serve", "--port", str(port), "--no-scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    "--base",
                    base,
                    "--key",
                    key,
                    "--accounts",
                    str(args.accounts),
                    "--requests",
                    str(args.requests),
                    "--concurrency",
                    str(args.concurrency),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            server.terminate()
            server.wait(timeout=20)
    results = json.loads(out.strip().splitlines()[-1])
    print(f"{args.concurrency} concurrent clients ({args.generator}), one server process, 2 shared cores")
    print(f"{'endpoint':22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}  (wrk: max = p99)")
    for name, r in results.items():
        print(f"{name:22} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.1f} {r['errors']:7.0f}")
    base_p99 = results["health (baseline)"]["p99"]
    print(
        f"explanation p99 {results['explanation']['p99']:.1f} ms (goal < 50; {results['explanation']['p99'] / base_p99:.1f}x the baseline's)"
    )
    print(
        f"offline chat p99 {results['chat (offline)']['p99']:.1f} ms (goal < 250; {results['chat (offline)']['p99'] / base_p99:.1f}x the baseline's)"
    )


if __name__ == "__main__":
    main()
