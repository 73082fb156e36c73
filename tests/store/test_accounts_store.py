"""Accounts upsert by CRM id, domain or name, and are found by id, domain or name, per workspace."""

from __future__ import annotations

import pytest
from store_support import acct, race

from scoring.domain import Account
from store.accounts import AmbiguousAccount, count_accounts, find_account, list_accounts, upsert_accounts
from store.db import Database
from store.errors import NotFound


def _acct(name: str, **kw: object) -> tuple[Account, frozenset[str]]:
    return Account(name=name, **kw), frozenset()  # type: ignore[arg-type]


def test_reimport_updates_instead_of_duplicating(db: Database) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        first = upsert_accounts(s, "w", [_acct("Acme", domain="acme.com", employees=10), _acct("Beta", crm_id="B-1")])
    with db.session() as s:
        second = upsert_accounts(
            s, "w", [_acct("Acme Corp", domain="acme.com", employees=12), _acct("Beta", crm_id="B-1"), _acct("Gamma")]
        )
        rows = list_accounts(s, "w")
    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    assert sorted((r.name, r.employees) for r in rows) == [("Acme Corp", 12), ("Beta", None), ("Gamma", None)]


def test_name_match_does_not_merge_two_different_domains(db: Database) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        upsert_accounts(s, "w", [_acct("Acme", domain="acme.com")])
        counts = upsert_accounts(s, "w", [_acct("Acme", domain="acme.co.uk")])
        assert counts.created == 1
        assert len(list_accounts(s, "w")) == 2


def test_known_empty_fields_clear_a_stored_value(db: Database) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        upsert_accounts(s, "w", [_acct("Acme", parent_company="Big Co")])
        upsert_accounts(s, "w", [(Account(name="Acme"), frozenset({"parent_company"}))])
        row = list_accounts(s, "w")[0]
        assert row.parent_company is None
        assert "parent_company" in row.known_empty


@pytest.mark.parametrize(
    ("query", "expected"),
    [("acme.com", "Acme Corp"), ("ACME CORP", "Acme Corp"), ("Glob", "Globex"), ("crm-7", "Globex")],
)
def test_find_account_by_domain_name_prefix_or_crm_id(db: Database, query: str, expected: str) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        upsert_accounts(s, "w", [_acct("Acme Corp", domain="acme.com"), _acct("Globex", crm_id="crm-7")])
        assert find_account(s, "w", query).name == expected


def test_find_account_by_id_stays_inside_the_workspace(db: Database) -> None:
    db.ensure_workspace("a")
    db.ensure_workspace("b")
    with db.session() as s:
        ids = upsert_accounts(s, "a", [_acct("Secret Co", domain="secret.com")]).ids
        assert find_account(s, "a", str(ids[0])).name == "Secret Co"
        with pytest.raises(NotFound):
            find_account(s, "b", str(ids[0]))
        with pytest.raises(NotFound):
            find_account(s, "b", "secret.com")


def test_an_ambiguous_prefix_names_the_candidates(db: Database) -> None:
    db.ensure_workspace("w")
    with db.session() as s:
        upsert_accounts(s, "w", [_acct("Acme East"), _acct("Acme West")])
        with pytest.raises(AmbiguousAccount, match=r"Acme East.*Acme West"):
            find_account(s, "w", "acme")


def test_a_reimport_taking_another_accounts_domain_rejects_that_row_only(ws_db: Database) -> None:
    with ws_db.session() as s:
        upsert_accounts(s, "w", [acct("Alpha", crm_id="001", domain="alpha.com"), acct("Beta", crm_id="002")])
        upsert_accounts(s, "w", [acct("Beta", crm_id="002", domain="beta.com")])
    with ws_db.session() as s:
        counts = upsert_accounts(
            s,
            "w",
            [acct("Alpha", crm_id="001", domain="beta.com"), acct("Gamma", crm_id="003", domain="gamma.com")],
        )
        rows = {r.name: (r.crm_id, r.domain) for r in list_accounts(s, "w")}
    assert [index for index, _ in counts.rejected] == [0]
    assert "domain 'beta.com' already belongs to another account, Beta" in counts.rejected[0][1]
    assert counts.created == 1
    assert rows == {"Alpha": ("001", "alpha.com"), "Beta": ("002", "beta.com"), "Gamma": ("003", "gamma.com")}


def test_a_crm_id_moved_to_another_accounts_domain_is_rejected(ws_db: Database) -> None:
    with ws_db.session() as s:
        alpha, _ = upsert_accounts(
            s, "w", [acct("Alpha", crm_id="001", domain="alpha.com"), acct("Beta", crm_id="002", domain="beta.com")]
        ).ids
        counts = upsert_accounts(s, "w", [acct("Alpha", crm_id="002", domain="alpha.com")])
        rows = {r.name: (r.crm_id, r.domain) for r in list_accounts(s, "w")}
    assert counts.rejected == [
        (
            0,
            f"domain 'alpha.com' already belongs to another account, Alpha (id {alpha}, CRM id 001); "
            "row skipped: correct the export or that account first",
        )
    ]
    assert rows == {"Alpha": ("001", "alpha.com"), "Beta": ("002", "beta.com")}


def test_a_domain_freed_earlier_in_the_same_file_can_be_taken(ws_db: Database) -> None:
    with ws_db.session() as s:
        upsert_accounts(
            s, "w", [acct("Alpha", crm_id="001", domain="alpha.com"), acct("Beta", crm_id="002", domain="beta.com")]
        )
    with ws_db.session() as s:
        counts = upsert_accounts(
            s, "w", [acct("Beta", crm_id="002", domain="beta.de"), acct("Alpha", crm_id="001", domain="beta.com")]
        )
        rows = {r.name: r.domain for r in list_accounts(s, "w")}
    assert counts.rejected == []
    assert rows == {"Alpha": "beta.com", "Beta": "beta.de"}


def test_an_import_while_another_is_uncommitted_waits_and_stores_each_account_once(ws_db: Database) -> None:
    items = [acct(f"Company {i:02d}") for i in range(50)]
    errors = race(ws_db, lambda s: upsert_accounts(s, "w", items))
    assert errors == []
    with ws_db.session() as s:
        assert count_accounts(s, "w") == 50
