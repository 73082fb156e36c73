"""Profiles of stored accounts: CRM fields now, merged with extracted facts where there are any."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from scoring.domain import Profile
from scoring.profiles import profile_from_account
from store.accounts import account_from_row
from store.models import AccountRow


def build_profiles(session: Session, workspace: str, rows: Sequence[AccountRow]) -> dict[int, Profile]:
    """Returns each account's profile, keyed by account id."""
    return {r.id: profile_from_account(account_from_row(r), known_empty=frozenset(r.known_empty or [])) for r in rows}
