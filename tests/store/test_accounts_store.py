"""Accounts upsert by CRM id, domain or name, and are found by id, domain or name, per workspace."""

from __future__ import annotations

import pytest

from scoring.domain import Account
from store.accounts import AmbiguousAccount, find_account, list_accounts, upsert_accounts
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
