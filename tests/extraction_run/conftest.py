"""Fixtures for extraction-run tests that build their own workspaces, accounts and documents."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from scope_support import Seed

from store.db import Database


@pytest.fixture(scope="module")
def scope_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Yields one migrated SQLite database for a test module (migrating costs about a second)."""
    database = Database.connect(f"sqlite:///{tmp_path_factory.mktemp('scope') / 'icp.db'}")
    yield database
    database.dispose()


@pytest.fixture
def seed(scope_db: Database) -> Seed:
    """Returns a seeder with its own workspace and document ids in the module's database."""
    return Seed(scope_db, uuid.uuid4().hex[:8])
