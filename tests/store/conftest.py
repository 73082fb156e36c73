"""Store fixtures: the parametrized database with one workspace ready."""

from __future__ import annotations

import pytest

from store.db import Database


@pytest.fixture
def ws_db(db: Database) -> Database:
    """Returns the parametrized database (SQLite, and PostgreSQL when reachable) with workspace "w"."""
    db.ensure_workspace("w")
    return db
