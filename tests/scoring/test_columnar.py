"""The columnar engine agrees with `score_account` on every account, status and number."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.columnar import (
    EMPTY,
    EVENT_TYPES,
    FIRST_VALUE,
    LIST,
    NO_DATA,
    STATUS_BY_CODE,
    STATUS_CODE,
    AccountTable,
    ColumnarError,
    ColumnarLedger,
    EventColumn,
    FieldColumn,
    TokenLists,
    _round6,
    canonical_vocab,
    score_columns,
)
from scoring.config import IcpConfig, load_icp
from scoring.domain import CriterionKind, EventType, Ledger, Origin, Profile, ProfileValue, Status, Tier
from scoring.scorer import score_account


def _without_evidence(ledger: Ledger) -> dict[str, Any]:
    data = ledger.model_dump()
    for line in data["lines"]:
        del line["values"], line["evidence"], line["quotes"]
    return data


def _assert_agrees(
    profiles: list[Profile], config: IcpConfig, as_of: date, scored_at: datetime, *, bitsets: bool = True
) -> tuple[ColumnarLedger, list[Ledger]]:
    """Asserts that arrays and materialised ledgers equal score_account's, account by account."""
    table = AccountTable.from_profiles(profiles, config=config, bitsets=bitsets)
    scored = score_columns(table, config=config, as_of=as_of, scored_at=scored_at)
    ledgers = [score_account(p, config=config, as_of=as_of, scored_at=scored_at) for p in profiles]
    for i, want in enumerate(ledgers):
        assert [STATUS_BY_CODE[s] for s in scored.status[i]] == [line.status for line in want.lines], i
        assert (scored.fit[i], scored.coverage[i]) == (want.fit, want.coverage), i
        assert scored.tier_of(i) is want.tier, i
        pot = None if math.isnan(scored.potential[i]) else float(scored.potential[i])
        assert pot == want.revenue_potential, i
        assert {"buying": bool(scored.buying[i]), "in_market": bool(scored.in_market[i])} == want.signals, i
        got = scored.ledger(i)
        assert _without_evidence(got) == _without_evidence(want), i
        assert [len(line.values) for line in got.lines] == [len(line.values) for line in want.lines], i
        assert scored.next_tier(i) == want.next_tier, i
    return scored, ledgers


@pytest.mark.parametrize(("seed", "bitsets"), [(1, True), (2, False)])
def test_columnar_agrees_with_score_account_on_messy_profiles(
    seed: int,
    bitsets: bool,
    all_matchers_icp: IcpConfig,
    random_profiles: Callable[[int, int], list[Profile]],
    as_of: date,
    scored_at: datetime,
) -> None:
    scored, ledgers = _assert_agrees(random_profiles(900, seed), all_matchers_icp, as_of, scored_at, bitsets=bitsets)
    layouts = {c.tokens.bits is not None for c in scored.table.columns.values() if c.tokens is not None}
    assert layouts == {bitsets}
    # the sample covers what the agreement must hold for
    for j, c in enumerate(all_matchers_icp.criteria):
        seen = Counter(STATUS_BY_CODE[s] for s in scored.status[:, j])
        hit = Status.DISQUALIFIED if c.kind is CriterionKind.DISQUALIFIER else Status.MET
        assert seen[hit] and seen[Status.UNMET] and seen[Status.UNKNOWN], (c.id, seen)
    assert set(Counter(scored.tier_of(i) for i in range(len(scored)))) == set(Tier)
    assert {-1, 0, 1, 2, 3} <= set(scored.potential_source.tolist())
    assert any(lg.unproven for lg in ledgers) and any(lg.dealbreakers for lg in ledgers)
    assert scored.buying.any() and not scored.buying.all() and scored.in_market.any()
    assert any(lg.next_tier and lg.next_tier.reachable for lg in ledgers)
    assert any(line.reason.endswith("known to be empty") for lg in ledgers for line in lg.lines)
    assert any(line.reason.endswith("is not a number") for lg in ledgers for line in lg.lines)


@pytest.mark.parametrize("name", ["default", "maven"])
def test_columnar_agrees_on_the_shipped_icps(
    name: str, random_profiles: Callable[[int, int], list[Profile]], as_of: date, scored_at: datetime
) -> None:
    _assert_agrees(random_profiles(300, 3), load_icp(name), as_of, scored_at)


def test_token_lists_as_bits_and_as_csr_hold_the_same_rows() -> None:
    vocab = ("sap", "slack", "odoo")
    csr = TokenLists(vocab, indptr=np.array([0, 2, 2, 3], np.int64), indices=np.array([0, 1, 2], np.int32))
    bits = TokenLists(vocab, bits=np.array([0b011, 0, 0b100], np.uint64))
    for wanted in ({"sap"}, {"odoo", "slack"}, {"nope"}, set()):
        assert csr.any_of(wanted).tolist() == bits.any_of(wanted).tolist()
    assert [csr.row(i) for i in range(3)] == [bits.row(i) for i in range(3)] == [["sap", "slack"], [], ["odoo"]]
    with pytest.raises(ColumnarError, match="at most 64"):
        TokenLists(tuple(f"t{i}" for i in range(65)), bits=np.zeros(3, np.uint64))


def test_rescoring_the_same_table_with_new_weights_agrees(
    all_matchers_icp: IcpConfig,
    random_profiles: Callable[[int, int], list[Profile]],
    as_of: date,
    scored_at: datetime,
) -> None:
    profiles = random_profiles(200, 4)
    table = AccountTable.from_profiles(profiles, config=all_matchers_icp)
    rng = random.Random(4)
    crits = [
        c
        if c.kind is CriterionKind.DISQUALIFIER
        else c.model_copy(update={"weight": rng.choice([0, 0.1, 0.2, 7, 33.3])})
        for c in all_matchers_icp.criteria
    ]
    reweighted = IcpConfig.model_validate(
        {**all_matchers_icp.model_dump(), "criteria": [c.model_dump() for c in crits]}
    )
    scored = score_columns(table, config=reweighted, as_of=as_of, scored_at=scored_at)
    for i, p in enumerate(profiles):
        want = score_account(p, config=reweighted, as_of=as_of, scored_at=scored_at)
        assert (scored.fit[i], scored.coverage[i], scored.tier_of(i)) == (want.fit, want.coverage, want.tier)
        assert _without_evidence(scored.ledger(i)) == _without_evidence(want)


words = st.sampled_from(["SAP", "sap ", "Slack", "salesforce", "multi-site", "lean", "NO", "yes", "1", "0", ""])
any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    words,
    st.lists(st.one_of(words, st.text(max_size=6), st.integers(0, 3), st.none()), max_size=4),
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["industry", "technologies", "priorities", "revenue", "employees",
                                                  "custom.partner", "custom.seats", "competitors", "structure",
                                                  "revenue_potential", "country"]), any_value), min_size=1, max_size=12))  # fmt: skip
def test_columnar_agrees_on_arbitrary_values(
    rows: list[dict[str, Any]], all_matchers_icp: IcpConfig, as_of: date, scored_at: datetime
) -> None:
    profiles = [
        Profile(account_id=i, fields={k: ProfileValue(value=v, origin=Origin.CRM) for k, v in row.items()})
        for i, row in enumerate(rows)
    ]
    _assert_agrees(profiles, all_matchers_icp, as_of, scored_at)


def test_values_are_reduced_to_what_the_columns_know(
    all_matchers_icp: IcpConfig, make_profile: Callable[..., Profile], make_event: Callable[..., Any], as_of: date
) -> None:
    profile = make_profile(
        {"industry": " Software ", "technologies": ["SAP", "Slack"], "revenue": "2,000,000", "parent_company": ""},
        events=[make_event("funding", 3), make_event("ipo", 40)],
    )
    got = score_columns(
        AccountTable.from_profiles([profile], config=all_matchers_icp), config=all_matchers_icp, as_of=as_of
    ).ledger(0)
    assert got.line("industry_fit").values == ["software"]
    assert got.line("erp").values == [["sap", "slack"]]
    assert got.line("revenue_band").values == [2_000_000.0]
    assert got.line("part_of_group").values == [None]
    assert got.line("funding_recent").values == ["funding on 2026-01-12", "ipo on 2025-12-06"]
    assert all(line.evidence == [] and line.quotes == [] for line in got.lines)
    assert got.scored_at == datetime(2026, 1, 15, tzinfo=UTC)  # as_of at midnight UTC unless given


def _fast_table() -> AccountTable:
    """Builds five accounts straight from arrays, as the benchmark does."""
    tech_vocab = canonical_vocab("technologies", ["SAP", "Slack", "Salesforce"])
    # rows: [SAP, Slack] · [] (known empty) · no data · [Salesforce, Slack] · [Slack]
    technologies = FieldColumn(
        codes=np.array([LIST, EMPTY, NO_DATA, LIST, LIST], np.int32),
        tokens=TokenLists(
            tech_vocab, indptr=np.array([0, 2, 2, 2, 4, 5], np.int64), indices=np.array([0, 1, 2, 1, 1], np.int32)
        ),
    )
    industry = FieldColumn(
        codes=np.array([FIRST_VALUE, FIRST_VALUE + 1, NO_DATA, EMPTY, FIRST_VALUE + 2], np.int32),
        vocab=canonical_vocab("industry", ["Software", "Retail", "Gambling"]),
    )
    events = EventColumn(
        indptr=np.array([0, 1, 1, 3, 3, 3], np.int64),
        types=np.array([EVENT_TYPES.index(t) for t in (EventType.FUNDING, EventType.IPO, EventType.LAYOFFS)], np.int8),
        days=np.array([date(2026, 1, 1).toordinal(), date(2024, 1, 1).toordinal(), 0], np.int32),
        materiality=np.array([0.5, 0.5, 0.5]),
    )
    return AccountTable(
        n=5,
        columns={
            "technologies": technologies,
            "industry": industry,
            "revenue": FieldColumn.from_numbers(np.array([2e6, np.nan, 5e5, 1e9, np.inf])),
        },
        events=events,
        monitored=np.array([False, False, True, False, True]),
    )


def test_table_built_from_arrays_scores_like_the_same_profiles(
    all_matchers_icp: IcpConfig, make_profile: Callable[..., Profile], make_event: Callable[..., Any], as_of: date
) -> None:
    profiles = [  # the same five accounts as _fast_table; as_of is 2026-01-15
        make_profile(
            {"technologies": ["SAP", "Slack"], "industry": "Software", "revenue": 2e6},
            events=[make_event("funding", 14)],
        ),
        make_profile({"technologies": [], "industry": "Retail"}),
        make_profile({"revenue": 5e5}, monitored=True, events=[make_event("ipo", 745), make_event("layoffs", None)]),
        make_profile({"technologies": ["Salesforce", "Slack"], "industry": "", "revenue": 1e9}),
        make_profile({"technologies": ["Slack"], "industry": "Gambling"}, monitored=True),  # revenue inf: no data
    ]
    fast = score_columns(_fast_table(), config=all_matchers_icp, as_of=as_of)
    slow = score_columns(
        AccountTable.from_profiles(profiles, config=all_matchers_icp), config=all_matchers_icp, as_of=as_of
    )
    assert fast.status.tolist() == slow.status.tolist()
    assert fast.fit.tolist() == slow.fit.tolist()
    assert fast.tier.tolist() == slow.tier.tolist()
    assert [_without_evidence(fast.ledger(i)) for i in range(5)] == [
        {**_without_evidence(slow.ledger(i)), "account_id": None} for i in range(5)
    ]


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (
            {"industry": FieldColumn.from_numbers(np.array([1.0, 2.0]))},
            "compares text but column industry has no codes",
        ),
        (
            {"revenue": FieldColumn(codes=np.array([FIRST_VALUE, NO_DATA], np.int32), vocab=("2e6",))},
            "compares numbers but column revenue has none",
        ),
        (
            {"technologies": FieldColumn(codes=np.array([LIST, LIST], np.int32))},
            "column technologies holds lists but has no tokens",
        ),
        ({"industry": FieldColumn.from_numbers(np.array([1.0, 2.0, 3.0]))}, "column industry does not have 2 rows"),
    ],
)
def test_a_table_missing_what_a_criterion_needs_is_an_error(
    columns: dict[str, FieldColumn], match: str, all_matchers_icp: IcpConfig, as_of: date
) -> None:
    with pytest.raises(ColumnarError, match=match):
        table = AccountTable(n=2, columns=columns, events=EventColumn.empty(2), monitored=np.zeros(2, np.bool_))
        score_columns(table, config=all_matchers_icp, as_of=as_of)


def test_missing_columns_are_unknown_everywhere(all_matchers_icp: IcpConfig, as_of: date) -> None:
    table = AccountTable(n=3, columns={}, events=EventColumn.empty(3), monitored=np.zeros(3, np.bool_))
    scored = score_columns(table, config=all_matchers_icp, as_of=as_of)
    assert (scored.status == STATUS_CODE[Status.UNKNOWN]).all()
    assert scored.fit.tolist() == [0.0] * 3
    assert scored.tier_counts() == {t: (3 if t is Tier.NOT_A_TARGET else 0) for t in Tier}


def test_status_codes_are_the_validation_codes() -> None:
    from scoring.validation import STATUS_CODES

    assert STATUS_CODE == STATUS_CODES


def test_round6_matches_python_round_including_near_halves() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.uniform(0, 100, 20_000),
            (rng.integers(0, 100_000_000, 20_000) + 0.5) / 1e6,  # decimal halves, as close as floats get
            100.0 * rng.integers(0, 60, 5_000) / rng.integers(1, 60, 5_000).clip(1),
            np.array([0.0, 100.0, 74.99999999999999, 33.33333333333333, 0.0000005, 99.9999995]),
        ]
    )
    values = values[values <= 100]
    assert _round6(values).tolist() == [round(float(v), 6) for v in values]


def test_tier_counts_add_up(
    all_matchers_icp: IcpConfig, random_profiles: Callable[[int, int], list[Profile]], as_of: date
) -> None:
    profiles = random_profiles(300, 5)
    scored = score_columns(
        AccountTable.from_profiles(profiles, config=all_matchers_icp), config=all_matchers_icp, as_of=as_of
    )
    counts = scored.tier_counts()
    assert sum(counts.values()) == 300
    assert counts == Counter(scored.tier_of(i) for i in range(300)) | {t: 0 for t in Tier if t not in counts}


def test_the_one_criterion_scored_by_columns(
    one_criterion_icp: Callable[..., IcpConfig], make_profile: Callable[..., Profile], as_of: date
) -> None:
    cfg = one_criterion_icp("custom.partner", "{equals: true}")
    rows = [{"custom.partner": v} for v in (True, "yes", 1, 1.0, "maybe", "", None, False)] + [{}]
    scored = score_columns(
        AccountTable.from_profiles([make_profile(r) for r in rows], config=cfg), config=cfg, as_of=as_of
    )
    assert [scored.status_of(i, "probe") for i in range(len(rows))] == [
        Status.MET, Status.MET, Status.MET, Status.MET, Status.UNMET,
        Status.UNKNOWN, Status.UNKNOWN, Status.UNMET, Status.UNKNOWN,
    ]  # fmt: skip
