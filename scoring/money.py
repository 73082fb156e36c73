"""Revenue in the ICP's currency: a criterion "revenue €50–500M" must not compare dollars with euros.

Rates are units of the target currency per unit of the source currency, pivoting through EUR. The
built-in table is approximate (mid-2026 levels, rounded) and meant for banding companies, not for
accounting; an ICP can override any rate with `fx_rates`.
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.domain import Profile, ProfileValue

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


def rate(source: str, target: str, *, overrides: Mapping[str, float] | None = None) -> float | None:
    """Returns target units per source unit, or None when a currency is unknown.

    `overrides` gives target units per unit of a currency (the ICP's `fx_rates`).
    """
    source, target = source.upper(), target.upper()
    if source == target:
        return 1.0
    if overrides and source in overrides:
        return float(overrides[source])
    if source not in EUR_PER or target not in EUR_PER:
        return None
    return EUR_PER[source] / EUR_PER[target]


def in_currency(profile: Profile, *, currency: str | None, overrides: Mapping[str, float] | None = None) -> Profile:
    """Returns the profile with revenue converted to `currency` (unchanged when no conversion applies)."""
    if currency is None:
        return profile
    rev = profile.fields.get("revenue")
    cur = profile.fields.get("currency")
    if rev is None or cur is None or not isinstance(cur.value, str) or not isinstance(rev.value, int | float):
        return profile
    r = rate(cur.value, currency, overrides=overrides)
    if r is None or r == 1.0:
        return profile
    converted = ProfileValue(
        value=float(rev.value) * r,
        origin=rev.origin,
        evidence=rev.evidence,
        fact_ids=rev.fact_ids,
        confidence=rev.confidence,
        conflicts=rev.conflicts,
        observed_at=rev.observed_at,
    )
    fields = {
        **profile.fields,
        "revenue": converted,
        "currency": ProfileValue(value=currency.upper(), origin=cur.origin),
    }
    return profile.model_copy(update={"fields": fields})
