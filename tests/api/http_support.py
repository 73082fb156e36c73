"""Building a test app: services on a temporary SQLite file, two workspaces with keys, demo accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from fastapi.testclient import TestClient

from api.http import create_app
from api.http.ratelimit import RateLimiter
from api.ops.accounts import import_accounts
from api.ops.scoring import rescore
from api.services import Services
from api.settings import Settings
from store.keys import create_key

FIXED_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class ApiWorld:
    """A test client and the keys of two workspaces, A (with data) and B (empty)."""

    client: TestClient
    services: Services
    key_a_read: str
    key_a_write: str
    key_b_read: str
    key_b_write: str

    def h(self, key: str) -> dict[str, str]:
        """Returns the Authorization header for a key."""
        return {"Authorization": f"Bearer {key}"}


def make_world(tmp: Path, *, per_minute: int = 100_000, **settings: object) -> ApiWorld:
    """Returns an app with demo accounts in workspace A, scored as of 2026-12-01."""
    s = Settings(icp_home=tmp / "home", **settings)  # type: ignore[arg-type]
    svc = Services.create(s, workspace="a")
    svc.clock = lambda: FIXED_NOW
    svc.for_workspace("b")
    data = (resources.files("api") / "demo_data" / "accounts.csv").read_bytes()
    import_accounts(svc, data, source="accounts.csv")
    rescore(svc, as_of=date(2026, 12, 1))
    with svc.db.session() as sess:
        a_r, _ = create_key(sess, "a", scope="read")
        a_w, _ = create_key(sess, "a", scope="write")
        b_r, _ = create_key(sess, "b", scope="read")
        b_w, _ = create_key(sess, "b", scope="write")
    app = create_app(svc, rate_limiter=RateLimiter(per_minute=per_minute, burst=per_minute))
    return ApiWorld(TestClient(app), svc, a_r, a_w, b_r, b_w)
