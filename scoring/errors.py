"""Errors raised by the scoring package.

ScoringError
├── IcpConfigError      an ICP file is invalid (messages name file, line and key)
├── ImportRowError      one CSV row cannot be imported (row number and reason)
├── CsvFormatError      a whole CSV file cannot be read (not a CSV, no header, bad encoding, bad --map)
└── ValidationDataError win/loss data cannot support the requested statistic
"""

from __future__ import annotations


class ScoringError(Exception):
    """Base of every scoring error."""


class IcpConfigError(ScoringError):
    """An ICP file is invalid; `messages` lists every problem found, one line each."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


class ImportRowError(ScoringError):
    """A CSV row cannot be imported."""

    def __init__(self, row: int, reason: str) -> None:
        self.row = row
        self.reason = reason
        super().__init__(f"row {row}: {reason}")


class ValidationDataError(ScoringError):
    """Win/loss data cannot support the requested statistic (for example no closed deals)."""


class CsvFormatError(ScoringError):
    """A CSV file cannot be read at all, or a column mapping does not fit it; bad rows never raise this."""
