"""CRM exports as tables: decoding, delimiter sniffing, header recognition and column mapping.

The parsers in `scoring.crm` build on this; nothing here looks at cell values. Decoding tries
UTF-8 (with or without BOM), UTF-16 when marked, then Windows-1252 with a warning; the delimiter
(`,`, `;`, tab or `|`) is the one the header line uses most. Headers are recognised case-, space-
and punctuation-insensitively (scoring/data/crm_headers.yaml), with `--map` overrides and file
layouts (`Preset`) on top.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml

from scoring.errors import CsvFormatError
from scoring.normalize import Unit, normalize_currency

__all__ = [
    "PRESETS",
    "Column",
    "Kind",
    "Preset",
    "RowWarning",
    "Table",
    "detect_preset",
    "header_key",
    "read_table",
    "resolve_columns",
]

Kind = Literal["accounts", "opportunities", "contacts"]

_UNIT_TARGETS: dict[str, Unit] = {
    "revenue_thousands": "thousands",
    "revenue_millions": "millions",
    "revenue_billions": "billions",
}
_MONEY_FIELDS = frozenset({"revenue", "revenue_potential", "amount", "acquisition_cost", "lifetime_value"})
_SCALE_UNITS: dict[str, Unit] = {
    "k": "thousands", "thousand": "thousands", "thousands": "thousands", "tsd": "thousands",
    "m": "millions", "mm": "millions", "mn": "millions", "mio": "millions", "million": "millions", "millions": "millions",
    "b": "billions", "bn": "billions", "billion": "billions", "billions": "billions", "mrd": "billions",
}  # fmt: skip
_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "an Excel workbook or other zip file",
    b"\xd0\xcf\x11\xe0": "an Excel 97 file",
}


@dataclass(frozen=True, slots=True)
class RowWarning:
    """Something a user should know about a row that still landed; `row` is None for the whole file."""

    row: int | None
    reason: str


# --- reading the file -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A decoded CSV file: its header, its non-blank rows with spreadsheet row numbers, and how it was read."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str
    warnings: list[RowWarning]


def _decode(data: bytes) -> tuple[str, str, list[RowWarning]]:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise CsvFormatError(f"the file is {what}, not a CSV export: save it as CSV first")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as exc:
            raise CsvFormatError(f"the file has a UTF-16 mark but is not UTF-16: {exc}") from exc
    if b"\x00" in data:
        raise CsvFormatError("the file contains NUL bytes: it is binary, not a CSV export")
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"the file is neither UTF-8 nor Windows-1252 (byte {data[exc.start]:#04x} at offset {exc.start}): "
                "export it as CSV UTF-8"
            ) from exc
        note = f"the file is not UTF-8 (byte {data[utf8_error.start]:#04x} at offset {utf8_error.start}); read it as Windows-1252"
        return text, "cp1252", [RowWarning(None, note)]


def _sniff_delimiter(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    outside = re.sub(r'"[^"]*"', "", line)  # delimiters inside quoted headers do not count
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes) -> Table:
    """Decodes and splits a CSV file; raises CsvFormatError when it is not a readable CSV with a header."""
    text, encoding, warnings = _decode(data)
    if not text.strip():
        raise CsvFormatError("the file is empty: expected a header row")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                if any(c.strip() for c in cells):
                    header = [c.replace("\ufeff", "").strip() for c in cells]
                continue
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise CsvFormatError(f"row {number + 1}: the file is not valid CSV ({exc})") from exc
    if header is None:
        raise CsvFormatError("the file has no header row")
    return Table(header, rows, encoding, delimiter, warnings)


# --- columns ----------------------------------------------------------------------------------


def header_key(name: str) -> str:
    """Returns a header or label as a comparison key: lowercase letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, dict[str, tuple[str, int]]]:
    """Returns, per kind, header key -> (field, priority)."""
    text = resources.files("scoring.data").joinpath("crm_headers.yaml").read_text(encoding="utf-8")
    table: dict[str, dict[str, list[str]]] = yaml.safe_load(text)
    out: dict[str, dict[str, tuple[str, int]]] = {}
    for kind, fields in table.items():
        index: dict[str, tuple[str, int]] = {}
        for target, names in fields.items():
            for priority, name in enumerate(names):
                key = header_key(name)
                if index.setdefault(key, (target, priority))[0] != target:
                    raise ValueError(f"crm_headers.yaml: {kind} header {name!r} names two fields")
        out[kind] = index
    return out


def _fields(kind: Kind) -> frozenset[str]:
    return frozenset(target for target, _ in _synonyms()[kind].values())


def _money_hints(name: str) -> tuple[str, Unit | None, str | None]:
    """Returns a header's key without currency and scale words, and the unit and currency they name."""
    unit: Unit | None = None
    currency: str | None = None
    kept: list[str] = []
    for token in re.findall(r"[^\W\d_]+|[$€£¥₹]", name.casefold()):
        if token in _SCALE_UNITS:
            unit = _SCALE_UNITS[token]
        elif (code := normalize_currency(token)) is not None:
            currency = code
        elif token not in ("in", "of"):
            kept.append(token)
    return header_key("".join(kept)), unit, currency


def _snake(name: str) -> str:
    return "_".join(re.findall(r"[0-9a-z]+", name.casefold()))


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a file and the field it feeds, with the unit and currency its header names."""

    index: int
    name: str
    target: str  # a field, "custom.<key>" or "ignore"
    unit: Unit = "units"
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Preset:
    """A known file layout: the headers that identify it, its column targets and its defaults."""

    name: str
    signature: frozenset[str]  # header keys that identify the layout
    columns: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    country: str | None = None


PRESETS: dict[str, Preset] = {
    "maven": Preset(
        "maven",
        frozenset({"account", "sector", "yearestablished", "revenue", "employees", "officelocation", "subsidiaryof"}),
        {"account": "name", "sector": "industry", "yearestablished": "founded_year", "revenue": "revenue_millions",
         "employees": "employees", "officelocation": "country", "subsidiaryof": "parent_company"},
        currency="USD",
    ),
    "fortune500": Preset(
        "fortune500",
        frozenset({"rank", "company", "industry", "revenue", "city", "state", "website", "employees", "ceo"}),
        {"company": "name", "state": "region", "website": "domain"},
        currency="USD",
        country="US",
    ),
    "salesforce": Preset("salesforce", frozenset({"accountname", "accountid", "billingcountry", "billingcity", "billingstate"})),
    "hubspot": Preset("hubspot", frozenset({"companydomainname", "countryregion", "stateregion", "recordid"})),
}  # fmt: skip


def detect_preset(keys: set[str], preset: str | None) -> Preset | None:
    """Returns the named preset, or the layout a set of header keys reveals, or None."""
    if preset is not None:
        if preset == "generic":
            return None
        if preset not in PRESETS:
            raise CsvFormatError(f"unknown preset {preset!r}: use one of {', '.join(sorted(PRESETS))} or generic")
        return PRESETS[preset]
    for candidate in (PRESETS["maven"], PRESETS["fortune500"]):
        if candidate.signature <= keys:
            return candidate
    # CRM exports vary in their columns: the source with the most tell-tale headers wins.
    hits = {name: len(PRESETS[name].signature & keys) for name in ("salesforce", "hubspot")}
    best = max(hits, key=lambda name: hits[name])
    return PRESETS[best] if hits[best] and list(hits.values()).count(hits[best]) == 1 else None


def _explicit_columns(header: list[str], *, kind: Kind, mapping: Mapping[str, str] | None) -> dict[int, str]:
    """Returns column index -> target for the user's --map overrides, checking each one."""
    allowed = _fields(kind) | {"ignore"} | (set(_UNIT_TARGETS) if kind == "accounts" else set())
    explicit: dict[int, str] = {}
    for column, wanted in (mapping or {}).items():
        index = next((i for i, h in enumerate(header) if h == column.strip()), None)
        if index is None:
            index = next((i for i, h in enumerate(header) if header_key(h) == header_key(column)), None)
        if index is None:
            raise CsvFormatError(
                f"--map {column}={wanted}: the file has no column {column!r}; its columns are {header}"
            )
        if kind == "accounts" and wanted.startswith("custom.") and _snake(wanted.removeprefix("custom.")):
            wanted = "custom." + _snake(wanted.removeprefix("custom."))
        elif wanted not in allowed:
            raise CsvFormatError(
                f"--map {column}={wanted}: unknown field {wanted!r}; use one of {', '.join(sorted(allowed))}"
                + (" or custom.<key>" if kind == "accounts" else "")
            )
        explicit[index] = wanted
    return explicit


def resolve_columns(
    header: list[str], *, kind: Kind, mapping: Mapping[str, str] | None, preset: Preset | None
) -> tuple[list[Column], list[RowWarning]]:
    """Returns every column with its target: --map overrides first, then the preset, then known headers.

    Columns nobody claims become `custom.<snake_case>` for accounts and are ignored otherwise.
    """
    fields = _fields(kind)
    explicit = _explicit_columns(header, kind=kind, mapping=mapping)
    warnings: list[RowWarning] = []
    synonyms = _synonyms()[kind]
    claims: dict[str, tuple[int, int]] = {}  # field -> (rank, column index); lower rank wins
    chosen: dict[int, Column] = {}
    for index, name in enumerate(header):
        key = header_key(name)
        stripped, unit, currency = _money_hints(name)
        target: str | None = explicit.get(index)
        rank = -1
        if target is None and not name:
            warnings.append(RowWarning(None, f"column {index + 1} has no header: its values are ignored"))
            target = "ignore"
        if target is None and preset is not None and key in preset.columns:
            target, rank = preset.columns[key], 0
        if target is None:
            hit = synonyms.get(key) or synonyms.get(stripped)
            if hit is not None and (hit[0] in _MONEY_FIELDS or key in synonyms):
                target, rank = hit[0], 1 + hit[1]
        if target is None:
            continue
        base = "revenue" if target in _UNIT_TARGETS else target
        if target in _UNIT_TARGETS:
            unit = _UNIT_TARGETS[target]
        elif base not in _MONEY_FIELDS:
            unit, currency = None, None
        if base in fields:
            previous = claims.get(base)
            if previous is not None and previous[0] == -1 and rank == -1:
                raise CsvFormatError(f"--map names two columns for {base}: {header[previous[1]]!r} and {name!r}")
            if previous is not None:
                keep = previous[1] if previous[0] <= rank else index
                both = f"columns {header[previous[1]]!r} and {name!r} both look like {base}"
                other = "kept as a custom value" if kind == "accounts" else "ignored"
                warnings.append(RowWarning(None, f"{both}; using {header[keep]!r}, the other is {other}"))
                if keep != index:
                    continue
                del chosen[previous[1]]
            claims[base] = (rank, index)
        chosen[index] = Column(index, name, base, unit or "units", currency)
    columns: list[Column] = []
    used_keys = {c.target.removeprefix("custom.") for c in chosen.values() if c.target.startswith("custom.")}
    for index, name in enumerate(header):
        if index in chosen:
            columns.append(chosen[index])
            continue
        if kind != "accounts":
            columns.append(Column(index, name, "ignore"))
            continue
        key = _snake(name) or f"column_{index + 1}"
        while key in used_keys:
            key += "_2"
        used_keys.add(key)
        columns.append(Column(index, name, f"custom.{key}"))
    return columns, warnings
