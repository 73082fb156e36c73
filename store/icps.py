"""ICP versions per workspace: register, apply (switch the active one), roll back. Never silent."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.config import IcpConfig, builtin_icp_text, load_icp_text
from store.accounts import lock_workspace
from store.db import utcnow
from store.errors import NotFound, StoreError
from store.models import IcpVersionRow

MIN_VERSION_PREFIX = 4  # shorter prefixes (even "") would pick an arbitrary version


class AmbiguousIcpVersion(StoreError):
    """A version prefix matches several stored ICP versions."""


def register_icp(session: Session, workspace: str, yaml_text: str, *, source: str) -> IcpVersionRow:
    """Stores an ICP version (validated) and returns its row.

    The version hashes only what affects scores, so a file that differs in personas or descriptions
    has the same version: its text and source replace the stored ones, and stored scores stay valid.
    """
    cfg = load_icp_text(yaml_text, source=source)
    lock_workspace(session, workspace)
    row = session.scalar(
        select(IcpVersionRow).where(IcpVersionRow.workspace_id == workspace, IcpVersionRow.version == cfg.version)
    )
    if row is None:
        row = IcpVersionRow(
            workspace_id=workspace,
            version=cfg.version,
            name=cfg.name,
            yaml=yaml_text,
            source=source,
            created_at=utcnow(),
            active=False,
        )
        session.add(row)
        session.flush()
    elif row.yaml != yaml_text:
        row.yaml = yaml_text
        row.source = source
        row.name = cfg.name
    return row


def apply_icp(session: Session, workspace: str, version: str) -> IcpVersionRow:
    """Makes a stored version the active ICP of a workspace: the full version or a unique prefix of 4+ characters."""
    rows = list(session.scalars(select(IcpVersionRow).where(IcpVersionRow.workspace_id == workspace)))
    wanted = version.strip()
    target = next((r for r in rows if r.version == wanted), None)
    if target is None:
        if len(wanted) < MIN_VERSION_PREFIX:
            raise NotFound(
                f"no ICP version {wanted!r} in workspace {workspace!r}; "
                f"give the version or at least {MIN_VERSION_PREFIX} of its first characters (icp config list)"
            )
        matches = [r for r in rows if r.version.startswith(wanted)]
        if not matches:
            raise NotFound(f"no ICP version {wanted!r} in workspace {workspace!r} (icp config list)")
        if len(matches) > 1:
            names = ", ".join(sorted(r.version for r in matches))
            raise AmbiguousIcpVersion(f"{wanted!r} starts {len(matches)} ICP versions ({names}); give more characters")
        target = matches[0]
    for r in rows:
        r.active = r is target
    target.applied_at = utcnow()
    return target


@lru_cache(maxsize=64)
def _parsed(yaml_text: str, source: str) -> IcpConfig:
    # keyed by the text itself: an edited persona or description stored under the same version parses anew
    return load_icp_text(yaml_text, source=source)


def active_icp(session: Session, workspace: str) -> tuple[IcpConfig, IcpVersionRow | None]:
    """Returns the workspace's active ICP, or the built-in default when none was applied."""
    row = session.scalar(
        select(IcpVersionRow).where(IcpVersionRow.workspace_id == workspace, IcpVersionRow.active.is_(True))
    )
    if row is None:
        return _parsed(builtin_icp_text("default"), "builtin:default"), None
    return _parsed(row.yaml, f"{workspace}:{row.version}"), row


def list_icps(session: Session, workspace: str) -> list[IcpVersionRow]:
    """Returns the stored ICP versions, newest applied first."""
    rows = list(session.scalars(select(IcpVersionRow).where(IcpVersionRow.workspace_id == workspace)))
    return sorted(rows, key=lambda r: r.applied_at or r.created_at, reverse=True)


def rollback_icp(session: Session, workspace: str, *, to: str | None = None) -> IcpVersionRow:
    """Re-applies an earlier version: the one given, or the one applied before the active one."""
    if to is not None:
        return apply_icp(session, workspace, to)
    applied = [r for r in list_icps(session, workspace) if r.applied_at is not None]
    if len(applied) < 2:
        raise NotFound("there is no earlier applied ICP version to roll back to")
    return apply_icp(session, workspace, applied[1].version)
