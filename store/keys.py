"""API keys: random secrets shown once, stored as SHA-256 hashes, scoped per workspace (read or write)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.db import utcnow
from store.errors import NotFound
from store.models import ApiKeyRow

PREFIX = "icp_"
SCOPES = ("read", "write")


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """Who a valid key speaks for."""

    key_id: int
    workspace: str
    scope: str

    @property
    def can_write(self) -> bool:
        """Returns True for write-scoped keys."""
        return self.scope == "write"


def hash_key(secret: str) -> str:
    """Returns the stored form of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, workspace: str, *, scope: str, name: str = "") -> tuple[str, ApiKeyRow]:
    """Creates a key and returns the secret (shown once, never stored) with its row."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(
        workspace_id=workspace,
        name=name,
        prefix=secret[:10],
        key_hash=hash_key(secret),
        scope=scope,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return secret, row


def verify_key(session: Session, secret: str) -> KeyIdentity | None:
    """Returns the identity of a valid, unrevoked key, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = hash_key(secret)
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
    # the lookup is by hash; compare again in constant time to keep the check explicit
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    return KeyIdentity(row.id, row.workspace_id, row.scope)


def revoke_key(session: Session, workspace: str, key_id_or_prefix: str, *, when: datetime | None = None) -> ApiKeyRow:
    """Revokes a key by id or by its displayed prefix."""
    stmt = select(ApiKeyRow).where(ApiKeyRow.workspace_id == workspace)
    rows = list(session.scalars(stmt))
    match = [r for r in rows if str(r.id) == key_id_or_prefix or r.prefix == key_id_or_prefix]
    if len(match) != 1:
        raise NotFound(f"no single key {key_id_or_prefix!r} in workspace {workspace!r}")
    match[0].revoked_at = when or utcnow()
    return match[0]


def list_keys(session: Session, workspace: str) -> list[ApiKeyRow]:
    """Returns a workspace's keys (hashes only)."""
    return list(session.scalars(select(ApiKeyRow).where(ApiKeyRow.workspace_id == workspace).order_by(ApiKeyRow.id)))
