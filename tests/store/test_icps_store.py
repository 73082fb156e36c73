"""ICP versions: edits that keep the version still replace the stored text, versions are applied by an
unambiguous prefix, and two registrations at once store one row."""

from __future__ import annotations

import pytest
from store_support import race

from scoring.config import builtin_icp_text, load_icp_text
from store.db import Database
from store.errors import NotFound, StoreError
from store.icps import active_icp, apply_icp, list_icps, register_icp, rollback_icp
from store.models import IcpVersionRow

DEFAULT = builtin_icp_text("default")
EDITED = DEFAULT.replace("Owns the budget for operations programmes.", "Signs off every plant investment.")
REWEIGHTED = DEFAULT.replace("weight: 15", "weight: 16", 1)


def test_an_edited_persona_replaces_the_stored_text_under_the_same_version(ws_db: Database) -> None:
    assert EDITED != DEFAULT
    with ws_db.session() as s:
        first = register_icp(s, "w", DEFAULT, source="default.yaml")
        apply_icp(s, "w", first.version)
    with ws_db.session() as s:
        again = register_icp(s, "w", EDITED, source="mine.yaml")
    with ws_db.session() as s:
        cfg, row = active_icp(s, "w")
        stored = list_icps(s, "w")
    assert again.version == first.version
    assert len(stored) == 1
    assert row is not None and (row.source, row.active) == ("mine.yaml", True)
    assert cfg.personas["decision_maker"].description == "Signs off every plant investment."


def test_a_changed_weight_is_a_new_version(ws_db: Database) -> None:
    with ws_db.session() as s:
        a = register_icp(s, "w", DEFAULT, source="a")
        b = register_icp(s, "w", REWEIGHTED, source="b")
        assert a.version != b.version
        assert len(list_icps(s, "w")) == 2


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "at least 4 of its first characters"),
        ("abc", "at least 4 of its first characters"),
        ("ffffffff", "no ICP version 'ffffffff'"),
    ],
)
def test_a_version_needs_a_unique_prefix_of_four_characters(ws_db: Database, query: str, error: str) -> None:
    with ws_db.session() as s:
        register_icp(s, "w", DEFAULT, source="a")
        with pytest.raises(NotFound, match=error):
            apply_icp(s, "w", query)


def test_rollback_to_an_empty_version_is_refused(ws_db: Database) -> None:
    with ws_db.session() as s:
        a = register_icp(s, "w", DEFAULT, source="a")
        b = register_icp(s, "w", REWEIGHTED, source="b")
        apply_icp(s, "w", a.version)
        apply_icp(s, "w", b.version)
        with pytest.raises(NotFound):
            rollback_icp(s, "w", to="")
        assert active_icp(s, "w")[1] is b


def test_a_prefix_two_versions_share_is_refused_and_a_unique_one_applies(ws_db: Database) -> None:
    cfg = load_icp_text(DEFAULT)
    with ws_db.session() as s:
        real = register_icp(s, "w", DEFAULT, source="a")
        # a second stored version sharing the first six characters; only its prefix matters here
        twin = cfg.version[:6] + ("0" if cfg.version[6] != "0" else "1") * 6
        s.add(IcpVersionRow(workspace_id="w", version=twin, name="x", yaml=DEFAULT, created_at=real.created_at))
        s.flush()
        with pytest.raises(StoreError, match="starts 2 ICP versions"):
            apply_icp(s, "w", cfg.version[:6])
        assert apply_icp(s, "w", cfg.version[:7]) is real


def test_a_registration_while_another_is_uncommitted_waits_and_stores_one_version(ws_db: Database) -> None:
    errors = race(ws_db, lambda s: register_icp(s, "w", DEFAULT, source="default"))
    assert errors == []
    with ws_db.session() as s:
        assert len(list_icps(s, "w")) == 1
