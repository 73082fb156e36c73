"""Bad option values and missing files end in one line that says what is wrong, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import icp, write_csv

NO_ICP = "nosuch.yaml: no such file (and no built-in ICP of that name: default, maven)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("extract", "--extractor", "llm"), "error: no LLM is configured"),
        (("sources", "add", "https://news.example/", "--kind", "bogus"), "error: source kind must be one of"),
        (("keys", "create", "--scope", "admin"), "error: scope must be one of"),
        (("config", "apply", "nosuch.yaml"), f"error: {NO_ICP}"),
        (("config", "check", "nosuch.yaml"), f"error: {NO_ICP}"),
        (("validate", "--icp", "nosuch.yaml"), f"error: {NO_ICP}"),
        (("weights", "propose", "--icp", "nosuch.yaml"), f"error: {NO_ICP}"),
        (("config", "rollback", "--to", ""), "at least 4 of its first characters"),
    ],
)
def test_a_bad_value_is_one_error_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, out = icp(tmp_path / "h", *args)
    assert code == 1
    assert message in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--permutations", "-1"),
        ("validate", "--min-sample", "0"),
        ("weights", "propose", "--min-sample", "20000"),
        ("tiers", "--limit", "0"),
    ],
)
def test_counts_out_of_range_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out = icp(tmp_path / "h", *args)
    assert code == 2
    assert "Invalid value for" in out and "Traceback" not in out


def test_too_few_deals_for_the_asked_sample_size_is_one_error_line(tmp_path: Path) -> None:
    home = tmp_path / "h"
    accounts = write_csv(tmp_path / "a.csv", "Account Name,Website", "Alpha,alpha.example", "Beta,beta.example")
    deals = write_csv(
        tmp_path / "d.csv",
        "Opportunity ID,Account Name,Stage,Amount,Created Date,Close Date",
        "o1,Alpha,Closed Won,100,2024-01-01,2024-02-01",
        "o2,Beta,Closed Lost,100,2024-01-01,2024-02-01",
    )
    assert icp(home, "accounts", "import", str(accounts))[0] == 0
    assert icp(home, "opportunities", "import", str(deals))[0] == 0
    code, out = icp(home, "weights", "propose", "--min-sample", "5000", "--out", str(tmp_path / "p.yaml"))
    assert code == 1
    assert "error: 2 closed deals are too few to learn weights (need at least 10000)" in out
    assert "Traceback" not in out
