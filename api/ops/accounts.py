"""Importing and looking up accounts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from api.services import Services
from scoring.crm import parse_accounts_csv
from store.accounts import upsert_accounts
from store.opportunities import relink_opportunities


@dataclass
class ImportReport:
    """What an import did: rows read, landed (created/updated/unchanged), rejected with reasons."""

    source: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    preset: str | None = None
    account_ids: list[int] = field(default_factory=list)
    opportunities_linked: int = 0

    @property
    def landed(self) -> int:
        """Returns how many rows were stored (new, changed or unchanged)."""
        return self.created + self.updated + self.unchanged

    def reasons(self) -> Counter[str]:
        """Returns rejection reasons with counts, the row-specific part removed."""
        return Counter(str(r["reason"]).split(":")[0] for r in self.rejected)

    def as_dict(self) -> dict[str, object]:
        """Returns the report as plain JSON-able data."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "landed": self.landed,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "column_map": self.column_map,
            "unmapped_columns": self.unmapped_columns,
            "preset": self.preset,
            "opportunities_linked": self.opportunities_linked,
        }


def import_accounts(
    svc: Services,
    data: bytes,
    *,
    source: str,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
) -> ImportReport:
    """Parses a CRM export and upserts its good rows; bad rows are reported, never fatal.

    Deals imported before their accounts are linked to them here.
    """
    parsed = parse_accounts_csv(data, mapping=mapping, preset=preset)
    with svc.db.session() as s:
        counts = upsert_accounts(s, svc.workspace, ((p.account, p.known_empty) for p in parsed.accounts))
        linked = relink_opportunities(s, svc.workspace)
    rejected = [(e.row, e.reason) for e in parsed.errors]
    rejected += [(parsed.accounts[index].row, reason) for index, reason in counts.rejected]
    return ImportReport(
        source=source,
        rows_read=parsed.rows_read,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=[{"row": row, "reason": reason} for row, reason in sorted(rejected)],
        warnings=[{"row": w.row, "reason": w.reason} for w in parsed.warnings],
        column_map=dict(parsed.column_map),
        unmapped_columns=list(parsed.unmapped_columns),
        preset=parsed.preset,
        account_ids=counts.ids,
        opportunities_linked=linked,
    )
