"""The scheduler in icp serve: a daily digest job at the configured hour; periodic ingest only when asked."""

from __future__ import annotations

from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from api.scheduler import run_digests, start_scheduler
from api.services import Services
from api.settings import Settings
from store.models import DigestRow


def test_jobs_follow_the_settings(tmp_path: Path) -> None:
    svc = Services.create(Settings(icp_home=tmp_path, digest_hour_utc=6, ingest_every_minutes=30))
    sched = start_scheduler(svc)
    try:
        jobs = {j.id: j for j in sched.get_jobs()}
        assert isinstance(jobs["digest"].trigger, CronTrigger)
        assert "hour='6'" in str(jobs["digest"].trigger)
        assert isinstance(jobs["ingest"].trigger, IntervalTrigger)
        assert jobs["ingest"].trigger.interval.total_seconds() == 1800
    finally:
        sched.shutdown(wait=False)
    quiet = start_scheduler(Services.create(Settings(icp_home=tmp_path / "q")))
    try:
        assert [j.id for j in quiet.get_jobs()] == ["digest"]
    finally:
        quiet.shutdown(wait=False)


def test_two_schedulers_firing_the_same_day_send_one_digest_per_workspace(tmp_path: Path) -> None:
    from sqlalchemy import select

    svc = Services.create(Settings(icp_home=tmp_path), workspace="a")
    svc.for_workspace("b")
    run_digests(svc)
    run_digests(svc)  # a second server, or a retried job, on the same day
    with svc.db.session() as s:
        rows = list(s.scalars(select(DigestRow)))
    assert sorted(r.workspace_id for r in rows) == ["a", "b"]
