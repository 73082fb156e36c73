"""ICP versions per workspace: register, apply (switch the active one), roll back. Never silent."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.config import IcpConfig, builtin_icp_text, load_icp_text
from store.db import utcnow
from store.errors import NotFound
from store.models import IcpVersionRow


def register_icp(session: Session, workspace: str, yaml_text: str, *, source: str) -> IcpVersionRow:
    """Stores an ICP version (validated) unless the same version is already stored; returns its row."""
    cfg = load_icp_text(yaml_text, source=source)
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
    return row


def apply_icp(session: Session, workspace: str, version: str) -> IcpVersionRow:
    """Makes a stored version the active ICP of a workspace."""
    rows = list(session.scalars(select(IcpVersionRow).where(IcpVersionRow.workspace_id == workspace)))
    target = next((r for r in rows if r.version == version or r.version.startswith(version)), None)
    if target is None:
        raise NotFound(f"no ICP version {version!r} in workspace {workspace!r}")
    for r in rows:
        r.active = r is target
    target.applied_at = utcnow()
    return target


@lru_cache(maxsize=64)
def _parsed(yaml_text: str, source: str) -> IcpConfig:
    # ICPs are immutable once stored (the version is their content hash), so parsing once is safe
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
