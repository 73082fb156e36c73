"""Money in the ICP's currencies: a criterion "revenue €50–500M" must not compare dollars with euros.

Revenue is compared in the ICP's `currency`; revenue potential in `potential.currency` (the
currency the tier minimums are written in). A profile's `currency` field is the currency of its
revenue; `revenue_potential_currency`, when present, is that of its revenue potential (merging
sets it when extracted revenue in another currency replaces the CRM's), else `currency` holds
for both, as in a CRM row.

An amount with no currency is taken to be in the target currency already (a CRM export without a
currency column is in the team's own). An amount in a currency with no rate is never compared as
it is: it becomes unknown, and the ledger line says why (`Converted.reasons`).

Rates are units of the target currency per unit of the source currency, pivoting through EUR. The
built-in table is approximate (mid-2026 levels, rounded) and meant for banding companies, not for
accounting; an ICP can override any rate with `fx_rates` (units of its `currency`).

    >>> from scoring.config import load_icp
    >>> from scoring.domain import Account
    >>> from scoring.profiles import profile_from_account
    >>> cfg = load_icp("default")  # revenue and potential in EUR
    >>> p = profile_from_account(Account(name="A", revenue=100e6, revenue_potential=1e6, currency="USD"))
    >>> converted = convert_money(p, currencies=Currencies.of(cfg))
    >>> round(converted.profile.value("revenue")), round(converted.profile.value("revenue_potential"))
    (92000000, 920000)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scoring.config import IcpConfig
from scoring.domain import JsonValue, Profile, ProfileValue
from scoring.matchers import as_number, is_empty

# EUR per unit of each currency (approximate)
EUR_PER: dict[str, float] = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "CHF": 1.05,
    "SEK": 0.088,
    "NOK": 0.086,
    "DKK": 0.134,
    "PLN": 0.23,
    "CZK": 0.040,
    "HUF": 0.0025,
    "JPY": 0.0062,
    "CNY": 0.13,
    "INR": 0.011,
    "CAD": 0.68,
    "AUD": 0.61,
    "NZD": 0.56,
    "BRL": 0.17,
    "MXN": 0.050,
    "ZAR": 0.050,
    "SGD": 0.69,
    "HKD": 0.118,
    "KRW": 0.00068,
    "AED": 0.25,
}
CURRENCY_FIELD = "currency"
POTENTIAL_CURRENCY_FIELD = "revenue_potential_currency"


def rate(
    source: str, target: str, *, overrides: Mapping[str, float] | None = None, base: str | None = None
) -> float | None:
    """Returns target units per source unit, or None when a currency has no rate.

    `overrides` gives units of `base` (the target when not given) per unit of a currency: the
    ICP's `fx_rates`, whose base is the ICP's `currency`.
    """
    source, target = source.upper(), target.upper()
    if source == target:
        return 1.0
    pivot = (base or target).upper()
    s, t = _in_pivot(source, pivot, overrides), _in_pivot(target, pivot, overrides)
    if s is None or t is None:
        return None
    return s / t


def _in_pivot(currency: str, pivot: str, overrides: Mapping[str, float] | None) -> float | None:
    if currency == pivot:
        return 1.0
    if overrides and currency in overrides:
        return float(overrides[currency])
    if currency in EUR_PER and pivot in EUR_PER:
        return EUR_PER[currency] / EUR_PER[pivot]
    return None


@dataclass(frozen=True, slots=True)
class Currencies:
    """What money conversion depends on: the currency of revenue, that of potential, the ICP's rates.

    `rates` are units of `revenue` (the ICP's `currency`) per unit of another currency.
    """

    revenue: str | None
    potential: str
    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, config: IcpConfig) -> Currencies:
        """Returns the currencies an ICP compares money in."""
        return cls(
            revenue=config.currency,
            potential=config.potential.currency,
            rates=tuple(sorted(config.fx_rates.items())),
        )

    def describe(self) -> str:
        """Returns the currencies in words, for error messages."""
        rates = ", ".join(f"{k} {v:g}" for k, v in self.rates)
        revenue = self.revenue or "as stated"
        return f"revenue {revenue}, potential {self.potential}" + (f", rates {rates}" if rates else "")


@dataclass(frozen=True, slots=True)
class Converted:
    """A profile with its money in the ICP's currencies, and per field why an amount was not converted."""

    profile: Profile
    reasons: dict[str, str] = field(default_factory=dict)


def convert_money(profile: Profile, *, currencies: Currencies) -> Converted:
    """Returns the profile with revenue and revenue potential in the ICP's currencies."""
    fields = profile.fields
    if "revenue" not in fields and "revenue_potential" not in fields:
        return Converted(profile)
    rates = dict(currencies.rates)
    revenue_cur = _code(fields.get(CURRENCY_FIELD))
    potential_cur = _code(fields[POTENTIAL_CURRENCY_FIELD]) if POTENTIAL_CURRENCY_FIELD in fields else revenue_cur
    updates: dict[str, ProfileValue] = {}
    reasons: dict[str, str] = {}
    plan = (
        ("revenue", "revenue", revenue_cur, currencies.revenue),
        ("revenue_potential", "revenue potential", potential_cur, currencies.potential),
    )
    for name, words, source, target in plan:
        pv = fields.get(name)
        if pv is None or source is None or target is None:
            continue
        amount = as_number(pv.value)
        if amount is None:
            continue
        r = rate(source, target, overrides=rates, base=currencies.revenue)
        if r is None:
            # never compared as it is: 100M roubles are not €100M
            updates[name] = pv.model_copy(update={"value": f"{amount:,.0f} {source}"})
            reasons[name] = (
                f"{words} is in {source}, which has no exchange rate to {target}: "
                f"add {source} to the ICP's fx_rates to compare it"
            )
        elif r != 1.0:
            updates[name] = pv.model_copy(update={"value": amount * r})
    if "revenue" in updates and "revenue" not in reasons and currencies.revenue is not None:
        cur = fields[CURRENCY_FIELD]
        updates[CURRENCY_FIELD] = ProfileValue(value=currencies.revenue, origin=cur.origin)
    if not updates:
        return Converted(profile)
    return Converted(profile.model_copy(update={"fields": {**fields, **updates}}), reasons)


def _code(pv: ProfileValue | None) -> str | None:
    """Returns a currency code from a profile value, or None when the value states none."""
    if pv is None:
        return None
    value: JsonValue = pv.value
    if is_empty(value):
        return None
    return str(value).strip().upper()
