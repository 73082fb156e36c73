"""CLI plumbing: services from the context, output formats, and errors turned into clean messages."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from api.services import Services

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    """Output formats."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    TEXT = "text"
    MARKDOWN = "markdown"


def services(ctx: typer.Context) -> Services:
    """Returns the services built by the root callback."""
    obj = ctx.find_root().obj
    if not isinstance(obj, dict) or "factory" not in obj:
        raise RuntimeError("the CLI root did not set up services")
    if "services" not in obj:
        obj["services"] = obj["factory"]()
    svc: Services = obj["services"]
    return svc


def print_json(data: Any) -> None:
    """Writes JSON to stdout, without any markup."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    """Writes rows as CSV to stdout."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    sys.stdout.write(buf.getvalue())


def plain(value: object) -> Text:
    """Returns a table cell or line that shows data as it is: brackets in CRM names are no markup."""
    return Text("" if value is None else str(value))


def fail(message: str, *, code: int = 1) -> typer.Exit:
    """Prints an error to stderr and returns the exit to raise."""
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    return typer.Exit(code)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turns the project's errors, and ValueErrors from bad option values, into one line and exit code 1."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from scoring.errors import IcpConfigError, ScoringError
        from store.errors import StoreError

        try:
            return fn(*args, **kwargs)
        except IcpConfigError as exc:
            err.print(Text.assemble(("error:", "bold red"), " the ICP file is invalid:"))
            for m in exc.messages:
                err.print(f"  {m}", markup=False)
            raise typer.Exit(1) from exc
        except (ScoringError, StoreError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            raise fail(str(exc)) from exc
        except _project_errors() as exc:
            raise fail(str(exc)) from exc
        except ValueError as exc:
            # the layers below check option values (a scope, a source kind, a sample size) with ValueError
            raise fail(str(exc)) from exc

    return wrapper


def _project_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    for mod, name in (
        ("ingest.errors", "IngestError"),
        ("agent.errors", "AgentError"),
        ("ingest.embeddings", "EmbeddingError"),
    ):
        try:
            module = __import__(mod, fromlist=[name])
            errors.append(getattr(module, name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors) or (_Never,)


class _Never(Exception):
    """Placeholder so an except clause always has a type."""


def row_number(value: object) -> int | None:
    """Returns a report's row number, or None for a note about the whole file."""
    return value if isinstance(value, int) else None


def print_row_notes(notes: Sequence[tuple[str | None, int | None, str]], *, limit: int) -> None:
    """Prints (label, row, reason) notes one a line, at most `limit`, then how many were left out.

    `("warning", 5, "…")` prints "warning, row 5: …"; a note about the whole file (row None) prints
    "warning: …"; an unlabelled one prints "row 5: …".
    """
    for label, row, reason in notes[:limit]:
        where = ", ".join(part for part in (label, None if row is None else f"row {row}") if part) or "file"
        out.print(f"  {where}: {reason}", markup=False)
    if len(notes) > limit:
        out.print(f"  … and {len(notes) - limit} more (use --format json for all)", markup=False)


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """Parses `column=field` options."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise fail(f"--map needs column=field, got {pair!r}")
        col, fld = pair.split("=", 1)
        mapping[col.strip()] = fld.strip()
    return mapping
