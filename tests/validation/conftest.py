"""Fixtures for validation from stored history: a workspace to fill, and a spy on the loader's calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from history_support import NOW, History

from api.services import Services
from api.settings import Settings


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """Returns an empty workspace with a fixed clock (one per test module)."""
    svc = Services.create(Settings(icp_home=tmp_path_factory.mktemp("history")), workspace="hist")
    svc.clock = lambda: NOW
    return History(svc)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[dict[str, Any]]]:
    """Returns `watch(name)`: records the keyword arguments of each call to a function of api.ops.validation."""
    import api.ops.validation as module

    def watch(name: str) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        real = getattr(module, name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append({"args": args, **kwargs})
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)
        return calls

    return watch
