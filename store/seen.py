"""Replay dedupe: remembers Slack event and trigger ids so a replayed or retried request acts once.

The database decides: each key is inserted with "insert, ignore on conflict" on the primary key, so two
workers receiving the same event at the same moment cannot both see it as new.

>>> from datetime import UTC, datetime
>>> guard = MemoryReplayGuard()
>>> now = datetime(2024, 5, 1, tzinfo=UTC)
>>> guard.first_time("event:Ev1", now=now), guard.first_time("event:Ev1", now=now)
(True, False)
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.db import Database
from store.models import SeenEventRow

DEFAULT_TTL = timedelta(minutes=10)
_MAX_KEY_CHARS = 200  # the width of seen_events.id


class ReplayGuard(Protocol):
    """Answers whether a request key is seen for the first time within the guard's time to live."""

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Records `key` and returns True, or returns False when it was already recorded and not expired."""
        ...


def normalize_key(key: str) -> str:
    """Returns the key as stored: unchanged when it fits the column, else a SHA-256 digest of it."""
    if not key:
        raise ValueError("a replay key must not be empty")
    if len(key) <= _MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")


class SqlReplayGuard:
    """A replay guard on the `seen_events` table, shared by every worker that uses the same database.

    >>> db = Database.connect("sqlite:///:memory:")
    >>> guard = SqlReplayGuard(db)
    """

    def __init__(self, db: Database, ttl: timedelta = DEFAULT_TTL, *, prune_every: timedelta | None = None) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._db = db
        self.ttl = ttl
        self._prune_every = prune_every if prune_every is not None else ttl
        self._last_prune: datetime | None = None
        self._lock = threading.Lock()

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Records `key` and returns True, or returns False when it was already recorded within the TTL."""
        _require_aware(now)
        stored = normalize_key(key)
        self._prune_if_due(now)
        with self._db.session() as s:
            return self._insert_new(s, stored, now=now, cutoff=now - self.ttl)

    def prune(self, *, now: datetime) -> int:
        """Deletes every expired row and returns how many were deleted."""
        _require_aware(now)
        with self._db.session() as s:
            result = s.execute(delete(SeenEventRow).where(SeenEventRow.received_at <= now - self.ttl))
            return int(getattr(result, "rowcount", 0) or 0)

    def _prune_if_due(self, now: datetime) -> None:
        with self._lock:
            due = self._last_prune is None or now - self._last_prune >= self._prune_every
            if due:
                self._last_prune = now
        if due:
            self.prune(now=now)

    def _insert_new(self, s: Session, stored: str, *, now: datetime, cutoff: datetime) -> bool:
        # One statement: insert a new key, or take over an expired row; a live row is left alone and
        # RETURNING then yields nothing. Concurrent inserts of one key are serialised by the primary key.
        dialect = self._db.engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            return self._insert_or_catch(s, stored, now=now, cutoff=cutoff)
        insert_fn = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = (
            insert_fn(SeenEventRow)
            .values(id=stored, received_at=now)
            .on_conflict_do_update(
                index_elements=["id"], set_={"received_at": now}, where=SeenEventRow.received_at <= cutoff
            )
            .returning(SeenEventRow.id)
        )
        return s.execute(stmt).first() is not None

    @staticmethod
    def _insert_or_catch(s: Session, stored: str, *, now: datetime, cutoff: datetime) -> bool:
        # Other databases: the primary key still decides, through the integrity error.
        s.execute(delete(SeenEventRow).where(SeenEventRow.id == stored, SeenEventRow.received_at <= cutoff))
        try:
            with s.begin_nested():
                s.execute(insert(SeenEventRow).values(id=stored, received_at=now))
        except IntegrityError:
            return False
        return True


class MemoryReplayGuard:
    """An in-process replay guard for tests and single-process demos; records every key it was asked about."""

    def __init__(self, ttl: timedelta = DEFAULT_TTL) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Records `key` and returns True, or returns False when it was already recorded within the TTL."""
        _require_aware(now)
        stored = normalize_key(key)
        with self._lock:
            self.calls.append(key)
            seen_at = self._seen.get(stored)
            if seen_at is not None and now - seen_at < self.ttl:
                return False
            self._seen[stored] = now
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.ttl}
            return True


__all__ = ["DEFAULT_TTL", "MemoryReplayGuard", "ReplayGuard", "SqlReplayGuard", "normalize_key"]
