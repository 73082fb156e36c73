"""Helpers for store tests: upsert items from keyword lists, CRM files from lines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from scoring.domain import Account
from store.db import Database


def acct(name: str, **fields: object) -> tuple[Account, frozenset[str]]:
    """Returns an upsert item: an account and no known-empty fields."""
    return Account.model_validate({"name": name, **fields}), frozenset()


def csv_bytes(*lines: str) -> bytes:
    """Returns CSV file bytes from its lines."""
    return ("\n".join(lines) + "\n").encode()


def race(db: Database, work: Callable[[Session], object], *, head_start: float = 0.3) -> list[BaseException]:
    """Runs `work` in an open transaction, starts it again in a second thread, then commits the first.

    The second thread reads while the first has written but not committed: without a lock it
    would miss the first one's rows. Returns what the second thread raised.
    """
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with db.session() as s:
                work(s)
        except BaseException as exc:  # reported to the caller
            errors.append(exc)

    thread = threading.Thread(target=second)
    with db.session() as s:
        work(s)
        thread.start()
        time.sleep(head_start)
    thread.join(timeout=30)
    return errors
