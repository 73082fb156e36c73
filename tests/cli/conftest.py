"""CLI fixtures: a wide terminal, so that table cells are compared unwrapped."""

from __future__ import annotations

import pytest

from api.cli import common


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes the CLI's consoles 250 columns wide for the test."""
    monkeypatch.setattr(common.out, "width", 250)
    monkeypatch.setattr(common.err, "width", 250)
