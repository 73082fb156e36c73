"""Replay guards: first time True, repeats False within the TTL, concurrent duplicates caught by the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.db import Database
from store.models import SeenEventRow
from store.seen import MemoryReplayGuard, ReplayGuard, SqlReplayGuard, normalize_key

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sql", "memory"])
def guard(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReplayGuard]:
    """Yields each guard implementation with a 10-minute TTL."""
    if request.param == "memory":
        yield MemoryReplayGuard(ttl=timedelta(minutes=10))
        return
    database = Database.connect(f"sqlite:///{tmp_path / 'icp.db'}")
    yield SqlReplayGuard(database, ttl=timedelta(minutes=10))
    database.dispose()


@pytest.mark.parametrize(
    ("offsets_s", "expected"),
    [
        ([0, 0], [True, False]),
        ([0, 299], [True, False]),
        ([0, 301], [True, False]),  # beyond the signature window: a replayed request is still caught
        ([0, 599], [True, False]),
        ([0, 600], [True, True]),  # expired exactly at the TTL
        ([0, 700, 701], [True, True, False]),
    ],
)
def test_guard_answers_first_time_within_ttl(guard: ReplayGuard, offsets_s: list[int], expected: list[bool]) -> None:
    seen = [guard.first_time("event:T1:Ev1", now=T0 + timedelta(seconds=s)) for s in offsets_s]
    assert seen == expected


def test_sql_guard_takes_over_expired_rows_on_each_database(db: Database) -> None:
    guard = SqlReplayGuard(db, ttl=timedelta(minutes=10))
    seen = [guard.first_time("event:T1:Ev1", now=T0 + timedelta(seconds=s)) for s in (0, 599, 600, 601, 1199, 1200)]
    assert seen == [True, False, True, False, False, True]


def test_guard_keeps_keys_apart(guard: ReplayGuard) -> None:
    assert [guard.first_time(k, now=T0) for k in ("event:T1:Ev1", "event:T2:Ev1", "command:T1:Ev1")] == [True] * 3


def test_guard_handles_keys_longer_than_the_column(guard: ReplayGuard) -> None:
    long_a, long_b = "k" * 500 + "a", "k" * 500 + "b"
    assert [guard.first_time(k, now=T0) for k in (long_a, long_b, long_a)] == [True, True, False]


def test_guard_rejects_naive_times(guard: ReplayGuard) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        guard.first_time("k", now=datetime(2024, 5, 1, 10, 0))  # naive on purpose


def test_normalize_key_keeps_short_keys_and_hashes_long_ones() -> None:
    assert normalize_key("event:T1:Ev1") == "event:T1:Ev1"
    hashed = normalize_key("x" * 201)
    assert hashed.startswith("sha256:") and len(hashed) == 7 + 64
    with pytest.raises(ValueError, match="empty"):
        normalize_key("")


def test_concurrent_duplicates_are_caught_by_the_database(db: Database) -> None:
    guards = [SqlReplayGuard(db) for _ in range(8)]  # as if eight workers received the same event
    barrier = threading.Barrier(len(guards))
    results: list[bool] = []
    lock = threading.Lock()

    def receive(g: SqlReplayGuard) -> None:
        barrier.wait()
        first = g.first_time("event:T1:EvConcurrent", now=T0)
        with lock:
            results.append(first)

    threads = [threading.Thread(target=receive, args=(g,)) for g in guards]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False] * 7 + [True]


def test_sql_guard_prunes_expired_rows(db: Database) -> None:
    guard = SqlReplayGuard(db, ttl=timedelta(minutes=10))
    for n in range(5):
        guard.first_time(f"old-{n}", now=T0)
    guard.first_time("recent", now=T0 + timedelta(minutes=9))
    deleted = guard.prune(now=T0 + timedelta(minutes=11))
    with db.session() as s:
        left = s.scalars(select(SeenEventRow.id)).all()
    assert (deleted, left) == (5, ["recent"])


def test_sql_guard_prunes_on_its_own_after_a_ttl(db: Database) -> None:
    guard = SqlReplayGuard(db, ttl=timedelta(minutes=10))
    for n in range(3):
        guard.first_time(f"old-{n}", now=T0)
    guard.first_time("later", now=T0 + timedelta(minutes=30))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SeenEventRow)) == 1


def test_guards_refuse_a_non_positive_ttl(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ttl"):
        MemoryReplayGuard(ttl=timedelta(0))
    with pytest.raises(ValueError, match="ttl"):
        SqlReplayGuard(Database.connect("sqlite:///:memory:"), ttl=timedelta(seconds=-1))
