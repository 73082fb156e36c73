"""One ingest run at a time per workspace, in one process and across processes; dead runs never block."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from job_support import World, add_demo_sources, make_world
from sqlalchemy import select

from api.ops.ingest import RUN_LEASE, SKIPPED_NOTE, run_ingest
from store.db import utcnow
from store.models import IngestRunRow


def _runs(world: World) -> dict[int, tuple[str, dict[str, Any]]]:
    with world.svc.db.session() as s:
        return {r.id: (r.status, r.summary) for r in s.scalars(select(IngestRunRow).order_by(IngestRunRow.id))}


def _running_row(world: World, *, host: str, pid: int, age: timedelta) -> int:
    """Records a run another process left in status running."""
    with world.svc.db.session() as s:
        row = IngestRunRow(
            workspace_id="w",
            kind="ingest",
            status="running",
            started_at=utcnow() - age,
            summary={"owner": {"host": host, "pid": pid, "token": "another-process"}},
        )
        s.add(row)
        s.flush()
        return row.id


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(proc.stdout)


def test_a_second_run_in_the_same_process_is_skipped_while_the_first_runs(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_demo_sources(world)
    inside, release = threading.Event(), threading.Event()

    def hold(stage: str, done: int, total: int) -> None:
        if stage == "sources" and done == 1:
            inside.set()
            release.wait(timeout=30)

    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(run_ingest(world.svc, progress=hold)))
    first.start()
    try:
        assert inside.wait(timeout=30)
        second = run_ingest(world.svc)
    finally:
        release.set()
        first.join(timeout=60)
    assert second.skipped and second.summary.note == SKIPPED_NOTE and second.summary.sources == 0
    assert results[0].summary.new > 10 and not results[0].skipped
    runs = _runs(world)
    assert runs[second.id][0] == "skipped" and runs[second.id][1]["note"] == SKIPPED_NOTE
    assert runs[results[0].id][0] == "done"
    assert run_ingest(world.svc).summary.unchanged > 0  # the lock is free again afterwards


@pytest.mark.parametrize(
    ("host", "age", "skipped"),
    [
        ("another-host", timedelta(minutes=10), True),  # a live run elsewhere, within its lease
        ("another-host", RUN_LEASE + timedelta(minutes=1), False),  # its lease ran out: it died
        ("this-host", timedelta(minutes=10), True),  # a live process on this host
    ],
    ids=["other-host-live", "other-host-expired", "this-host-live"],
)
def test_a_run_recorded_by_another_process_decides_whether_to_skip(
    tmp_path: Path, host: str, age: timedelta, skipped: bool
) -> None:
    world = make_world(tmp_path)
    add_demo_sources(world)
    other = _running_row(world, host=socket.gethostname() if host == "this-host" else host, pid=os.getppid(), age=age)
    run = run_ingest(world.svc)
    assert run.skipped is skipped
    assert (run.summary.new > 10) is not skipped
    runs = _runs(world)
    assert runs[run.id][0] == ("skipped" if skipped else "done")
    assert runs[other][0] == ("running" if skipped else "interrupted")


def test_a_killed_run_on_this_host_does_not_block_the_next(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_demo_sources(world)
    killed = _running_row(world, host=socket.gethostname(), pid=_dead_pid(), age=timedelta(minutes=1))
    run = run_ingest(world.svc)
    assert not run.skipped and run.summary.new > 10
    assert _runs(world)[killed][0] == "interrupted"


def test_a_run_claimed_after_this_one_steps_back_for_it(tmp_path: Path) -> None:
    """Both runs may see each other's row: the one that claimed first runs, the later one skips itself."""
    world = make_world(tmp_path)
    add_demo_sources(world)
    later = _running_row(world, host="another-host", pid=1, age=-timedelta(minutes=1))
    run = run_ingest(world.svc)
    assert not run.skipped
    assert _runs(world)[later][0] == "running"  # left alone: that process finds this run and skips
