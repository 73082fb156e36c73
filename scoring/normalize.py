"""Normalisation of firmographic values: industries, countries, money, headcounts, domains.

Pure functions over strings; importers and the scorer share them so that a criterion written
as `one_of: [Technology]` matches a CRM value "technolgy".
"""

from __future__ import annotations


def normalize_industry(raw: str | None) -> str | None:
    """Returns the canonical industry slug for a raw industry or sector name, or None."""
    if raw is None or not raw.strip():
        return None
    return raw.strip().casefold()


def normalize_country(raw: str | None) -> str | None:
    """Returns the ISO 3166 alpha-2 code for a country name or code, or None."""
    if raw is None or not raw.strip():
        return None
    return raw.strip().upper()


def normalize_technology(raw: str) -> str:
    """Returns the canonical name of a technology."""
    return raw.strip().casefold()


def canonical_value(field: str, raw: str) -> str:
    """Returns a value in the canonical form of its field, for comparisons in criteria."""
    if field == "industry":
        return normalize_industry(raw) or raw.strip().casefold()
    if field == "country":
        return (normalize_country(raw) or raw.strip()).casefold()
    if field in {"technologies", "legacy_systems"}:
        return normalize_technology(raw)
    return " ".join(raw.split()).casefold()
