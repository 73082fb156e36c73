"""The migrations and the models describe the same schema; SQLite runs with WAL and a busy timeout."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from store.db import Database, utcnow
from store.models import AccountRow, Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrating_twice_changes_nothing(db: Database) -> None:
    db.migrate()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path / 'w.db'}")
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_four_writer_threads_never_see_database_is_locked(tmp_path: Path) -> None:
    """RELIABILITY D-5: exact counts, no 'database is locked' escapes."""
    database = Database.connect(f"sqlite:///{tmp_path / 'busy.db'}")
    database.ensure_workspace("w")
    errors: list[BaseException] = []
    per_thread = 60

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):
                with database.session() as s:
                    now = utcnow()
                    s.add(
                        AccountRow(
                            workspace_id="w",
                            name=f"t{n}-{i}",
                            name_key=f"t{n}-{i}",
                            created_at=now,
                            updated_at=now,
                        )
                    )
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(AccountRow)) == 4 * per_thread


def test_timestamps_come_back_timezone_aware(db: Database) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        now = utcnow()
        s.add(AccountRow(workspace_id="w", name="A", name_key="a", created_at=now, updated_at=now))
    with db.session() as s:
        row = s.scalars(select(AccountRow)).one()
        assert row.created_at.tzinfo is not None
        assert abs((row.created_at - now).total_seconds()) < 1
