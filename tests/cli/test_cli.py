"""The command line as a user runs it: the demo, imports, JSON shapes scripts rely on, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.demo import build_demo
from scoring.domain import Tier
from store.scores import list_scores

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_data"


def icp(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    build_demo(home, quiet=True)
    return home


def test_the_demo_moves_accounts_up_because_of_the_news(demo_home: Path) -> None:
    from api.services import Services
    from api.settings import Settings

    svc = Services.create(Settings(icp_home=demo_home), workspace="demo")
    with svc.db.session() as s:
        tiers = {a.name: Tier(sc.tier) for a, sc in list_scores(s, "demo")}
    assert tiers["Stark Chemicals SA"] is Tier.TIER_1
    assert tiers["Northwind Fabrication B.V."] is Tier.TIER_2
    assert tiers["Vandelay Industries"] is Tier.DISQUALIFIED  # an existing customer
    assert tiers["Wayne Gaming Ltd"] is Tier.DISQUALIFIED  # an excluded industry
    assert tiers["Umbrella Retail Inc."] is Tier.NOT_A_TARGET  # the must-have industry is unmet


def test_tiers_and_explain_json_have_the_documented_shape(demo_home: Path) -> None:
    code, out = icp(demo_home, "--workspace", "demo", "tiers", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {"id", "name", "domain", "fit", "coverage", "tier"} <= set(rows[0])
    assert all(0 <= r["fit"] <= 100 and r["tier"] in {t.value for t in Tier} for r in rows)
    code, out = icp(demo_home, "--workspace", "demo", "explain", "Stark", "--format", "json")
    data = json.loads(out)
    assert {"criteria", "next_tier", "fit", "coverage", "tier"} <= set(data)
    assert {"id", "dimension", "kind", "status", "weight", "points", "evidence"} <= set(data["criteria"][0])
    code, out = icp(
        demo_home, "--workspace", "demo", "accounts", "show", "initech-components.example", "--format", "json"
    )
    acct = json.loads(out)
    assert acct["currency"] == "GBP" and acct["revenue"] == 95_000_000 and acct["country"] == "GB"
    assert acct["industry"] == "electronics" and acct["employees"] == 420


def test_answers_cite_their_sources(demo_home: Path) -> None:
    code, out = icp(demo_home, "--workspace", "demo", "ask", "why is Stark Chemicals Tier 1?", "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert "Tier 1" in answer["text"] and answer["citations"]
    assert all(c["quote"] for c in answer["citations"])
    code, out = icp(demo_home, "--workspace", "demo", "brief", "Northwind")
    assert code == 0 and "## Recent triggers" in out and "## Sources" in out


def test_import_reports_bad_rows_and_lands_good_ones(tmp_path: Path) -> None:
    code, out = icp(tmp_path / "h", "accounts", "import", str(DEMO / "accounts.csv"), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["rows_read"], report["landed"]) == (14, 12)
    assert sorted(r["row"] for r in report["rejected"]) == [14, 15]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("config", "check", "nope.yaml"), "nope.yaml"),
        (("explain", "Nobody Inc"), "no account matches"),
        (("tiers", "--tier", "7"), "unknown tier"),
        (("score", "--as-of", "yesterday"), "--as-of needs a date"),
    ],
)
def test_errors_are_one_clear_line_without_a_traceback(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, out = icp(tmp_path / "h", *args)
    assert code != 0
    assert message in out
    assert "Traceback" not in out


def test_a_broken_icp_names_its_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "icp.yaml"
    bad.write_text(
        "name: x\ncriteria:\n  - id: a\n    dimension: firmographic\n    kind: strong\n    wieght: 3\n",
        encoding="utf-8",
    )
    code, out = icp(tmp_path / "h", "config", "check", str(bad))
    assert code == 1
    assert f"{bad}:6: criteria[0].wieght" in out
