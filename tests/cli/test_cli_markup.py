"""Names from a CRM, file names and quotes from web pages are shown as they are, never read as Rich markup."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import icp, write_csv

from api.services import Services
from api.settings import Settings
from scoring.domain import Evidence, Fact, FactKind, Origin
from store.accounts import find_account
from store.facts import replace_document_facts
from store.models import DocumentRow

NAMES = ["Beta [/]", "ACME [holding]", "[bold]Loud[/bold] GmbH"]
QUOTE = "We run [red]SAP[/red] S/4HANA [/] in every plant"


def _import(tmp_path: Path) -> tuple[Path, Path, str]:
    home = tmp_path / "home"
    csv = write_csv(
        tmp_path / "acc[old].csv",
        "Account Name,Website,Industry,Employees",
        f"{NAMES[0]},beta.example,manufacturing [core],300",
        f"{NAMES[1]},acme.example,chemicals,900",
        f"{NAMES[2]},loud.example,electronics,250",
    )
    code, out = icp(home, "-w", "t", "accounts", "import", str(csv))
    assert code == 0, out
    return home, csv, out


@pytest.fixture
def home(tmp_path: Path, wide: None) -> Path:
    home, _, _ = _import(tmp_path)
    _add_quoted_fact(home, NAMES[1])
    return home


def test_the_import_summary_names_a_bracketed_file_as_written(tmp_path: Path, wide: None) -> None:
    _, csv, out = _import(tmp_path)
    assert out.startswith(f"{csv} (layout: salesforce): 3 rows read, 3 landed")


def _add_quoted_fact(home: Path, account: str) -> None:
    svc = Services.create(Settings(icp_home=home), workspace="t")
    text = f"News. {QUOTE}."
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with svc.db.session() as s:
        acc = find_account(s, "t", account).id
        s.add(
            DocumentRow(
                id="doc-1", workspace_id="t", account_id=acc, url="https://acme.example/[news]",
                canonical_url="https://acme.example/[news]", title="[b]News[/b]", doc_type="page", fetched_at=now,
                updated_at=now, content_hash=hashlib.sha256(text.encode()).hexdigest(), text=text, status="done",
            )
        )  # fmt: skip
        s.flush()
        fact = Fact(
            id="f-1", account_id=acc, kind=FactKind.TECHNOGRAPHIC, field="technologies", value=["SAP [S/4]"],
            origin=Origin.OFFLINE, confidence=0.9, observed_at=now,
            evidence=Evidence(document_id="doc-1", quote=QUOTE, url="https://acme.example/[news]"),
        )  # fmt: skip
        replace_document_facts(s, "t", "doc-1", acc, [fact], extractor="test")


def test_tiers_show_names_with_brackets_as_written(home: Path) -> None:
    code, out = icp(home, "-w", "t", "tiers")
    assert code == 0, out
    assert all(name in out for name in NAMES)


def test_the_account_list_shows_names_and_values_with_brackets(home: Path) -> None:
    code, out = icp(home, "-w", "t", "accounts", "list")
    assert code == 0, out
    assert all(name in out for name in NAMES)


def test_account_show_titles_the_table_with_the_name_as_written(home: Path) -> None:
    code, out = icp(home, "-w", "t", "accounts", "show", "beta.example")
    assert code == 0, out
    assert NAMES[0] in out and "manufacturing [core]" in out


def test_a_profile_shows_the_quote_from_the_page_as_written(home: Path) -> None:
    code, out = icp(home, "-w", "t", "profile", "acme.example")
    assert code == 0, out
    assert NAMES[1] in out
    assert QUOTE in out and "https://acme.example/[news]" in out and "SAP [S/4]" in out


def test_json_output_is_unchanged_by_markup_escaping(home: Path) -> None:
    code, out = icp(home, "-w", "t", "tiers", "--format", "json")
    assert code == 0
    assert sorted(r["name"] for r in json.loads(out)) == sorted(NAMES)


def test_an_error_naming_a_bracketed_account_prints_it_as_written(home: Path) -> None:
    code, out = icp(home, "-w", "t", "explain", "Nobody [/]")
    assert code == 1
    assert "no account matches 'Nobody [/]'" in out
