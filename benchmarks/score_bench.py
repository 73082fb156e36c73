"""Benchmark: score generated accounts against a 20-criterion ICP with the columnar engine.

Prints accounts/s for `score_columns` (statuses, fit, coverage, potential, signals and tiers for
every account; any account's full ledger materialised on demand) beside a plain-numpy evaluation
of the same 20 criteria (met or not, weighted fit, tier by fit alone) run on the same arrays in
the same process, and the memory used.

    python benchmarks/score_bench.py --n 1000000 --seed 0

Memory: "peak RSS" is resource.getrusage(RUSAGE_SELF).ru_maxrss, the whole process at its
highest (interpreter, generated table, results); "scoring peak" is tracemalloc's peak of the
allocations made inside one `score_columns` call (numpy reports its buffers to tracemalloc),
measured in a separate, untimed run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.columnar import (
    EMPTY,
    EVENT_TYPES,
    FIRST_VALUE,
    LIST,
    NO_DATA,
    STATUS_CODE,
    AccountTable,
    ColumnarLedger,
    EventColumn,
    FieldColumn,
    TokenLists,
    canonical_vocab,
    score_columns,
)
from scoring.config import IcpConfig, load_icp_text
from scoring.domain import CriterionKind, Status, Tier

AS_OF = date(2026, 1, 15)

# 20 criteria: every matcher (one_of, equals text/number/boolean, range, contains_any,
# contains_all, exists, recent) and every kind (must_have, strong, nice_to_have, disqualifier).
ICP_YAML = """
name: Benchmark ICP
threshold: 50
criteria:
  - {id: industry_fit, dimension: firmographic, kind: must_have, weight: 15, field: industry,
     match: {one_of: [software, manufacturing, automotive]}}
  - {id: home_region, dimension: firmographic, kind: nice_to_have, weight: 5, field: country,
     match: {one_of: [NL, DE, FR, NO, SE]}}
  - {id: revenue_band, dimension: firmographic, kind: strong, weight: 10, field: revenue,
     match: {range: {min: 10000000, max: 1000000000}}}
  - {id: headcount_band, dimension: firmographic, kind: strong, weight: 10, field: employees,
     match: {range: {min: 200, max: 5000}}}
  - {id: established, dimension: firmographic, kind: nice_to_have, weight: 3, field: founded_year,
     match: {range: {max: 2015}}}
  - {id: growth_stage, dimension: strategic, kind: nice_to_have, weight: 3, field: growth_stage,
     match: {equals: growth}}
  - {id: plan_two, dimension: behavioural, kind: nice_to_have, weight: 2, field: custom.plan,
     match: {equals: 2}}
  - {id: cloud_ready, dimension: technographic, kind: nice_to_have, weight: 4, field: cloud_orientation,
     match: {one_of: [cloud, hybrid]}}
  - {id: erp, dimension: technographic, kind: strong, weight: 10, field: technologies,
     match: {contains_any: [SAP, NetSuite, Odoo]}}
  - {id: crm_stack, dimension: technographic, kind: nice_to_have, weight: 4, field: technologies,
     match: {contains_all: [Salesforce, Slack]}}
  - {id: multi_site, dimension: firmographic, kind: must_have, weight: 8, field: structure,
     match: {contains_any: [multi-site, subsidiaries]}}
  - {id: part_of_group, dimension: firmographic, kind: nice_to_have, weight: 3, field: parent_company,
     match: {exists: true}}
  - {id: efficiency_push, dimension: strategic, kind: nice_to_have, weight: 5, field: priorities,
     match: {contains_all: [efficiency, automation]}}
  - {id: funding_recent, dimension: strategic, kind: strong, weight: 8, field: events,
     match: {recent: {event: [funding, ipo], within_days: 180}}}
  - {id: leader_recent, dimension: strategic, kind: nice_to_have, weight: 4, field: events,
     match: {recent: {event: leadership_change, within_days: 120, min_materiality: 0.5}}}
  - {id: hiring_recent, dimension: behavioural, kind: nice_to_have, weight: 4, field: events,
     match: {recent: {event: [hiring_surge, product_launch], within_days: 90}}}
  - {id: in_the_news, dimension: behavioural, kind: nice_to_have, weight: 2, field: events,
     match: {exists: true}}
  - {id: partner, dimension: behavioural, kind: nice_to_have, weight: 5, field: custom.partner,
     match: {equals: true}}
  - {id: excluded_industry, dimension: firmographic, kind: disqualifier, field: industry,
     match: {one_of: [gambling, tobacco]}}
  - {id: existing_customer, dimension: strategic, kind: disqualifier, field: custom.customer,
     match: {equals: true}}
signals:
  buying: [funding_recent, leader_recent]
  in_market: [hiring_recent, in_the_news]
tiers:
  - {tier: Tier 1, min_fit: 80, min_potential: 1000000}
  - {tier: Tier 2, min_fit: 65, min_potential: 250000, requires: buying}
  - {tier: Tier 3, min_fit: 50, min_potential: 50000, requires: in_market}
potential:
  field: revenue_potential
  rules:
    - {field: employees, min: 1500, value: 1200000}
    - {field: employees, min: 500, value: 400000}
    - {field: employees, min: 0, value: 60000}
"""

INDUSTRIES = ["Software", "Manufacturing", "Automotive", "Retail", "Healthcare", "Finance", "Logistics",
              "Energy", "Education", "Gambling", "Tobacco", "Media"]  # fmt: skip
COUNTRIES = ["NL", "DE", "FR", "NO", "SE", "US", "GB", "ES", "IT", "PL", "CA", "BR", "JP", "IN", "AU"]
TECHS = ["SAP", "NetSuite", "Odoo", "Salesforce", "Slack", "HubSpot", "Zendesk", "Jira", "AWS", "Azure",
         "Google Cloud", "Snowflake", "Tableau", "Workday", "ServiceNow", "Shopify", "Stripe", "Okta",
         "Datadog", "GitHub", "Atlassian", "Oracle ERP Cloud", "Infor", "Microsoft Dynamics 365"]  # fmt: skip
STRUCTURES = ["multi-site", "subsidiaries", "single site", "franchise", "global presence"]
PRIORITIES = ["efficiency", "automation", "growth", "compliance", "cost reduction", "digital transformation"]


def _codes(
    rng: np.random.Generator, n: int, k: int, *, unknown: float, empty: float, p: list[float] | None = None
) -> NDArray[np.int32]:
    """Returns categorical codes: vocab entry j with probability p[j], some unknown, some known-empty."""
    codes = (FIRST_VALUE + rng.choice(k, size=n, p=None if p is None else np.array(p) / sum(p))).astype(np.int32)
    r = rng.random(n)
    codes[r < unknown] = NO_DATA
    codes[(r >= unknown) & (r < unknown + empty)] = EMPTY
    return codes


def _numbers(rng: np.random.Generator, values: NDArray[np.float64], *, unknown: float) -> NDArray[np.float64]:
    values[rng.random(len(values)) < unknown] = np.nan
    return values


def _lists(
    rng: np.random.Generator, field: str, n: int, vocab: list[str], mean: float, *, unknown: float, empty: float
) -> FieldColumn:
    """Returns a list column as a bitset per account: value j present with a Zipf-like probability."""
    codes = np.full(n, LIST, np.int32)
    r = rng.random(n)
    codes[r < unknown] = NO_DATA
    codes[(r >= unknown) & (r < unknown + empty)] = EMPTY
    popularity = 1.0 / np.arange(1, len(vocab) + 1)
    chance = np.minimum(0.9, mean * popularity / popularity.sum())
    bits = np.zeros(n, np.uint64)
    for k, p in enumerate(chance):
        bits |= (rng.random(n) < p).astype(np.uint64) << np.uint64(k)
    bits[codes != LIST] = 0
    return FieldColumn(codes=codes, tokens=TokenLists(canonical_vocab(field, vocab), bits=bits))


def generate_table(n: int, seed: int) -> AccountTable:
    """Returns n generated accounts as columns, built straight from arrays."""
    rng = np.random.default_rng(seed)
    plan = _numbers(rng, rng.integers(1, 4, n).astype(np.float64), unknown=0.3)
    customer_codes = _codes(rng, n, 2, unknown=0.4, empty=0.05, p=[0.05, 0.95])  # vocab: "true", "false"
    truth = np.where(customer_codes == FIRST_VALUE, 1, np.where(customer_codes == FIRST_VALUE + 1, 0, -1))
    partner_codes = _codes(rng, n, 2, unknown=0.5, empty=0.05)
    partner_truth = np.where(partner_codes == FIRST_VALUE, 1, np.where(partner_codes == FIRST_VALUE + 1, 0, -1))
    columns = {
        "industry": FieldColumn(
            codes=_codes(rng, n, len(INDUSTRIES), unknown=0.1, empty=0.02, p=[6, 6, 4, 2, 2, 2, 2, 1, 1, 0.2, 0.2, 1]),
            vocab=canonical_vocab("industry", INDUSTRIES),
        ),
        "country": FieldColumn(
            codes=_codes(rng, n, len(COUNTRIES), unknown=0.05, empty=0.01),
            vocab=canonical_vocab("country", COUNTRIES),
        ),
        "revenue": FieldColumn.from_numbers(_numbers(rng, 10 ** rng.normal(7.8, 0.8, n), unknown=0.2)),
        "employees": FieldColumn.from_numbers(_numbers(rng, np.floor(10 ** rng.normal(2.8, 0.6, n)), unknown=0.1)),
        "founded_year": FieldColumn.from_numbers(_numbers(rng, rng.integers(1900, 2025, n).astype(float), unknown=0.3)),
        "growth_stage": FieldColumn(
            codes=_codes(rng, n, 4, unknown=0.4, empty=0.05),
            vocab=canonical_vocab("growth_stage", ["seed", "growth", "mature", "decline"]),
        ),
        "custom.plan": FieldColumn.from_numbers(plan),
        "cloud_orientation": FieldColumn(
            codes=_codes(rng, n, 3, unknown=0.3, empty=0.0),
            vocab=canonical_vocab("cloud_orientation", ["cloud", "hybrid", "on-premise"]),
        ),
        "technologies": _lists(rng, "technologies", n, TECHS, 3.0, unknown=0.2, empty=0.05),
        "structure": _lists(rng, "structure", n, STRUCTURES, 1.2, unknown=0.4, empty=0.02),
        "priorities": _lists(rng, "priorities", n, PRIORITIES, 1.5, unknown=0.5, empty=0.05),
        "parent_company": FieldColumn(codes=_codes(rng, n, 1, unknown=0.3, empty=0.4), vocab=("acme group",)),
        "custom.customer": FieldColumn(codes=customer_codes, vocab=("true", "false"), truth=truth.astype(np.int8)),
        "custom.partner": FieldColumn(
            codes=partner_codes, vocab=("true", "false"), truth=partner_truth.astype(np.int8)
        ),
        "revenue_potential": FieldColumn.from_numbers(
            _numbers(rng, np.round(10 ** rng.uniform(4, 6.7, n), -3), unknown=0.6)
        ),
    }
    counts = rng.poisson(0.8, n).astype(np.int64)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    m = int(indptr[-1])
    days = (AS_OF.toordinal() - rng.integers(-30, 720, m)).astype(np.int32)
    days[rng.random(m) < 0.05] = 0  # undated
    events = EventColumn(
        indptr=indptr,
        types=rng.integers(0, len(EVENT_TYPES), m).astype(np.int8),
        days=days,
        materiality=rng.choice(np.array([0.3, 0.5, 0.8]), m),
    )
    return AccountTable(n=n, columns=columns, events=events, monitored=rng.random(n) < 0.6)


@dataclass
class Baseline:
    """What the plain-numpy evaluation produces: met per criterion, fit and a tier by fit alone."""

    met: NDArray[np.bool_]
    fit: NDArray[np.float64]
    tier: NDArray[np.int8]


def _rows_any(hit: NDArray[np.bool_], indptr: NDArray[np.int64]) -> NDArray[np.bool_]:
    cs = np.concatenate(([0], np.cumsum(hit)))
    result: NDArray[np.bool_] = cs[indptr[1:]] > cs[indptr[:-1]]
    return result


def score_baseline(table: AccountTable, config: IcpConfig) -> Baseline:
    """Evaluates the same criteria with plain numpy: met or not, no unknowns, no ledger.

    Written as one would by hand: lookup tables over codes, CSR row sums for events,
    bit masks for lists, a weighted sum for fit and fit bands for tiers (no potential, signals or
    must-haves).
    """
    n = table.n
    met = np.zeros((n, len(config.criteria)), np.bool_, order="F")
    cols = table.columns
    for j, c in enumerate(config.criteria):
        m = c.match
        if c.field == "events":
            ev = table.events
            if m.exists is not None:
                met[:, j] = ev.indptr[1:] > ev.indptr[:-1]
                continue
            assert m.recent is not None
            age = AS_OF.toordinal() - ev.days
            type_lut = np.isin(np.arange(len(EVENT_TYPES)), [EVENT_TYPES.index(t) for t in m.recent.event])
            hit = type_lut[ev.types] & (ev.days > 0) & (age >= 0) & (age <= m.recent.within_days)
            hit &= ev.materiality >= m.recent.min_materiality
            met[:, j] = _rows_any(hit, ev.indptr)
            continue
        col = cols[c.field]
        if m.range is not None:
            assert col.number is not None
            lo = -np.inf if m.range.min is None else m.range.min
            hi = np.inf if m.range.max is None else m.range.max
            met[:, j] = (col.number >= lo) & (col.number <= hi)
        elif m.equals is not None and not isinstance(m.equals, str | bool):
            assert col.number is not None
            met[:, j] = col.number == m.equals
        elif isinstance(m.equals, bool):
            assert col.truth is not None
            met[:, j] = col.truth == int(m.equals)
        elif m.exists is not None:
            assert col.codes is not None
            met[:, j] = col.codes >= LIST
        elif col.tokens is not None:
            tok = col.tokens
            assert tok.bits is not None
            wanted_words = m.contains_all or m.contains_any or m.one_of or []
            mask = np.uint64(sum(1 << tok.vocab.index(w) for w in canonical_vocab(c.field, wanted_words)))
            met[:, j] = (tok.bits & mask) == mask if m.contains_all is not None else (tok.bits & mask) != 0
        else:
            assert col.codes is not None
            wanted_words = m.one_of or [str(m.equals)]
            wanted = [
                FIRST_VALUE + col.vocab.index(w) for w in canonical_vocab(c.field, wanted_words) if w in col.vocab
            ]
            met[:, j] = np.isin(np.arange(FIRST_VALUE + len(col.vocab)), wanted)[col.codes]
    points = np.zeros(n)
    for j, c in enumerate(config.criteria):
        if c.kind is not CriterionKind.DISQUALIFIER:
            points += met[:, j] * c.weight
    fit = 100.0 * points / config.total_weight
    dq = met[:, [j for j, c in enumerate(config.criteria) if c.kind is CriterionKind.DISQUALIFIER]].any(axis=1)
    bands = [(r.min_fit, r.tier.rank) for r in config.ordered_tiers]
    tier = np.select([fit >= lo for lo, _ in bands], [rank for _, rank in bands], Tier.NOT_A_TARGET.rank)
    tier[dq] = Tier.DISQUALIFIED.rank
    return Baseline(met=met, fit=fit, tier=tier.astype(np.int8))


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Returns the fastest of `repeat` runs and the last result."""
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and prints its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="accounts to generate and score")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated accounts")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each engine; the fastest counts")
    parser.add_argument("--ledgers", type=int, default=2_000, help="ledgers to materialise on demand")
    args = parser.parse_args(argv)

    config = load_icp_text(ICP_YAML, source="benchmark")
    ops = sorted({c.match.op for c in config.criteria})
    kinds = sorted({c.kind.value for c in config.criteria})
    start = time.perf_counter()
    table = generate_table(args.n, args.seed)
    gen_s = time.perf_counter() - start

    col_s, scored_obj = best_time(lambda: score_columns(table, config=config, as_of=AS_OF), args.repeat)
    scored = scored_obj
    assert isinstance(scored, ColumnarLedger)
    base_s, base_obj = best_time(lambda: score_baseline(table, config), args.repeat)
    base = base_obj
    assert isinstance(base, Baseline)

    rng = np.random.default_rng(args.seed + 1)
    picks = rng.integers(0, args.n, min(args.ledgers, args.n))
    start = time.perf_counter()
    ledgers = [scored.ledger(int(i)) for i in picks]
    led_s = time.perf_counter() - start

    # the baseline evaluates the same criteria: its "met" is the engine's met (or disqualified)
    hit = (scored.status == STATUS_CODE[Status.MET]) | (scored.status == STATUS_CODE[Status.DISQUALIFIED])
    same_met = bool((hit == base.met).all())
    same_fit = bool(np.allclose(scored.fit, base.fit, atol=1e-6))
    same_ledgers = all(
        lg.fit == scored.fit[i] and lg.tier.rank == scored.tier[i] for lg, i in zip(ledgers, picks, strict=True)
    )

    tracemalloc.start()
    score_columns(table, config=config, as_of=AS_OF)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    counts = scored.tier_counts()
    rows = [
        ("accounts", f"{args.n:,}"),
        ("criteria", f"{len(config.criteria)}: {', '.join(ops)}; {', '.join(kinds)}"),
        ("generate table", f"{gen_s:.2f} s (not counted)"),
        ("columnar score_columns", f"{col_s:.3f} s  {args.n / col_s:,.0f} accounts/s"),
        ("numpy baseline", f"{base_s:.3f} s  {args.n / base_s:,.0f} accounts/s"),
        ("columnar / baseline", f"{col_s / base_s:.2f}x the baseline's time"),
        ("ledger(i) on demand", f"{len(picks):,} ledgers in {led_s:.2f} s  {len(picks) / led_s:,.0f} ledgers/s"),
        ("peak RSS (getrusage)", f"{max_rss_kib / 1024:,.0f} MiB, whole process"),
        ("scoring peak (tracemalloc)", f"{traced_peak / 2**20:,.0f} MiB inside one score_columns"),
        ("met cells equal baseline", str(same_met)),
        ("fit equal baseline (1e-6)", str(same_fit)),
        ("ledgers equal arrays", str(same_ledgers)),
        ("tiers", ", ".join(f"{t.value}: {counts[t]:,}" for t in Tier)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
