"""Parsing of CRM exports (CSV) into accounts, opportunities and contacts: bytes in, results out.

Each parser returns the rows it read, numbered as a spreadsheet numbers them (the header is row 1),
the rows it rejected with a reason that names the column and the value, and warnings about rows
that landed with a value left blank (an unknown country, a website that is not a domain). A bad
row never raises; only a file that cannot be read as CSV at all, or a `mapping` that does not fit
the file, raises `CsvFormatError`.

    >>> result = parse_accounts_csv(b"Account Name,Website,BillingCountry\\nAcme,https://www.acme.com,USA\\n")
    >>> result.accounts[0].account.domain, result.accounts[0].account.country
    ('acme.com', 'US')

Headers are recognised case-, space- and punctuation-insensitively from Salesforce, HubSpot and
generic exports (see `scoring.csvtables`); two files are recognised by their whole header
(`preset`): the Maven "CRM Sales Opportunities" accounts (revenue in USD millions) and the
Fortune 500 list (US companies, so country US).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from scoring.csvtables import (
    Column,
    Preset,
    RowWarning,
    Table,
    detect_preset,
    header_key,
    read_table,
    resolve_columns,
)
from scoring.domain import Account, JsonValue, Opportunity, Outcome, Stakeholder, StakeholderRole
from scoring.errors import CsvFormatError, ImportRowError
from scoring.normalize import (
    normalize_country,
    normalize_currency,
    normalize_domain,
    normalize_industry,
    normalize_product,
    parse_employees,
    parse_money,
)

__all__ = [
    "AccountRef",
    "AccountsParse",
    "ContactsParse",
    "OpportunitiesParse",
    "ParsedAccount",
    "ParsedContact",
    "ParsedOpportunity",
    "RowError",
    "RowWarning",
    "outcome_from_stage",
    "parse_accounts_csv",
    "parse_contacts_csv",
    "parse_opportunities_csv",
    "seniority_from_title",
]

# Cell values that mean "nothing here", as CRMs and spreadsheets write it.
_BLANKS = frozenset({"", "n/a", "na", "#n/a", "null", "none", "nil", "nan", "-", "--", "—"})


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: its spreadsheet row number, why, and its cells as read."""

    row: int
    reason: str
    raw: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """How a row names its account, as given: any of name, domain and CRM id."""

    name: str | None = None
    domain: str | None = None
    crm_id: str | None = None

    @property
    def empty(self) -> bool:
        """Returns True when the row names no account at all."""
        return self.name is None and self.domain is None and self.crm_id is None


@dataclass(frozen=True, slots=True)
class ParsedAccount:
    """An account read from one row; `known_empty` names fields whose column was present but blank."""

    row: int
    account: Account
    known_empty: frozenset[str]


@dataclass(frozen=True, slots=True)
class ParsedOpportunity:
    """An opportunity read from one row, with the account it names."""

    row: int
    account: AccountRef
    opportunity: Opportunity


@dataclass(frozen=True, slots=True)
class ParsedContact:
    """A contact read from one row, with the account it belongs to."""

    row: int
    account: AccountRef
    stakeholder: Stakeholder


@dataclass(frozen=True, slots=True, kw_only=True)
class _Report:
    errors: list[RowError]
    warnings: list[RowWarning]
    rows_read: int
    column_map: dict[str, str]
    unmapped_columns: list[str]
    encoding: str
    delimiter: str

    @property
    def rows_rejected(self) -> int:
        """Returns the number of rejected rows."""
        return len(self.errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountsParse(_Report):
    """The accounts read from a file, the rows rejected, and how its columns were used.

    `column_map` maps every column to the field it fed ("custom.<key>" for columns kept in
    `Account.custom`, "ignore" for columns skipped); `unmapped_columns` lists the columns no
    field claimed. `preset` names the recognised file layout, if any.
    """

    accounts: list[ParsedAccount]
    preset: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunitiesParse(_Report):
    """The opportunities read from a file and the rows rejected.

    Lost deals keep their amount (0 in the Maven pipeline): deal-size statistics should use won deals.
    """

    opportunities: list[ParsedOpportunity]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactsParse(_Report):
    """The contacts read from a file and the rows rejected."""

    contacts: list[ParsedContact]


# --- cells ------------------------------------------------------------------------------------


def _is_blank(text: str) -> bool:
    return text.casefold() in _BLANKS


def _clean(text: str) -> str:
    return " ".join(text.split())


def _custom_value(text: str) -> JsonValue:
    """Returns booleans and numbers when unambiguous ("yes", "42", "3.5"), else the text."""
    folded = text.casefold()
    if folded in ("yes", "true"):
        return True
    if folded in ("no", "false"):
        return False
    if re.fullmatch(r"-?(?:0|[1-9]\d*)", text) and len(text) < 16:
        return int(text)
    if re.fullmatch(r"-?(?:0|[1-9]\d*)\.\d+", text):
        return float(text)
    return _clean(text)


def _money(column: Column, text: str, row: int) -> tuple[float, str | None]:
    try:
        amount, currency = parse_money(text, unit=column.unit)
    except ValueError as exc:
        raise ImportRowError(row, f"column {column.name!r}: {exc}") from exc
    if amount < 0:
        raise ImportRowError(row, f"column {column.name!r}: negative amount {text!r}")
    return amount, currency or column.currency


def _parse_date(text: str) -> date:
    """Reads ISO dates, US month/day/year (day/month when the first number exceeds 12) and day.month.year."""
    time = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[AaPp][Mm]|[+-]\d{2}:?\d{2})?)?"
    if m := re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + time, text):
        year, month, day = (int(g) for g in m.groups())
    elif m := re.fullmatch(r"(\d{1,2})([/.])(\d{1,2})[/.](\d{4}|\d{2})" + time, text):
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        us_order = m.group(2) == "/" and first <= 12
        month, day = (first, second) if us_order else (second, first)
        if year < 100:
            year += 2000 if year < 70 else 1900
    else:
        raise ValueError("expected a date such as 2024-03-15, 3/15/2024 or 15.03.2024")
    return date(year, month, day)


def _cells(row: int, cells: list[str], width: int) -> list[str]:
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        return cells[:width]
    if len(cells) != width:
        raise ImportRowError(row, f"expected {width} columns, found {len(cells)}")
    return cells


def _iter_rows(table: Table, errors: list[RowError]) -> Iterator[tuple[int, list[str], tuple[str, ...]]]:
    for row, cells in table.rows:
        raw = tuple(cells)
        try:
            fitted = _cells(row, cells, len(table.header))
        except ImportRowError as exc:
            errors.append(RowError(row, exc.reason, raw))
            continue
        yield row, fitted, raw


def _column_report(columns: list[Column]) -> tuple[dict[str, str], list[str]]:
    column_map = {
        c.name: f"revenue_{c.unit}" if c.target == "revenue" and c.unit != "units" else c.target
        for c in columns
        if c.name
    }
    unmapped = [c.name for c in columns if c.name and (c.target.startswith("custom.") or c.target == "ignore")]
    return column_map, unmapped


def _blank_columns(columns: list[Column], targets: tuple[str, ...]) -> str:
    names = [repr(c.name) for c in columns if c.target in targets]
    if not names:
        return "the file has no such column"
    return f"column {names[0]} is blank" if len(names) == 1 else f"columns {', '.join(names)} are blank"


def _require(columns: list[Column], wanted: set[str], what: str) -> None:
    if not any(c.target in wanted for c in columns):
        names = ", ".join(repr(c.name) for c in columns)
        raise CsvFormatError(
            f"no column holds {what} (columns: {names}); name one with --map column={sorted(wanted)[0]}"
        )


# --- accounts ---------------------------------------------------------------------------------


def parse_accounts_csv(
    data: bytes, *, mapping: dict[str, str] | None = None, preset: str | None = None
) -> AccountsParse:
    """Parses an accounts export into accounts, rejected rows and warnings.

    `mapping` ({"column": "field"}) overrides the recognised headers; `preset` forces a layout
    ("maven", "fortune500", "salesforce", "hubspot" or "generic") instead of detecting it.
    An unknown country, a website that is not a domain or an unreadable founding year leaves that
    field blank with a warning; no name and no domain, unreadable revenue or employees, a wrong
    number of cells, or a CRM id or domain already seen rejects the row.
    """
    table = read_table(data)
    layout = detect_preset({header_key(h) for h in table.header}, preset)
    columns, warnings = resolve_columns(table.header, kind="accounts", mapping=mapping, preset=layout)
    _require(columns, {"name", "domain"}, "the account name or domain")
    warnings = table.warnings + warnings
    errors: list[RowError] = []
    accounts: list[ParsedAccount] = []
    seen: dict[tuple[str, str], int] = {}
    for row, cells, raw in _iter_rows(table, errors):
        try:
            row_warnings: list[RowWarning] = []  # kept only if the row lands
            account, known_empty = _account_from_row(row, cells, columns, layout, row_warnings)
            for key_field, value in (("crm_id", account.crm_id), ("domain", account.domain)):
                if value is not None and (key_field, value.casefold()) in seen:
                    column = next(c.name for c in columns if c.target == key_field)
                    first = seen[(key_field, value.casefold())]
                    raise ImportRowError(row, f"column {column!r}: duplicate {value!r}, already in row {first}")
            if account.crm_id is None and account.domain is None:
                if ("name", account.name.casefold()) in seen:
                    first = seen[("name", account.name.casefold())]
                    raise ImportRowError(
                        row, f"duplicate account {account.name!r} with no id or domain, already in row {first}"
                    )
                seen[("name", account.name.casefold())] = row
            for key_field, value in (("crm_id", account.crm_id), ("domain", account.domain)):
                if value is not None:
                    seen[(key_field, value.casefold())] = row
        except ImportRowError as exc:
            errors.append(RowError(row, exc.reason, raw))
            continue
        warnings.extend(row_warnings)
        accounts.append(ParsedAccount(row, account, known_empty))
    if errors and not accounts:
        warnings.append(RowWarning(None, "no row could be imported: check the column mapping"))
    column_map, unmapped = _column_report(columns)
    return AccountsParse(
        accounts=accounts, errors=errors, warnings=warnings, rows_read=len(table.rows), column_map=column_map,
        unmapped_columns=unmapped, preset=layout.name if layout else None, encoding=table.encoding,
        delimiter=table.delimiter,
    )  # fmt: skip


def _account_from_row(
    row: int, cells: list[str], columns: list[Column], layout: Preset | None, warnings: list[RowWarning]
) -> tuple[Account, frozenset[str]]:
    values: dict[str, Any] = {}
    custom: dict[str, JsonValue] = {}
    known_empty: set[str] = set()
    cell_currency: str | None = None
    money_currency: str | None = None
    bad_domain = ""
    for column in columns:
        text = cells[column.index].strip()
        target = column.target
        if target == "ignore":
            continue
        if target.startswith("custom."):
            custom[target.removeprefix("custom.")] = None if _is_blank(text) else _custom_value(text)
            continue
        if _is_blank(text):
            known_empty.add(target)
            continue
        where = f"column {column.name!r}"
        if target in ("revenue", "revenue_potential"):
            values[target], currency = _money(column, text, row)
            money_currency = money_currency or currency
        elif target == "employees":
            try:
                values[target] = parse_employees(text)
            except ValueError as exc:
                raise ImportRowError(row, f"{where}: {exc}") from exc
        elif target == "domain":
            values[target] = normalize_domain(text)
            if values[target] is None:
                bad_domain = f"; {where} holds {text!r}, which is not a domain"
                warnings.append(RowWarning(row, f"{where}: {text!r} is not a domain; domain left blank"))
        elif target == "country":
            values[target] = normalize_country(text)
            if values[target] is None:
                warnings.append(RowWarning(row, f"{where}: unknown country {text!r}; country left blank"))
        elif target == "currency":
            cell_currency = normalize_currency(text)
            if cell_currency is None:
                warnings.append(RowWarning(row, f"{where}: unknown currency {text!r}; currency left blank"))
        elif target == "industry":
            values["industry_raw"] = _clean(text)
            values[target] = normalize_industry(text)
        elif target == "founded_year":
            m = re.fullmatch(r"(\d{4})(?:\.0+)?", text)
            if m is None:
                warnings.append(RowWarning(row, f"{where}: {text!r} is not a year; founded year left blank"))
            else:
                values[target] = int(m.group(1))
        elif target == "aliases":
            values[target] = [_clean(a) for a in re.split(r"[;|]", text) if a.strip()]
        else:  # name, crm_id, region, city, parent_company
            values[target] = _clean(text)
    name, domain = values.get("name"), values.get("domain")
    if not name and not domain:
        raise ImportRowError(row, f"no name and no domain ({_blank_columns(columns, ('name', 'domain'))}{bad_domain})")
    values["name"] = name or domain
    if money_currency and cell_currency and money_currency != cell_currency:
        warnings.append(
            RowWarning(
                row,
                f"the amount says {money_currency} but the currency column says {cell_currency}; using {money_currency}",
            )
        )
    has_money = "revenue" in values or "revenue_potential" in values
    values["currency"] = money_currency or cell_currency or (layout.currency if layout and has_money else None)
    if layout and layout.country and values.get("country") is None and "country" not in known_empty:
        values["country"] = layout.country
    known_empty.difference_update(k for k, v in values.items() if v is not None)
    return Account(**values, custom=custom), frozenset(known_empty)


# --- opportunities ----------------------------------------------------------------------------

_WON_STAGES = frozenset({"won", "closedwon", "win", "dealwon"})
_LOST_STAGES = frozenset({"lost", "closedlost", "loss", "deallost"})


def outcome_from_stage(stage: str | None, *, stage_map: Mapping[str, str | Outcome] | None = None) -> Outcome:
    """Returns won, lost or open for a stage name ("Closed Won" -> won, "Prospecting" -> open).

    `stage_map` names stages the rules do not know ({"Signed": "won"}); it is compared the same
    case- and punctuation-insensitive way.
    """
    key = header_key(stage or "")
    for name, outcome in (stage_map or {}).items():
        if header_key(name) == key:
            return Outcome(outcome)
    if key in _WON_STAGES or key.startswith("closedwon"):
        return Outcome.WON
    if key in _LOST_STAGES or key.startswith("closedlost"):
        return Outcome.LOST
    return Outcome.OPEN


def parse_opportunities_csv(
    data: bytes, *, mapping: dict[str, str] | None = None, stage_map: dict[str, str] | None = None
) -> OpportunitiesParse:
    """Parses an opportunities export into won, lost and open deals, rejected rows and warnings.

    The outcome comes from the stage (see `outcome_from_stage`); product names become comparison
    keys (`normalize_product`). An open deal may lack an account; a won or lost one is rejected.
    Lost deals keep their amount as given (often 0): deal-size statistics should use won deals.
    """
    for name, outcome in (stage_map or {}).items():
        if outcome not in {o.value for o in Outcome}:
            raise CsvFormatError(f"stage map {name!r}: {outcome!r} is not one of won, lost, open")
    table = read_table(data)
    columns, warnings = resolve_columns(table.header, kind="opportunities", mapping=mapping, preset=None)
    _require(columns, {"stage"}, "the deal stage")
    warnings = table.warnings + warnings
    errors: list[RowError] = []
    found: list[ParsedOpportunity] = []
    seen: dict[str, int] = {}
    for row, cells, raw in _iter_rows(table, errors):
        try:
            row_warnings: list[RowWarning] = []  # kept only if the row lands
            ref, opportunity = _opportunity_from_row(row, cells, columns, stage_map, row_warnings)
            if opportunity.crm_id is not None:
                if opportunity.crm_id in seen:
                    column = next(c.name for c in columns if c.target == "crm_id")
                    raise ImportRowError(
                        row,
                        f"column {column!r}: duplicate {opportunity.crm_id!r}, already in row {seen[opportunity.crm_id]}",
                    )
                seen[opportunity.crm_id] = row
        except ImportRowError as exc:
            errors.append(RowError(row, exc.reason, raw))
            continue
        warnings.extend(row_warnings)
        found.append(ParsedOpportunity(row, ref, opportunity))
    column_map, unmapped = _column_report(columns)
    return OpportunitiesParse(
        opportunities=found, errors=errors, warnings=warnings, rows_read=len(table.rows), column_map=column_map,
        unmapped_columns=unmapped, encoding=table.encoding, delimiter=table.delimiter,
    )  # fmt: skip


def _opportunity_from_row(
    row: int, cells: list[str], columns: list[Column], stage_map: Mapping[str, str] | None, warnings: list[RowWarning]
) -> tuple[AccountRef, Opportunity]:
    values: dict[str, Any] = {}
    ref: dict[str, str | None] = {}
    for column in columns:
        text = cells[column.index].strip()
        target = column.target
        if target == "ignore" or _is_blank(text):
            continue
        where = f"column {column.name!r}"
        if target in ("amount", "acquisition_cost", "lifetime_value"):
            values[target] = _money(column, text, row)[0]
        elif target in ("created", "closed"):
            try:
                values[target] = _parse_date(text)
            except ValueError as exc:
                raise ImportRowError(row, f"{where}: cannot read {text!r} as a date ({exc})") from exc
        elif target == "product":
            values[target] = normalize_product(text)
        elif target == "account":
            ref["name"] = _clean(text)
        elif target == "account_id":
            ref["crm_id"] = _clean(text)
        elif target == "account_domain":
            ref["domain"] = normalize_domain(text)
            if ref["domain"] is None:
                warnings.append(RowWarning(row, f"{where}: {text!r} is not a domain; left blank"))
        else:  # crm_id, stage, segment
            values[target] = _clean(text)
    outcome = outcome_from_stage(values.get("stage"), stage_map=stage_map)
    account = AccountRef(**ref)
    if account.empty and outcome is not Outcome.OPEN:
        blank = _blank_columns(columns, ("account", "account_id", "account_domain"))
        raise ImportRowError(row, f"a {outcome.value} deal needs an account ({blank})")
    return account, Opportunity(outcome=outcome, account_name=account.name, **values)


# --- contacts ---------------------------------------------------------------------------------

_SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("staff", r"\bassistant to\b|\b(?:executive|personal|administrative|office) assistant\b|\bintern\b|\btrainee\b"),
    ("vp", r"\bvice[ -]president\b|\b[sea]?vp\b"),
    ("c_level", r"\bchief\b|\bc[a-z]?[eoftimrspd]o\b|\bpresident\b|\bco-?founder\b|\bfounder\b|\bmanaging director\b"
     r"|\bchair(?:man|woman|person)\b|\bgeschaftsfuhrer"),
    ("director", r"\bdirector\b|\bdir\b|\bgeneral manager\b"),
    ("head", r"\bhead\b|leiter(?:in)?\b"),
    ("manager", r"\bmanager\b|\bmgr\b"),
    ("lead", r"\blead\b|\bteam ?lead\b|\bsupervisor\b|\bprincipal\b|\bforeman\b"),
)  # fmt: skip
_SENIORITY_LABELS: dict[str, str] = {
    "clevel": "c_level", "csuite": "c_level", "cxo": "c_level", "executive": "c_level", "owner": "c_level",
    "partner": "c_level", "vp": "vp", "vicepresident": "vp", "director": "director", "head": "head",
    "manager": "manager", "management": "manager", "lead": "lead", "teamlead": "lead", "senior": "staff",
    "entry": "staff", "staff": "staff", "individualcontributor": "staff", "employee": "staff", "training": "staff",
}  # fmt: skip
_ROLE_LABELS: dict[str, StakeholderRole] = {
    "decisionmaker": StakeholderRole.DECISION_MAKER, "economicbuyer": StakeholderRole.DECISION_MAKER,
    "economicdecisionmaker": StakeholderRole.DECISION_MAKER, "budgetholder": StakeholderRole.DECISION_MAKER,
    "influencer": StakeholderRole.INFLUENCER, "evaluator": StakeholderRole.INFLUENCER,
    "technicalbuyer": StakeholderRole.INFLUENCER, "champion": StakeholderRole.CHAMPION,
    "executivesponsor": StakeholderRole.CHAMPION, "gatekeeper": StakeholderRole.GATEKEEPER,
}  # fmt: skip
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def seniority_from_title(title: str | None) -> str | None:
    """Returns the seniority a job title implies: c_level, vp, director, head, manager, lead or staff.

    "VP IT" -> vp, "Head of Operations" -> head, "Executive Assistant to the CEO" -> staff; any
    other non-blank title is staff. None for a blank title.
    """
    if title is None or not title.strip():
        return None
    folded = _fold_title(title)
    for level, pattern in _SENIORITY_RULES:
        if re.search(pattern, folded):
            return level
    return "staff"


def _fold_title(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def parse_contacts_csv(data: bytes, *, mapping: dict[str, str] | None = None) -> ContactsParse:
    """Parses a contacts export into stakeholders with the account each belongs to.

    The name is the name column or first + last name (else the e-mail address). Seniority comes
    from its column when present and recognisable, else from the title. A row naming no account,
    no person, or an e-mail address already seen is rejected; an invalid e-mail is left blank with
    a warning.
    """
    table = read_table(data)
    columns, warnings = resolve_columns(table.header, kind="contacts", mapping=mapping, preset=None)
    _require(columns, {"name", "first_name", "last_name", "email"}, "the contact's name")
    _require(columns, {"account", "account_id", "account_domain"}, "the contact's account")
    warnings = table.warnings + warnings
    errors: list[RowError] = []
    contacts: list[ParsedContact] = []
    seen: dict[str, int] = {}
    for row, cells, raw in _iter_rows(table, errors):
        try:
            row_warnings: list[RowWarning] = []  # kept only if the row lands
            ref, person = _contact_from_row(row, cells, columns, row_warnings)
            if person.email is not None:
                key = person.email.casefold()
                if key in seen:
                    raise ImportRowError(row, f"duplicate e-mail {person.email!r}, already in row {seen[key]}")
                seen[key] = row
        except ImportRowError as exc:
            errors.append(RowError(row, exc.reason, raw))
            continue
        warnings.extend(row_warnings)
        contacts.append(ParsedContact(row, ref, person))
    column_map, unmapped = _column_report(columns)
    return ContactsParse(
        contacts=contacts, errors=errors, warnings=warnings, rows_read=len(table.rows), column_map=column_map,
        unmapped_columns=unmapped, encoding=table.encoding, delimiter=table.delimiter,
    )  # fmt: skip


def _contact_from_row(
    row: int, cells: list[str], columns: list[Column], warnings: list[RowWarning]
) -> tuple[AccountRef, Stakeholder]:
    values: dict[str, str] = {}
    ref: dict[str, str | None] = {}
    for column in columns:
        text = _clean(cells[column.index])
        if column.target == "ignore" or _is_blank(text):
            continue
        if column.target == "email":
            if _EMAIL_RE.fullmatch(text):
                values["email"] = text
            else:
                warnings.append(
                    RowWarning(row, f"column {column.name!r}: {text!r} is not an e-mail address; left blank")
                )
        elif column.target == "account":
            ref["name"] = text
        elif column.target == "account_id":
            ref["crm_id"] = text
        elif column.target == "account_domain":
            ref["domain"] = normalize_domain(text)
        else:
            values[column.target] = text
    name = values.pop("name", None) or _clean(f"{values.pop('first_name', '')} {values.pop('last_name', '')}")
    values.pop("first_name", None)
    values.pop("last_name", None)
    name = name or values.get("email", "")
    if not name:
        raise ImportRowError(row, "no name and no e-mail address")
    account = AccountRef(**ref)
    if account.empty:
        raise ImportRowError(
            row, f"no account ({_blank_columns(columns, ('account', 'account_id', 'account_domain'))})"
        )
    label = values.pop("seniority", None)
    seniority = _SENIORITY_LABELS.get(header_key(label or "")) or seniority_from_title(values.get("title"))
    if seniority is None and label:
        seniority = label.casefold()
    role = _ROLE_LABELS.get(header_key(values.pop("role", "")), StakeholderRole.UNKNOWN)
    return account, Stakeholder(name=name, seniority=seniority, role=role, **values)
