"""Profiles: what the scorer reads, built from CRM fields (and, later, extracted facts)."""

from __future__ import annotations

from collections.abc import Iterable

from scoring.domain import Account, Origin, Profile, ProfileValue, TriggerEvent

# Account attributes that become profile fields under the same name.
_ACCOUNT_FIELDS = (
    "name",
    "domain",
    "industry",
    "revenue",
    "currency",
    "employees",
    "country",
    "region",
    "city",
    "founded_year",
    "parent_company",
    "revenue_potential",
)


def profile_from_account(
    account: Account,
    *,
    known_empty: frozenset[str] = frozenset(),
    events: Iterable[TriggerEvent] = (),
    monitored: bool = False,
) -> Profile:
    """Returns the CRM part of a profile; fields in `known_empty` are recorded as known to be blank.

    Custom CRM columns become `custom.<column>` fields, kept as they are (a blank cell stays a
    known-empty value). `events` and `monitored` say what the news monitoring found.
    """
    fields: dict[str, ProfileValue] = {}
    for name in _ACCOUNT_FIELDS:
        value = getattr(account, name)
        if value is not None:
            fields[name] = ProfileValue(value=value, origin=Origin.CRM)
        elif name in known_empty:
            fields[name] = ProfileValue(value=None, origin=Origin.CRM)
    for key, value in account.custom.items():
        fields[f"custom.{key}"] = ProfileValue(value=value, origin=Origin.CRM)
    return Profile(account_id=account.id, fields=fields, events=list(events), monitored=monitored)
