"""Accounts as columns: the table layout that `scoring.columnar` scores in one vectorised pass.

The table depends on the ICP only through its currencies (money is converted as the table is
built), not on the weights or the as-of date, so one table serves every rescoring. Each profile
field becomes a `FieldColumn` with up to four facets:

- `codes` (int32): `NO_DATA`, `EMPTY` (recorded blank), `LIST` (see `tokens`), `VALUE` (a scalar
  with no text kept) or `FIRST_VALUE + j` for the scalar whose canonical text is `vocab[j]`;
- `tokens`: the elements of list values against their own vocab, as a bitset per row (vocab of
  at most 64, one uint64 each) or as CSR (`indptr`, `indices`) for larger vocabularies;
- `number` (float64): the value as a number, NaN when it is none (`as_number` semantics);
- `truth` (int8): the value read as a boolean, 1/0, or -1 when it is not one.

Vocab entries are canonical values (`canonical_vocab`), as the matchers compare them. Events are
CSR too (type code, date ordinal with 0 for undated, materiality), not "days since the newest
event per type": an event dated after the as-of date and a materiality floor both need the
single events, and this keeps the table valid for any as-of date.

`AccountTable.from_profiles` fills every facet from profiles, with money converted into the
ICP's currencies; a caller holding arrays already (an export, the benchmark) builds the
`FieldColumn`s itself, with amounts already in those currencies, and only the facets its ICP reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from scoring.config import IcpConfig
from scoring.domain import EventType, JsonValue, Profile
from scoring.errors import ScoringError
from scoring.matchers import as_number, canonical_values, is_empty, truth_value
from scoring.money import Currencies, convert_money
from scoring.normalize import canonical_value

NO_DATA, EMPTY, LIST, VALUE, FIRST_VALUE = 0, 1, 2, 3, 4
MAX_BITS = 64
EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)

Int8Array = NDArray[np.int8]
Int32Array = NDArray[np.int32]
Int64Array = NDArray[np.int64]
UInt64Array = NDArray[np.uint64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def any_per_row(hit: BoolArray, indptr: Int64Array) -> BoolArray:
    """Returns, per CSR row, whether any of its entries is set (empty rows give False)."""
    cs = np.zeros(len(hit) + 1, np.int64)
    np.cumsum(hit, out=cs[1:])
    found: BoolArray = cs[indptr[1:]] > cs[indptr[:-1]]
    return found


class ColumnarError(ScoringError):
    """A table is malformed, or lacks a facet that a criterion needs."""


@dataclass(frozen=True, eq=False)
class TokenLists:
    """The elements of the list values of one field, per row, against a vocab of canonical values.

    As a bitset, row i holds the entries whose bit is set in `bits[i]`; as CSR, it holds
    `vocab[indices[indptr[i]:indptr[i + 1]]]`. Rows that hold no list are empty.
    """

    vocab: tuple[str, ...]
    bits: UInt64Array | None = None
    indptr: Int64Array | None = None
    indices: Int32Array | None = None

    def __post_init__(self) -> None:
        """Checks that exactly one layout is given and that a bitset can hold the vocab."""
        if (self.bits is None) == (self.indptr is None or self.indices is None):
            raise ColumnarError("token lists need either bits or indptr and indices")
        if self.bits is not None and len(self.vocab) > MAX_BITS:
            raise ColumnarError(f"a bitset holds at most {MAX_BITS} distinct values, not {len(self.vocab)}")

    def __len__(self) -> int:
        if self.bits is not None:
            return len(self.bits)
        return len(self.indptr) - 1 if self.indptr is not None else 0

    def row(self, i: int) -> list[str]:
        """Returns the canonical elements of row i."""
        if self.bits is not None:
            word = int(self.bits[i])
            return [v for j, v in enumerate(self.vocab) if word >> j & 1]
        assert self.indptr is not None and self.indices is not None
        return [self.vocab[j] for j in self.indices[self.indptr[i] : self.indptr[i + 1]]]

    def any_of(self, wanted: set[str]) -> BoolArray:
        """Returns, per row, whether it holds any of the wanted values."""
        if self.bits is not None:
            mask = np.uint64(sum(1 << j for j, v in enumerate(self.vocab) if v in wanted))
            found: BoolArray = (self.bits & mask) != 0
            return found
        assert self.indptr is not None and self.indices is not None
        return any_per_row(np.array([v in wanted for v in self.vocab], np.bool_)[self.indices], self.indptr)


@dataclass(frozen=True, eq=False)
class FieldColumn:
    """One profile field for every account; see the module docstring for the facets."""

    codes: Int32Array | None = None
    vocab: tuple[str, ...] = ()
    tokens: TokenLists | None = None
    number: FloatArray | None = None
    truth: Int8Array | None = None

    @classmethod
    def from_numbers(cls, values: FloatArray) -> FieldColumn:
        """Returns a numeric column: NaN (or any non-finite value) means no data."""
        return cls(number=np.ascontiguousarray(values, dtype=np.float64))

    def state(self) -> Int8Array:
        """Returns per row NO_DATA, EMPTY, LIST or VALUE (any scalar)."""
        if self.codes is not None:
            return np.minimum(self.codes, VALUE).astype(np.int8)
        if self.number is not None:
            return np.where(np.isfinite(self.number), VALUE, NO_DATA).astype(np.int8)
        raise ColumnarError("a column needs codes or numbers")

    def __len__(self) -> int:
        for arr in (self.codes, self.number, self.truth):
            if arr is not None:
                return len(arr)
        raise ColumnarError("a column needs codes or numbers")


@dataclass(frozen=True, eq=False)
class EventColumn:
    """Trigger events as CSR: row i's events are `indptr[i]:indptr[i + 1]` of the three arrays."""

    indptr: Int64Array
    types: Int8Array  # index into EVENT_TYPES
    days: Int32Array  # date.toordinal(); 0 when the event has no date
    materiality: FloatArray

    @classmethod
    def empty(cls, n: int) -> EventColumn:
        """Returns an event column in which no account has an event."""
        return cls(np.zeros(n + 1, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0, np.float64))


@dataclass(frozen=True, eq=False)
class AccountTable:
    """Profiles as columns: one `FieldColumn` per field, the events and the monitored flags.

    `currencies` is what money was converted into (None when the caller's arrays already hold
    amounts in the ICP's currencies); `money_reasons` gives, per field and row, why an amount
    could not be converted and is unknown.
    """

    n: int
    columns: Mapping[str, FieldColumn]
    events: EventColumn
    monitored: BoolArray
    account_ids: Sequence[int | None] | None = None
    names: Sequence[str | None] | None = None
    currencies: Currencies | None = None
    money_reasons: Mapping[str, Mapping[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Checks that every array has one entry per account."""
        for name, col in self.columns.items():
            if len(col) != self.n or (col.tokens is not None and len(col.tokens) != self.n):
                raise ColumnarError(f"column {name} does not have {self.n} rows")
        if len(self.monitored) != self.n or len(self.events.indptr) != self.n + 1:
            raise ColumnarError(f"events or monitored do not have {self.n} rows")

    @classmethod
    def from_profiles(
        cls,
        profiles: Sequence[Profile],
        *,
        config: IcpConfig,
        names: Sequence[str | None] | None = None,
        bitsets: bool = True,
    ) -> AccountTable:
        """Returns the table of a list of profiles, every facet of every field filled.

        Money is converted into the currencies of `config` exactly as `score_account` converts
        it; the table then scores against any ICP with the same currencies and rates
        (`score_columns` refuses another). List values become bitsets where a field has at most
        64 distinct elements (unless `bitsets` is False), CSR otherwise.
        """
        currencies = Currencies.of(config)
        reasons: dict[str, dict[int, str]] = {}
        converted: list[Profile] = []
        for i, p in enumerate(profiles):
            c = convert_money(p, currencies=currencies)
            converted.append(c.profile)
            for name, reason in c.reasons.items():
                reasons.setdefault(name, {})[i] = reason
        profiles = converted
        n = len(profiles)
        all_fields = sorted({f for p in profiles for f in p.fields})
        columns = {f: _build_column(f, profiles, bitsets=bitsets) for f in all_fields}
        return cls(
            n=n,
            columns=columns,
            events=_build_events(profiles),
            monitored=np.array([p.monitored for p in profiles], dtype=np.bool_),
            account_ids=[p.account_id for p in profiles],
            names=names,
            currencies=currencies,
            money_reasons=reasons,
        )


def canonical_vocab(field: str, raw: Sequence[JsonValue]) -> tuple[str, ...]:
    """Returns raw scalar values in the canonical form a column's vocab holds."""
    return tuple(canonical_value(field, str(v)) for v in raw)


def _build_column(name: str, profiles: Sequence[Profile], *, bitsets: bool) -> FieldColumn:
    n = len(profiles)
    codes = np.zeros(n, np.int32)
    number = np.full(n, np.nan)
    truth = np.full(n, -1, np.int8)
    vocab: dict[str, int] = {}
    token_vocab: dict[str, int] = {}
    lengths = np.zeros(n, np.int64)
    elements: list[int] = []
    for i, p in enumerate(profiles):
        pv = p.fields.get(name)
        if pv is None:
            continue
        value = pv.value
        if is_empty(value):
            codes[i] = EMPTY
            continue
        num = as_number(value)
        if num is not None:
            number[i] = num
        t = truth_value(value)
        if t is not None:
            truth[i] = int(t)
        if isinstance(value, list):
            codes[i] = LIST
            row = [token_vocab.setdefault(v, len(token_vocab)) for v in dict.fromkeys(canonical_values(name, value))]
            elements += row
            lengths[i] = len(row)
        else:
            text = canonical_value(name, str(value))
            codes[i] = FIRST_VALUE + vocab.setdefault(text, len(vocab))
    tokens = None
    if token_vocab or bool((codes == LIST).any()):
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.array(elements, np.int32)
        tokens = TokenLists(tuple(token_vocab), indptr=indptr, indices=indices)
        if bitsets and len(token_vocab) <= MAX_BITS:
            tokens = TokenLists(tuple(token_vocab), bits=_bits_from_csr(indptr, indices))
    return FieldColumn(codes=codes, vocab=tuple(vocab), tokens=tokens, number=number, truth=truth)


def _bits_from_csr(indptr: Int64Array, indices: Int32Array) -> UInt64Array:
    """Returns one uint64 per row with the bit of each of its elements set."""
    bits: UInt64Array = np.zeros(len(indptr) - 1, np.uint64)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    np.bitwise_or.at(bits, rows, np.left_shift(np.uint64(1), indices.astype(np.uint64)))
    return bits


def _build_events(profiles: Sequence[Profile]) -> EventColumn:
    code = {t: i for i, t in enumerate(EVENT_TYPES)}
    lengths = np.array([len(p.events) for p in profiles], np.int64)
    indptr = np.zeros(len(profiles) + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    evs = [e for p in profiles for e in p.events]
    return EventColumn(
        indptr=indptr,
        types=np.array([code[e.type] for e in evs], np.int8),
        days=np.array([w.toordinal() if (w := e.when) else 0 for e in evs], np.int32),
        materiality=np.array([e.materiality for e in evs], np.float64),
    )
