"""Running ingest for a workspace: sources from the store, the job wired to SQL and the vector store.

One run at a time per workspace: the scheduler, the CLI and `POST /ingest/runs` may all start one.
Within a process a lock per (database, workspace) decides; across processes the `ingest_runs`
table does. A run claims its row (status "running", stamped with host, process id and start time),
then looks for another live running row claimed before it: if there is one, it steps back and is
recorded as skipped. A running row whose process is gone (same host, pid no longer alive) or that
is older than `RUN_LEASE` is an interrupted run, not a live one, so a SIGKILL never blocks the
next run.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from api.ops.ingest_sink import SqlIngestSink, source_spec
from api.services import Services
from ingest.entities import AccountRef
from ingest.fetch import SafeFetcher
from ingest.job import IngestJob, IngestSummary, ProgressFn
from ingest.local import LocalFetcher
from store.accounts import list_accounts
from store.db import utcnow
from store.documents import list_sources
from store.models import IngestRunRow

RUN_LEASE = timedelta(hours=2)
"""How long a running row from a process this host cannot check counts as live."""

SKIPPED_NOTE = "skipped: another run is in progress"

# Tells this process's runs from those of an earlier process that had the same pid.
_PROCESS_TOKEN = uuid.uuid4().hex
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass
class IngestRun:
    """A finished (or skipped) run: its id and summary."""

    id: int
    summary: IngestSummary

    @property
    def skipped(self) -> bool:
        """Returns whether the run stepped back for another run in progress."""
        return self.summary.note == SKIPPED_NOTE


def create_run(svc: Services) -> int:
    """Records a queued ingest run and returns its id."""
    with svc.db.session() as s:
        run = IngestRunRow(workspace_id=svc.workspace, kind="ingest", status="queued", started_at=utcnow(), summary={})
        s.add(run)
        s.flush()
        return run.id


def run_ingest(
    svc: Services,
    *,
    account_id: int | None = None,
    source_ids: Sequence[int] | None = None,
    allow_local: bool = True,
    progress: ProgressFn | None = None,
    run_id: int | None = None,
) -> IngestRun:
    """Ingests the workspace's sources (all, one account's, or some ids) and records the run.

    When another run of the workspace is in progress, in this process or another, nothing is
    fetched: the run is recorded with status "skipped" and its summary's note says why.
    """
    run_id = run_id if run_id is not None else create_run(svc)
    lock = _workspace_lock(svc)
    if not lock.acquire(blocking=False):
        return _skip(svc, run_id)
    try:
        if not _claim(svc, run_id):
            return _skip(svc, run_id)
        return _run_claimed(
            svc, run_id, account_id=account_id, source_ids=source_ids, allow_local=allow_local, progress=progress
        )
    finally:
        lock.release()


def _run_claimed(
    svc: Services,
    run_id: int,
    *,
    account_id: int | None,
    source_ids: Sequence[int] | None,
    allow_local: bool,
    progress: ProgressFn | None,
) -> IngestRun:
    with svc.db.session() as s:
        rows = list_sources(s, svc.workspace, account_id=account_id, ids=source_ids)
        specs = [source_spec(r) for r in rows]
        if not allow_local:
            specs = [sp for sp in specs if sp.kind != "file"]
        accounts = [
            AccountRef(id=a.id, name=a.name, aliases=tuple(a.aliases or ()), domain=a.domain)
            for a in list_accounts(s, svc.workspace)
        ]
    st = svc.settings
    web = SafeFetcher(
        user_agent=st.user_agent,
        allow_loopback=st.allow_loopback,
        per_host_delay_s=st.fetch_host_delay_s,
        respect_robots=st.fetch_respect_robots,
    )
    job = IngestJob(
        workspace=svc.workspace,
        sink=SqlIngestSink(svc.db, svc.workspace, clock=svc.clock),
        web=web,
        local=LocalFetcher() if allow_local else None,
        embedder=svc.embedder,
        vectors=svc.vectors,
        accounts=accounts,
        clock=svc.clock,
        progress=progress,
    )
    status = "failed"
    summary = IngestSummary()
    try:
        summary = job.run(specs)
        status = "done"
    finally:
        web.close()
        _finish(svc, run_id, status=status, summary=summary)
    return IngestRun(run_id, summary)


def _workspace_lock(svc: Services) -> threading.Lock:
    key = (svc.db.engine.url.render_as_string(hide_password=True), svc.workspace)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _claim(svc: Services, run_id: int) -> bool:
    """Marks the run running; returns False if a live run of the workspace claimed its row earlier."""
    started = utcnow()
    with svc.db.session() as s:
        row = s.get(IngestRunRow, run_id)
        if row is None:  # nothing to claim with; the in-process lock still holds
            return True
        row.status = "running"
        row.started_at = started
        row.summary = {"owner": {"host": socket.gethostname(), "pid": os.getpid(), "token": _PROCESS_TOKEN}}
    with svc.db.session() as s:
        others = list(
            s.scalars(
                select(IngestRunRow).where(
                    IngestRunRow.workspace_id == svc.workspace,
                    IngestRunRow.status == "running",
                    IngestRunRow.id != run_id,
                )
            )
        )
        blocked = False
        for other in others:
            if _abandoned(other, now=started):
                other.status = "interrupted"
                other.finished_at = started
                other.summary = {**(other.summary or {}), "note": "interrupted: its process ended or its lease ran out"}
            elif (other.started_at, other.id) < (started, run_id):
                # both rows may see each other; the earlier claim runs, the later one steps back
                blocked = True
    return not blocked


def _abandoned(row: IngestRunRow, *, now: datetime) -> bool:
    if row.started_at < now - RUN_LEASE:
        return True
    owner: Any = (row.summary or {}).get("owner")
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False  # another host's run: only its lease can tell
    if owner.get("token") == _PROCESS_TOKEN:
        return False  # this process's run (another database spelling of the same workspace)
    pid = owner.get("pid")
    return not isinstance(pid, int) or pid == os.getpid() or not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


def _skip(svc: Services, run_id: int) -> IngestRun:
    summary = IngestSummary(note=SKIPPED_NOTE)
    _finish(svc, run_id, status="skipped", summary=summary)
    return IngestRun(run_id, summary)


def _finish(svc: Services, run_id: int, *, status: str, summary: IngestSummary) -> None:
    with svc.db.session() as s:
        row = s.get(IngestRunRow, run_id)
        if row is not None:
            row.status = status
            row.finished_at = utcnow()
            row.summary = summary.as_dict()
