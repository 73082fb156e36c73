"""Opportunities link to the account they name (CRM id, domain, unique name), also when imported first, and
deals without an id are stored once each, however often they are exported."""

from __future__ import annotations

import hashlib

import pytest
from store_support import acct, csv_bytes, race

from scoring.crm import AccountRef, parse_opportunities_csv
from scoring.domain import Opportunity, Outcome
from store.accounts import upsert_accounts
from store.db import Database
from store.models import OpportunityRow
from store.opportunities import (
    decode_account_ref,
    encode_account_ref,
    list_opportunities,
    relink_opportunities,
    unlinked_reasons,
    upsert_opportunities,
)

HEADER = "Opportunity ID,Account Name,Account ID,Account Domain,Stage,Amount,Created Date,Close Date,Product"


def _accounts(db: Database) -> dict[str, int]:
    with db.session() as s:
        ids = upsert_accounts(
            s,
            "w",
            [
                acct("Alpha", crm_id="001", domain="alpha.com"),
                acct("Beta", crm_id="002", domain="beta.com"),
                acct("Twin", domain="twin-east.com"),
                acct("Twin", domain="twin-west.com"),
            ],
        ).ids
    return dict(zip(["alpha", "beta", "twin-east", "twin-west"], ids, strict=True))


def _opps(*lines: str) -> bytes:
    return csv_bytes(HEADER, *lines)


DEALS = _opps(
    "D1,,001,,Closed Won,100,2024-01-01,2024-02-01,A",  # CRM id only
    "D2,,,beta.com,Closed Lost,200,2024-01-02,2024-02-02,B",  # domain only
    "D3,Alpha,,,Closed Won,300,2024-01-03,2024-02-03,C",  # a unique name
    "D4,Twin,,,Closed Won,400,2024-01-04,2024-02-04,D",  # a name two accounts share
    "D5,Nobody,,,Closed Lost,500,2024-01-05,2024-02-05,E",  # no such account
)


def test_deals_link_by_crm_id_domain_or_unique_name_and_report_the_rest(ws_db: Database) -> None:
    ids = _accounts(ws_db)
    parsed = parse_opportunities_csv(DEALS)
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", parsed.opportunities)
        linked = {r.crm_id: r.account_id for r in list_opportunities(s, "w")}
    assert linked == {"D1": ids["alpha"], "D2": ids["beta"], "D3": ids["alpha"], "D4": None, "D5": None}
    assert (counts.linked, counts.unlinked) == (3, 2)
    assert counts.unmatched == [
        (5, "account name 'Twin' matches 2 accounts; give its CRM id or domain"),
        (6, "no account 'Nobody' in this workspace; import the accounts first"),
    ]


def test_deals_imported_before_their_accounts_are_linked_by_a_relink(ws_db: Database) -> None:
    parsed = parse_opportunities_csv(DEALS)
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", parsed.opportunities)
    assert (counts.linked, counts.unlinked) == (0, 5)
    ids = _accounts(ws_db)
    with ws_db.session() as s:
        relinked = relink_opportunities(s, "w")
    with ws_db.session() as s:
        linked = {r.crm_id: r.account_id for r in list_opportunities(s, "w")}
    assert relinked == 3
    assert linked == {"D1": ids["alpha"], "D2": ids["beta"], "D3": ids["alpha"], "D4": None, "D5": None}


@pytest.mark.parametrize(
    "ref",
    [
        AccountRef(name="Acme"),
        AccountRef(crm_id="001"),
        AccountRef(domain="acme.com", name="Acme"),
        AccountRef(name='{"not": "json"'),
        AccountRef(name='{"crm_id": "x"}'),
        AccountRef(name="Acme", domain="acme.com", crm_id="001"),
    ],
)
def test_an_account_reference_survives_storage(ref: AccountRef) -> None:
    assert decode_account_ref(encode_account_ref(ref)) == ref


def test_a_name_only_reference_is_stored_as_the_plain_name() -> None:
    assert encode_account_ref(AccountRef(name="Acme Corp")) == "Acme Corp"
    assert encode_account_ref(AccountRef()) is None


def test_two_identical_deals_without_an_id_are_two_rows(ws_db: Database) -> None:
    _accounts(ws_db)
    deal = ",Alpha,,,Closed Won,100,2024-01-01,2024-02-01,GTX"
    parsed = parse_opportunities_csv(_opps(deal, deal))
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", parsed.opportunities)
        stored = list_opportunities(s, "w")
    assert len(stored) == 2
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 0)
    assert counts.outcomes == {"won": 2}
    assert counts.warnings == [
        (
            3,
            "rows 2, 3 have no opportunity id and name the same account, created date and product: they are told "
            "apart by their order in the file (add an opportunity id column, or keep the order)",
        )
    ]


def test_a_reexport_after_the_deal_closes_updates_the_same_row(ws_db: Database) -> None:
    _accounts(ws_db)
    open_deal = _opps(",Alpha,,,Negotiation,100,2024-01-01,,GTX", ",Beta,,,Prospecting,50,2024-01-09,,GTX")
    closed = _opps(",Alpha,,,Closed Won,120,2024-01-01,2024-03-01,GTX", ",Beta,,,Prospecting,50,2024-01-09,,GTX")
    with ws_db.session() as s:
        upsert_opportunities(s, "w", parse_opportunities_csv(open_deal).opportunities)
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", parse_opportunities_csv(closed).opportunities)
        stored = list_opportunities(s, "w")
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 1)
    assert sorted((r.outcome, r.amount) for r in stored) == [("open", 50), ("won", 120)]
    assert counts.outcomes == {"won": 1, "open": 1}


def test_a_deal_stored_under_the_old_content_key_is_adopted_not_doubled(ws_db: Database) -> None:
    _accounts(ws_db)
    deal = Opportunity(outcome=Outcome.WON, account_name="Alpha", amount=100, product="gtx")
    blob = "|".join(str(getattr(deal, f)) for f in ("account_name", "created", "closed", "amount", "product", "stage"))
    with ws_db.session() as s:
        s.add(
            OpportunityRow(
                workspace_id="w",
                crm_id="auto:" + hashlib.sha256(blob.encode()).hexdigest()[:24],
                account_name="Alpha",
                outcome="won",
                amount=100,
                product="gtx",
            )
        )
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", [deal])
        stored = list_opportunities(s, "w")
    assert len(stored) == 1
    assert (counts.created, counts.unchanged + counts.updated) == (0, 1)


def test_a_repeated_opportunity_id_is_one_row_and_a_warning(ws_db: Database) -> None:
    deals = [
        Opportunity(crm_id="X1", outcome=Outcome.OPEN, amount=1),
        Opportunity(crm_id="X1", outcome=Outcome.WON, amount=2),
    ]
    with ws_db.session() as s:
        counts = upsert_opportunities(s, "w", deals)
        stored = list_opportunities(s, "w")
    assert [(r.crm_id, r.outcome, r.amount) for r in stored] == [("X1", "won", 2)]
    assert counts.outcomes == {"won": 1}
    assert counts.warnings == [(None, "2 deals share the opportunity id 'X1': the last one is kept")]


def test_an_import_while_another_is_uncommitted_stores_each_deal_once(ws_db: Database) -> None:
    parsed = parse_opportunities_csv(DEALS)
    errors = race(ws_db, lambda s: upsert_opportunities(s, "w", parsed.opportunities))
    assert errors == []
    with ws_db.session() as s:
        assert len(list_opportunities(s, "w")) == 5


def test_unlinked_closed_deals_are_explained_by_reason(ws_db: Database) -> None:
    _accounts(ws_db)
    parsed = parse_opportunities_csv(DEALS + b"D6,,,,Prospecting,1,2024-01-06,,F\n")
    with ws_db.session() as s:
        upsert_opportunities(s, "w", parsed.opportunities)
        reasons = unlinked_reasons(s, "w")
    assert reasons == {
        "account name 'Twin' matches 2 accounts; give its CRM id or domain": 1,
        "no account 'Nobody' in this workspace; import the accounts first": 1,
    }
