"""The FastAPI application factory: `create_app(services)` with fakes injected in tests.

>>> from api.settings import Settings
>>> from api.services import Services
>>> app = create_app(Services.create(Settings(icp_home="/tmp/icp-doc", DATABASE_URL="sqlite:///:memory:")))
>>> app.title
'icp-agent'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI

from api.http.errors import install_error_handlers
from api.http.limits import LimitsMiddleware
from api.http.ratelimit import RateLimiter
from api.http.routes import accounts, answers, intel, scoring
from api.services import Services


def create_app(
    services: Services,
    *,
    rate_limiter: RateLimiter | None = None,
    scheduler: bool = False,
    slack_poster: Any | None = None,
) -> FastAPI:
    """Builds the HTTP app around a service bundle (Slack endpoints when a signing secret is set)."""
    s = services.settings
    jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix="icp-jobs")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sched = None
        if scheduler:
            from api.scheduler import start_scheduler

            sched = start_scheduler(services)
        try:
            yield
        finally:
            if sched is not None:
                sched.shutdown(wait=False)
            jobs.shutdown(wait=False, cancel_futures=True)
            from api.ops.answers import BUDGET_PREFIX, store_chat_usage

            # late settlements of abandoned model calls, for every workspace that asked something
            for ws in {name.split(":")[1] for name in services.provided(f"{BUDGET_PREFIX}:")}:
                store_chat_usage(services.for_workspace(ws))

    app = FastAPI(
        title="icp-agent",
        version="0.1.0",
        lifespan=lifespan,
        description=(
            "Account intelligence for B2B sales: ICP fit scores with a readable ledger, trigger events, "
            "research briefs and cited answers. Authenticate with `Authorization: Bearer <key>` "
            "(create keys with `icp keys create`); every object belongs to the key's workspace."
        ),
    )
    app.state.services = services
    app.state.rate_limiter = rate_limiter or RateLimiter(per_minute=s.rate_limit_per_minute)
    app.state.jobs = jobs
    # offline answers are CPU-bound; LLM answers wait on the network and may run many at once
    app.state.answer_limiter = anyio.CapacityLimiter(16 if services.settings.llm_configured else 2)
    install_error_handlers(app)
    app.include_router(accounts.router)
    app.include_router(accounts.imports)
    app.include_router(scoring.router)
    app.include_router(intel.router)
    app.include_router(answers.router)
    if s.slack_signing_secret is not None:
        _mount_slack(app, services, poster=slack_poster)

    @app.get("/health", tags=["meta"], summary="Liveness")
    async def health() -> dict[str, str]:
        """Returns ok when the process serves requests."""
        return {"status": "ok"}

    app.add_middleware(LimitsMiddleware, max_body=s.max_body_bytes, large_paths={"/imports/": s.max_csv_bytes})
    return app


def _mount_slack(app: FastAPI, services: Services, *, poster: Any | None) -> None:
    from api.slack import HttpSlackPoster, slack_router
    from api.slack_dispatch import IcpSlackDispatcher, team_resolver
    from store.seen import SqlReplayGuard

    s = services.settings
    assert s.slack_signing_secret is not None
    app.include_router(
        slack_router(
            signing_secret=s.slack_signing_secret.get_secret_value(),
            dispatcher=IcpSlackDispatcher(team_resolver(services)),
            poster=poster or HttpSlackPoster.from_settings(s),
            guard=SqlReplayGuard(services.db),
            max_body_bytes=s.max_body_bytes,
        )
    )
