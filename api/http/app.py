"""The FastAPI application factory: `create_app(services)` with fakes injected in tests.

>>> from api.settings import Settings
>>> from api.services import Services
>>> app = create_app(Services.create(Settings(icp_home="/tmp/icp-doc", DATABASE_URL="sqlite:///:memory:")))
>>> app.title
'icp-agent'
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from api.http.errors import install_error_handlers
from api.http.limits import LimitsMiddleware
from api.http.ratelimit import RateLimiter
from api.http.routes import accounts, intel, scoring
from api.services import Services


def create_app(services: Services, *, rate_limiter: RateLimiter | None = None, scheduler: bool = False) -> FastAPI:
    """Builds the HTTP app around a service bundle."""
    s = services.settings
    app = FastAPI(
        title="icp-agent",
        version="0.1.0",
        description=(
            "Account intelligence for B2B sales: ICP fit scores with a readable ledger, trigger events, "
            "research briefs and cited answers. Authenticate with `Authorization: Bearer <key>` "
            "(create keys with `icp keys create`); every object belongs to the key's workspace."
        ),
    )
    app.state.services = services
    app.state.rate_limiter = rate_limiter or RateLimiter(per_minute=s.rate_limit_per_minute)
    app.state.jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix="icp-jobs")
    install_error_handlers(app)
    app.include_router(accounts.router)
    app.include_router(accounts.imports)
    app.include_router(scoring.router)
    app.include_router(intel.router)

    @app.get("/health", tags=["meta"], summary="Liveness")
    def health() -> dict[str, str]:
        """Returns ok when the process serves requests."""
        return {"status": "ok"}

    app.add_middleware(
        LimitsMiddleware,
        max_body=s.max_body_bytes,
        large_paths={"/imports/": s.max_csv_bytes},
    )
    return app
