"""ICP files: the shipped ones load, errors name line and key, versions track what affects scores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scoring.config import IcpConfig, builtin_icps, load_icp, load_icp_text
from scoring.domain import Tier
from scoring.errors import IcpConfigError

BASE = """\
name: Test ICP
description: For config tests.
threshold: 50
criteria:
  - id: industry_fit
    label: Software
    description: Sells to software firms.
    dimension: firmographic
    kind: must_have
    weight: 40
    field: industry
    match: {one_of: [software]}
  - id: big
    dimension: firmographic
    kind: strong
    weight: 30
    field: revenue
    match:
      range: {min: 1000000, max: 5000000}
  - id: funding
    dimension: strategic
    kind: strong
    weight: 30
    field: events
    match: {recent: {event: funding, within_days: 180}}
  - id: excluded
    dimension: firmographic
    kind: disqualifier
    field: industry
    match: {one_of: [gambling]}
signals:
  buying: [funding]
  in_market: [funding]
personas:
  champion:
    titles: [Head of Sales]
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(IcpConfigError) as info:
        load_icp_text(text)
    return info.value.messages


def test_base_icp_loads() -> None:
    cfg = load_icp_text(BASE)
    assert [c.id for c in cfg.criteria] == ["industry_fit", "big", "funding", "excluded"]
    assert cfg.total_weight == 100


@pytest.mark.parametrize("name", builtin_icps())
def test_shipped_icp_loads(name: str) -> None:
    cfg = load_icp(name)
    assert re.fullmatch(r"[0-9a-f]{12}", cfg.version)
    assert cfg.total_weight > 0


def test_builtin_icps_include_default_and_maven() -> None:
    assert {"default", "maven"} <= set(builtin_icps())


@pytest.mark.parametrize("name", [*builtin_icps(), "all_matchers"])
def test_describe_mentions_every_criterion(name: str, fixtures_dir: Path) -> None:
    cfg = load_icp(fixtures_dir / "icp" / "all_matchers.yaml") if name == "all_matchers" else load_icp(name)
    text = "\n".join(cfg.describe())
    missing = [c.id for c in cfg.criteria if f"[{c.id}]" not in text]
    assert missing == []
    assert cfg.version in text


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        pytest.param(
            "    weight: 40\n", "    wieght: 40\n", "<icp>:10: criteria[0].wieght:", "unknown key", id="typo-key"
        ),
        pytest.param(
            "    weight: 40\n", "    weight: heavy\n", "<icp>:10: criteria[0].weight:", "valid number", id="wrong-type"
        ),
        pytest.param(
            "    field: revenue\n", "", "<icp>:13: criteria[1].field:", "required key is missing", id="missing-field"
        ),
        pytest.param(
            "{min: 1000000, max: 5000000}",
            "{min: 5000000, max: 1000000}",
            "<icp>:19: criteria[1].match.range.min:",
            "min (5e+06) is above max (1e+06)",
            id="range-min-above-max",
        ),
        pytest.param(
            "    field: events\n",
            "    field: industry\n",
            "<icp>:25: criteria[2].match.recent:",
            "the recent matcher reads trigger events",
            id="recent-on-non-events",
        ),
        pytest.param(
            "  buying: [funding]\n",
            "  buying: [funding, fundng]\n",
            "<icp>:32: signals.buying[1]:",
            "names an unknown criterion: fundng",
            id="signal-names-missing-criterion",
        ),
        pytest.param(
            "  in_market: [funding]\n",
            "  in_market: [excluded]\n",
            "<icp>:33: signals.in_market[0]:",
            "names a disqualifier: excluded",
            id="signal-names-disqualifier",
        ),
        pytest.param(
            "  - id: big\n", "  - id: industry_fit\n", "<icp>:13: criteria[1].id:", "appears twice", id="dup-id"
        ),
        pytest.param(
            "    kind: disqualifier\n",
            "    kind: disqualifier\n    weight: 5\n",
            "<icp>:29: criteria[3].weight:",
            "disqualifiers carry no weight",
            id="disqualifier-with-weight",
        ),
        pytest.param(
            "    field: revenue\n",
            "    field: revenu\n",
            "<icp>:17: criteria[1].field:",
            "unknown field 'revenu'",
            id="unknown-field",
        ),
        pytest.param(
            "    label: Software\n",
            "    label: Software\n    label: Other\n",
            "<icp>:7: criteria[0].label:",
            "key appears twice",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "    match: {one_of: [software]}\n",
            "    match: {equals: [software]}\n",
            "<icp>:12: criteria[0].match.equals:",
            "a valid string, a valid number or a valid boolean",
            id="union-wrong-type-once",
        ),
        pytest.param(
            "personas:",
            "potential: {field: revnue_potential}\npersonas:",
            "<icp>:34: potential.field:",
            "revenue potential reads a numeric field",
            id="potential-field",
        ),
        pytest.param(
            "signals:\n  buying: [funding]\n  in_market: [funding]\n",
            "tiers:\n  - {tier: Tier 1, min_fit: 90}\n  - {tier: Tier 2, min_fit: 70, requires: buying}\n",
            "<icp>:33: tiers[1].requires:",
            "signals.buying is empty",
            id="tier-requires-undeclared-signal",
        ),
        pytest.param(
            "threshold: 50\n", "threshold: 95\n", "<icp>:3: threshold:", "below the threshold", id="threshold"
        ),
        pytest.param("criteria:\n", "criteria: [\n", "<icp>:", "not valid YAML", id="bad-yaml"),
        pytest.param(
            "threshold: 50\n",
            "threshold: 50\ncurrency: EUR\nfx_rates: {usd: 2.0}\n",
            "<icp>:5: fx_rates.usd:",
            "'usd' is not a currency code: use three capital letters",
            id="fx-rate-lowercase-code",
        ),
        pytest.param(
            "threshold: 50\n",
            "threshold: 50\ncurrency: EUR\nfx_rates: {USD: 0}\n",
            "<icp>:5: fx_rates.USD:",
            "a rate must be a number above 0, not 0",
            id="fx-rate-zero",
        ),
        pytest.param(
            "threshold: 50\n",
            "threshold: 50\ncurrency: EUR\nfx_rates: {USD: -0.9}\n",
            "<icp>:5: fx_rates.USD:",
            "above 0, not -0.9",
            id="fx-rate-negative",
        ),
        pytest.param(
            "threshold: 50\n",
            "threshold: 50\ncurrency: EUR\nfx_rates: {USD: .inf}\n",
            "<icp>:5: fx_rates.USD:",
            "above 0, not inf",
            id="fx-rate-infinite",
        ),
        pytest.param(
            "threshold: 50\n",
            "threshold: 50\nfx_rates: {USD: 0.9}\n",
            "<icp>:4: fx_rates:",
            "set currency too",
            id="fx-rates-without-currency",
        ),
        pytest.param(
            "personas:",
            "potential: {currency: euro}\npersonas:",
            "<icp>:34: potential.currency:",
            "should match pattern",
            id="potential-currency-code",
        ),
    ],
)
def test_error_names_line_and_key(old: str, new: str, where: str, fragment: str) -> None:
    assert old in BASE
    messages = _errors(BASE.replace(old, new, 1))
    assert len(messages) == 1, messages
    assert messages[0].startswith(where), messages
    assert fragment in messages[0]


def test_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(BASE.replace("    weight: 40\n", "    wieght: 40\n"), encoding="utf-8")
    with pytest.raises(IcpConfigError) as info:
        load_icp(path)
    assert info.value.messages[0].startswith(f"{path}:10: criteria[0].wieght:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(IcpConfigError, match="cannot read"):
        load_icp(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace("    weight: 40\n", "    weight: heavy\n").replace(
        "    field: revenue\n", "    field: revenu\n"
    )
    messages = _errors(text)
    assert [m.split(": ")[0] for m in messages] == ["<icp>:10", "<icp>:17"]


@pytest.mark.parametrize("word", ["NO", "no", "yes", "on", "off", "y", "n", "Yes"])
def test_yaml11_booleans_stay_strings(word: str) -> None:
    cfg = load_icp_text(BASE.replace("one_of: [software]", f"one_of: [{word}]"))
    assert cfg.criteria[0].match.one_of == [word]


def test_norway_stays_no_in_the_default_icp(default_icp: IcpConfig) -> None:
    assert "NO" in (default_icp.criterion("home_region").match.one_of or [])


@pytest.mark.parametrize(("text", "expected"), [("NO", "NO"), ("true", True), ("false", False), ("1", 1.0)])
def test_equals_keeps_its_type(text: str, expected: object) -> None:
    cfg = load_icp_text(BASE.replace("one_of: [software]", f"equals: {text}"))
    value = cfg.criteria[0].match.equals
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    weight: 40\n", "    weight: 41\n"),
        ("threshold: 50\n", "threshold: 45\n"),
        ("one_of: [software]", "one_of: [software, saas]"),
        ("within_days: 180", "within_days: 90"),
        ("  in_market: [funding]\n", "  in_market: [funding, big]\n"),
    ],
)
def test_version_changes_with_what_affects_scores(old: str, new: str) -> None:
    assert load_icp_text(BASE).version != load_icp_text(BASE.replace(old, new)).version


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    titles: [Head of Sales]\n", "    titles: [Head of Sales, VP Sales]\n"),
        ("description: For config tests.\n", "description: Something else entirely.\n"),
        ("    description: Sells to software firms.\n", "    description: Reworded.\n"),
        ("personas:\n  champion:\n    titles: [Head of Sales]\n", ""),
    ],
)
def test_version_ignores_personas_and_descriptions(old: str, new: str) -> None:
    assert old in BASE
    assert load_icp_text(BASE).version == load_icp_text(BASE.replace(old, new)).version


def test_default_tiers_require_only_declared_signals() -> None:
    no_signals = BASE.replace("signals:\n  buying: [funding]\n  in_market: [funding]\n", "")
    cfg = load_icp_text(no_signals)
    assert [(t.tier, t.requires) for t in cfg.ordered_tiers] == [
        (Tier.TIER_1, None),
        (Tier.TIER_2, None),
        (Tier.TIER_3, None),
    ]
    both = load_icp_text(BASE)
    assert [t.requires for t in both.ordered_tiers] == [None, "buying", "in_market"]


def test_criterion_describe_reads_as_words(fixtures_dir: Path) -> None:
    cfg = load_icp(fixtures_dir / "icp" / "all_matchers.yaml")
    words = {c.id: c.describe() for c in cfg.criteria}
    assert words["revenue_band"] == "revenue between 1M and 1B"
    assert words["partner"] == "partner equals true"
    assert words["hundred_staff"] == "employees equals 100"
    assert words["in_the_news"] == "a trigger event is on record"
    assert words["leader_recent"] == "a leadership change event within 90 days (materiality ≥ 0.6)"
    assert words["crm_stack"] == "technologies include all of Salesforce, Slack"


def test_reweighted_copy_gets_a_new_version_and_total() -> None:
    cfg = load_icp_text(BASE)
    before = (cfg.version, cfg.total_weight)  # computed, and cached, before the copy
    heavier = [c.model_copy(update={"weight": c.weight * 2}) if c.id == "big" else c for c in cfg.criteria]
    copy = cfg.model_copy(update={"criteria": heavier})
    assert copy.total_weight == 130
    assert copy.version != before[0]
    assert copy.version == load_icp_text(BASE.replace("    weight: 30\n", "    weight: 60\n", 1)).version
