"""Columnar scoring: a whole market scored at once with numpy, each ledger materialised on demand.

A team's addressable market can be a million companies, rescored whenever a weight changes.
`score_columns` evaluates every criterion as one vectorised pass over an `AccountTable` and keeps
the outcome as arrays (`ColumnarLedger`); `ColumnarLedger.ledger(i)` builds the same `Ledger`
that `score_account` builds for account i: statuses, points, fit, coverage, potential, signals,
tier, reasons and next tier are identical. What differs is what columns cannot hold:

- `values` hold the canonical form of a value (`"sap"` for "SAP "), numbers as floats, and for
  events `"<type> on <date>"` without the summary;
- `evidence` and `quotes` are empty (fetch them from the profile when a rep opens the account).

The table layout (`AccountTable`, `FieldColumn`, `TokenLists`, `EventColumn`) lives in
`scoring.account_table` and is re-exported here; one table serves every rescoring.

    >>> from datetime import date
    >>> from scoring.config import load_icp
    >>> from scoring.domain import Account
    >>> from scoring.profiles import profile_from_account
    >>> cfg = load_icp("default")
    >>> table = AccountTable.from_profiles([profile_from_account(Account(name="A", industry="Automotive"))], config=cfg)
    >>> scored = score_columns(table, config=cfg, as_of=date(2026, 1, 1))
    >>> scored.ledger(0).line("industry_fit").status.value
    'met'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
from numpy.typing import NDArray

from scoring.account_table import (
    EMPTY,
    EVENT_TYPES,
    FIRST_VALUE,
    LIST,
    MAX_BITS,
    NO_DATA,
    VALUE,
    AccountTable,
    BoolArray,
    ColumnarError,
    EventColumn,
    FieldColumn,
    FloatArray,
    Int8Array,
    Int32Array,
    TokenLists,
    any_per_row,
    canonical_vocab,
)
from scoring.config import EVENT_FIELD, Criterion, IcpConfig
from scoring.domain import CriterionKind, JsonValue, Ledger, LedgerLine, NextTier, Status, Tier
from scoring.matchers import empty_is_unknown, reads_number, scalar_matches, wanted_values
from scoring.money import Currencies
from scoring.scorer import line_reason
from scoring.tiers import (
    CriterionState,
    assign_tier,
    find_next_tier,
    fit_percent,
    potential_source,
    summarise_states,
    tier_inputs,
)

__all__ = [
    "EMPTY",
    "EVENT_TYPES",
    "FIRST_VALUE",
    "LIST",
    "MAX_BITS",
    "NO_DATA",
    "STATUS_BY_CODE",
    "STATUS_CODE",
    "TIER_BY_RANK",
    "VALUE",
    "AccountTable",
    "ColumnarError",
    "ColumnarLedger",
    "EventColumn",
    "FieldColumn",
    "TokenLists",
    "canonical_vocab",
    "score_columns",
]

# The same codes as scoring.validation.STATUS_CODES, so a status matrix feeds validation as is.
STATUS_CODE: dict[Status, int] = {Status.MET: 0, Status.UNMET: 1, Status.UNKNOWN: 2, Status.DISQUALIFIED: 3}
STATUS_BY_CODE: tuple[Status, ...] = (Status.MET, Status.UNMET, Status.UNKNOWN, Status.DISQUALIFIED)
TIER_BY_RANK: dict[int, Tier] = {t.rank: t for t in Tier}
_MET, _UNMET, _UNKNOWN, _DISQ = 0, 1, 2, 3
_NEEDS_TOKENS, _NEEDS_TEXT = 100, 101  # placeholders in a text matcher's lookup table
_MAX_WHOLE_TOTAL = 1_000_000  # whole total weights up to this get a percentage lookup table


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnarLedger:
    """The scores of a whole table: arrays per account, and `ledger(i)` for one account's ledger.

    `status` is (accounts × criteria) int8 in `STATUS_CODE`, columns in the ICP's criteria order;
    `tier` holds `Tier.rank` (1 = Tier 1 … 5 = Disqualified); `potential` is NaN when unknown and
    `potential_source` is -1 (none), 0 (the column) or i (rule i).
    """

    config: IcpConfig
    table: AccountTable
    as_of: date
    scored_at: datetime
    status: Int8Array
    fit: FloatArray
    coverage: FloatArray
    tier: Int8Array
    potential: FloatArray
    potential_source: NDArray[np.int16]
    buying: BoolArray
    in_market: BoolArray
    criteria: tuple[str, ...]

    def __len__(self) -> int:
        return self.table.n

    def tier_of(self, i: int) -> Tier:
        """Returns account i's tier."""
        return TIER_BY_RANK[int(self.tier[i])]

    def status_of(self, i: int, criterion_id: str) -> Status:
        """Returns the status of one criterion for account i."""
        return STATUS_BY_CODE[int(self.status[i, self.criteria.index(criterion_id)])]

    def tier_counts(self) -> dict[Tier, int]:
        """Returns how many accounts are in each tier, best first."""
        counts = np.bincount(self.tier, minlength=6)
        return {t: int(counts[t.rank]) for t in Tier}

    def next_tier(self, i: int) -> NextTier | None:
        """Returns what would move account i up, as `score_account` computes it."""
        states = self._states(i)
        inputs = tier_inputs(states, config=self.config, potential=self._potential(i))
        tier, _ = assign_tier(inputs, config=self.config)
        return find_next_tier(states, inputs, tier, config=self.config)

    def ledger(self, i: int) -> Ledger:
        """Returns account i's ledger, equal to `score_account`'s but for values and evidence."""
        cfg = self.config
        states = self._states(i)
        potential = self._potential(i)
        inputs = tier_inputs(states, config=cfg, potential=potential)
        tier, reason = assign_tier(inputs, config=cfg)
        _, known = summarise_states(states)
        src = int(self.potential_source[i])
        lines = [self._line(i, c, s.status) for c, s in zip(cfg.criteria, states, strict=True)]
        ids, names = self.table.account_ids, self.table.names
        return Ledger(
            account_id=ids[i] if ids is not None else None,
            account_name=names[i] if names is not None else None,
            icp_version=cfg.version,
            scored_at=self.scored_at,
            as_of=self.as_of,
            fit=inputs.fit,
            coverage=fit_percent(known, cfg.total_weight),
            tier=tier,
            tier_reason=reason,
            revenue_potential=potential,
            potential_source=potential_source(src, config=cfg) if src >= 0 else None,
            signals={"buying": inputs.buying, "in_market": inputs.in_market},
            unproven=[s.id for s in states if s.kind is CriterionKind.MUST_HAVE and s.status is Status.UNKNOWN],
            dealbreakers=list(inputs.dealbreakers),
            disqualified_by=list(inputs.disqualified_by),
            lines=lines,
            next_tier=find_next_tier(states, inputs, tier, config=cfg),
        )

    def _states(self, i: int) -> list[CriterionState]:
        row = self.status[i]
        return [
            CriterionState(c.id, c.kind, c.weight, STATUS_BY_CODE[int(row[j])])
            for j, c in enumerate(self.config.criteria)
        ]

    def _potential(self, i: int) -> float | None:
        v = float(self.potential[i])
        return None if math.isnan(v) else v

    def _line(self, i: int, c: Criterion, status: Status) -> LedgerLine:
        scoring = c.kind is not CriterionKind.DISQUALIFIER
        values, reason = self._explain(i, c, status)
        money = self.table.money_reasons.get(c.field)
        if status is Status.UNKNOWN and money is not None and i in money:
            reason = money[i]
        return LedgerLine(
            id=c.id,
            label=c.title,
            dimension=c.dimension,
            kind=c.kind,
            field=c.field,
            status=status,
            weight=c.weight,
            points=c.weight if scoring and status is Status.MET else 0.0,
            values=values,
            reason=reason or line_reason(c.describe(), status),
        )

    def _explain(self, i: int, c: Criterion, status: Status) -> tuple[list[JsonValue], str]:
        """Returns the reduced values and the matcher's own reason (or "") for one line."""
        m = c.match
        if c.field == EVENT_FIELD:
            if status is Status.UNKNOWN:
                return [], "the account's news is not monitored"
            if m.recent is not None and status is Status.UNMET:
                return [], f"no matching event in the last {m.recent.within_days} days"
            if m.recent is not None:
                return _event_values(self.table.events, i, c, self.as_of), ""
            return [], ""
        col = self.table.columns.get(c.field)
        if col is None:
            return [], f"no data for {c.field}"
        state = _row_state(col, i)
        if state == NO_DATA:
            return [], f"no data for {c.field}"
        value = _reduced_value(col, i, numeric=reads_number(m))
        if m.exists is not None:
            return [value], ""
        if state == EMPTY:
            if empty_is_unknown(m):
                return [], f"no data for {c.field}"
            return [value], f"{c.field} is known to be empty"
        if status is Status.UNKNOWN:
            return [value], f"{c.field} is not a number"
        return [value], ""


def _row_state(col: FieldColumn, i: int) -> int:
    if col.codes is not None:
        return min(int(col.codes[i]), VALUE)
    return VALUE if col.number is not None and math.isfinite(col.number[i]) else NO_DATA


def _reduced_value(col: FieldColumn, i: int, *, numeric: bool) -> JsonValue:
    code = int(col.codes[i]) if col.codes is not None else VALUE
    num = float(col.number[i]) if col.number is not None else math.nan
    if code == EMPTY:
        return None
    if code == LIST:
        return list(col.tokens.row(i)) if col.tokens is not None else []
    if code >= FIRST_VALUE and not (numeric and math.isfinite(num)):
        return col.vocab[code - FIRST_VALUE]
    return num if math.isfinite(num) else None


def _event_values(events: EventColumn, i: int, c: Criterion, as_of: date) -> list[JsonValue]:
    lo, hi = int(events.indptr[i]), int(events.indptr[i + 1])
    hit = _event_hits(c, events.types[lo:hi], events.days[lo:hi], events.materiality[lo:hi], as_of)
    found = [lo + k for k in np.flatnonzero(hit)]
    found.sort(key=lambda k: int(events.days[k]), reverse=True)  # newest first, as the matcher lists them
    return [f"{EVENT_TYPES[int(events.types[k])].value} on {date.fromordinal(int(events.days[k]))}" for k in found]


def _event_hits(c: Criterion, types: Int8Array, days: Int32Array, materiality: FloatArray, as_of: date) -> BoolArray:
    recent = c.match.recent
    assert recent is not None
    wanted = np.zeros(len(EVENT_TYPES), np.bool_)
    wanted[[EVENT_TYPES.index(t) for t in recent.event]] = True
    age = np.int32(as_of.toordinal()) - days
    hit: BoolArray = wanted[types] & (days > 0) & (age >= 0) & (age <= recent.within_days)
    if recent.min_materiality > 0:
        hit &= materiality >= recent.min_materiality
    return hit


def score_columns(
    table: AccountTable, *, config: IcpConfig, as_of: date, scored_at: datetime | None = None
) -> ColumnarLedger:
    """Scores every account of a table against an ICP; `scored_at` defaults to as_of midnight UTC.

    Raises `ColumnarError` when the table converted money into other currencies than the ICP's.
    """
    if table.currencies is not None and table.currencies != (wanted := Currencies.of(config)):
        raise ColumnarError(
            f"the table holds money converted for {table.currencies.describe()}, but this ICP compares "
            f"{wanted.describe()}: build the table with AccountTable.from_profiles(profiles, config=<this ICP>)"
        )
    n, crits = table.n, config.criteria
    status = np.empty((n, len(crits)), dtype=np.int8, order="F")  # one contiguous column per criterion
    for j, c in enumerate(crits):
        s = _criterion_status(c, table, as_of=as_of)
        if c.kind is CriterionKind.DISQUALIFIER:
            s[s == _MET] = _DISQ
        status[:, j] = s
    fit, coverage = _fit_and_coverage(status, config)
    potential, source = _potential(table, config)
    buying, in_market = _signals(status, config)
    tier = _tiers(status, fit, potential, buying, in_market, config)
    return ColumnarLedger(
        config=config,
        table=table,
        as_of=as_of,
        scored_at=scored_at or datetime.combine(as_of, time(), UTC),
        status=status,
        fit=fit,
        coverage=coverage,
        tier=tier,
        potential=potential,
        potential_source=source,
        buying=buying,
        in_market=in_market,
        criteria=tuple(c.id for c in crits),
    )


def _fit_and_coverage(status: Int8Array, config: IcpConfig) -> tuple[FloatArray, FloatArray]:
    """Returns per account fit and coverage, bit-identical to `fit_percent(summarise_states(...))`."""
    scoring = [(j, c.weight) for j, c in enumerate(config.criteria) if c.kind is not CriterionKind.DISQUALIFIER]
    n, total = status.shape[0], config.total_weight
    if all(float(w).is_integer() for _, w in scoring) and total <= _MAX_WHOLE_TOTAL:
        # Whole weights add up exactly in any order and type, so sum them as int32 and look
        # each possible sum's percentage up in a table that Python's own round() filled.
        met = np.zeros(n, np.int32)
        known = np.zeros(n, np.int32)
        for j, w in scoring:
            met += (status[:, j] == _MET) * np.int32(w)
            known += (status[:, j] != _UNKNOWN) * np.int32(w)
        pct = np.array([fit_percent(float(k), total) for k in range(int(total) + 1)])
        return pct[met], pct[known]
    met_f = np.zeros(n)
    known_f = np.zeros(n)
    for j, w in scoring:  # criteria order, as summarise_states adds, so the floats are bit-identical
        met_f += (status[:, j] == _MET) * w
        known_f += (status[:, j] != _UNKNOWN) * w
    return _round6(100.0 * met_f / total), _round6(100.0 * known_f / total)


def _round6(x: FloatArray) -> FloatArray:
    """Rounds like Python's round(x, 6), element by element."""
    y = x * 1e6
    out: FloatArray = np.rint(y) / 1e6
    # Away from a half the scaled value rounds to the same integer as Python's exact decimal
    # rounding, and integer / 1e6 is correctly rounded; near a half, ask Python.
    near = np.abs(y - np.floor(y) - 0.5) < 1e-6
    for k in np.flatnonzero(near):
        out[k] = round(float(x[k]), 6)
    return out


def _known_ok(known: BoolArray, ok: BoolArray) -> Int8Array:
    """Returns MET where ok, UNMET where known but not ok, UNKNOWN elsewhere (ok implies known)."""
    out: Int8Array = np.full(known.shape, _UNKNOWN, np.int8)
    out -= known.view(np.int8)
    out -= ok.view(np.int8)
    return out


def _criterion_status(c: Criterion, table: AccountTable, *, as_of: date) -> Int8Array:
    m = c.match
    if c.field == EVENT_FIELD:
        return _event_status(c, table, as_of=as_of)
    col = table.columns.get(c.field)
    if col is None:
        return np.full(table.n, _UNKNOWN, np.int8)
    if m.exists is not None:
        found, blank = (_MET, _UNMET) if m.exists else (_UNMET, _MET)
        if col.codes is None:
            return np.where(col.state() == VALUE, found, _UNKNOWN).astype(np.int8)
        lut = np.full(FIRST_VALUE + len(col.vocab), found, np.int8)
        lut[[NO_DATA, EMPTY]] = [_UNKNOWN, blank]
        exists: Int8Array = lut[col.codes]
        return exists
    if reads_number(m):
        if col.number is None:
            raise ColumnarError(f"criterion {c.id} compares numbers but column {c.field} has none")
        num = col.number
        known = np.isfinite(num)
        ok = known.copy()
        if m.range is not None:
            if m.range.min is not None:
                ok &= num >= m.range.min
            if m.range.max is not None:
                ok &= num <= m.range.max
        else:
            assert isinstance(m.equals, float | int)
            ok &= num == float(m.equals)
        return _known_ok(known, ok)
    if isinstance(m.equals, bool):
        if col.truth is None:
            raise ColumnarError(f"criterion {c.id} compares with {m.equals} but column {c.field} has no truth facet")
        known = col.codes >= LIST if col.codes is not None else col.state() == VALUE
        return _known_ok(known, known & (col.truth == int(m.equals)))
    return _text_status(c, col)


def _text_status(c: Criterion, col: FieldColumn) -> Int8Array:
    if col.codes is None:
        raise ColumnarError(f"criterion {c.id} compares text but column {c.field} has no codes")
    lut = np.empty(FIRST_VALUE + len(col.vocab), np.int8)
    lut[[NO_DATA, EMPTY, LIST, VALUE]] = [_UNKNOWN, _UNMET, _NEEDS_TOKENS, _NEEDS_TEXT]
    lut[FIRST_VALUE:] = [_MET if scalar_matches(c, text) else _UNMET for text in col.vocab]
    out: Int8Array = lut[col.codes]
    if bool((out >= _NEEDS_TOKENS).any()):  # one pass over int8, cheaper than two over the codes
        if bool((out == _NEEDS_TEXT).any()):
            raise ColumnarError(f"criterion {c.id} compares text but column {c.field} keeps no text for some values")
        if col.tokens is None:
            raise ColumnarError(f"column {c.field} holds lists but has no tokens")
        wanted = wanted_values(c)
        # one_of / equals / contains_any need one wanted element; contains_all needs each of them
        if c.match.contains_all is not None:
            ok = np.ones(len(out), np.bool_)
            for w in wanted:
                ok &= col.tokens.any_of({w})
        else:
            ok = col.tokens.any_of(set(wanted))
        out = np.where(out == _NEEDS_TOKENS, (~ok).view(np.int8), out)  # MET is 0, UNMET 1
    return out


def _event_status(c: Criterion, table: AccountTable, *, as_of: date) -> Int8Array:
    ev, monitored = table.events, table.monitored
    if c.match.exists is not None:
        found = ev.indptr[1:] > ev.indptr[:-1]
        known = found | monitored
        return _known_ok(known, known & (found == c.match.exists))
    hit = _event_hits(c, ev.types, ev.days, ev.materiality, as_of)
    any_hit = any_per_row(hit, ev.indptr)
    return _known_ok(any_hit | monitored, any_hit)


def _number_facet(table: AccountTable, name: str) -> FloatArray | None:
    col = table.columns.get(name)
    if col is None:
        return None
    if col.number is None:
        raise ColumnarError(f"revenue potential reads {name}, but its column has no numbers")
    return col.number


def _potential(table: AccountTable, config: IcpConfig) -> tuple[FloatArray, NDArray[np.int16]]:
    """Returns the revenue potential (NaN when unknown) and its source, as `revenue_potential` decides."""
    pot = config.potential
    conds: list[BoolArray] = []
    values: list[FloatArray | float] = []
    sources: list[int] = []
    finite: dict[str, BoolArray] = {}
    if pot.field and (num := _number_facet(table, pot.field)) is not None:
        conds.append(finite.setdefault(pot.field, np.isfinite(num)))
        values.append(num)
        sources.append(0)
    for k, rule in enumerate(pot.rules):
        num = _number_facet(table, rule.field)
        if num is None:
            continue
        ok = finite.setdefault(rule.field, np.isfinite(num)).copy()
        if rule.min is not None:
            ok &= num >= rule.min
        if rule.max is not None:
            ok &= num <= rule.max
        conds.append(ok)
        values.append(rule.value)
        sources.append(k + 1)
    if not conds:
        return np.full(table.n, np.nan), np.full(table.n, -1, np.int16)
    # np.select takes the first condition that holds: the column first, then the rules in order
    value: FloatArray = np.select(conds, values, np.nan)
    source: NDArray[np.int16] = np.select(conds, [np.int16(v) for v in sources], np.int16(-1))
    return value, source


def _any_status(status: Int8Array, cols: list[int], code: int) -> BoolArray:
    out = np.zeros(status.shape[0], np.bool_)
    for j in cols:
        out |= status[:, j] == code
    return out


def _signals(status: Int8Array, config: IcpConfig) -> tuple[BoolArray, BoolArray]:
    index = {c.id: j for j, c in enumerate(config.criteria)}
    buying = _any_status(status, [index[i] for i in config.signals.buying], _MET)
    in_market = buying | _any_status(status, [index[i] for i in config.signals.in_market], _MET)
    return buying, in_market


def _tiers(
    status: Int8Array,
    fit: FloatArray,
    potential: FloatArray,
    buying: BoolArray,
    in_market: BoolArray,
    config: IcpConfig,
) -> Int8Array:
    """Returns tier ranks, deciding exactly as `assign_tier` does."""
    kinds = [c.kind for c in config.criteria]
    disq = _any_status(status, [j for j, k in enumerate(kinds) if k is CriterionKind.DISQUALIFIER], _DISQ)
    deal = _any_status(status, [j for j, k in enumerate(kinds) if k is CriterionKind.MUST_HAVE], _UNMET)
    tier = np.full(len(fit), Tier.NOT_A_TARGET.rank, np.int8)
    open_ = ~disq & ~deal & (fit >= config.threshold)
    unknown_pot = np.isnan(potential)
    for rule in config.ordered_tiers:
        ok = open_ & (fit >= rule.min_fit)
        if rule.min_potential is not None:
            ok &= (potential >= rule.min_potential) | (unknown_pot & (not config.potential.unknown_blocks))
        if rule.requires == "buying":
            ok &= buying
        elif rule.requires == "in_market":
            ok &= in_market
        tier[ok] = rule.tier.rank
        open_ &= ~ok
    tier[disq] = Tier.DISQUALIFIED.rank
    return tier
