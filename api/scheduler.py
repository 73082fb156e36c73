"""Scheduled jobs inside `icp serve`: the daily digest of every workspace, and periodic ingest when asked.

Two processes running this scheduler are safe: each digest claims its day in the database first,
so a workspace gets one digest a day (RELIABILITY.md D-6).
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from api.services import Services
from store.models import WorkspaceRow

log = logging.getLogger("icp.scheduler")


def workspaces(svc: Services) -> list[str]:
    """Returns every workspace id."""
    with svc.db.session() as s:
        return list(s.scalars(select(WorkspaceRow.id).order_by(WorkspaceRow.id)))


def run_digests(svc: Services) -> None:
    """Sends the day's digest of every workspace (each at most once a day)."""
    from api.ops.answers import send_digest

    for ws in workspaces(svc):
        try:
            outcome = send_digest(svc.for_workspace(ws))
            log.info("digest %s %s: %s", ws, outcome.day, outcome.status.value)
        except Exception:  # one workspace's failure must not stop the others
            log.exception("digest for workspace %s failed", ws)


def run_ingests(svc: Services) -> None:
    """Ingests the web sources of every workspace, extracts and rescores."""
    from api.ops.extraction import extract_and_rescore
    from api.ops.ingest import run_ingest

    for ws in workspaces(svc):
        try:
            w = svc.for_workspace(ws)
            run_ingest(w, allow_local=False)
            extract_and_rescore(w)
        except Exception:
            log.exception("scheduled ingest for workspace %s failed", ws)


def start_scheduler(svc: Services) -> BackgroundScheduler:
    """Starts the background scheduler and returns it (call .shutdown() on exit)."""
    st = svc.settings
    sched = BackgroundScheduler(timezone="UTC")
    sched.add_job(
        run_digests,
        CronTrigger(hour=st.digest_hour_utc, minute=0),
        args=[svc],
        id="digest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    if st.ingest_every_minutes > 0:
        sched.add_job(
            run_ingests,
            IntervalTrigger(minutes=st.ingest_every_minutes),
            args=[svc],
            id="ingest",
            max_instances=1,
            coalesce=True,
        )
    sched.start()
    return sched
