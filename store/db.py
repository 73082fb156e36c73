"""Engine and sessions: SQLite by default (WAL, busy timeout, foreign keys), PostgreSQL by URL.

>>> db = Database.connect("sqlite:///:memory:")
>>> with db.session() as s:
...     _ = s.execute(text("select 1")).scalar_one()
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from store.errors import DatabaseUnavailable
from store.models import WorkspaceRow

SQLITE_BUSY_TIMEOUT_MS = 30_000
_migrate_lock = threading.Lock()


def utcnow() -> datetime:
    """Returns the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Returns an engine for a database URL, tuned for SQLite when the URL is a file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        }
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def _serialise_sqlite_writes(factory: sessionmaker[Session]) -> None:
    """Makes this process's SQLite write transactions queue on a lock instead of on SQLite's busy handler.

    SQLite allows one writer; a second one sleeps in growing steps (1, 2, 5 ... 100 ms) until the
    first commits, which turns short waits into long tail latencies under concurrent requests. A
    session takes the lock at its first write (a flush or a DML statement) and gives it back at
    commit or rollback, so writers in this process wait exactly as long as they must. Writers in
    other processes still meet the busy timeout.
    """
    lock = threading.RLock()

    def acquire(session: Session) -> None:
        if not session.info.get("_icp_write_lock"):
            lock.acquire()
            session.info["_icp_write_lock"] = True

    def release(session: Session) -> None:
        if session.info.pop("_icp_write_lock", False):
            lock.release()

    @event.listens_for(factory, "before_flush")
    def _on_flush(session: Session, *_: Any) -> None:
        acquire(session)

    @event.listens_for(factory, "do_orm_execute")
    def _on_execute(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            acquire(state.session)

    event.listen(factory, "after_commit", release)
    event.listen(factory, "after_rollback", release)
    event.listen(factory, "after_soft_rollback", lambda session, _tx: release(session))


class Database:
    """An engine plus a session factory; `migrate()` brings the schema to the newest version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        if engine.dialect.name == "sqlite":
            _serialise_sqlite_writes(self._sessions)

    @classmethod
    def connect(cls, url: str, *, migrate: bool = True) -> Database:
        """Connects to a database URL and (by default) runs pending migrations."""
        db = cls(make_engine(url))
        if migrate:
            db.migrate()
        return db

    @property
    def is_sqlite(self) -> bool:
        """Returns True for SQLite databases."""
        return self.engine.dialect.name == "sqlite"

    def migrate(self) -> None:
        """Applies pending Alembic migrations."""
        from store.migrate import upgrade_to_head

        try:
            with _migrate_lock:
                upgrade_to_head(self.engine)
        except OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"cannot open database {where}: {exc.orig}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yields a session that commits on success and rolls back on error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def ensure_workspace(self, workspace: str, *, name: str | None = None) -> None:
        """Creates a workspace if it does not exist yet."""
        with self.session() as s:
            if s.scalar(select(WorkspaceRow.id).where(WorkspaceRow.id == workspace)) is None:
                s.add(WorkspaceRow(id=workspace, name=name or workspace, created_at=utcnow()))

    def dispose(self) -> None:
        """Closes every pooled connection."""
        self.engine.dispose()


__all__ = ["Database", "make_engine", "text", "utcnow"]
