"""Scores are listed best first and paged by the database; the ledger JSON is read only when asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from store_support import acct

from scoring.domain import Tier
from store.accounts import upsert_accounts
from store.db import Database
from store.models import ScoreRow
from store.scores import count_scores, list_scores

# (name, tier, fit) in the order list_scores must return them: tier rank, fit descending, name, id
RANKED = [
    ("Delta", Tier.TIER_1, 91.0),
    ("Alpha", Tier.TIER_1, 80.0),
    ("Bravo", Tier.TIER_1, 80.0),
    ("Echo", Tier.TIER_2, 95.0),  # a higher fit in a lower tier still comes after Tier 1
    ("Charlie", Tier.TIER_3, 60.0),
    ("Foxtrot", Tier.NOT_A_TARGET, 99.0),
    ("Golf", Tier.DISQUALIFIED, 99.5),
]


@pytest.fixture
def scored(ws_db: Database) -> Database:
    # stored in an order unlike the ranking, so that insertion order cannot pass for sorting
    shuffled = [RANKED[i] for i in (6, 2, 4, 0, 5, 1, 3)]
    with ws_db.session() as s:
        ids = upsert_accounts(s, "w", [acct(name) for name, _, _ in shuffled]).ids
        for account_id, (_, tier, fit) in zip(ids, shuffled, strict=True):
            s.add(
                ScoreRow(
                    account_id=account_id,
                    workspace_id="w",
                    icp_version="v1",
                    fit=fit,
                    coverage=100.0,
                    tier=tier.value,
                    ledger={"tier_reason": f"because {tier.value}"},
                    scored_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
    return ws_db


@pytest.mark.parametrize(("limit", "offset"), [(None, 0), (3, 0), (3, 2), (2, 6), (5, 10)])
def test_scores_come_best_first_and_page_in_order(scored: Database, limit: int | None, offset: int) -> None:
    with scored.session() as s:
        names = [a.name for a, _ in list_scores(s, "w", limit=limit, offset=offset)]
    end = None if limit is None else offset + limit
    assert names == [name for name, _, _ in RANKED][offset:end]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Delta", "Alpha", "Bravo", "Echo", "Charlie", "Foxtrot", "Golf"]),
        ({"tiers": [Tier.TIER_2, Tier.TIER_1]}, ["Delta", "Alpha", "Bravo", "Echo"]),
        ({"min_fit": 90.0}, ["Delta", "Echo", "Foxtrot", "Golf"]),
        ({"max_fit": 80.0}, ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_filters_apply_to_the_list_and_the_count(
    scored: Database, filters: dict[str, object], expected: list[str]
) -> None:
    with scored.session() as s:
        names = [a.name for a, _ in list_scores(s, "w", **filters)]  # type: ignore[arg-type]
        total = count_scores(s, "w", **filters)  # type: ignore[arg-type]
    assert names == expected
    assert total == len(expected)


def test_the_ledger_is_loaded_only_when_asked_for(scored: Database) -> None:
    with scored.session() as s:
        (_, lean), *_ = list_scores(s, "w", limit=1)
        assert "ledger" in inspect(lean).unloaded
    with scored.session() as s:
        (_, full), *_ = list_scores(s, "w", limit=1, with_ledger=True)
        assert "ledger" not in inspect(full).unloaded
    assert full.ledger == {"tier_reason": "because Tier 1"}


def test_another_workspaces_scores_are_not_listed_or_counted(scored: Database) -> None:
    scored.ensure_workspace("other")
    with scored.session() as s:
        assert list_scores(s, "other") == []
        assert count_scores(s, "other") == 0
