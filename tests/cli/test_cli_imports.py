"""Import commands report what landed and why rows did not: conflicting keys, unlinked deals, warnings."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import icp, write_csv

ACCOUNTS = "Account ID,Account Name,Website"
DEALS = "Opportunity ID,Account ID,Account Name,Stage,Amount,Created Date,Close Date,Product"


def test_a_row_taking_another_accounts_domain_is_rejected_and_the_rest_land(tmp_path: Path) -> None:
    home = tmp_path / "h"
    first = write_csv(tmp_path / "a.csv", ACCOUNTS, "001,Alpha,alpha.com", "002,Beta,beta.com")
    again = write_csv(tmp_path / "b.csv", ACCOUNTS, "001,Alpha,beta.com", "003,Gamma,gamma.com")
    assert icp(home, "accounts", "import", str(first), "--no-score")[0] == 0
    code, out = icp(home, "accounts", "import", str(again), "--no-score", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert (report["landed"], report["created"]) == (1, 1)
    assert [r["row"] for r in report["rejected"]] == [2]
    assert report["rejected"][0]["reason"].startswith("domain 'beta.com' already belongs to another account, Beta")
    code, out = icp(home, "accounts", "list", "--format", "json")
    assert sorted((a["name"], a["domain"]) for a in json.loads(out)) == [
        ("Alpha", "alpha.com"),
        ("Beta", "beta.com"),
        ("Gamma", "gamma.com"),
    ]


def test_file_warnings_print_without_a_row_and_the_rest_are_counted(tmp_path: Path) -> None:
    rows = [f"Company {i},c{i}.example,Atlantis," for i in range(12)]
    csv = write_csv(tmp_path / "a.csv", "Account Name,Website,Country,", *rows)
    code, out = icp(tmp_path / "h", "accounts", "import", str(csv), "--no-score")
    assert code == 0, out
    lines = out.splitlines()
    assert "  warning: column 4 has no header: its values are ignored" in lines
    assert "warning, row None" not in out
    assert sum(line.startswith("  warning, row ") for line in lines) == 9
    assert "  … and 3 more (use --format json for all)" in lines


def test_deals_imported_before_their_accounts_are_linked_when_the_accounts_arrive(tmp_path: Path) -> None:
    home = tmp_path / "h"
    deals = write_csv(
        tmp_path / "d.csv",
        DEALS,
        "o1,001,,Closed Won,100,2024-01-01,2024-02-01,A",
        "o2,002,,Closed Lost,100,2024-01-01,2024-02-01,A",
    )
    code, out = icp(home, "opportunities", "import", str(deals), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["linked_to_accounts"], report["account_not_found"]) == (0, 2)
    assert report["unmatched"][0] == {
        "row": 2,
        "reason": "no account '001' in this workspace; import the accounts first",
    }
    accounts = write_csv(tmp_path / "a.csv", ACCOUNTS, "001,Alpha,alpha.com", "002,Beta,beta.com")
    code, out = icp(home, "accounts", "import", str(accounts), "--no-score")
    assert code == 0
    assert "  2 deals imported earlier are now linked to their accounts." in out.splitlines()


def test_identical_deals_without_an_id_are_counted_as_stored(tmp_path: Path) -> None:
    home = tmp_path / "h"
    accounts = write_csv(tmp_path / "a.csv", ACCOUNTS, "001,Alpha,alpha.com")
    deal = ",,Alpha,Closed Won,100,2024-01-01,2024-02-01,A"
    deals = write_csv(tmp_path / "d.csv", DEALS, deal, deal)
    assert icp(home, "accounts", "import", str(accounts), "--no-score")[0] == 0
    code, out = icp(home, "opportunities", "import", str(deals))
    assert code == 0, out
    assert "2 landed as 2 deals (2 new, 0 updated, 0 unchanged), 0 rejected. Outcomes: won 2." in out
    assert "  warning, row 3: rows 2, 3 have no opportunity id" in out
    code, out = icp(home, "opportunities", "import", str(deals))
    assert "2 landed as 2 deals (0 new, 0 updated, 2 unchanged)" in out


def test_a_contact_naming_a_shared_account_name_prints_the_resolvers_message(tmp_path: Path) -> None:
    home = tmp_path / "h"
    accounts = write_csv(tmp_path / "a.csv", "Account Name,Website", "Twin,twin-east.com", "Twin,twin-west.com")
    contacts = write_csv(tmp_path / "c.csv", "First Name,Last Name,Job Title,Company Name", "Jo,Park,COO,Twin")
    assert icp(home, "accounts", "import", str(accounts), "--no-score")[0] == 0
    code, out = icp(home, "contacts", "import", str(contacts))
    assert code == 0, out
    assert "  row 2: account name 'Twin' matches 2 accounts; give its CRM id or domain" in out.splitlines()
    assert "account not found" not in out
