"""Dependencies: the caller's key (Bearer), its workspace's services, write scope, rate limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.errors import ApiError
from api.services import Services
from store.keys import KeyIdentity, verify_key

bearer = HTTPBearer(auto_error=False, description="An API key from `icp keys create`.")


# Dependencies are `async def` on purpose: they are quick (one indexed query), and FastAPI runs
# plain `def` dependencies in its thread pool, where GIL hand-offs add tens of milliseconds of
# tail latency under concurrent requests. Slow routes stay `def` and run in the pool.


def root_services(request: Request) -> Services:
    """Returns the services the app was created with."""
    svc: Services = request.app.state.services
    return svc


async def require_key(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyIdentity:
    """Returns the identity of the bearer key, or refuses with 401; applies the per-key rate limit."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiError(401, "unauthenticated", "send an API key as 'Authorization: Bearer <key>'")
    svc = root_services(request)
    with svc.db.session() as s:
        ident = verify_key(s, creds.credentials)
    if ident is None:
        raise ApiError(401, "unauthenticated", "the API key is unknown or revoked")
    wait = request.app.state.rate_limiter.acquire(str(ident.key_id))
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            "rate limit exceeded: too many requests for this key",
            headers={"Retry-After": str(int(wait))},
        )
    return ident


Identity = Annotated[KeyIdentity, Depends(require_key)]


async def require_write(ident: Identity) -> KeyIdentity:
    """Refuses read-only keys with 403."""
    if not ident.can_write:
        raise ApiError(403, "forbidden", "this key is read-only; create a write key for changes")
    return ident


WriteIdentity = Annotated[KeyIdentity, Depends(require_write)]


async def workspace_services(request: Request, ident: Identity) -> Services:
    """Returns services working inside the caller's workspace, and only there."""
    return root_services(request).for_workspace(ident.workspace)


async def write_services(request: Request, ident: WriteIdentity) -> Services:
    """Returns workspace services for a write-scoped caller."""
    return root_services(request).for_workspace(ident.workspace)


Svc = Annotated[Services, Depends(workspace_services)]
WriteSvc = Annotated[Services, Depends(write_services)]


MAX_ID = 2**31 - 1
AccountId = Annotated[int, Path(ge=1, le=MAX_ID, description="An account id of the caller's workspace.")]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalAccountId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this account.")]
