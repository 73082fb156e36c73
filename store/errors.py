"""Errors raised by the store package.

StoreError
├── NotFound          no object with that id in this workspace
└── DatabaseUnavailable  the database URL cannot be reached or migrated
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error."""


class NotFound(StoreError):
    """No object with that id (or name) exists in this workspace."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached or migrated; the message says which URL and why."""
